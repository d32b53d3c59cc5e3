/*
 * What a remote has (store-format.md, section 10): its format marker, the
 * models/ tree (model records and version record keys, from listings), its
 * loose objects and packs (listings and pack indexes), and the remote
 * records read and checked before anything of them is used.  Reading a
 * remote's registry (mlreg_remote_models(), mlreg_remote_versions()) is
 * these phases alone.
 *
 * Threats: every key a listing returns is parsed into a model name, a
 * version number (at most MAX_VERSION, never a size to allocate by) or a
 * hash that mlreg validates, and anything else is ignored; documents are
 * read with a bound (MLREG_RECORD_MAX, MLREG_PACK_IDX_MAX) and parsed with
 * bounds; a version record is used only when it is the record it is named
 * for and chains to the one before it; a pack whose size is not what its
 * index says is not used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "lifecycle.h"
#include "name.h"
#include "registry.h"
#include "sync-int.h"
#include "util.h"

#define MARKER_KEY "mlreg-remote"
#define MARKER_TEXT "mlreg remote format 1\n"
#define MAX_VERSION 100000000L		/* a version number from a listing above this is ignored */

/* The models/ tree. */

/* The directory of each chain of records in a model's directory, by kind. */
static const char *const chain_dirs[CHAIN_KINDS] = { "versions/", "events/" };

/*
 * Returns 0 and, for a key of the models/ tree, the model's encoded name
 * (malloc'd) in *enc, in *kind the chain of a record key (versions/N.json,
 * events/K.json) and in *n its number, 0 for the model's record; -1 for
 * any other key.
 */
static int parse_model_key(const char *key, char **enc, int *kind, long *n)
{
	const char *p, *slash;
	char *name;

	if (strncmp(key, "models/", 7) != 0)
		return -1;
	p = key + 7;
	if (!(slash = strchr(p, '/')) || slash == p || slash - p > 255)
		return -1;
	*enc = xstrndup(p, (size_t)(slash - p));
	if (!(name = mlreg_name_decode(*enc))) {
		free(*enc);
		return -1;
	}
	free(name);
	p = slash + 1;
	if (!strcmp(p, "model.json")) {
		*kind = CHAIN_VERSIONS;
		*n = 0;
		return 0;
	}
	for (*kind = 0; *kind < CHAIN_KINDS; (*kind)++) {
		size_t dl = strlen(chain_dirs[*kind]);
		char *end;
		long v;
		if (strncmp(p, chain_dirs[*kind], dl) != 0 || p[dl] < '1' || p[dl] > '9')
			continue;
		errno = 0;
		v = strtol(p + dl, &end, 10);
		if (!errno && v >= 1 && v <= MAX_VERSION && !strcmp(end, ".json")) {
			*n = v;
			return 0;
		}
	}
	free(*enc);
	return -1;
}

/* Returns the chain of records of m of this kind. */
struct rchain *sync_chain(struct model *m, int kind)
{
	return kind == CHAIN_EVENTS ? &m->ev : &m->ver;
}

/* Receives the keys of a models/ listing into the models they belong to. */
static int on_model_key(void *ctx, const struct mlreg_key *k)
{
	struct sync *s = ctx;
	struct model *m;
	struct rchain *c;
	char *enc;
	int kind;
	long n;

	if (k->is_prefix || parse_model_key(k->key, &enc, &kind, &n) < 0)
		return 0;
	m = sync_find_model(s, enc);
	free(enc);
	if (!m)
		return 0;
	if (n == 0) {
		m->has_record = 1;
		return 0;
	}
	/* Kept as listed: a record number is no size to allocate by (see chain_build). */
	c = sync_chain(m, kind);
	MLREG_ALLOC_GROW(c->listed, c->nlisted + 1, c->caplisted);
	c->listed[c->nlisted].n = n;
	c->listed[c->nlisted].v.present = 1;
	c->listed[c->nlisted].v.same_id = 0;
	c->listed[c->nlisted].v.size = k->size;
	snprintf(c->listed[c->nlisted].v.etag, sizeof(c->listed[0].v.etag), "%s", k->etag);
	c->nlisted++;
	return 0;
}

/*
 * Makes c->rv from the record keys listed.  Only records up to the larger
 * of the number of keys listed and sel, the local records to upload, can
 * matter (a chain from 1 cannot be longer than the keys listed), so a key
 * such as versions/99999999.json costs one entry, not an array that long.
 */
static void chain_build(struct rchain *c, long sel)
{
	long top = 0, bound = (long)c->nlisted > sel ? (long)c->nlisted : sel;

	for (size_t i = 0; i < c->nlisted; i++)
		if (c->listed[i].n > top)
			top = c->listed[i].n;
	c->nrv = top < bound ? top : bound;
	free(c->rv);
	c->rv = xcalloc((size_t)c->nrv + 1, sizeof(*c->rv));
	for (size_t i = 0; i < c->nlisted; i++)
		if (c->listed[i].n <= c->nrv)
			c->rv[c->listed[i].n] = c->listed[i].v;
	c->contig = 0;
	while (c->contig < c->nrv && c->rv[c->contig + 1].present)
		c->contig++;
	c->above = 0;
	for (size_t i = 0; i < c->nlisted; i++)
		if (c->listed[i].n > c->contig + 1 &&
		    (c->above == 0 || c->listed[i].n < c->above))
			c->above = c->listed[i].n;
	free(c->listed);
	c->listed = NULL;
	c->nlisted = c->caplisted = 0;
}

/* Records a listing's failure; returns nothing. */
static void list_done(void *ctx, const struct mlreg_result *r)
{
	struct sync *s = ctx;

	if (r->err)
		sync_fail(s, r->err, "%s", r->msg);
}

/*
 * Returns 0 after listing what the remote holds of the models in s (all:
 * one listing of models/, for every model; else one per model).
 */
int sync_list_models(struct sync *s, int all)
{
	sync_phase_begin(s);
	if (all) {
		mlreg_tr_list(s->t, "models/", NULL, on_model_key, list_done, s);
	} else {
		for (size_t i = 0; i < s->nm; i++) {
			char *prefix = xasprintf("models/%s/", s->m[i]->enc);
			mlreg_tr_list(s->t, prefix, NULL, on_model_key, list_done, s);
			free(prefix);
		}
	}
	mlreg_tr_run(s->t);
	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		chain_build(&m->ver, m->up.sel);
		chain_build(&m->ev, m->nev);
	}
	return sync_phase_result(s);
}

/* Returns 0 and the JSON object a remote document holds in *out, or an error. */
int sync_parse_record(cJSON **out, const char *buf, size_t len)
{
	return mlreg_doc_parse_record(out, buf, len, "record");
}

/* Returns 0 after reading the remote model records of the models that have one. */
int sync_get_model_records(struct sync *s)
{
	struct slot *sl = xcalloc(s->nm + 1, sizeof(*sl));
	size_t i;

	sync_phase_begin(s);
	for (i = 0; i < s->nm; i++) {
		if (!s->m[i]->has_record)
			continue;
		char *key = xasprintf("models/%s/model.json", s->m[i]->enc);
		mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, sync_slot_done, &sl[i]);
		free(key);
	}
	mlreg_tr_run(s->t);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		cJSON *rec;
		if (!m->has_record)
			continue;
		if (sl[i].err == MLREG_ENOTFOUND) {	/* deleted meanwhile */
			m->has_record = 0;
		} else if (sl[i].err) {
			m->failed = 1;
			sync_fail(s, sl[i].err, "%s", sl[i].msg);
		} else if (sync_parse_record(&rec, sl[i].body, sl[i].len) < 0 ||
			   strcmp(mlreg_doc_str(rec, "name", ""), m->name) != 0) {
			cJSON_Delete(rec);
			m->failed = 1;
			sync_fail(s, MLREG_ECORRUPT, "remote '%s': the record of model '%s' is corrupt "
				  "(models/%s/model.json)", s->r->name, m->name, m->enc);
		} else {
			m->record = rec;
		}
		sync_slot_clear(&sl[i]);
	}
	free(sl);
	return sync_phase_result(s);
}

/*
 * The remote's format marker, MARKER_KEY: an upload creates it (only where
 * it is absent) before anything else; a reader refuses a remote whose
 * marker names another format.
 */

/* Returns 0 when the remote's marker is absent or names format 1. */
static int check_marker(struct sync *s, struct slot *sl, int *exists)
{
	*exists = 0;
	if (sl->err == MLREG_ENOTFOUND)
		return 0;
	if (sl->err)
		return mlreg_error_set(sl->err, "%s", sl->msg);
	*exists = 1;
	if (sl->len != strlen(MARKER_TEXT) || memcmp(sl->body, MARKER_TEXT, sl->len) != 0) {
		if (!strncmp(sl->body, "mlreg remote format ", 20))
			return mlreg_error_set(MLREG_EINVALID, "remote '%s' has format '%.*s'; this "
					       "mlreg reads format 1", s->r->name,
					       (int)strcspn(sl->body + 20, "\n"), sl->body + 20);
		return mlreg_error_set(MLREG_EINVALID, "remote '%s': '%s' is not an mlreg remote "
				       "marker", s->r->name, MARKER_KEY);
	}
	return 0;
}

/*
 * Returns 0 after reading the marker: *exists says whether the remote has
 * one.  A server that writes keys in place (s3rver does) may show a marker
 * being written by another uploader half done: a prefix of the text is read
 * again, a few times, before it is called wrong.
 */
int sync_read_marker(struct sync *s, int *exists)
{
	struct slot sl = { 0 };
	int err, tries = 0;

	for (;;) {
		mlreg_tr_get_buf(s->t, MARKER_KEY, 4096, sync_slot_done, &sl);
		mlreg_tr_run(s->t);
		if (sl.err || tries++ >= 5 || sl.len >= strlen(MARKER_TEXT) ||
		    memcmp(sl.body, MARKER_TEXT, sl.len) != 0)
			break;
		sync_slot_clear(&sl);
		mlreg_sleep_ms(100);
	}
	err = check_marker(s, &sl, exists);
	sync_slot_clear(&sl);
	return err;
}

/* Returns 0 after making sure the remote has its marker (created only when absent). */
int sync_ensure_marker(struct sync *s)
{
	struct slot sl = { 0 };
	int exists, err;

	if ((err = sync_read_marker(s, &exists)) < 0 || exists)
		return err;
	mlreg_tr_put_buf(s->t, MARKER_KEY, MARKER_TEXT, strlen(MARKER_TEXT), MLREG_TR_IF_ABSENT,
			 sync_slot_done, &sl);
	mlreg_tr_run(s->t);
	if (sl.err == MLREG_EEXISTS)
		mlreg_tr_set_conditional(s->t, 1);	/* made meanwhile, and it told */
	else if (sl.err)
		err = mlreg_error_set(sl.err, "%s", sl.msg);
	sync_slot_clear(&sl);
	return err;
}

/* The remote's objects: loose keys and pack indexes (struct inventory). */

/* Adds a copy of object hex (in pack, or loose when pack < 0); returns nothing. */
static void inv_add(struct inventory *inv, const char *hex, int pack, uint64_t off,
		    uint64_t size)
{
	MLREG_ALLOC_GROW(inv->v, inv->n + 1, inv->cap);
	memcpy(inv->v[inv->n].hex, hex, MLREG_HEX_LEN + 1);
	inv->v[inv->n].pack = pack;
	inv->v[inv->n].off = off;
	inv->v[inv->n].size = size;
	inv->n++;
	inv->sorted = 0;
}

/* Orders copies of objects by hash, a loose copy first. */
static int cmp_inv(const void *a, const void *b)
{
	const struct inv_entry *x = a, *y = b;
	int r = strcmp(x->hex, y->hex);

	/* A loose copy first: it needs no range. */
	return r ? r : (x->pack < y->pack ? -1 : x->pack > y->pack);
}

/* Returns the remote's copy of object hex (a loose one first), or NULL. */
const struct inv_entry *sync_inv_find(struct inventory *inv, const char *hex)
{
	size_t lo = 0, hi;

	if (!inv->sorted) {
		if (inv->n)
			qsort(inv->v, inv->n, sizeof(*inv->v), cmp_inv);
		inv->sorted = 1;
	}
	hi = inv->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(inv->v[mid].hex, hex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < inv->n && !strcmp(inv->v[lo].hex, hex) ? &inv->v[lo] : NULL;
}

/* Frees what inv holds; returns nothing. */
void sync_inv_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->npacks; i++)
		mlreg_pack_index_free(&inv->packs[i]);
	free(inv->packs);
	free(inv->names);
	free(inv->v);
	memset(inv, 0, sizeof(*inv));
}

struct inv_ctx {
	struct sync *s;
	struct inventory *inv;
};

/* Records a listing's failure; returns nothing. */
static void inv_list_done(void *ctx, const struct mlreg_result *r)
{
	struct inv_ctx *c = ctx;

	if (r->err)
		sync_fail(c->s, r->err, "%s", r->msg);
}

/* Receives a key of the objects/ listing; returns 0 (a key not ours is ignored). */
static int on_object_key(void *ctx, const struct mlreg_key *k)
{
	struct inv_ctx *c = ctx;
	char hex[MLREG_HEX_LEN + 1];

	/* objects/XX/YYYY...: anything else is not ours */
	if (k->is_prefix || strlen(k->key) != 8 + 2 + 1 + 62 || k->key[10] != '/')
		return 0;
	memcpy(hex, k->key + 8, 2);
	memcpy(hex + 2, k->key + 11, 62);
	hex[MLREG_HEX_LEN] = '\0';
	if (mlreg_is_hex64(hex))
		inv_add(c->inv, hex, -1, 0, k->size);
	return 0;
}

/* Receives a key of the packs/ listing; returns 0 (a key not ours is ignored). */
static int on_pack_key(void *ctx, const struct mlreg_key *k)
{
	struct inv_ctx *c = ctx;
	struct inventory *inv = c->inv;
	const char *p = k->key + 6;	/* after "packs/" */
	char hex[MLREG_HEX_LEN + 1];
	int is_idx;
	size_t i;

	if (k->is_prefix || strncmp(k->key, "packs/pack-", 11) || strlen(p) < 5 + 64 + 4)
		return 0;
	memcpy(hex, p + 5, 64);
	hex[64] = '\0';
	if (!mlreg_is_hex64(hex))
		return 0;
	if (!strcmp(p + 69, ".idx"))
		is_idx = 1;
	else if (!strcmp(p + 69, ".pack"))
		is_idx = 0;
	else
		return 0;
	/* A listing is sorted, so a pack's two keys come together; merge_packnames() is sure. */
	i = inv->nnames;
	if (!i || strcmp(inv->names[i - 1].hex, hex)) {
		MLREG_ALLOC_GROW(inv->names, inv->nnames + 1, inv->capnames);
		memset(&inv->names[i], 0, sizeof(inv->names[i]));
		memcpy(inv->names[i].hex, hex, sizeof(hex));
		inv->nnames++;
	} else {
		i--;
	}
	if (is_idx) {
		inv->names[i].has_idx = 1;
	} else {
		inv->names[i].has_pack = 1;
		inv->names[i].size = k->size;
	}
	return 0;
}

/* Orders pack names by hash. */
static int cmp_packname(const void *a, const void *b)
{
	return strcmp(((const struct packname *)a)->hex, ((const struct packname *)b)->hex);
}

/* Sorts the pack names listed and merges those listed apart (an unsorted listing). */
static void merge_packnames(struct inventory *inv)
{
	size_t i, j = 0;

	if (!inv->nnames)
		return;
	qsort(inv->names, inv->nnames, sizeof(*inv->names), cmp_packname);
	for (i = 1; i < inv->nnames; i++) {
		struct packname *a = &inv->names[j], *b = &inv->names[i];
		if (strcmp(a->hex, b->hex)) {
			inv->names[++j] = *b;
			continue;
		}
		a->has_idx |= b->has_idx;
		if (b->has_pack) {
			a->has_pack = 1;
			a->size = b->size;
		}
	}
	inv->nnames = j + 1;
}

/* Returns the path of pack hex's index in the remote's local cache, malloc'd. */
static char *idx_cache_path(const struct sync *s, const char *hex)
{
	return xasprintf("%s/packs/pack-%s.idx", s->r->cache, hex);
}

/* Keeps a pack index in the remote's local cache of indexes (best effort); returns nothing. */
void sync_cache_index(struct sync *s, const char *hex, const char *text, size_t len)
{
	char *path = idx_cache_path(s, hex);
	char *dir = xasprintf("%s/packs", s->r->cache);

	if (mlreg_fs_mkdirs(dir, 0755) == 0)
		mlreg_fs_write_atomic(path, text, len);
	mlreg_error_clear();
	free(dir);
	free(path);
}

/* Adds the objects of a parsed index (taken) to the inventory; returns nothing. */
static void inv_add_pack(struct inventory *inv, struct mlreg_pack_index *idx)
{
	int pi = (int)inv->npacks;

	MLREG_ALLOC_GROW(inv->packs, inv->npacks + 1, inv->cappacks);
	inv->packs[inv->npacks++] = *idx;
	for (size_t j = 0; j < idx->n; j++)
		inv_add(inv, idx->v[j].hex, pi, idx->v[j].off, idx->v[j].size);
}

/*
 * Returns 0 after learning which objects the remote holds: a listing of
 * objects/ (when loose is set) and of packs/, and the index of every pack
 * not already in the local cache of indexes (they never change: a pack's
 * name is its hash).
 */
int sync_load_inventory(struct sync *s, struct inventory *inv, int loose)
{
	struct inv_ctx c = { s, inv };
	struct slot *sl;
	size_t i;

	sync_phase_begin(s);
	if (loose)
		mlreg_tr_list(s->t, "objects/", NULL, on_object_key, inv_list_done, &c);
	mlreg_tr_list(s->t, "packs/", NULL, on_pack_key, inv_list_done, &c);
	mlreg_tr_run(s->t);
	if (s->perr)
		return sync_phase_result(s);
	merge_packnames(inv);
	sl = xcalloc(inv->nnames + 1, sizeof(*sl));
	for (i = 0; i < inv->nnames; i++) {
		struct packname *pn = &inv->names[i];
		struct mlreg_pack_index idx;
		char *path, *buf;
		size_t len;

		if (!pn->has_pack || !pn->has_idx)
			continue;	/* an upload that stopped between the two */
		path = idx_cache_path(s, pn->hex);
		if (mlreg_fs_read_file(&buf, &len, path, MLREG_PACK_IDX_MAX, path) == 0) {
			int ok = mlreg_pack_index_parse(&idx, buf, len, pn->hex) == 0;
			free(buf);
			if (ok && idx.size == pn->size) {
				inv_add_pack(inv, &idx);
				sl[i].done = 2;	/* from the cache */
			} else if (ok) {
				mlreg_pack_index_free(&idx);
			}
		}
		mlreg_error_clear();
		free(path);
		if (sl[i].done != 2) {
			char *key = xasprintf("packs/pack-%s.idx", pn->hex);
			mlreg_tr_get_buf(s->t, key, MLREG_PACK_IDX_MAX, sync_slot_done, &sl[i]);
			free(key);
		}
	}
	mlreg_tr_run(s->t);
	for (i = 0; i < inv->nnames; i++) {
		struct packname *pn = &inv->names[i];
		struct mlreg_pack_index idx;

		if (sl[i].done != 1)
			continue;
		if (sl[i].err) {
			if (sl[i].err != MLREG_ENOTFOUND)
				sync_fail(s, sl[i].err, "%s", sl[i].msg);
		} else if (mlreg_pack_index_parse(&idx, sl[i].body, sl[i].len, pn->hex) < 0) {
			sync_fail(s, MLREG_ECORRUPT, "remote '%s': pack index packs/pack-%s.idx is corrupt: "
				  "%s", s->r->name, pn->hex, mlreg_error_message());
		} else if (idx.size != pn->size) {
			/* A pack that is not whole is not used. */
			mlreg_pack_index_free(&idx);
		} else {
			sync_cache_index(s, pn->hex, sl[i].body, sl[i].len);
			inv_add_pack(inv, &idx);
		}
		sync_slot_clear(&sl[i]);
	}
	free(sl);
	return sync_phase_result(s);
}

/* The models a remote has, and their records. */

/* Receives a model directory of the models/ listing; returns 0. */
static int on_model_prefix(void *ctx, const struct mlreg_key *k)
{
	struct sync *s = ctx;
	char *enc, *name;
	size_t len = strlen(k->key);

	if (!k->is_prefix || strncmp(k->key, "models/", 7) || len < 9 || k->key[len - 1] != '/')
		return 0;
	enc = xstrndup(k->key + 7, len - 8);
	if (!strchr(enc, '/') && (name = mlreg_name_decode(enc)) != NULL) {
		/* Not searched for: a listing of many models stays linear; sync_sort_models() dedups. */
		sync_new_model(s, name, enc);
		free(name);
		return 0;
	}
	free(enc);
	return 0;
}

/* Returns 0 after adding every model the remote has a directory for. */
int sync_list_remote_models(struct sync *s)
{
	sync_phase_begin(s);
	mlreg_tr_list(s->t, "models/", "/", on_model_prefix, list_done, s);
	mlreg_tr_run(s->t);
	sync_sort_models(s);
	return sync_phase_result(s);
}

/*
 * Returns 0 after fetching the remote records the local store lacks for
 * the models wanted, and comparing those both sides have.
 */
int sync_fetch_records(struct sync *s)
{
	struct slot *sl = NULL;
	size_t nsl = 0, capsl = 0, i;

	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];

		if (!m->has_record) {
			/* Not named: an upload that stopped before the model record. */
			m->failed = 1;
			if (m->down.nasked)
				sync_fail(s, MLREG_ENOTFOUND, "model '%s' not found on remote '%s'",
					  m->name, s->r->name);
			continue;
		}
		/*
		 * Upload puts a model's records one at a time, in order, before
		 * its model record: a missing record below one that is listed and
		 * that the model record counts, or a model record with no record
		 * at all, is not a healthy remote.  Nothing of such a model is
		 * stored.  (A listing taken before an upload's newest records
		 * shows no record above the gap; keys above the model record's
		 * count are another writer's or junk, and are left alone.)
		 */
		if (m->ver.above > 0 && m->ver.above <= mlreg_doc_int(m->record, "latest_version", 0)) {
			m->failed = 1;
			sync_fail(s, MLREG_ECORRUPT, "remote '%s': models/%s/versions/%ld.json is "
				  "missing, below version %ld: the remote is corrupt", s->r->name,
				  m->enc, m->ver.contig + 1, m->ver.above);
			continue;
		}
		if (m->ver.contig == 0) {
			m->failed = 1;
			sync_fail(s, MLREG_ENOTFOUND, "model '%s' has no versions on remote '%s'",
				  m->name, s->r->name);
			continue;
		}
		/* The latest of the named versions; a bare NAME is the remote's latest. */
		m->down.want = m->down.nasked ? 0 : m->ver.contig;
		for (size_t j = 0; j < m->down.nasked; j++) {
			if (m->down.asked[j] == 0)
				m->down.asked[j] = m->ver.contig;
			if (m->down.asked[j] > m->down.want)
				m->down.want = m->down.asked[j];
		}
		if (m->down.want > m->ver.contig) {
			m->failed = 1;
			sync_fail(s, MLREG_ENOTFOUND, "version %ld of model '%s' not found on remote '%s'",
				  m->down.want, m->name, s->r->name);
			continue;
		}
		if (!s->no_local && sync_load_local(s, m) < 0) {
			m->failed = 1;
			sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			continue;
		}
	}
	sync_compare_existing(s, 1);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];

		if (!m->failed && m->down.want > m->latest) {
			m->down.nbufs = m->down.want - m->latest;
			m->down.bufs = xcalloc((size_t)m->down.nbufs, sizeof(*m->down.bufs));
			m->down.lens = xcalloc((size_t)m->down.nbufs, sizeof(*m->down.lens));
			for (long k = m->latest + 1; k <= m->down.want; k++)
				sync_slot_add(&sl, &nsl, &capsl, m, k);
		}
	}
	sync_get_records(s, sl, nsl);
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		long k = sl[i].n;

		if (m->failed) {
			;
		} else if (sl[i].err) {
			m->failed = 1;
			if (sl[i].err == MLREG_ENOTFOUND)
				sync_fail(s, MLREG_ECONFLICT, "remote '%s': %s@%ld disappeared while it was "
					  "read; run the download again", s->r->name, m->name, k);
			else
				sync_fail(s, sl[i].err, "%s", sl[i].msg);
		} else {
			m->down.bufs[k - m->latest - 1] = sl[i].body;
			m->down.lens[k - m->latest - 1] = sl[i].len;
			sl[i].body = NULL;
		}
		sync_slot_clear(&sl[i]);
	}
	free(sl);
	return 0;
}

/*
 * Returns 0 after checking the fetched records of m: each parses, is the
 * record it is named for, and chains to the one before it; the last one
 * also to the remote model record when that names it.
 */
int sync_check_records(struct sync *s, struct model *m, struct wants *w)
{
	char prev[MLREG_HEX_LEN + 1];
	struct wants mine = { 0 };	/* its files, wanted only if every record checks */
	long k;

	snprintf(prev, sizeof(prev), "%s", m->latest > 0 ? m->latest_id : "");
	for (k = m->latest + 1; k <= m->down.want; k++) {
		const char *buf = m->down.bufs[k - m->latest - 1];
		size_t len = m->down.lens[k - m->latest - 1];
		char hex[MLREG_HEX_LEN + 1];
		const char *parent;
		cJSON *rec;

		/* Records written before a rename name a former name (the remote record's). */
		if (mlreg_version_parse(&rec, buf, len, m->name,
					cJSON_GetObjectItemCaseSensitive(m->record, "former_names"),
					k) < 0) {
			sync_fail(s, MLREG_ECORRUPT, "remote '%s': models/%s/versions/%ld.json is corrupt: "
				  "%s", s->r->name, m->enc, k, mlreg_error_message());
			cJSON_Delete(rec);
			m->failed = 1;
			free(mine.v);
			return 0;
		}
		parent = mlreg_doc_str(rec, "parent", NULL);
		if (k > 1 && strcmp(parent ? parent : "", prev) != 0) {
			sync_fail(s, MLREG_ECORRUPT, "remote '%s': %s@%ld does not follow %s@%ld (its parent "
				  "is %.12s, not %.12s): the remote is corrupt", s->r->name, m->name, k,
				  m->name, k - 1, parent ? parent : "null", prev);
			cJSON_Delete(rec);
			m->failed = 1;
			free(mine.v);
			return 0;
		}
		mlreg_version_id(buf, len, hex);
		memcpy(prev, hex, sizeof(hex));
		if (w && sync_files_wanted(s, m, k))
			sync_wants_add_files(&mine, rec);
		cJSON_Delete(rec);
	}
	if (m->down.want > m->latest &&
	    mlreg_doc_int(m->record, "latest_version", 0) == m->down.want &&
	    strcmp(mlreg_doc_str(m->record, "latest_id", ""), prev) != 0) {
		sync_fail(s, MLREG_ECORRUPT, "remote '%s': %s@%ld is not the version its model record "
			  "names (id %.12s, the record says %.12s)", s->r->name, m->name, m->down.want, prev,
			  mlreg_doc_str(m->record, "latest_id", ""));
		m->failed = 1;
	}
	for (size_t i = 0; w && !m->failed && i < mine.n; i++)
		sync_wants_add(w, mine.v[i].hex, mine.v[i].size);
	free(mine.v);
	return 0;
}

/* Reading a remote's registry: these phases alone, without a local store. */

/* Returns 0 and the remote's model records in *out (see sync.h). */
int mlreg_remote_models(cJSON **out, const struct mlreg_remote *r,
			const struct mlreg_sync_opts *o)
{
	struct sync s;
	int err, exists;

	*out = NULL;
	if ((err = sync_open(&s, NULL, r, o)) < 0)
		return err;
	if ((err = sync_read_marker(&s, &exists)) < 0)
		goto done;
	if (exists && ((err = sync_list_remote_models(&s)) < 0 ||
		       (err = sync_list_models(&s, 0)) < 0 ||
		       (err = sync_get_model_records(&s)) < 0))
		goto done;
	*out = cJSON_CreateArray();
	for (size_t i = 0; i < s.nm; i++)
		if (s.m[i]->record)
			cJSON_AddItemToArray(*out, cJSON_Duplicate(s.m[i]->record, 1));
done:
	sync_close(&s);
	return err;
}

/* Returns 0 and the remote's versions of model name in *out (see sync.h). */
int mlreg_remote_versions(cJSON **out, const struct mlreg_remote *r, const char *name,
			  const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct model *m;
	cJSON *state = NULL;
	int err, exists;

	*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if ((err = sync_open(&s, NULL, r, o)) < 0)
		return err;
	s.no_local = 1;
	m = sync_add_model(&s, name);
	if ((err = sync_read_marker(&s, &exists)) < 0)
		goto done;
	if (exists && ((err = sync_list_models(&s, 0)) < 0 ||
		       (err = sync_get_model_records(&s)) < 0))
		goto done;
	if (!m->has_record) {
		err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found on remote '%s'", name,
				      r->name);
		goto done;
	}
	m->down.want = m->ver.contig;
	sync_events_fetch(&s);
	sync_fetch_records(&s);
	if (!m->failed)
		sync_check_records(&s, m, NULL);
	if (!m->failed)
		state = sync_events_state(&s, m);
	if ((err = sync_result(&s)) < 0)
		goto done;
	*out = cJSON_CreateArray();
	for (long k = m->down.want; k >= 1; k--) {
		char hex[MLREG_HEX_LEN + 1];
		cJSON *rec = cJSON_ParseWithLength(m->down.bufs[k - 1], m->down.lens[k - 1]), *v;
		mlreg_version_id(m->down.bufs[k - 1], m->down.lens[k - 1], hex);
		v = mlreg_version_with_id(rec, hex);
		mlreg_lifecycle_annotate(v, state);	/* the remote's aliases (its events) */
		cJSON_AddItemToArray(*out, v);
		cJSON_Delete(rec);
	}
done:
	cJSON_Delete(state);
	sync_close(&s);
	return err;
}
