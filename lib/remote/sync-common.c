/*
 * The common part of upload and download (sync-int.h says which file does
 * what): the state of one transfer, its errors collected from many
 * operations in flight and told apart by phase, the progress it reports,
 * the slots operations leave their results in, the models being moved, the
 * comparison of the versions both the remote and the local store have (the
 * one place a conflict is found before anything is written), the sets of
 * objects wanted, and the summary a transfer returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "name.h"
#include "registry.h"
#include "sync-int.h"
#include "util.h"

/* Records an error; the first one is the one reported. */
void sync_fail(struct sync *s, int err, const char *fmt, ...)
{
	va_list ap;

	s->nerrors++;
	if (!s->perr) {
		s->perr = err;
		va_start(ap, fmt);
		vsnprintf(s->pmsg, sizeof(s->pmsg), fmt, ap);
		va_end(ap);
	}
	if (s->err)
		return;
	s->err = err;
	memcpy(s->msg, s->pmsg, sizeof(s->msg));
}

/* Starts a phase: what fails in it is told apart from what failed before. */
void sync_phase_begin(struct sync *s)
{
	s->perr = 0;
	s->pmsg[0] = '\0';
}

/* Returns the first error of the phase, its message set again, or 0. */
int sync_phase_result(struct sync *s)
{
	return s->perr ? mlreg_error_set(s->perr, "%s", s->pmsg) : 0;
}

/* Returns the first error with its message set again, or 0. */
int sync_result(struct sync *s)
{
	if (!s->err)
		return 0;
	if (s->nerrors > 1)
		return mlreg_error_set(s->err, "%s (and %u more error%s)", s->msg, s->nerrors - 1,
				       s->nerrors > 2 ? "s" : "");
	return mlreg_error_set(s->err, "%s", s->msg);
}

/* Tells the caller how far we are, about ten times a second (force: now). */
void sync_report(struct sync *s, int force)
{
	double t;

	if (!s->o->progress)
		return;
	t = mlreg_monotonic();
	if (!force && t - s->last_progress < 0.1)
		return;
	s->last_progress = t;
	s->o->progress(s->o->ctx, &s->prog);
}

/* Counts the bytes a transport moved (its progress callback); returns nothing. */
static void on_bytes(void *ctx, uint64_t up, uint64_t down)
{
	struct sync *s = ctx;

	s->prog.bytes_done += up + down;
	if (s->prog.bytes_done > s->prog.bytes_total)
		s->prog.bytes_done = s->prog.bytes_total;	/* retries send bytes again */
	sync_report(s, 0);
}

/*
 * Returns 1 when the remote record described by rv has the bytes buf, 0
 * when it surely does not, -1 when only reading it can tell.
 */
static int same_record(const struct rver *rv, const char *buf, size_t len)
{
	char md5[33];

	if (rv->same_id)
		return 1;
	if (rv->size != len)
		return 0;
	if (strlen(rv->etag) != 32)
		return -1;	/* no ETag, or not an MD5 (multipart, SSE-KMS) */
	mlreg_md5_hex(buf, len, md5);
	return strcmp(md5, rv->etag) == 0 ? 1 : -1;
}

/* Slots. */

/* Keeps an operation's result in its slot (ctx); returns nothing. */
void sync_slot_done(void *ctx, const struct mlreg_result *r)
{
	struct slot *sl = ctx;

	sl->done = 1;
	sl->err = r->err;
	sl->retried = r->retried;
	free(sl->msg);
	sl->msg = r->err ? xstrdup(r->msg ? r->msg : "error") : NULL;
	free(sl->body);
	sl->body = NULL;
	if (!r->err && r->body) {
		sl->body = xmalloc(r->len + 1);
		memcpy(sl->body, r->body, r->len);
		sl->body[r->len] = '\0';
		sl->len = r->len;
	}
	sl->size = r->size;
	snprintf(sl->etag, sizeof(sl->etag), "%s", r->etag ? r->etag : "");
}

/* Empties a slot for another use; returns nothing. */
void sync_slot_clear(struct slot *sl)
{
	free(sl->msg);
	free(sl->body);
	memset(sl, 0, sizeof(*sl));
}

/* Returns a new empty slot for record k of model m, added at the end of *v. */
struct slot *sync_slot_add(struct slot **v, size_t *n, size_t *cap, struct model *m, long k)
{
	struct slot *sl;

	MLREG_ALLOC_GROW(*v, *n + 1, *cap);
	sl = &(*v)[(*n)++];
	memset(sl, 0, sizeof(*sl));
	sl->owner = m;
	sl->n = k;
	return sl;
}

/* Queues a GET of the version record each slot names, and runs them; returns nothing. */
void sync_get_records(struct sync *s, struct slot *sl, size_t n)
{
	sync_get_chain_records(s, CHAIN_VERSIONS, sl, n);
}

/* Queues a GET of the record of this kind each slot names, and runs them; returns nothing. */
void sync_get_chain_records(struct sync *s, int kind, struct slot *sl, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *key = sync_chain_key(sl[i].owner, kind, sl[i].n);
		mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, sync_slot_done, &sl[i]);
		free(key);
	}
	mlreg_tr_run(s->t);
}

/* The models: sorted by encoded name once a phase has added them. */

/* Orders models by encoded name, for qsort() and bsearch(). */
static int cmp_model(const void *a, const void *b)
{
	return strcmp((*(struct model *const *)a)->enc, (*(struct model *const *)b)->enc);
}

/* Returns the model whose encoded name is enc, or NULL (the models sorted). */
struct model *sync_find_model(struct sync *s, const char *enc)
{
	struct model key = { .enc = (char *)enc }, *kp = &key, **found;

	if (!s->nm)
		return NULL;
	found = bsearch(&kp, s->m, s->nm, sizeof(*s->m), cmp_model);
	return found ? *found : NULL;
}

/* Returns a new model called name, enc its encoded name (taken), added unsorted. */
struct model *sync_new_model(struct sync *s, const char *name, char *enc)
{
	struct model *m = xcalloc(1, sizeof(*m));

	m->name = xstrdup(name);
	m->enc = enc;
	m->s = s;
	MLREG_ALLOC_GROW(s->m, s->nm + 1, s->capm);
	s->m[s->nm++] = m;
	return m;
}

/* Returns the model called name, added (unsorted: call sync_sort_models) when new. */
struct model *sync_add_model(struct sync *s, const char *name)
{
	char *enc = mlreg_name_encode(name);

	for (size_t i = 0; i < s->nm; i++)
		if (!strcmp(s->m[i]->enc, enc)) {
			free(enc);
			return s->m[i];
		}
	return sync_new_model(s, name, enc);
}

/* Frees m and what it holds. */
static void free_model(struct model *m)
{
	for (long k = 0; k < m->down.nbufs; k++)
		free(m->down.bufs[k]);
	free(m->down.bufs);
	free(m->down.lens);
	free(m->ver.rv);
	free(m->ver.listed);
	free(m->ev.rv);
	free(m->ev.listed);
	free(m->down.asked);
	for (size_t j = 0; m->down.refs && j < m->down.nasked; j++)
		free(m->down.refs[j]);
	free(m->down.refs);
	for (long k = 0; m->down.ebufs && k < m->down.ev_top - m->nev; k++)
		free(m->down.ebufs[k]);
	free(m->down.ebufs);
	free(m->down.elens);
	cJSON_Delete(m->down.events);
	cJSON_Delete(m->lev);
	cJSON_Delete(m->record);
	free(m->name);
	free(m->enc);
	free(m);
}

/* Sorts the models by encoded name, dropping a second one of a name (sync_new_model()'s). */
void sync_sort_models(struct sync *s)
{
	size_t i, j = 0;

	if (!s->nm)
		return;
	qsort(s->m, s->nm, sizeof(*s->m), cmp_model);
	for (i = 1; i < s->nm; i++) {
		if (strcmp(s->m[i]->enc, s->m[j]->enc))
			s->m[++j] = s->m[i];
		else
			free_model(s->m[i]);
	}
	s->nm = j + 1;
}

/* Frees every model of s. */
static void free_models(struct sync *s)
{
	for (size_t i = 0; i < s->nm; i++)
		free_model(s->m[i]);
	free(s->m);
	s->m = NULL;
	s->nm = s->capm = 0;
}

/* Returns 0 after reading the local state of m (whether it exists, its latest). */
int sync_load_local(struct sync *s, struct model *m)
{
	cJSON *rec;
	int err = mlreg_model_load(&rec, s->store, m->name);

	if (err == MLREG_ENOTFOUND && mlreg_model_is_redirect(s->store, m->name))
		return mlreg_model_load(&rec, s->store, m->name);	/* "renamed to NEW" */
	if (err == MLREG_ENOTFOUND) {
		mlreg_error_clear();
		return 0;
	}
	if (err < 0)
		return err;
	m->local = 1;
	m->latest = (long)mlreg_doc_int(rec, "latest_version", 0);
	snprintf(m->latest_id, sizeof(m->latest_id), "%s", mlreg_doc_str(rec, "latest_id", ""));
	cJSON_Delete(rec);
	return 0;
}

/* Returns the key of the remote record of m@n, malloc'd. */
char *sync_record_key(const struct model *m, long n)
{
	return xasprintf("models/%s/versions/%ld.json", m->enc, n);
}

/* Returns the key of record n of m's chain of this kind, malloc'd. */
char *sync_chain_key(const struct model *m, int kind, long n)
{
	if (kind == CHAIN_EVENTS)
		return xasprintf("models/%s/events/%ld.json", m->enc, n);
	return sync_record_key(m, n);
}

/* Objects wanted: a set of (hash, size). */

/* Adds an object to the set; returns nothing. */
void sync_wants_add(struct wants *w, const char *hex, uint64_t size)
{
	MLREG_ALLOC_GROW(w->v, w->n + 1, w->cap);
	memcpy(w->v[w->n].hex, hex, MLREG_HEX_LEN + 1);
	w->v[w->n++].size = size;
}

/* Orders wanted objects by hash. */
static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->hex, ((const struct want *)b)->hex);
}

/* Sorts the set and drops duplicates. */
void sync_wants_unique(struct wants *w)
{
	size_t i, j = 0;

	if (!w->n)
		return;
	qsort(w->v, w->n, sizeof(*w->v), cmp_want);
	for (i = 1; i < w->n; i++)
		if (strcmp(w->v[i].hex, w->v[j].hex) != 0)
			w->v[++j] = w->v[i];
	w->n = j + 1;
}

/* Adds every file of a version record to the set. */
void sync_wants_add_files(struct wants *w, const cJSON *rec)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rec, "files"))
		sync_wants_add(w, mlreg_doc_str(f, "sha256", ""), (uint64_t)mlreg_doc_int(f, "size", 0));
}

/* Returns the key of the remote's loose object hex, malloc'd. */
char *sync_object_key(const char *hex)
{
	return xasprintf("objects/%.2s/%s", hex, hex + 2);
}

/* Versions both sides have. */

/*
 * Returns the raw local record of m@n (malloc'd), its length in *len and id
 * in hex, once it passes the checks a download makes (a record edited by
 * hand is never sent, nor compared as if it were sound).
 */
int sync_read_local(struct sync *s, struct model *m, long n, char **buf, size_t *len,
		    char *hex)
{
	return mlreg_version_read_checked(buf, len, hex, s->store, m->name, n);
}

/* Returns a short "by USER on HOST at TIME" for a version record's bytes, malloc'd. */
static char *who(const char *buf, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(buf, len);
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(rec, "provenance");
	char *s;

	if (!cJSON_IsObject(rec))
		s = xstrdup("");
	else if (mlreg_record_deleted(rec))	/* a tombstone (6.7) */
		s = xasprintf(", deleted by %s at %s",
			      mlreg_doc_str(mlreg_record_deleted(rec), "user", "?"),
			      mlreg_doc_str(mlreg_record_deleted(rec), "time", "?"));
	else
		s = xasprintf(", registered by %s on %s at %s", mlreg_doc_str(prov, "user", "?"),
			      mlreg_doc_str(prov, "host", "?"), mlreg_doc_str(rec, "created", "?"));
	cJSON_Delete(rec);
	return s;
}

/* Marks m failed for a remote version n other than the local one (theirs: its bytes). */
void sync_conflict(struct sync *s, struct model *m, long n, const char *theirs, size_t len,
		   const char *how)
{
	char hex[MLREG_HEX_LEN + 1];
	char *by = theirs ? who(theirs, len) : xstrdup("");

	if (theirs)
		mlreg_version_id(theirs, len, hex);
	m->failed = 1;
	sync_fail(s, MLREG_ECONFLICT, "remote '%s' %s another %s@%ld (id %.12s%s): your %s@%ld and "
		  "later were not uploaded and are unchanged; to share them, download '%s' into "
		  "another store and register them there", s->r->name, how, m->name, n,
		  theirs ? hex : "?", by, m->name, n, m->name);
	free(by);
}

/* Marks m failed for a remote version n other than the local one, seen while downloading. */
static void download_conflict(struct sync *s, struct model *m, long n, const char *theirs,
			      size_t len)
{
	char *by = who(theirs, len);

	m->failed = 1;
	sync_fail(s, MLREG_ECONFLICT, "remote '%s' has another %s@%ld than the local store (%s): "
		  "nothing of model '%s' was downloaded; download it into another store", s->r->name,
		  m->name, n, *by ? by + 2 : "", m->name);
	free(by);
}

/*
 * Returns 0 and local record n of m's chain of this kind as
 * sync_read_local() does; an event is read as stored and must hash to the
 * id the checked list of local events (m->lev) gives it.
 */
int sync_read_local_chain(struct sync *s, struct model *m, int kind, long n, char **buf,
			  size_t *len, char *hex)
{
	const cJSON *ev;

	if (kind == CHAIN_VERSIONS)
		return sync_read_local(s, m, n, buf, len, hex);
	*buf = NULL;
	ev = n >= 1 && n <= m->nev ? cJSON_GetArrayItem(m->lev, (int)(n - 1)) : NULL;
	if (!ev)
		return mlreg_error_set(MLREG_ENOTFOUND, "event %ld of model '%s' not found", n,
				       m->name);
	if (mlreg_event_read_raw(buf, len, hex, s->store, m->name, n) < 0)
		return mlreg_error_code();
	if (strcmp(hex, mlreg_doc_str(ev, "id", "")) != 0) {
		free(*buf);
		*buf = NULL;
		return mlreg_error_set(MLREG_ECORRUPT, "event %ld of model '%s' changed while it "
				       "was read; run 'mlreg fsck'", n, m->name);
	}
	return 0;
}

/* Returns "alias-set production NAME@4 by USER at TIME" for an event's bytes, malloc'd. */
static char *event_who(const char *buf, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(buf, len);
	char *alias, *version, *out;

	alias = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "alias"))
		? xasprintf(" %s", mlreg_doc_str(rec, "alias", "")) : xstrdup("");
	version = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "version"))
		? xasprintf(" %s@%lld", mlreg_doc_str(rec, "model", "?"),
			    mlreg_doc_int(rec, "version", 0)) : xstrdup("");
	out = xasprintf("%s%s%s by %s at %s", mlreg_doc_str(rec, "action", "?"), alias, version,
			mlreg_doc_str(rec, "user", "?"), mlreg_doc_str(rec, "time", "?"));
	free(alias);
	free(version);
	cJSON_Delete(rec);
	return out;
}

/*
 * Marks m's events in conflict with the remote's event n (theirs: its
 * bytes, or NULL): they stay where they are, the versions still move.
 */
void sync_event_conflict(struct sync *s, struct model *m, long n, const char *theirs,
			 size_t len, int downloading)
{
	char *what = theirs ? event_who(theirs, len) : xstrdup("?");

	m->ev_failed = 1;
	if (downloading)
		sync_fail(s, MLREG_ECONFLICT, "remote '%s' has another event %ld of model '%s' (%s): "
			  "its lifecycle changes from event %ld on were not downloaded and the local "
			  "ones are unchanged; to take the remote's, download '%s' into another store",
			  s->r->name, n, m->name, what, n, m->name);
	else
		sync_fail(s, MLREG_ECONFLICT, "remote '%s' has another event %ld of model '%s' (%s): "
			  "your lifecycle changes from event %ld on stay local; to share them, "
			  "download '%s' into another store and redo them there", s->r->name, n,
			  m->name, what, n, m->name);
	free(what);
}

/* Reports remote record n of m's chain, other than the local one (theirs: its bytes). */
static void chain_conflict(struct sync *s, struct model *m, int kind, long n,
			   const char *theirs, size_t len, int downloading)
{
	if (kind == CHAIN_EVENTS)
		sync_event_conflict(s, m, n, theirs, len, downloading);
	else if (downloading)
		download_conflict(s, m, n, theirs, len);
	else
		sync_conflict(s, m, n, theirs, len, "already has");
}

/* Returns 1 when m's chain of this kind is not to move (it failed). */
int sync_chain_failed(const struct model *m, int kind)
{
	return m->failed || (kind == CHAIN_EVENTS && m->ev_failed);
}

/*
 * Returns 0 after comparing the versions both the remote and the local store
 * have (uploading: 1..sel; downloading: as far as both go), reading remote
 * records where the listing cannot tell; a difference fails the model (a
 * conflict).
 */
int sync_same_version(const char *a, size_t alen, const char *b, size_t blen)
{
	char ha[MLREG_HEX_LEN + 1], hb[MLREG_HEX_LEN + 1];

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	mlreg_version_id(a, alen, ha);
	mlreg_version_id(b, blen, hb);
	return strcmp(ha, hb) == 0;
}

int sync_compare_existing(struct sync *s, int downloading)
{
	return sync_compare_chain(s, CHAIN_VERSIONS, downloading);
}

/*
 * Returns 0 after comparing the records of one kind that both the remote
 * and the local store have (versions: as sync_compare_existing() says;
 * events: as far as both go, all the local ones counted), reading remote
 * records where the listing cannot tell; a difference is a conflict
 * (versions: the model fails; events: its events stay where they are).
 */
int sync_compare_chain(struct sync *s, int kind, int downloading)
{
	struct slot *sl = NULL;
	size_t nsl = 0, capsl = 0, i;
	int again;

again:
	again = 0;
	nsl = 0;
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		struct rchain *c = sync_chain(m, kind);
		long mine = kind == CHAIN_EVENTS ? m->nev : downloading ? m->latest : m->up.sel;
		long top = downloading ? (mine < c->contig ? mine : c->contig)
				       : (mine < c->nrv ? mine : c->nrv);
		for (long k = 1; k <= top && !sync_chain_failed(m, kind); k++) {
			char *buf, hex[MLREG_HEX_LEN + 1];
			size_t len;
			int same;
			if (!c->rv[k].present)
				continue;
			if (sync_read_local_chain(s, m, kind, k, &buf, &len, hex) < 0) {
				sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
				m->failed = 1;
				break;
			}
			same = same_record(&c->rv[k], buf, len);
			free(buf);
			if (same == 1)
				continue;
			/* Read it: to compare, or to say whose it is. */
			sync_slot_add(&sl, &nsl, &capsl, m, k);
			if (same == 0)
				break;	/* surely different: the first one is enough */
		}
	}
	sync_get_chain_records(s, kind, sl, nsl);
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		long k = sl[i].n;
		char *buf, hex[MLREG_HEX_LEN + 1];
		size_t len;

		if (sync_chain_failed(m, kind)) {
			;
		} else if (sl[i].err == MLREG_ENOTFOUND && !downloading) {
			sync_chain(m, kind)->rv[k].present = 0;	/* gone since the listing */
		} else if (sl[i].err == MLREG_ENOTFOUND) {
			m->failed = 1;
			sync_fail(s, MLREG_ECONFLICT, "remote '%s': %s %s %ld disappeared while it was "
				  "read; run the download again", s->r->name, m->name,
				  kind == CHAIN_EVENTS ? "event" : "version", k);
		} else if (sl[i].err) {
			sync_fail(s, sl[i].err, "%s", sl[i].msg);
			m->failed = 1;
		} else if (sync_read_local_chain(s, m, kind, k, &buf, &len, hex) == 0) {
			/* versions: the same id is the same version (a tombstone, 6.7) */
			int same = kind == CHAIN_EVENTS
				? len == sl[i].len && memcmp(buf, sl[i].body, len) == 0
				: sync_same_version(buf, len, sl[i].body, sl[i].len);
			if (same)
				sync_chain(m, kind)->rv[k].same_id = 1;
			if (same && (len != sl[i].len || memcmp(buf, sl[i].body, len) != 0))
				again = 1;	/* a tombstone on one side: compare the versions after it too */
			else if (!same)
				chain_conflict(s, m, kind, k, sl[i].body, sl[i].len, downloading);
			free(buf);
		}
		sync_slot_clear(&sl[i]);
	}
	if (again)	/* each round settles one version more: it ends */
		goto again;
	free(sl);
	return 0;
}

/* The summary. */

/* Orders "NAME@N" strings by model, then by version number. */
static int cmp_ref(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *ax = strrchr(x, '@'), *ay = strrchr(y, '@');
	size_t nx = (size_t)(ax - x), ny = (size_t)(ay - y);
	int r = strncmp(x, y, nx < ny ? nx : ny);

	if (r == 0 && nx != ny)
		r = nx < ny ? -1 : 1;
	if (r == 0)
		r = atol(ax + 1) < atol(ay + 1) ? -1 : atol(ax + 1) > atol(ay + 1);
	return r;
}

/* Returns the refs in s->sent as a new array sorted by model, then version. */
cJSON *sync_sorted_refs(struct sync *s)
{
	int n = cJSON_GetArraySize(s->sent), i = 0;
	const char **v = xcalloc((size_t)n + 1, sizeof(*v));
	cJSON *item, *out = cJSON_CreateArray();

	cJSON_ArrayForEach(item, s->sent)
		v[i++] = item->valuestring;
	qsort(v, (size_t)n, sizeof(*v), cmp_ref);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(out, cJSON_CreateString(v[i]));
	free(v);
	return out;
}

/* Returns a new summary naming the remote. */
cJSON *sync_summary_new(struct sync *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "remote", s->r->name);
	cJSON_AddStringToObject(o, "url", s->r->url);
	return o;
}

/* Adds the transfer counters to a summary. */
void sync_summary_counts(struct sync *s, cJSON *o, const char *moved)
{
	const struct mlreg_tr_stats *st = mlreg_tr_stats(s->t);
	cJSON *objs = cJSON_CreateObject(), *bytes = cJSON_CreateObject();

	cJSON_AddNumberToObject(objs, moved, (double)s->prog.objects_done);
	cJSON_AddNumberToObject(objs, "skipped", (double)s->objects_skipped);
	cJSON_AddNumberToObject(bytes, moved, (double)s->bytes_moved);
	cJSON_AddNumberToObject(bytes, "skipped", (double)s->bytes_skipped);
	cJSON_AddItemToObject(o, "objects", objs);
	cJSON_AddItemToObject(o, "bytes", bytes);
	cJSON_AddNumberToObject(o, "requests", (double)st->requests);
	cJSON_AddNumberToObject(o, "retries", (double)st->retries);
}

/* The state of a transfer. */

/* Returns 0 and a new sync state (transport open) in s; nothing to free on failure. */
int sync_open(struct sync *s, struct mlreg_store *store, const struct mlreg_remote *r,
	      const struct mlreg_sync_opts *o)
{
	struct mlreg_tr_opts to = o->tr;
	int err;

	memset(s, 0, sizeof(*s));
	s->store = store;
	s->r = r;
	s->o = o;
	to.progress = on_bytes;
	to.ctx = s;
	s->sent = cJSON_CreateArray();
	if ((err = mlreg_tr_open(&s->t, r, &to)) < 0) {
		cJSON_Delete(s->sent);
		s->sent = NULL;
	}
	return err;
}

/* Frees what s holds; returns nothing. */
void sync_close(struct sync *s)
{
	free_models(s);
	mlreg_tr_free(s->t);
	cJSON_Delete(s->sent);
}
