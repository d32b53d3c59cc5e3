/*
 * Registering a version (see register.h), in steps whose order keeps a
 * failure invisible:
 *   1. check every path (walk.c) and read every input file: no write yet;
 *      a file the stat cache proves stored (statcache.h, prepass() below,
 *      under the gc lock) is neither opened nor read, and what inspecting
 *      it found comes from the latest version when that has it too;
 *   2. stream each file into an object (objects are immutable and shared,
 *      so this needs no model lock and is safe to repeat after a crash;
 *      the gc lock is held shared from here to the commit, so 'mlreg gc'
 *      cannot delete an object before the record naming it is visible),
 *      all of them in one batch made durable by two syncfs (object.h),
 *      before the record that names them is written;
 *   3. append the record under the model's lock, the rename of model.json
 *      being the commit point, and
 *   4. release the lock: both mlreg_version_append() in registry.c.
 * After step 2 the stat cache is rewritten with the files stored (best
 * effort: a cache).  Concurrent registrations of one model serialise on
 * step 3 only.  With if_changed, step 3 first compares the record with the latest version's
 * (same_version() below, under the lock) and writes nothing when equal.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "ingest.h"
#include "name.h"
#include "provenance.h"
#include "register.h"
#include "registry.h"
#include "statcache.h"
#include "understand/spec.h"
#include "text.h"
#include "util.h"
#include "walk.h"

/* What the stat cache proved of an entry before storing (prepass()). */
struct cached {
	int hit;				/* 1: stored already, as hex */
	char hex[MLREG_HEX_LEN + 1];
	uint64_t size;
};

/* Appends entry v's member of the record's "files" (store-format.md section 6). */
static void add_file(cJSON *files, const struct mlreg_entry *v, const char *hex, uint64_t size)
{
	cJSON *f = cJSON_CreateObject();

	cJSON_AddStringToObject(f, "path", v->path);
	cJSON_AddNumberToObject(f, "size", (double)size);
	cJSON_AddStringToObject(f, "sha256", hex);
	cJSON_AddStringToObject(f, "mode", v->exec ? "0755" : "0644");
	cJSON_AddItemToArray(files, f);
}

/*
 * Returns how many entries the stat cache sc (statcache.h; may be NULL)
 * proves stored already, after filling pre[] (e->n, zeroed) for them: one
 * stat(2) of the source and one of the object each, the source never
 * opened.  Called under the gc lock, which keeps a hit's object until the
 * record naming it is committed.  A file that is not regular or cannot be
 * stat'ed is left to store_files(), which says what is wrong with it.
 */
static size_t prepass(struct mlreg_statcache *sc, const struct mlreg_entries *e,
		      struct cached *pre)
{
	size_t i, hits = 0;

	for (i = 0; sc && i < e->n; i++) {
		struct stat st;

		if (stat(e->v[i].src, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !mlreg_statcache_lookup(sc, e->v[i].src, &st, pre[i].hex))
			continue;
		pre[i].hit = 1;
		pre[i].size = (uint64_t)st.st_size;
		hits++;
	}
	return hits;
}

/*
 * Returns a new array of e->n flags (or NULL when none is set): 1 for each
 * entry that the stat cache proved (pre[]) holds the bytes of the file of
 * the same path in version latest (may be NULL), when this same mlreg
 * wrote latest (its provenance says which): understanding the files then
 * reuses latest's inspection of it (understand/spec.h), without opening it.
 */
static unsigned char *known_files(const struct mlreg_entries *e, const struct cached *pre,
				  const cJSON *latest)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(latest, "files");
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(latest, "provenance");
	unsigned char *known = NULL;
	size_t i;

	if (!cJSON_IsArray(f) || strcmp(mlreg_doc_str(prov, "mlreg_version", ""), MLREG_VERSION))
		return NULL;
	f = f->child;
	for (i = 0; i < e->n && f; i++) {
		if (!pre[i].hit)
			continue;
		/* both in path order; an unordered list only finds fewer */
		while (f && strcmp(mlreg_doc_str(f, "path", ""), e->v[i].path) < 0)
			f = f->next;
		if (f && !strcmp(mlreg_doc_str(f, "path", ""), e->v[i].path) &&
		    !strcmp(mlreg_doc_str(f, "sha256", ""), pre[i].hex)) {
			if (!known)
				known = xcalloc(e->n, 1);
			known[i] = 1;
		}
	}
	return known;
}

/*
 * Returns 0 after storing every entry as an object (ingest.c, several at
 * once) and filling files, in the entries' order, and *total; an entry
 * pre[] (may be NULL) marks as a hit is taken as it says (ingest.c reads
 * it only if its object has gone meanwhile), and each file read is
 * recorded in the stat cache sc (may be NULL) with the fstat(2) taken
 * before its bytes were read.
 */
static int store_files(struct mlreg_store *store, const struct mlreg_entries *e,
		       const struct mlreg_register_opts *o, cJSON *files, uint64_t *total,
		       const struct cached *pre, struct mlreg_statcache *sc)
{
	struct mlreg_ingest_opts io = { o->progress, o->file_start, o->ctx, 0 };
	struct mlreg_ingest_item *v = xcalloc(e->n ? e->n : 1, sizeof(*v));
	size_t i;
	int err;

	*total = 0;
	for (i = 0; i < e->n; i++) {
		v[i].src = e->v[i].src;
		v[i].path = e->v[i].path;
		if (pre && pre[i].hit) {
			v[i].known = 1;
			memcpy(v[i].hex, pre[i].hex, sizeof(v[i].hex));
			v[i].size = pre[i].size;
		}
	}
	if ((err = mlreg_ingest(store, v, e->n, &io)) < 0)
		goto done;
	for (i = 0; i < e->n; i++) {
		/* st is all zero when the file was not opened (a hit) */
		if (S_ISREG(v[i].st.st_mode) && v[i].size == (uint64_t)v[i].st.st_size)
			mlreg_statcache_record(sc, e->v[i].src, &v[i].st, v[i].hex);
		add_file(files, &e->v[i], v[i].hex, v[i].size);
		*total += v[i].size;
	}
done:
	free(v);
	return err;
}

/*
 * Returns 0 when the base name of file (a spec or a contract: the record
 * keeps it) is text a record can hold; MLREG_EINVALID naming file otherwise.
 */
static int check_named_file(const char *file, const char *what)
{
	const char *base = file ? strrchr(file, '/') : NULL, *why;

	if (!file)
		return 0;
	if ((why = mlreg_text_problem(base ? base + 1 : file)) != NULL)
		return mlreg_error_set(MLREG_EINVALID, "cannot register with %s '%s': its name %s",
				       what, file, why);
	return 0;
}

/*
 * What makes a registration the latest version again, for if_changed
 * ('register --if-changed', a CI job run twice): every member of a version
 * record (store-format.md section 6), compared or not, and why.  One table,
 * so what "unchanged" means is read and changed here only.  A member not
 * listed (one a later record format adds) is compared: an unknown
 * difference makes a new version rather than being hidden.
 */
static const struct {
	const char *member;
	int compared;
} version_members[] = {
	/* Not compared: the head of the record, which registry.c writes */
	{ "model", 0 },		/* the same model by construction */
	{ "version", 0 },	/* the number being decided */
	{ "id", 0 },		/* the hash of the whole record, "created" included */
	{ "parent", 0 },	/* the place in the chain, not the content */
	{ "created", 0 },	/* when it was committed: always differs */
	/* Not compared: about the registration, not the model */
	{ "message", 0 },	/* a retry may word it differently ("CI run 812") */
	{ "provenance", 0 },	/* who, on which host, when, at which commit: a CI
				   retry on another runner or commit with the same
				   files is the same version */
	/* Compared: the content, as the record would be written */
	{ "size", 1 },		/* follows from files */
	{ "files", 1 },		/* each path, size, sha256 and mode */
	{ "framework", 1 },	/* given by --framework or read from the files */
	{ "metadata", 1 },
	{ "metrics", 1 },
	{ "hparams", 1 },
	{ "artifacts", 1 },	/* what reading the files found: differs for the same
				   files only when a newer mlreg reads them better,
				   and then the record it would write is new */
	{ "signatures", 1 },	/* given with --contract, or inferred from the files */
	{ "contract", 1 },	/* where the signatures came from */
	{ "spec", 1 },		/* --spec or import's YAML */
	{ "introspection", 1 },	/* an ADS artifact's */
	{ "checkpoint", 1 },	/* a Determined checkpoint's identity */
};

/* Returns 1 when member key is compared (listed so, or not listed at all). */
static int member_compared(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(version_members) / sizeof(version_members[0]); i++)
		if (!strcmp(version_members[i].member, key))
			return version_members[i].compared;
	return 1;
}

/*
 * Returns 1 when a (a member, or NULL when the record lacks it) stands for
 * the same value as b: equal as JSON (cJSON_Compare(), as 'mlreg diff'
 * sees them: key order aside), or one absent and the other null or [] (a
 * record of mlreg 0.1 lacks the later members, which readers take so).
 */
static int same_member(const cJSON *a, const cJSON *b)
{
	if (!a || !b) {
		const cJSON *c = a ? a : b;
		return !c || cJSON_IsNull(c) || (cJSON_IsArray(c) && !c->child);
	}
	return cJSON_Compare(a, b, 1) != 0;
}

/*
 * Returns 1 when rec (about to be written) and latest (the model's latest
 * version) hold the same members of version_members[] that are compared.
 * The latest is the highest numbered record present: what deprecating or
 * deleting a version does to it is not considered here.
 */
static int same_version(const cJSON *rec, const cJSON *latest)
{
	const cJSON *item;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const cJSON *from = pass ? latest : rec, *other = pass ? rec : latest;
		cJSON_ArrayForEach(item, from) {
			if (!item->string || !member_compared(item->string))
				continue;
			if (!same_member(item, cJSON_GetObjectItemCaseSensitive(other,
										item->string)))
				return 0;
		}
	}
	return 1;
}

/* Returns 0 after registering the paths as the model's next version (see register.h). */
int mlreg_register(cJSON **out, struct mlreg_store *store, const struct mlreg_register_opts *o)
{
	struct mlreg_entries entries = { 0 };
	cJSON *model = NULL, *rec = NULL, *files = NULL, *prov = NULL, *understood = NULL;
	cJSON *cp, *item;
	uint64_t total;
	int err, missing, gc_lock = -1;
	struct mlreg_statcache *sc = NULL;
	struct cached *pre = NULL;
	size_t hits = 0;
	cJSON *latest = NULL;
	unsigned char *known = NULL;

	*out = NULL;
	if ((err = mlreg_name_validate(o->name)) < 0 ||
	    (err = check_named_file(o->spec_file, "the spec")) < 0 ||
	    (err = check_named_file(o->contract_file, "the contract")) < 0)
		return err;
	err = mlreg_model_load(&model, store, o->name);
	if (err == 0 && (err = mlreg_model_require_live(model)) < 0) {
		cJSON_Delete(model);	/* deleted: not even --create takes it (6.7) */
		return err;
	}
	cJSON_Delete(model);
	model = NULL;
	if (err == MLREG_ENOTFOUND && mlreg_model_is_redirect(store, o->name))
		return mlreg_model_load(&model, store, o->name);	/* "renamed to NEW" */
	if (err == MLREG_ENOTFOUND && !o->create)
		return mlreg_error_set(MLREG_ENOTFOUND,
			"model '%s' not found (create it with 'mlreg create %s' or use --create)",
			o->name, o->name);
	missing = err == MLREG_ENOTFOUND;
	if (err < 0 && !missing)
		return err;
	if ((err = mlreg_walk(&entries, o->paths, o->npaths, store->path)) < 0)
		return err;
	/* From the stat cache's look-ups to the commit: gc deletes none of ours (object.h). */
	if ((gc_lock = mlreg_object_lock(store, 0, mlreg_lock_timeout())) < 0) {
		mlreg_entries_free(&entries);
		return gc_lock;
	}
	if (!o->no_statcache && (err = mlreg_statcache_open(&sc, store)) < 0)
		goto done;
	pre = xcalloc(entries.n ? entries.n : 1, sizeof(*pre));
	hits = prepass(sc, &entries, pre);
	if (hits && !missing && mlreg_version_load(&latest, store, o->name, 0) == 0)
		known = known_files(&entries, pre, latest);
	mlreg_error_clear();
	{
		struct mlreg_understand_opts uo = { o->spec_file, o->contract_file, o->warn,
						    o->ctx, o->spec_name_given, o->spec_shown,
						    cJSON_GetObjectItemCaseSensitive(latest, "artifacts"),
						    known };
		err = mlreg_understand(&understood, &entries, &uo);
		cJSON_Delete(latest);
		latest = NULL;
		if (err < 0)
			goto done;
	}
	/* What a model file's own JSON repeats, the record cannot (see registry.h). */
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(understood, "artifacts")) {
		size_t k = mlreg_doc_drop_repeated_keys(item);
		if (k && o->warn) {
			char *w = xasprintf("'%s': %zu repeated key(s) in what the file holds were "
					    "kept once (the first)", mlreg_doc_str(item, "path", ""), k);
			o->warn(o->ctx, w);
			free(w);
		}
	}
	{
		unsigned pruned;
		mlreg_object_prune_tmp(store, &pruned);	/* best effort */
	}

	/*
	 * Every object written, then all made durable at once (object.h); no
	 * batch (and no syncfs) when the stat cache proved every file stored.
	 */
	if (hits < entries.n && (err = mlreg_object_batch_begin(store)) < 0)
		goto done;
	files = cJSON_CreateArray();
	err = store_files(store, &entries, o, files, &total, pre, sc);
	if (hits < entries.n) {
		if (err < 0)
			mlreg_object_batch_abort(store);
		else
			err = mlreg_object_batch_commit(store);
	}
	if (err < 0)
		goto done;
	mlreg_statcache_save(sc);	/* best effort: a cache (statcache.h) */
	if (o->provenance_paths)
		mlreg_provenance_collect(&prov, o->provenance_paths, o->nprovenance_paths,
					 store->path);
	else
		mlreg_provenance_collect(&prov, o->paths, o->npaths, store->path);
	if (missing) {
		/* Only now, so a failed --create registration leaves no model. */
		err = mlreg_model_create(NULL, store, o->name, NULL, NULL);
		if (err == MLREG_EEXISTS)	/* created meanwhile by another process */
			err = 0;
		if (err < 0)
			goto done;
	}

	/* the record's body: its head (model, version, parent, created) is registry.c's */
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "message", o->message ? o->message : "");
	cJSON_AddNumberToObject(rec, "size", (double)total);
	cJSON_AddItemToObject(rec, "files", files);
	files = NULL;
	/* Flags win over what the files say (a Determined checkpoint, a spec...). */
	cp = cJSON_GetObjectItemCaseSensitive(understood, "checkpoint");
	item = cJSON_DetachItemFromObjectCaseSensitive(understood, "framework");
	if (o->framework && *o->framework) {
		cJSON_Delete(item);
		item = mlreg_framework_from_string(o->framework, 0);
	}
	cJSON_AddItemToObject(rec, "framework", item);
	cJSON_AddItemToObject(rec, "metadata", o->metadata ? cJSON_Duplicate(o->metadata, 1)
							   : cJSON_CreateObject());
	if (o->metrics)
		cJSON_AddItemToObject(rec, "metrics", cJSON_Duplicate(o->metrics, 1));
	else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cp, "metrics")))
		cJSON_AddItemToObject(rec, "metrics", cJSON_Duplicate(
					      cJSON_GetObjectItemCaseSensitive(cp, "metrics"), 1));
	else
		cJSON_AddItemToObject(rec, "metrics", cJSON_CreateObject());
	if (o->hparams)
		cJSON_AddItemToObject(rec, "hparams", cJSON_Duplicate(o->hparams, 1));
	else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cp, "hparams")))
		cJSON_AddItemToObject(rec, "hparams", cJSON_Duplicate(
					      cJSON_GetObjectItemCaseSensitive(cp, "hparams"), 1));
	else
		cJSON_AddItemToObject(rec, "hparams", cJSON_CreateObject());
	cJSON_AddItemToObject(rec, "provenance", prov);
	prov = NULL;
	if (cJSON_IsObject(cp)) {
		cJSON_DeleteItemFromObjectCaseSensitive(cp, "metrics");
		cJSON_DeleteItemFromObjectCaseSensitive(cp, "hparams");
		cJSON_DeleteItemFromObjectCaseSensitive(cp, "framework");
	}
	/* artifacts, signatures, contract, spec, introspection, checkpoint */
	while ((item = understood->child) != NULL)
		cJSON_AddItemToObject(rec, item->string,
				      cJSON_DetachItemViaPointer(understood, item));

	err = mlreg_version_append_unless(out, o->unchanged, store, o->name, rec,
					  o->if_changed ? same_version : NULL);
done:
	mlreg_object_unlock(gc_lock);
	mlreg_statcache_free(sc);
	free(pre);
	free(known);
	mlreg_entries_free(&entries);
	cJSON_Delete(rec);
	cJSON_Delete(files);
	cJSON_Delete(prov);
	cJSON_Delete(understood);
	return err;
}
