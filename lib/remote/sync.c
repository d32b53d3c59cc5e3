/*
 * Upload and download (see sync.h; the remote layout and the protocol are
 * specified in store-format.md, sections 10 to 12).
 *
 * Both run as a few phases, each queueing operations on the transport and
 * running them together: what the remote holds (one listing, not a request
 * per object), what must move, the objects, then the records.  Nothing a
 * server answers is used unchecked: keys from listings are parsed into
 * model names, version numbers and hashes that mlreg validates, documents
 * are parsed with bounds, and object bytes are hashed before they are
 * stored.  Errors from many operations in flight are collected; the first
 * one is reported, and a failed phase stops before the next.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "name.h"
#include "object.h"
#include "pack.h"
#include "registry.h"
#include "sync.h"
#include "util.h"

#define MARKER_KEY "mlreg-remote"
#define MARKER_TEXT "mlreg remote format 1\n"
#define RANGE_GAP (1u << 20)		/* pack bytes read past rather than split a GET */
#define RANGE_MAX (64u << 20)		/* longest ranged GET of a pack */
#define CHUNK_SIZE (16u << 20)		/* ranged GETs of one large object */
#define CHUNKED_OVER (64u << 20)	/* objects larger than this come in chunks */
#define MAX_VERSION 100000000L		/* a version number from a listing above this is ignored */

/* A remote version record seen in a listing. */
struct rver {
	int present;
	uint64_t size;
	char etag[72];
};

/* A version record key as a listing gave it. */
struct rlisted {
	long n;
	struct rver v;
};

/* One model being moved. */
struct model {
	char *name, *enc;
	/* the local side */
	int local;			/* the model exists locally */
	long latest;			/* its latest version (0: none) */
	char latest_id[MLREG_HEX_LEN + 1];
	long sel;			/* upload: versions 1..sel are to be on the remote */
	long want;			/* download: the highest version asked for */
	long *asked;			/* download: the versions named (0: the latest) */
	size_t nasked;			/* none: the model was not named */
	/* the remote side */
	int has_record;			/* models/ENC/model.json exists */
	cJSON *record;			/* its content, when read */
	struct rver *rv;		/* rv[n] for n in 1..nrv */
	long nrv;
	struct rlisted *listed;		/* record keys as listed, until list_models() sorts them */
	size_t nlisted, caplisted;
	long contig;			/* versions 1..contig all present */
	/* progress */
	long next;			/* upload: the next version to put */
	char **bufs;			/* download: records fetched, [k - latest - 1] */
	size_t *lens;
	long nbufs;
	int failed;
	struct sync *s;
};

struct sync {
	struct mlreg_store *store;
	struct mlreg_transport *t;
	const struct mlreg_remote *r;
	const struct mlreg_sync_opts *o;
	struct model **m;		/* sorted by enc */
	size_t nm, capm;
	int no_local;			/* reading a remote only: no local store */
	int err;			/* the first error */
	char msg[1024];
	unsigned nerrors;
	int perr;			/* the first error of the current phase */
	char pmsg[1024];
	struct mlreg_sync_progress prog;
	double last_progress;
	uint64_t objects_skipped, bytes_skipped;
	uint64_t bytes_moved;		/* bytes of the objects stored on the other side */
	unsigned long packs_sent;
	cJSON *sent;			/* "NAME@N" strings */
};

/* Records an error; the first one is the one reported. */
static void fail(struct sync *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct sync *s, int err, const char *fmt, ...)
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
static void phase_begin(struct sync *s)
{
	s->perr = 0;
	s->pmsg[0] = '\0';
}

/* Returns the first error of the phase, its message set again, or 0. */
static int phase_result(struct sync *s)
{
	return s->perr ? mlreg_error_set(s->perr, "%s", s->pmsg) : 0;
}

/* Returns the first error with its message set again, or 0. */
static int sync_result(struct sync *s)
{
	if (!s->err)
		return 0;
	if (s->nerrors > 1)
		return mlreg_error_set(s->err, "%s (and %u more error%s)", s->msg, s->nerrors - 1,
				       s->nerrors > 2 ? "s" : "");
	return mlreg_error_set(s->err, "%s", s->msg);
}

/* Tells the caller how far we are, about ten times a second (force: now). */
static void report(struct sync *s, int force)
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

static void on_bytes(void *ctx, uint64_t up, uint64_t down)
{
	struct sync *s = ctx;

	s->prog.bytes_done += up + down;
	if (s->prog.bytes_done > s->prog.bytes_total)
		s->prog.bytes_done = s->prog.bytes_total;	/* retries send bytes again */
	report(s, 0);
}

/*
 * Returns 1 when the remote record described by rv has the bytes buf, 0
 * when it surely does not, -1 when only reading it can tell.
 */
static int same_record(const struct rver *rv, const char *buf, size_t len)
{
	char md5[33];

	if (rv->size != len)
		return 0;
	if (strlen(rv->etag) != 32)
		return -1;	/* no ETag, or not an MD5 (multipart, SSE-KMS) */
	mlreg_md5_hex(buf, len, md5);
	return strcmp(md5, rv->etag) == 0 ? 1 : -1;
}

/*
 * A slot: where an operation's result is kept until its phase is over.
 */
struct slot {
	int done, err;
	int retried;		/* see struct mlreg_result */
	char *msg;
	char *body;
	size_t len;
	uint64_t size;
	char etag[72];
	void *owner;		/* the caller's */
	long n;			/* the caller's */
};

static void slot_done(void *ctx, const struct mlreg_result *r)
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

static void slot_clear(struct slot *sl)
{
	free(sl->msg);
	free(sl->body);
	memset(sl, 0, sizeof(*sl));
}

/* The models. */

static int cmp_model(const void *a, const void *b)
{
	return strcmp((*(struct model *const *)a)->enc, (*(struct model *const *)b)->enc);
}

static struct model *find_model(struct sync *s, const char *enc)
{
	struct model key = { .enc = (char *)enc }, *kp = &key, **found;

	if (!s->nm)
		return NULL;
	found = bsearch(&kp, s->m, s->nm, sizeof(*s->m), cmp_model);
	return found ? *found : NULL;
}

/* Returns a new model called name, enc its encoded name (taken), added unsorted. */
static struct model *new_model(struct sync *s, const char *name, char *enc)
{
	struct model *m = xcalloc(1, sizeof(*m));

	m->name = xstrdup(name);
	m->enc = enc;
	m->s = s;
	if (s->nm == s->capm) {
		s->capm = s->capm ? 2 * s->capm : 16;
		s->m = xrealloc(s->m, s->capm * sizeof(*s->m));
	}
	s->m[s->nm++] = m;
	return m;
}

/* Returns the model called name, added (unsorted: call sort_models) when new. */
static struct model *add_model(struct sync *s, const char *name)
{
	char *enc = mlreg_name_encode(name);

	for (size_t i = 0; i < s->nm; i++)
		if (!strcmp(s->m[i]->enc, enc)) {
			free(enc);
			return s->m[i];
		}
	return new_model(s, name, enc);
}

static void free_model(struct model *m)
{
	for (long k = 0; k < m->nbufs; k++)
		free(m->bufs[k]);
	free(m->bufs);
	free(m->lens);
	free(m->rv);
	free(m->listed);
	free(m->asked);
	cJSON_Delete(m->record);
	free(m->name);
	free(m->enc);
	free(m);
}

/* Sorts the models by encoded name, dropping a second one of a name (new_model()'s). */
static void sort_models(struct sync *s)
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

static void free_models(struct sync *s)
{
	for (size_t i = 0; i < s->nm; i++)
		free_model(s->m[i]);
	free(s->m);
	s->m = NULL;
	s->nm = s->capm = 0;
}

/* Returns 0 after reading the local state of m (whether it exists, its latest). */
static int load_local(struct sync *s, struct model *m)
{
	cJSON *rec;
	int err = mlreg_model_load(&rec, s->store, m->name);

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

/*
 * Returns 0 and, for a key of the models/ tree, the model's encoded name
 * (malloc'd) in *enc and in *n the version of a record key, 0 for the
 * model's record; -1 for any other key.
 */
static int parse_model_key(const char *key, char **enc, long *n)
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
		*n = 0;
		return 0;
	}
	if (!strncmp(p, "versions/", 9) && p[9] >= '1' && p[9] <= '9') {
		char *end;
		long v;
		errno = 0;
		v = strtol(p + 9, &end, 10);
		if (!errno && v >= 1 && v <= MAX_VERSION && !strcmp(end, ".json")) {
			*n = v;
			return 0;
		}
	}
	free(*enc);
	return -1;
}

/* Receives the keys of a models/ listing into the models they belong to. */
static int on_model_key(void *ctx, const struct mlreg_key *k)
{
	struct sync *s = ctx;
	struct model *m;
	char *enc;
	long n;

	if (k->is_prefix || parse_model_key(k->key, &enc, &n) < 0)
		return 0;
	m = find_model(s, enc);
	free(enc);
	if (!m)
		return 0;
	if (n == 0) {
		m->has_record = 1;
		return 0;
	}
	/* Kept as listed: a version number is no size to allocate by (see rv_build). */
	if (m->nlisted == m->caplisted) {
		m->caplisted = m->caplisted ? 2 * m->caplisted : 16;
		m->listed = xrealloc(m->listed, m->caplisted * sizeof(*m->listed));
	}
	m->listed[m->nlisted].n = n;
	m->listed[m->nlisted].v.present = 1;
	m->listed[m->nlisted].v.size = k->size;
	snprintf(m->listed[m->nlisted].v.etag, sizeof(m->listed[0].v.etag), "%s", k->etag);
	m->nlisted++;
	return 0;
}

/*
 * Makes m->rv from the record keys listed.  Only versions up to the larger
 * of the number of keys listed and the local versions to upload can matter
 * (a chain from 1 cannot be longer than the keys listed), so a key such as
 * versions/99999999.json costs one entry, not an array that long.
 */
static void rv_build(struct model *m)
{
	long top = 0, bound = (long)m->nlisted > m->sel ? (long)m->nlisted : m->sel;

	for (size_t i = 0; i < m->nlisted; i++)
		if (m->listed[i].n > top)
			top = m->listed[i].n;
	m->nrv = top < bound ? top : bound;
	free(m->rv);
	m->rv = xcalloc((size_t)m->nrv + 1, sizeof(*m->rv));
	for (size_t i = 0; i < m->nlisted; i++)
		if (m->listed[i].n <= m->nrv)
			m->rv[m->listed[i].n] = m->listed[i].v;
	free(m->listed);
	m->listed = NULL;
	m->nlisted = m->caplisted = 0;
}

static void list_done(void *ctx, const struct mlreg_result *r)
{
	struct sync *s = ctx;

	if (r->err)
		fail(s, r->err, "%s", r->msg);
}

/* Returns 0 after listing what the remote holds of the models in s. */
static int list_models(struct sync *s, int all)
{
	phase_begin(s);
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
		rv_build(m);
		m->contig = 0;
		while (m->contig < m->nrv && m->rv[m->contig + 1].present)
			m->contig++;
	}
	return phase_result(s);
}

static char *record_key(const struct model *m, long n)
{
	return xasprintf("models/%s/versions/%ld.json", m->enc, n);
}

/* Returns 0 and the JSON object a remote document holds in *out, or an error. */
static int parse_record(cJSON **out, const char *buf, size_t len)
{
	return mlreg_doc_parse_record(out, buf, len, "record");
}

/* Reads the remote model records of the models that have one. */
static int get_model_records(struct sync *s)
{
	struct slot *sl = xcalloc(s->nm + 1, sizeof(*sl));
	size_t i;

	phase_begin(s);
	for (i = 0; i < s->nm; i++) {
		if (!s->m[i]->has_record)
			continue;
		char *key = xasprintf("models/%s/model.json", s->m[i]->enc);
		mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &sl[i]);
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
			fail(s, sl[i].err, "%s", sl[i].msg);
		} else if (parse_record(&rec, sl[i].body, sl[i].len) < 0 ||
			   strcmp(mlreg_doc_str(rec, "name", ""), m->name) != 0) {
			cJSON_Delete(rec);
			m->failed = 1;
			fail(s, MLREG_ECORRUPT, "remote '%s': the record of model '%s' is corrupt "
			     "(models/%s/model.json)", s->r->name, m->name, m->enc);
		} else {
			m->record = rec;
		}
		slot_clear(&sl[i]);
	}
	free(sl);
	return phase_result(s);
}

/* The remote's format marker. */

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
static int read_marker(struct sync *s, int *exists)
{
	struct slot sl = { 0 };
	int err, tries = 0;

	for (;;) {
		mlreg_tr_get_buf(s->t, MARKER_KEY, 4096, slot_done, &sl);
		mlreg_tr_run(s->t);
		if (sl.err || tries++ >= 5 || sl.len >= strlen(MARKER_TEXT) ||
		    memcmp(sl.body, MARKER_TEXT, sl.len) != 0)
			break;
		slot_clear(&sl);
		mlreg_sleep_ms(100);
	}
	err = check_marker(s, &sl, exists);
	slot_clear(&sl);
	return err;
}

/* Returns 0 after making sure the remote has its marker (created only when absent). */
static int ensure_marker(struct sync *s)
{
	struct slot sl = { 0 };
	int exists, err;

	if ((err = read_marker(s, &exists)) < 0 || exists)
		return err;
	mlreg_tr_put_buf(s->t, MARKER_KEY, MARKER_TEXT, strlen(MARKER_TEXT), MLREG_TR_IF_ABSENT,
			 slot_done, &sl);
	mlreg_tr_run(s->t);
	if (sl.err == MLREG_EEXISTS)
		mlreg_tr_set_conditional(s->t, 1);	/* made meanwhile, and it told */
	else if (sl.err)
		err = mlreg_error_set(sl.err, "%s", sl.msg);
	slot_clear(&sl);
	return err;
}

/*
 * Returns 0 after finding out, when it is not known, whether the remote
 * honours create-only puts: a key of its own (probes/RANDOM) is put twice
 * with If-None-Match: *, which a server that honours it refuses the second
 * time (412) and one that does not accepts; then it is deleted.  Shared keys
 * are never rewritten to find out.  A 412 the first time means the same: the
 * key is ours and random, so only an attempt of ours whose answer was lost,
 * and that was retried, can have made it.
 */
static int probe_conditional(struct sync *s)
{
	struct slot sl = { 0 };
	unsigned char rnd[16];
	char hex[33], *key;
	int err = 0;

	if (mlreg_tr_conditional(s->t) >= 0)
		return 0;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return mlreg_error_set(MLREG_ERROR, "cannot draw a random probe name");
	mlreg_hex(hex, rnd, sizeof(rnd));
	key = xasprintf("probes/%s", hex);
	for (int round = 0; round < 2 && !err; round++) {
		mlreg_tr_put_buf(s->t, key, "probe\n", 6, MLREG_TR_IF_ABSENT, slot_done, &sl);
		mlreg_tr_run(s->t);
		if (sl.err == MLREG_EEXISTS) {
			mlreg_tr_set_conditional(s->t, 1);
			round = 1;	/* known: no second put */
		} else if (sl.err) {
			err = mlreg_error_set(sl.err, "%s", sl.msg);
		} else if (round == 1) {
			mlreg_tr_set_conditional(s->t, 0);	/* accepted over itself */
		}
		slot_clear(&sl);
	}
	mlreg_tr_delete(s->t, key, slot_done, &sl);
	mlreg_tr_run(s->t);
	slot_clear(&sl);	/* best effort: a stray probe key harms nothing */
	free(key);
	return err;
}

/* The remote's objects: loose keys and pack indexes. */

struct inv_entry {
	char hex[MLREG_HEX_LEN + 1];
	int pack;		/* index in packs, -1 for a loose object */
	uint64_t off, size;
};

struct packname {
	char hex[MLREG_HEX_LEN + 1];
	int has_pack, has_idx;
	uint64_t size;
};

struct inventory {
	struct inv_entry *v;
	size_t n, cap;
	struct packname *names;
	size_t nnames, capnames;
	struct mlreg_pack_index *packs;	/* loaded indexes */
	size_t npacks;
	int sorted;
};

static void inv_add(struct inventory *inv, const char *hex, int pack, uint64_t off,
		    uint64_t size)
{
	if (inv->n == inv->cap) {
		inv->cap = inv->cap ? 2 * inv->cap : 256;
		inv->v = xrealloc(inv->v, inv->cap * sizeof(*inv->v));
	}
	memcpy(inv->v[inv->n].hex, hex, MLREG_HEX_LEN + 1);
	inv->v[inv->n].pack = pack;
	inv->v[inv->n].off = off;
	inv->v[inv->n].size = size;
	inv->n++;
	inv->sorted = 0;
}

static int cmp_inv(const void *a, const void *b)
{
	const struct inv_entry *x = a, *y = b;
	int r = strcmp(x->hex, y->hex);

	/* A loose copy first: it needs no range. */
	return r ? r : (x->pack < y->pack ? -1 : x->pack > y->pack);
}

static const struct inv_entry *inv_find(struct inventory *inv, const char *hex)
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

static void inv_free(struct inventory *inv)
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

static void inv_list_done(void *ctx, const struct mlreg_result *r)
{
	struct inv_ctx *c = ctx;

	if (r->err)
		fail(c->s, r->err, "%s", r->msg);
}

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
		if (inv->nnames == inv->capnames) {
			inv->capnames = inv->capnames ? 2 * inv->capnames : 16;
			inv->names = xrealloc(inv->names, inv->capnames * sizeof(*inv->names));
		}
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

static char *idx_cache_path(const struct sync *s, const char *hex)
{
	return xasprintf("%s/packs/pack-%s.idx", s->r->cache, hex);
}

/* Returns 0 after adding the objects of a parsed index to the inventory. */
static void inv_add_pack(struct inventory *inv, struct mlreg_pack_index *idx)
{
	int pi = (int)inv->npacks;

	inv->packs = xrealloc(inv->packs, (inv->npacks + 1) * sizeof(*inv->packs));
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
static int load_inventory(struct sync *s, struct inventory *inv, int loose)
{
	struct inv_ctx c = { s, inv };
	struct slot *sl;
	size_t i;

	phase_begin(s);
	if (loose)
		mlreg_tr_list(s->t, "objects/", NULL, on_object_key, inv_list_done, &c);
	mlreg_tr_list(s->t, "packs/", NULL, on_pack_key, inv_list_done, &c);
	mlreg_tr_run(s->t);
	if (s->perr)
		return phase_result(s);
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
			mlreg_tr_get_buf(s->t, key, MLREG_PACK_IDX_MAX, slot_done, &sl[i]);
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
				fail(s, sl[i].err, "%s", sl[i].msg);
		} else if (mlreg_pack_index_parse(&idx, sl[i].body, sl[i].len, pn->hex) < 0) {
			fail(s, MLREG_ECORRUPT, "remote '%s': pack index packs/pack-%s.idx is corrupt: "
			     "%s", s->r->name, pn->hex, mlreg_error_message());
		} else if (idx.size != pn->size) {
			/* A pack that is not whole is not used. */
			mlreg_pack_index_free(&idx);
		} else {
			char *path = idx_cache_path(s, pn->hex);
			char *dir = xasprintf("%s/packs", s->r->cache);
			if (mlreg_fs_mkdirs(dir, 0755) == 0)
				mlreg_fs_write_atomic(path, sl[i].body, sl[i].len);	/* a cache */
			mlreg_error_clear();
			free(dir);
			free(path);
			inv_add_pack(inv, &idx);
		}
		slot_clear(&sl[i]);
	}
	free(sl);
	return phase_result(s);
}

/* Objects wanted: a set of (hash, size). */

struct want {
	char hex[MLREG_HEX_LEN + 1];
	uint64_t size;
};

struct wants {
	struct want *v;
	size_t n, cap;
};

static void wants_add(struct wants *w, const char *hex, uint64_t size)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	memcpy(w->v[w->n].hex, hex, MLREG_HEX_LEN + 1);
	w->v[w->n++].size = size;
}

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->hex, ((const struct want *)b)->hex);
}

/* Sorts the set and drops duplicates. */
static void wants_unique(struct wants *w)
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
static void wants_add_files(struct wants *w, const cJSON *rec)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rec, "files"))
		wants_add(w, mlreg_doc_str(f, "sha256", ""), (uint64_t)mlreg_doc_int(f, "size", 0));
}

static char *object_key(const char *hex)
{
	return xasprintf("objects/%.2s/%s", hex, hex + 2);
}

/*
 * Upload.
 */

/* Reads a pack's objects one after the other from the store, as a request body. */
struct pack_src {
	struct mlreg_store *store;
	const struct mlreg_pack_index *idx;
	size_t i;		/* the object being read */
	int fd;
	uint64_t left;		/* its bytes still to read */
};

static ssize_t pack_read(void *ctx, void *buf, size_t len)
{
	struct pack_src *p = ctx;

	while (p->i < p->idx->n) {
		const struct mlreg_pack_entry *e = &p->idx->v[p->i];
		ssize_t n;

		if (p->fd < 0) {
			char *path = mlreg_object_path(p->store, e->hex);
			p->fd = open(path, O_RDONLY | O_CLOEXEC);
			if (p->fd < 0) {
				mlreg_error_os("cannot open object %s", e->hex);
				free(path);
				return -1;
			}
			free(path);
			p->left = e->size;
		}
		if (p->left == 0) {
			close(p->fd);
			p->fd = -1;
			p->i++;
			continue;
		}
		n = mlreg_read_retry(p->fd, buf, len < p->left ? len : (size_t)p->left);
		if (n <= 0) {
			if (n == 0)
				mlreg_error_set(MLREG_ECORRUPT, "object %s changed while it was sent; "
						"run 'mlreg fsck'", e->hex);
			else
				mlreg_error_os("cannot read object %s", e->hex);
			return -1;
		}
		p->left -= (uint64_t)n;
		return n;
	}
	return 0;
}

static int pack_rewind(void *ctx)
{
	struct pack_src *p = ctx;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->i = 0;
	p->left = 0;
	return 0;
}

/* One pack being uploaded: the pack, then its index. */
struct pack_job {
	struct sync *s;
	struct mlreg_pack_index idx;
	struct pack_src src;
	struct mlreg_source source;
	int stage;		/* 0 the pack, 1 the index, 2 done */
	char *idx_text;
	size_t idx_len;
};

static void pack_done(void *ctx, const struct mlreg_result *r)
{
	struct pack_job *j = ctx;
	struct sync *s = j->s;

	pack_rewind(&j->src);
	if (r->err) {
		fail(s, r->err, "%s", r->msg);
		return;
	}
	if (j->stage == 0) {
		char *key = xasprintf("packs/pack-%s.idx", j->idx.pack);
		j->stage = 1;
		j->idx_text = mlreg_pack_index_format(&j->idx, &j->idx_len);
		mlreg_tr_put_buf(s->t, key, j->idx_text, j->idx_len, 0, pack_done, j);
		free(key);
		return;
	}
	/* Both are there: the objects in it count as stored. */
	j->stage = 2;
	s->prog.objects_done += j->idx.n;
	s->bytes_moved += j->idx.size;
	s->packs_sent++;
	{
		char *path = idx_cache_path(s, j->idx.pack);
		char *dir = xasprintf("%s/packs", s->r->cache);
		if (mlreg_fs_mkdirs(dir, 0755) == 0)
			mlreg_fs_write_atomic(path, j->idx_text, j->idx_len);
		mlreg_error_clear();
		free(dir);
		free(path);
	}
	report(s, 0);
}

/*
 * Returns 0 after filling the index of a pack of the objects w[0..n) (sorted
 * by hash) and its hash, read from the store: each object is checked
 * against its name on the way, so a corrupt local object is never sent.
 */
struct hash_sink {
	struct mlreg_sha256 *h;
};

static int hash_write(void *ctx, const void *buf, size_t len)
{
	struct hash_sink *hs = ctx;

	mlreg_sha256_update(hs->h, buf, len);
	return 0;
}

static int build_pack(struct sync *s, struct pack_job *j, const struct want *w, size_t n)
{
	struct mlreg_sha256 h;
	struct hash_sink hs = { &h };
	uint64_t off = 0;
	int err = 0;

	j->idx.v = xcalloc(n, sizeof(*j->idx.v));
	j->idx.n = n;
	mlreg_sha256_init(&h);
	for (size_t i = 0; i < n && !err; i++) {
		char actual[MLREG_HEX_LEN + 1];
		uint64_t size;
		err = mlreg_object_stream(s->store, w[i].hex, hash_write, &hs, actual, &size);
		if (!err && (strcmp(actual, w[i].hex) || size != w[i].size))
			err = mlreg_error_set(MLREG_ECORRUPT, "object %s in the local store is corrupt "
					      "(its content hashes to %s); run 'mlreg fsck'",
					      w[i].hex, actual);
		memcpy(j->idx.v[i].hex, w[i].hex, sizeof(w[i].hex));
		j->idx.v[i].off = off;
		j->idx.v[i].size = w[i].size;
		off += w[i].size;
	}
	mlreg_sha256_final_hex(&h, j->idx.pack);
	j->idx.size = off;
	return err;
}

/* One loose object being uploaded. */
struct obj_put {
	struct sync *s;
	uint64_t size;
};

static void object_done(void *ctx, const struct mlreg_result *r)
{
	struct obj_put *p = ctx;

	if (r->err) {
		fail(p->s, r->err, "%s", r->msg);
		return;
	}
	p->s->prog.objects_done++;
	p->s->bytes_moved += p->size - r->skipped;
	p->s->bytes_skipped += r->skipped;
	report(p->s, 0);
}

/*
 * Removes the state files of multipart uploads (remotes/NAME/uploads/H, see
 * s3/s3.c) whose object the remote now has, with the size the state
 * gives: uploads the server completed before the uploader, killed, could
 * remove their state.  Those of objects the remote lacks stay: a rerun
 * resumes them.
 */
static void prune_upload_states(struct sync *s, struct inventory *inv)
{
	char *dir = xasprintf("%s/uploads", s->r->cache);
	DIR *d = opendir(dir);
	struct dirent *de;

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		const struct inv_entry *e;
		unsigned long long psize, size;
		char line[256];
		FILE *f;
		int fd;

		if (!mlreg_is_hex64(de->d_name) || !(e = inv_find(inv, de->d_name)))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!(f = fdopen(fd, "r"))) {
			close(fd);
			continue;
		}
		if (fgets(line, sizeof(line), f) &&
		    sscanf(line, "mlreg multipart 1 %*s %llu %llu", &psize, &size) == 2 &&
		    e->size == size)
			unlinkat(dirfd(d), de->d_name, 0);
		fclose(f);
	}
	closedir(d);
}

/*
 * Returns 0 after uploading the objects of w the remote lacks: small ones
 * in packs, the others one by one (multipart when large).
 */
static int upload_objects(struct sync *s, struct wants *w)
{
	struct inventory inv = { 0 };
	struct wants small = { 0 };
	struct pack_job **jobs = NULL;
	struct obj_put *puts = xcalloc(w->n + 1, sizeof(*puts));
	size_t njobs = 0, nputs = 0, i, start;
	int err;

	phase_begin(s);
	if ((err = load_inventory(s, &inv, 1)) < 0)
		goto done;
	prune_upload_states(s, &inv);
	for (i = 0; i < w->n; i++) {
		const struct inv_entry *e = inv_find(&inv, w->v[i].hex);
		char *path;
		struct stat st;

		if (e && e->size == w->v[i].size) {
			s->objects_skipped++;
			s->bytes_skipped += w->v[i].size;
			continue;
		}
		path = mlreg_object_path(s->store, w->v[i].hex);
		if (stat(path, &st) < 0 || (uint64_t)st.st_size != w->v[i].size) {
			fail(s, MLREG_ECORRUPT, "object %s is %s in the local store; run 'mlreg fsck'",
			     w->v[i].hex, stat(path, &st) < 0 ? "missing" : "of the wrong size");
			free(path);
			continue;
		}
		s->prog.objects_total++;
		s->prog.bytes_total += w->v[i].size;
		if (w->v[i].size < MLREG_PACK_MAX_OBJECT) {
			wants_add(&small, w->v[i].hex, w->v[i].size);
		} else {
			char *key = object_key(w->v[i].hex);
			puts[nputs] = (struct obj_put){ s, w->v[i].size };
			mlreg_tr_put_file(s->t, key, path, w->v[i].size, w->v[i].hex, object_done,
					  &puts[nputs++]);
			free(key);
		}
		free(path);
	}
	if (s->perr) {
		err = phase_result(s);
		goto done;
	}
	/* Small objects, sorted by hash, cut into packs of about MLREG_PACK_TARGET. */
	for (start = 0; start < small.n;) {
		uint64_t bytes = 0;
		size_t end = start;
		struct pack_job *j;

		while (end < small.n && (end == start || (bytes + small.v[end].size <=
							    MLREG_PACK_TARGET &&
							    end - start < MLREG_PACK_MAX_COUNT)))
			bytes += small.v[end++].size;
		j = xcalloc(1, sizeof(*j));
		j->s = s;
		if ((err = build_pack(s, j, small.v + start, end - start)) < 0) {
			mlreg_pack_index_free(&j->idx);
			free(j);
			fail(s, err, "%s", mlreg_error_message());
			break;
		}
		j->src = (struct pack_src){ s->store, &j->idx, 0, -1, 0 };
		j->source = (struct mlreg_source){ j->idx.size, pack_read, pack_rewind, &j->src };
		jobs = xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
		jobs[njobs++] = j;
		{
			char *key = xasprintf("packs/pack-%s.pack", j->idx.pack);
			mlreg_tr_put(s->t, key, &j->source, j->idx.pack, pack_done, j);
			free(key);
		}
		start = end;
	}
	mlreg_tr_run(s->t);
	report(s, 1);
	err = phase_result(s);
done:
	for (i = 0; i < njobs; i++) {
		pack_rewind(&jobs[i]->src);
		mlreg_pack_index_free(&jobs[i]->idx);
		free(jobs[i]->idx_text);
		free(jobs[i]);
	}
	free(jobs);
	free(puts);
	free(small.v);
	inv_free(&inv);
	return err;
}

/*
 * Returns the raw local record of m@n (malloc'd), its length in *len and id
 * in hex, once it passes the checks a download makes (a record edited by
 * hand is never sent, nor compared as if it were sound).
 */
static int read_local(struct sync *s, struct model *m, long n, char **buf, size_t *len,
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
	else
		s = xasprintf(", registered by %s on %s at %s", mlreg_doc_str(prov, "user", "?"),
			      mlreg_doc_str(prov, "host", "?"), mlreg_doc_str(rec, "created", "?"));
	cJSON_Delete(rec);
	return s;
}

/* Marks m failed for a remote version n other than the local one (theirs: its bytes). */
static void conflict(struct sync *s, struct model *m, long n, const char *theirs, size_t len,
		     const char *how)
{
	char hex[MLREG_HEX_LEN + 1];
	char *by = theirs ? who(theirs, len) : xstrdup("");

	if (theirs)
		mlreg_sha256_hex(theirs, len, hex);
	m->failed = 1;
	fail(s, MLREG_ECONFLICT, "remote '%s' %s another %s@%ld (id %.12s%s): your %s@%ld and "
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
	fail(s, MLREG_ECONFLICT, "remote '%s' has another %s@%ld than the local store (%s): "
	     "nothing of model '%s' was downloaded; download it into another store", s->r->name,
	     m->name, n, *by ? by + 2 : "", m->name);
	free(by);
}

/*
 * Returns 0 after comparing the versions both the remote and the local store
 * have (uploading: 1..sel; downloading: as far as both go), reading remote
 * records where the listing cannot tell; a difference fails the model (a
 * conflict).
 */
static int compare_existing(struct sync *s, int downloading)
{
	struct slot *sl = NULL;
	size_t nsl = 0, i;

	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		long top = downloading ? (m->latest < m->contig ? m->latest : m->contig)
				       : (m->sel < m->nrv ? m->sel : m->nrv);
		for (long k = 1; k <= top && !m->failed; k++) {
			char *buf, hex[MLREG_HEX_LEN + 1];
			size_t len;
			int same;
			if (!m->rv[k].present)
				continue;
			if (read_local(s, m, k, &buf, &len, hex) < 0) {
				fail(s, mlreg_error_code(), "%s", mlreg_error_message());
				m->failed = 1;
				break;
			}
			same = same_record(&m->rv[k], buf, len);
			free(buf);
			if (same == 1)
				continue;
			/* Read it: to compare, or to say whose it is. */
			sl = xrealloc(sl, (nsl + 1) * sizeof(*sl));
			memset(&sl[nsl], 0, sizeof(*sl));
			sl[nsl].owner = m;
			sl[nsl].n = k;
			nsl++;
			if (same == 0)
				break;	/* surely different: the first one is enough */
		}
	}
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		char *key = record_key(m, sl[i].n);
		mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &sl[i]);
		free(key);
	}
	mlreg_tr_run(s->t);
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		long k = sl[i].n;
		char *buf, hex[MLREG_HEX_LEN + 1];
		size_t len;

		if (m->failed) {
			;
		} else if (sl[i].err == MLREG_ENOTFOUND && !downloading) {
			m->rv[k].present = 0;	/* gone since the listing */
		} else if (sl[i].err == MLREG_ENOTFOUND) {
			m->failed = 1;
			fail(s, MLREG_ECONFLICT, "remote '%s': %s@%ld disappeared while it was read; "
			     "run the download again", s->r->name, m->name, k);
		} else if (sl[i].err) {
			fail(s, sl[i].err, "%s", sl[i].msg);
			m->failed = 1;
		} else if (read_local(s, m, k, &buf, &len, hex) == 0) {
			if ((len != sl[i].len || memcmp(buf, sl[i].body, len) != 0) && downloading)
				download_conflict(s, m, k, sl[i].body, sl[i].len);
			else if (len != sl[i].len || memcmp(buf, sl[i].body, len) != 0)
				conflict(s, m, k, sl[i].body, sl[i].len, "already has");
			free(buf);
		}
		slot_clear(&sl[i]);
	}
	free(sl);
	return 0;
}

/* One round of putting version records: the next one of each model. */
struct rec_put {
	struct model *m;
	long n;
	char *buf;
	size_t len;
	struct slot sl;
	int stage;	/* 0 put/head, 1 put (unconditional), 2 verify */
};

/*
 * Returns 0 after putting the next missing record of every model still
 * going, one round: create-only where the server honours it; else check
 * (HEAD), put, wait, and read it back (verify).
 */
static int put_records_round(struct sync *s, int *more)
{
	struct rec_put *p = xcalloc(s->nm + 1, sizeof(*p));
	size_t np = 0, i;
	int cond, err = 0;
	long delay = s->o->verify_delay_ms;
	char hex[MLREG_HEX_LEN + 1];

	*more = 0;
	if (delay < 0)
		delay = 1000;
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		while (!m->failed && m->next <= m->sel && m->next <= m->nrv &&
		       m->rv[m->next].present)
			m->next++;	/* there and the same (compare_existing) */
		if (m->failed || m->next > m->sel)
			continue;
		p[np].m = m;
		p[np].n = m->next;
		if (read_local(s, m, m->next, &p[np].buf, &p[np].len, hex) < 0) {
			fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			m->failed = 1;
			continue;
		}
		np++;
	}
	if (np > 0 && (err = probe_conditional(s)) < 0) {
		for (i = 0; i < np; i++)
			free(p[i].buf);
		free(p);
		return err;
	}
	cond = mlreg_tr_conditional(s->t) == 1;
	/* Stage 0. */
	for (i = 0; i < np; i++) {
		char *key = record_key(p[i].m, p[i].n);
		if (cond)
			mlreg_tr_put_buf(s->t, key, p[i].buf, p[i].len, MLREG_TR_IF_ABSENT, slot_done,
					 &p[i].sl);
		else
			mlreg_tr_head(s->t, key, slot_done, &p[i].sl);
		free(key);
	}
	mlreg_tr_run(s->t);
	/* Stage 1: what stage 0 found. */
	for (i = 0; i < np; i++) {
		char *key = record_key(p[i].m, p[i].n);
		int got = p[i].sl.err, retried = p[i].sl.retried;
		char *msg = p[i].sl.msg ? xstrdup(p[i].sl.msg) : NULL;
		slot_clear(&p[i].sl);
		if (cond && got == 0) {
			p[i].stage = 3;		/* created: done */
		} else if ((cond && got == MLREG_EEXISTS) || (!cond && got == 0)) {
			p[i].stage = 2;		/* someone's is there: read it */
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &p[i].sl);
			if (cond && retried)
				p[i].n = -p[i].n;	/* maybe our first attempt's: ours if the same */
		} else if (!cond && got == MLREG_ENOTFOUND) {
			p[i].stage = 1;
			mlreg_tr_put_buf(s->t, key, p[i].buf, p[i].len, 0, slot_done, &p[i].sl);
		} else {
			fail(s, got, "%s", msg ? msg : "error");
			p[i].m->failed = 1;
			p[i].stage = 4;
		}
		free(msg);
		free(key);
	}
	mlreg_tr_run(s->t);
	/* Stage 2: verify what was put without a condition, after a while. */
	{
		int waited = 0;
		for (i = 0; i < np; i++) {
			if (p[i].stage != 1)
				continue;
			if (p[i].sl.err) {
				fail(s, p[i].sl.err, "%s", p[i].sl.msg);
				p[i].m->failed = 1;
				p[i].stage = 4;
				continue;
			}
			slot_clear(&p[i].sl);
			if (!waited && delay > 0) {
				mlreg_sleep_ms(delay);
				waited = 1;
			}
			char *key = record_key(p[i].m, p[i].n);
			p[i].stage = 2;
			p[i].n = -p[i].n;	/* read back after our own put */
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &p[i].sl);
			free(key);
		}
		mlreg_tr_run(s->t);
	}
	/*
	 * A record read while another uploader writes it, on a server that writes
	 * keys in place (s3rver), may be cut short: read it again until it is
	 * whole, for a while, before comparing.
	 */
	for (int tries = 0; tries < 10; tries++) {
		int again = 0;
		for (i = 0; i < np; i++) {
			cJSON *rec;
			if (p[i].stage != 2 || p[i].sl.err)
				continue;
			if (parse_record(&rec, p[i].sl.body, p[i].sl.len) == 0) {
				cJSON_Delete(rec);
				continue;
			}
			mlreg_error_clear();
			if (!again)
				mlreg_sleep_ms(100);
			again = 1;
			char *key = record_key(p[i].m, p[i].n < 0 ? -p[i].n : p[i].n);
			slot_clear(&p[i].sl);
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &p[i].sl);
			free(key);
		}
		if (!again)
			break;
		mlreg_tr_run(s->t);
	}
	for (i = 0; i < np; i++) {
		struct model *m = p[i].m;
		int ours = p[i].n < 0;
		long n = ours ? -p[i].n : p[i].n;

		if (p[i].stage == 2) {
			if (p[i].sl.err) {
				fail(s, p[i].sl.err, "%s", p[i].sl.msg);
				m->failed = 1;
			} else if (p[i].sl.len != p[i].len ||
				   memcmp(p[i].sl.body, p[i].buf, p[i].len) != 0) {
				conflict(s, m, n, p[i].sl.body, p[i].sl.len, ours ?
					 "received at the same time" : "already has");
			} else {
				p[i].stage = ours ? 3 : 5;
			}
		}
		if (p[i].stage == 3 || p[i].stage == 5) {
			if (p[i].stage == 3) {
				char *ref = xasprintf("%s@%ld", m->name, n);
				cJSON_AddItemToArray(s->sent, cJSON_CreateString(ref));
				free(ref);
			}
			m->next = n + 1;
			if (m->next <= m->sel)
				*more = 1;
		}
		slot_clear(&p[i].sl);
		free(p[i].buf);
	}
	free(p);
	return 0;
}

/* Returns a new remote model record for m: the local one merged with the remote's. */
static cJSON *merged_record(struct sync *s, struct model *m, cJSON *local)
{
	cJSON *rec = cJSON_CreateObject(), *theirs = m->record;
	const cJSON *src = local;
	const char *lt = mlreg_doc_str(local, "last_updated_time", "");
	const char *ct = mlreg_doc_str(local, "creation_time", "");
	long latest = m->next - 1;
	const char *lid = NULL;
	char hex[MLREG_HEX_LEN + 1];

	if (theirs && strcmp(mlreg_doc_str(theirs, "last_updated_time", ""), lt) > 0)
		src = theirs;	/* theirs changed last: keep its description and metadata */
	if (theirs && strcmp(mlreg_doc_str(theirs, "creation_time", ""), ct) < 0 &&
	    *mlreg_doc_str(theirs, "creation_time", ""))
		ct = mlreg_doc_str(theirs, "creation_time", "");
	cJSON_AddStringToObject(rec, "name", m->name);
	cJSON_AddStringToObject(rec, "description", mlreg_doc_str(src, "description", ""));
	cJSON_AddItemToObject(rec, "metadata", cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
		src, "metadata")) ? cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(src, "metadata"),
						    1) : cJSON_CreateObject());
	cJSON_AddStringToObject(rec, "creation_time", ct);
	cJSON_AddStringToObject(rec, "last_updated_time", mlreg_doc_str(src, "last_updated_time",
									 lt));
	/* The latest version never goes back: the remote may have more than we do. */
	if (theirs && mlreg_doc_int(theirs, "latest_version", 0) > latest &&
	    mlreg_doc_int(theirs, "latest_version", 0) <= m->contig &&
	    mlreg_is_hex64(mlreg_doc_str(theirs, "latest_id", ""))) {
		latest = (long)mlreg_doc_int(theirs, "latest_version", 0);
		lid = mlreg_doc_str(theirs, "latest_id", "");
	} else if (latest > 0) {
		char *buf;
		size_t len;
		if (read_local(s, m, latest, &buf, &len, hex) == 0) {
			free(buf);
			lid = hex;
		}
		mlreg_error_clear();
	}
	cJSON_AddNumberToObject(rec, "latest_version", (double)(lid ? latest : 0));
	if (lid)
		cJSON_AddStringToObject(rec, "latest_id", lid);
	else
		cJSON_AddNullToObject(rec, "latest_id");
	return rec;
}

/* Returns 0 after putting the model record of every model that did not fail. */
static int put_model_records(struct sync *s)
{
	struct slot *sl = xcalloc(s->nm + 1, sizeof(*sl));
	size_t i;

	phase_begin(s);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		cJSON *local, *rec;
		char *text, *old = NULL;

		if (m->failed)
			continue;
		if (mlreg_model_load(&local, s->store, m->name) < 0) {
			fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			continue;
		}
		rec = merged_record(s, m, local);
		text = mlreg_doc_print(rec);
		if (m->record)
			old = mlreg_doc_print(m->record);
		if (!old || strcmp(old, text) != 0) {
			char *key = xasprintf("models/%s/model.json", m->enc);
			mlreg_tr_put_buf(s->t, key, text, strlen(text), 0, slot_done, &sl[i]);
			free(key);
		}
		free(old);
		free(text);
		cJSON_Delete(rec);
		cJSON_Delete(local);
	}
	mlreg_tr_run(s->t);
	for (i = 0; i < s->nm; i++) {
		if (sl[i].done && sl[i].err)
			fail(s, sl[i].err, "%s", sl[i].msg);
		slot_clear(&sl[i]);
	}
	free(sl);
	return phase_result(s);
}

/* Returns 0 after choosing the local models and versions to upload. */
static int select_upload(struct sync *s)
{
	int err = 0;

	if (s->o->nrefs == 0) {
		cJSON *all, *rec;
		if ((err = mlreg_model_list(&all, s->store)) < 0)
			return err;
		cJSON_ArrayForEach(rec, all) {
			struct model *m = add_model(s, mlreg_doc_str(rec, "name", ""));
			m->local = 1;
			m->latest = m->sel = (long)mlreg_doc_int(rec, "latest_version", 0);
		}
		cJSON_Delete(all);
	}
	for (size_t i = 0; i < s->o->nrefs && !err; i++) {
		struct model *m;
		char *name;
		long n;
		if ((err = mlreg_ref_parse(s->o->refs[i], &name, &n)) < 0)
			break;
		m = add_model(s, name);
		free(name);
		if ((err = load_local(s, m)) < 0)
			break;
		if (!m->local)
			err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found", m->name);
		else if (n > m->latest)
			err = mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
					      n, m->name);
		else if ((n ? n : m->latest) > m->sel)
			m->sel = n ? n : m->latest;
	}
	sort_models(s);
	return err;
}

/* Returns 0 after collecting the files of the versions to send; checks they are stored. */
static int upload_wants(struct sync *s, struct wants *w)
{
	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		for (long k = 1; k <= m->sel && !m->failed; k++) {
			cJSON *v;
			char *remote = NULL;
			if (k <= m->nrv && m->rv[k].present)
				continue;
			if (mlreg_version_load(&v, s->store, m->name, k) < 0) {
				fail(s, mlreg_error_code(), "%s", mlreg_error_message());
				m->failed = 1;
				break;
			}
			if (mlreg_version_partial(s->store, m->name, k, mlreg_doc_str(v, "id", ""),
						  &remote)) {
				const cJSON *f;
				int missing = 0;
				cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(v, "files"))
					missing |= !mlreg_object_exists(s->store,
									mlreg_doc_str(f, "sha256", ""));
				if (missing) {
					fail(s, MLREG_ENOTFOUND, "%s@%ld was downloaded without its files "
					     "(they are on remote '%s'): run 'mlreg download %s %s@%ld' "
					     "before uploading it", m->name, k, remote ? remote : "?",
					     remote ? remote : "REMOTE", m->name, k);
					m->failed = 1;
				}
			}
			free(remote);
			if (!m->failed)
				wants_add_files(w, v);
			cJSON_Delete(v);
		}
	}
	wants_unique(w);
	return 0;
}

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
static cJSON *sorted_refs(struct sync *s)
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

static cJSON *summary_new(struct sync *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "remote", s->r->name);
	cJSON_AddStringToObject(o, "url", s->r->url);
	return o;
}

/* Adds the transfer counters to a summary. */
static void summary_counts(struct sync *s, cJSON *o, const char *moved)
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

/* Returns 0 and a new sync state (transport open) in s. */
static int sync_open(struct sync *s, struct mlreg_store *store, const struct mlreg_remote *r,
		     const struct mlreg_sync_opts *o)
{
	struct mlreg_tr_opts to = o->tr;

	memset(s, 0, sizeof(*s));
	s->store = store;
	s->r = r;
	s->o = o;
	to.progress = on_bytes;
	to.ctx = s;
	s->sent = cJSON_CreateArray();
	return mlreg_tr_open(&s->t, r, &to);
}

static void sync_close(struct sync *s)
{
	free_models(s);
	mlreg_tr_free(s->t);
	cJSON_Delete(s->sent);
}

int mlreg_upload(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		 const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct wants w = { 0 };
	int err, more;

	if (summary)
		*summary = NULL;
	if ((err = sync_open(&s, store, r, o)) < 0) {
		cJSON_Delete(s.sent);
		return err;
	}
	if ((err = select_upload(&s)) < 0 || (err = ensure_marker(&s)) < 0)
		goto done;
	/* What uploads killed earlier left: a file remote's temporary files. */
	mlreg_tr_tidy(s.t, NULL, NULL);
	mlreg_tr_run(s.t);
	if ((err = list_models(&s, o->nrefs == 0)) < 0 || (err = compare_existing(&s, 0)) < 0 ||
	    (err = upload_wants(&s, &w)) < 0)
		goto done;
	if (w.n > 0 && (err = upload_objects(&s, &w)) < 0)
		goto done;
	for (size_t i = 0; i < s.nm; i++)
		s.m[i]->next = 1;
	do {
		if ((err = put_records_round(&s, &more)) < 0)
			goto done;
	} while (more);
	get_model_records(&s);
	put_model_records(&s);
	err = sync_result(&s);
done:
	if (summary) {
		cJSON *sum = summary_new(&s);
		cJSON_AddBoolToObject(sum, "conditional_writes", mlreg_tr_conditional(s.t) == 1);
		cJSON_AddItemToObject(sum, "versions", sorted_refs(&s));
		summary_counts(&s, sum, "sent");
		cJSON_AddNumberToObject(sum, "packs", (double)s.packs_sent);
		*summary = sum;
	}
	if (err < 0)
		err = mlreg_error_set(err, "%s", mlreg_error_message());
	free(w.v);
	sync_close(&s);
	return err;
}

/*
 * Download.
 */

/* Returns err, with a failed write's message saying which object it was storing. */
static int stored(int err, const char *hex)
{
	if (err == MLREG_EOS)
		err = mlreg_error_set(err, "cannot store object %s: %s", hex,
				      mlreg_error_message());
	return err;
}

/*
 * Fetching objects.  What a download queues at any time is bounded
 * (QUEUE_MIN requests, CHUNK_WINDOW chunks of one large object, or twice
 * the requests in flight when that is more), never sized by what records
 * declare: the plan is one small task per object or pack range, and
 * requests are made from it as earlier ones complete.  A
 * large object's declared size is compared with what the remote says
 * (HEAD) before any chunk is asked for, so a record declaring 16 TiB for a
 * 1-byte object is refused at once.
 */
#define QUEUE_MIN 64		/* requests of a download queued or in flight */
#define CHUNK_WINDOW 16		/* chunks of one object between the first not hashed and the last asked */

/* One thing to fetch: a loose object (pack < 0), or objects of one pack in one range. */
struct task {
	long pack;				/* the pack's index in the inventory, -1: loose */
	const struct mlreg_pack_entry **e;	/* range: its objects, by offset */
	size_t n;
	const struct want *w;			/* loose: the object */
};

struct obj_get;

/* The objects of a download and how far their fetching is. */
struct fetch {
	struct sync *s;
	struct inventory *inv;
	struct task *tasks;
	size_t ntasks, cap, next;	/* tasks; the next one to start */
	struct obj_get *active;	/* large objects still asking for chunks */
	unsigned inflight;	/* requests queued or in flight */
	unsigned queue_max;	/* at most that many: QUEUE_MIN, or 2 x jobs */
	unsigned chunk_window;	/* CHUNK_WINDOW, or 2 x jobs */
	int pumping, again;	/* pump() is running; run it once more */
};

static void pump(struct fetch *fe);

/* A chunk of a large object, written at its offset. */
struct chunk {
	struct obj_get *g;
	uint64_t off, pos, len;
	int done;
};

/* An object being fetched whole, or in chunks of a large one. */
struct obj_get {
	struct fetch *fe;
	struct sync *s;
	struct mlreg_object_writer w;
	char hex[MLREG_HEX_LEN + 1];
	char *key;		/* objects/XX/... */
	uint64_t size;		/* as its version lists it (and, chunked, the remote says) */
	int chunked;
	uint64_t nchunks, asked, absorbed;	/* chunks in all, asked for, hashed in order */
	unsigned inflight;	/* its requests not completed */
	struct chunk *ring;	/* chunk i is ring[i % fe->chunk_window] */
	int failed;
	struct obj_get *next_active;
};

static void get_free(struct obj_get *g)
{
	mlreg_object_writer_abort(&g->w);
	free(g->ring);
	free(g->key);
	free(g);
}

/* Takes large object g off the list of those asking for chunks. */
static void deactivate(struct obj_get *g)
{
	struct obj_get **pp;

	for (pp = &g->fe->active; *pp; pp = &(*pp)->next_active)
		if (*pp == g) {
			*pp = g->next_active;
			break;
		}
}

/* Fails g: the first error is reported; g goes once nothing of it is in flight. */
static void get_fail(struct obj_get *g, int err, const char *msg)
{
	if (!g->failed)
		fail(g->s, err, "%s", msg);
	g->failed = 1;
	if (g->chunked)
		deactivate(g);
	mlreg_object_writer_abort(&g->w);
}

static int obj_append(void *ctx, const void *buf, size_t len)
{
	struct obj_get *g = ctx;

	if (g->w.size + len > g->size)
		return mlreg_error_set(MLREG_ECORRUPT, "remote '%s': object %s is longer than the "
				       "%llu bytes its version lists", g->s->r->name, g->hex,
				       (unsigned long long)g->size);
	return stored(mlreg_object_writer_append(&g->w, buf, len), g->hex);
}

static void obj_reset(void *ctx)
{
	struct obj_get *g = ctx;

	mlreg_object_writer_abort(&g->w);
	if (mlreg_object_writer_open(&g->w, g->s->store) < 0)
		g->failed = 1;
}

/* Commits a fetched object, reporting a corrupt one. */
static void obj_commit(struct obj_get *g)
{
	char actual[MLREG_HEX_LEN + 1];
	int err = mlreg_object_writer_commit(&g->w, g->hex, g->size, actual);

	if (err == MLREG_ECORRUPT)
		fail(g->s, err, "remote '%s': object %s is corrupt (loose): %s; nothing was stored",
		     g->s->r->name, g->hex, mlreg_error_message());
	else if (err)
		fail(g->s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
	else {
		g->s->prog.objects_done++;
		g->s->bytes_moved += g->size;
	}
	report(g->s, 0);
}

/* A whole object arrived (or did not). */
static void obj_done(void *ctx, const struct mlreg_result *r)
{
	struct obj_get *g = ctx;
	struct fetch *fe = g->fe;

	fe->inflight--;
	if (r->err && !g->failed)
		fail(g->s, r->err, "%s", r->msg);
	else if (!g->failed)
		obj_commit(g);
	get_free(g);
	pump(fe);
}

/*
 * A chunk arrived: the chunks that now follow each other from the start are
 * hashed (and their write-back started) while the others still travel, so
 * the commit has little left to read; the last one commits the object.
 */
static void chunk_done(void *ctx, const struct mlreg_result *r)
{
	struct chunk *c = ctx;
	struct obj_get *g = c->g;
	struct fetch *fe = g->fe;
	int err;

	fe->inflight--;
	g->inflight--;
	if (!r->err && !g->failed && c->pos != c->len) {
		char *msg = xasprintf("remote '%s': a range of object %s ended early (%llu of "
				      "%llu bytes at %llu)", g->s->r->name, g->hex,
				      (unsigned long long)c->pos, (unsigned long long)c->len,
				      (unsigned long long)c->off);
		get_fail(g, MLREG_ECORRUPT, msg);
		free(msg);
	} else if (r->err) {
		get_fail(g, r->err, r->msg);
	}
	c->done = 1;
	while (!g->failed && g->absorbed < g->asked &&
	       g->ring[g->absorbed % fe->chunk_window].done) {
		struct chunk *a = &g->ring[g->absorbed % fe->chunk_window];
		if ((err = mlreg_object_writer_absorb(&g->w, a->off, a->len)) < 0) {
			get_fail(g, err, mlreg_error_message());
			break;
		}
		a->done = 0;
		g->absorbed++;
	}
	if (!g->failed && g->absorbed == g->nchunks) {
		deactivate(g);
		obj_commit(g);
		get_free(g);
	} else if (g->failed && g->inflight == 0) {
		get_free(g);
	}
	pump(fe);
}

static int chunk_write(void *ctx, const void *buf, size_t len)
{
	struct chunk *c = ctx;
	int err;

	if (c->pos + len > c->len)
		return mlreg_error_set(MLREG_ECORRUPT, "remote '%s': more bytes than asked for "
				       "in a range of object %s", c->g->s->r->name, c->g->hex);
	err = mlreg_object_writer_pwrite(&c->g->w, buf, len, c->off + c->pos);
	c->pos += len;
	return stored(err, c->g->hex);
}

static void chunk_reset(void *ctx)
{
	((struct chunk *)ctx)->pos = 0;
}

/* Returns 1 after asking for the next chunk of g, 0 when it may not now. */
static int ask_chunk(struct obj_get *g)
{
	struct chunk *c;
	struct mlreg_sink sink = { chunk_write, chunk_reset, NULL };

	if (g->failed || g->asked == g->nchunks || g->asked - g->absorbed >= g->fe->chunk_window)
		return 0;
	c = &g->ring[g->asked % g->fe->chunk_window];
	c->g = g;
	c->off = g->asked * (uint64_t)CHUNK_SIZE;
	c->pos = 0;
	c->len = g->size - c->off < CHUNK_SIZE ? g->size - c->off : CHUNK_SIZE;
	c->done = 0;
	sink.ctx = c;
	g->asked++;
	g->inflight++;
	g->fe->inflight++;
	mlreg_tr_get(g->s->t, g->key, c->off, c->len, &sink, chunk_done, c);
	return 1;
}

/* What the remote says of a large object, before any chunk is asked for. */
static void head_done(void *ctx, const struct mlreg_result *r)
{
	struct obj_get *g = ctx;
	struct fetch *fe = g->fe;
	int err;

	fe->inflight--;
	if (r->err) {
		fail(g->s, r->err, "%s", r->msg);
		get_free(g);
	} else if (r->size != g->size) {
		fail(g->s, MLREG_ECORRUPT, "remote '%s': object %s has %llu bytes (%s), not the %llu "
		     "its version lists: the remote is corrupt", g->s->r->name, g->hex,
		     (unsigned long long)r->size, g->key, (unsigned long long)g->size);
		get_free(g);
	} else if ((err = mlreg_object_writer_open(&g->w, g->s->store)) < 0) {
		fail(g->s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
		get_free(g);
	} else {
		g->chunked = 1;
		g->nchunks = (g->size + CHUNK_SIZE - 1) / CHUNK_SIZE;
		g->ring = xcalloc(fe->chunk_window, sizeof(*g->ring));
		g->next_active = fe->active;
		fe->active = g;
	}
	pump(fe);
}

/* Starts fetching loose object w: whole, or (large) its size checked first. */
static void start_loose(struct fetch *fe, const struct want *w)
{
	struct obj_get *g = xcalloc(1, sizeof(*g));
	struct sync *s = fe->s;
	int err;

	g->fe = fe;
	g->s = s;
	g->w.fd = -1;
	memcpy(g->hex, w->hex, sizeof(g->hex));
	g->size = w->size;
	g->key = object_key(w->hex);
	fe->inflight++;
	if (g->size > CHUNKED_OVER) {
		mlreg_tr_head(s->t, g->key, head_done, g);
		return;
	}
	if ((err = mlreg_object_writer_open(&g->w, s->store)) < 0) {
		fe->inflight--;
		fail(s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
		get_free(g);
		return;
	}
	mlreg_tr_get(s->t, g->key, 0, UINT64_MAX, &(struct mlreg_sink){ obj_append, obj_reset, g },
		     obj_done, g);
}

/* A ranged GET of a pack holding several wanted objects. */
struct range_get {
	struct fetch *fe;
	struct sync *s;
	char pack[MLREG_HEX_LEN + 1];
	uint64_t start, end;		/* [start, end) of the pack */
	uint64_t pos;			/* where the next byte received lies */
	const struct mlreg_pack_entry **e;	/* the objects in it, by offset */
	size_t n, i;
	struct mlreg_object_writer w;
	int open;
};

/* Returns 0 after committing the object in progress; fails on a corrupt one. */
static int range_commit(struct range_get *g)
{
	const struct mlreg_pack_entry *e = g->e[g->i];
	char actual[MLREG_HEX_LEN + 1];
	int err = mlreg_object_writer_commit(&g->w, e->hex, e->size, actual);

	g->open = 0;
	g->i++;
	if (err == MLREG_ECORRUPT)
		return mlreg_error_set(err, "remote '%s': object %s is corrupt (packs/pack-%s.pack "
				       "at %llu): %s; nothing was stored", g->s->r->name, e->hex,
				       g->pack, (unsigned long long)e->off, mlreg_error_message());
	if (err)
		return err;
	g->s->prog.objects_done++;
	g->s->bytes_moved += e->size;
	return 0;
}

/* Returns 0 after committing objects that end where the stream is (empty ones). */
static int range_settle(struct range_get *g)
{
	int err = 0;

	while (!err && g->i < g->n && g->pos >= g->e[g->i]->off + g->e[g->i]->size) {
		if (!g->open && (err = mlreg_object_writer_open(&g->w, g->s->store)) < 0)
			break;
		g->open = 1;
		err = range_commit(g);
	}
	return err;
}

static int range_write(void *ctx, const void *buf, size_t len)
{
	struct range_get *g = ctx;
	const char *p = buf;
	int err;

	if ((err = range_settle(g)) < 0)
		return err;
	while (len > 0 && g->i < g->n) {
		const struct mlreg_pack_entry *e = g->e[g->i];
		size_t take;

		if (g->pos < e->off) {		/* bytes of objects we do not need */
			take = e->off - g->pos < len ? (size_t)(e->off - g->pos) : len;
		} else {
			take = e->off + e->size - g->pos < len ? (size_t)(e->off + e->size - g->pos)
							      : len;
			if (!g->open) {
				if ((err = mlreg_object_writer_open(&g->w, g->s->store)) < 0)
					return err;
				g->open = 1;
			}
			if ((err = mlreg_object_writer_append(&g->w, p, take)) < 0)
				return stored(err, e->hex);
		}
		p += take;
		len -= take;
		g->pos += take;
		if ((err = range_settle(g)) < 0)
			return err;
	}
	g->pos += len;	/* past the last object: ignored */
	return 0;
}

static void range_reset(void *ctx)
{
	struct range_get *g = ctx;

	if (g->open)
		mlreg_object_writer_abort(&g->w);
	g->open = 0;
	/* Objects already stored are stored again, identically: harmless. */
	g->pos = g->start;
	g->i = 0;
}

static void range_done(void *ctx, const struct mlreg_result *r)
{
	struct range_get *g = ctx;
	struct fetch *fe = g->fe;

	fe->inflight--;
	if (!r->err && range_settle(g) == 0 && g->i < g->n)
		mlreg_error_set(MLREG_ECORRUPT, "remote '%s': packs/pack-%s.pack ended early",
				g->s->r->name, g->pack);
	if (r->err)
		fail(g->s, r->err, "%s", r->msg);
	else if (g->i < g->n)
		fail(g->s, mlreg_error_code() ? mlreg_error_code() : MLREG_ECORRUPT, "%s",
		     mlreg_error_message());
	if (g->open)
		mlreg_object_writer_abort(&g->w);
	g->open = 0;
	report(g->s, 0);
	free(g);
	pump(fe);
}

/* Starts the ranged GET of task t: objects of one pack, adjacent or nearly. */
static void start_range(struct fetch *fe, const struct task *t)
{
	const struct mlreg_pack_index *idx = &fe->inv->packs[t->pack];
	struct range_get *g = xcalloc(1, sizeof(*g));
	char *key = xasprintf("packs/pack-%s.pack", idx->pack);

	g->fe = fe;
	g->s = fe->s;
	g->w.fd = -1;
	memcpy(g->pack, idx->pack, sizeof(g->pack));
	g->e = t->e;
	g->n = t->n;
	g->start = g->pos = t->e[0]->off;
	g->end = t->e[t->n - 1]->off + t->e[t->n - 1]->size;
	fe->inflight++;
	if (g->end > g->start)
		mlreg_tr_get(fe->s->t, key, g->start, g->end - g->start,
			     &(struct mlreg_sink){ range_write, range_reset, g }, range_done, g);
	else
		range_done(g, &(struct mlreg_result){ .etag = "" });	/* empty objects only */
	free(key);
}

/*
 * Queues requests until queue_max are queued or in flight: the next chunks
 * of large objects under way first, then new tasks.  Completions call it
 * again; it does not nest.  A transport completes a non-empty GET or a
 * HEAD only from mlreg_tr_run(), never inside the call that queues it, so
 * an object asking for chunks here is not freed under our feet.
 */
static void pump(struct fetch *fe)
{
	if (fe->pumping) {
		fe->again = 1;
		return;
	}
	fe->pumping = 1;
	do {
		fe->again = 0;
		for (struct obj_get *g = fe->active, *next; g && fe->inflight < fe->queue_max; g = next) {
			next = g->next_active;
			while (fe->inflight < fe->queue_max && ask_chunk(g))
				;
		}
		while (fe->inflight < fe->queue_max && fe->next < fe->ntasks) {
			const struct task *t = &fe->tasks[fe->next++];
			if (t->pack < 0)
				start_loose(fe, t->w);
			else
				start_range(fe, t);
		}
	} while (fe->again);
	fe->pumping = 0;
}

static void add_task(struct fetch *fe, long pack, const struct mlreg_pack_entry **e, size_t n,
		     const struct want *w)
{
	if (fe->ntasks == fe->cap) {
		fe->cap = fe->cap ? 2 * fe->cap : 64;
		fe->tasks = xrealloc(fe->tasks, fe->cap * sizeof(*fe->tasks));
	}
	fe->tasks[fe->ntasks++] = (struct task){ pack, e, n, w };
}

static int cmp_entry_off(const void *a, const void *b)
{
	const struct mlreg_pack_entry *x = *(const struct mlreg_pack_entry *const *)a;
	const struct mlreg_pack_entry *y = *(const struct mlreg_pack_entry *const *)b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Returns 0 after fetching every object of w missing from the store: from
 * packs in as few ranged GETs as reasonable, the others as loose objects.
 */
static int download_objects(struct sync *s, struct wants *w)
{
	struct inventory inv = { 0 };
	struct fetch fe = { .s = s, .inv = &inv };
	unsigned jobs = s->t->opts.jobs > 0 ? (unsigned)s->t->opts.jobs : 8;
	const struct mlreg_pack_entry ***bypack = NULL;
	size_t *nbypack = NULL, i;
	int err;

	fe.queue_max = 2 * jobs > QUEUE_MIN ? 2 * jobs : QUEUE_MIN;
	fe.chunk_window = 2 * jobs > CHUNK_WINDOW ? 2 * jobs : CHUNK_WINDOW;
	phase_begin(s);
	if ((err = load_inventory(s, &inv, 0)) < 0)
		goto done;
	bypack = xcalloc(inv.npacks + 1, sizeof(*bypack));
	nbypack = xcalloc(inv.npacks + 1, sizeof(*nbypack));
	for (i = 0; i < w->n; i++) {
		const struct inv_entry *e = inv_find(&inv, w->v[i].hex);
		s->prog.objects_total++;
		s->prog.bytes_total += w->v[i].size;
		if (e && e->pack >= 0 && e->size == w->v[i].size) {
			const struct mlreg_pack_entry *pe = mlreg_pack_index_find(&inv.packs[e->pack],
										  e->hex);
			bypack[e->pack] = xrealloc(bypack[e->pack], (nbypack[e->pack] + 1) *
						   sizeof(**bypack));
			bypack[e->pack][nbypack[e->pack]++] = pe;
		} else {
			add_task(&fe, -1, NULL, 0, &w->v[i]);	/* loose */
		}
	}
	for (size_t p = 0; p < inv.npacks; p++) {
		size_t a = 0;
		if (!nbypack[p])
			continue;
		qsort(bypack[p], nbypack[p], sizeof(*bypack[p]), cmp_entry_off);
		while (a < nbypack[p]) {
			size_t b = a + 1;
			uint64_t start = bypack[p][a]->off;
			uint64_t end = start + bypack[p][a]->size;
			while (b < nbypack[p] && bypack[p][b]->off - end <= RANGE_GAP &&
			       bypack[p][b]->off + bypack[p][b]->size - start <= RANGE_MAX) {
				end = bypack[p][b]->off + bypack[p][b]->size;
				b++;
			}
			add_task(&fe, (long)p, bypack[p] + a, b - a, NULL);
			a = b;
		}
	}
	pump(&fe);
	mlreg_tr_run(s->t);
	report(s, 1);
	err = phase_result(s);
done:
	while (fe.active) {	/* only when the transport broke */
		struct obj_get *g = fe.active;
		fe.active = g->next_active;
		get_free(g);
	}
	free(fe.tasks);
	for (i = 0; i < inv.npacks; i++)
		free(bypack[i]);
	free(bypack);
	free(nbypack);
	inv_free(&inv);
	return err;
}

/* Returns 0 after choosing what to download. */
static int select_download(struct sync *s)
{
	int err = 0;

	for (size_t i = 0; i < s->o->nrefs && !err; i++) {
		struct model *m;
		char *name;
		long n;
		if ((err = mlreg_ref_parse(s->o->refs[i], &name, &n)) < 0)
			break;
		m = add_model(s, name);
		free(name);
		m->asked = xrealloc(m->asked, (m->nasked + 1) * sizeof(*m->asked));
		m->asked[m->nasked++] = n;
	}
	sort_models(s);
	return err;
}

/* Returns 1 when version k's files are wanted (it was named, or --all). */
static int files_wanted(const struct sync *s, const struct model *m, long k)
{
	if (s->o->all_versions || m->nasked == 0)
		return s->o->all_versions || k == m->want;
	for (size_t i = 0; i < m->nasked; i++)
		if (m->asked[i] == k)
			return 1;
	return 0;
}

static int on_model_prefix(void *ctx, const struct mlreg_key *k)
{
	struct sync *s = ctx;
	char *enc, *name;
	size_t len = strlen(k->key);

	if (!k->is_prefix || strncmp(k->key, "models/", 7) || len < 9 || k->key[len - 1] != '/')
		return 0;
	enc = xstrndup(k->key + 7, len - 8);
	if (!strchr(enc, '/') && (name = mlreg_name_decode(enc)) != NULL) {
		/* Not searched for: a listing of many models stays linear; sort_models() dedups. */
		new_model(s, name, enc);
		free(name);
		return 0;
	}
	free(enc);
	return 0;
}

/* Returns 0 after adding every model the remote has a directory for. */
static int list_remote_models(struct sync *s)
{
	phase_begin(s);
	mlreg_tr_list(s->t, "models/", "/", on_model_prefix, list_done, s);
	mlreg_tr_run(s->t);
	sort_models(s);
	return phase_result(s);
}

/*
 * Returns 0 after fetching the remote records the local store lacks for
 * the models wanted, and comparing those both sides have.
 */
static int fetch_records(struct sync *s)
{
	struct slot *sl = NULL;
	size_t nsl = 0, i;

	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];

		if (!m->has_record) {
			/* Not named: an upload that stopped before the model record. */
			m->failed = 1;
			if (m->nasked)
				fail(s, MLREG_ENOTFOUND, "model '%s' not found on remote '%s'",
				     m->name, s->r->name);
			continue;
		}
		/* The latest of the named versions; a bare NAME is the remote's latest. */
		m->want = m->nasked ? 0 : m->contig;
		for (size_t j = 0; j < m->nasked; j++) {
			if (m->asked[j] == 0)
				m->asked[j] = m->contig;
			if (m->asked[j] > m->want)
				m->want = m->asked[j];
		}
		if (m->want > m->contig) {
			m->failed = 1;
			fail(s, MLREG_ENOTFOUND, "version %ld of model '%s' not found on remote '%s'",
			     m->want, m->name, s->r->name);
			continue;
		}
		if (!s->no_local && load_local(s, m) < 0) {
			m->failed = 1;
			fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			continue;
		}
	}
	compare_existing(s, 1);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];

		if (!m->failed && m->want > m->latest) {
			m->nbufs = m->want - m->latest;
			m->bufs = xcalloc((size_t)m->nbufs, sizeof(*m->bufs));
			m->lens = xcalloc((size_t)m->nbufs, sizeof(*m->lens));
			for (long k = m->latest + 1; k <= m->want; k++) {
				sl = xrealloc(sl, (nsl + 1) * sizeof(*sl));
				memset(&sl[nsl], 0, sizeof(*sl));
				sl[nsl].owner = m;
				sl[nsl++].n = k;
			}
		}
	}
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		char *key = record_key(m, sl[i].n);
		mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, slot_done, &sl[i]);
		free(key);
	}
	mlreg_tr_run(s->t);
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		long k = sl[i].n;

		if (m->failed) {
			;
		} else if (sl[i].err) {
			m->failed = 1;
			if (sl[i].err == MLREG_ENOTFOUND)
				fail(s, MLREG_ECONFLICT, "remote '%s': %s@%ld disappeared while it was "
				     "read; run the download again", s->r->name, m->name, k);
			else
				fail(s, sl[i].err, "%s", sl[i].msg);
		} else {
			m->bufs[k - m->latest - 1] = sl[i].body;
			m->lens[k - m->latest - 1] = sl[i].len;
			sl[i].body = NULL;
		}
		slot_clear(&sl[i]);
	}
	free(sl);
	return 0;
}

/*
 * Returns 0 after checking the fetched records of m: each parses, is the
 * record it is named for, and chains to the one before it; the last one
 * also to the remote model record when that names it.
 */
static int check_records(struct sync *s, struct model *m, struct wants *w)
{
	char prev[MLREG_HEX_LEN + 1];
	struct wants mine = { 0 };	/* its files, wanted only if every record checks */
	long k;

	snprintf(prev, sizeof(prev), "%s", m->latest > 0 ? m->latest_id : "");
	for (k = m->latest + 1; k <= m->want; k++) {
		const char *buf = m->bufs[k - m->latest - 1];
		size_t len = m->lens[k - m->latest - 1];
		char hex[MLREG_HEX_LEN + 1];
		const char *parent;
		cJSON *rec;

		if (mlreg_version_parse(&rec, buf, len, m->name, k) < 0) {
			fail(s, MLREG_ECORRUPT, "remote '%s': models/%s/versions/%ld.json is corrupt: "
			     "%s", s->r->name, m->enc, k, mlreg_error_message());
			cJSON_Delete(rec);
			m->failed = 1;
			free(mine.v);
			return 0;
		}
		parent = mlreg_doc_str(rec, "parent", NULL);
		if (k > 1 && strcmp(parent ? parent : "", prev) != 0) {
			fail(s, MLREG_ECORRUPT, "remote '%s': %s@%ld does not follow %s@%ld (its parent "
			     "is %.12s, not %.12s): the remote is corrupt", s->r->name, m->name, k,
			     m->name, k - 1, parent ? parent : "null", prev);
			cJSON_Delete(rec);
			m->failed = 1;
			free(mine.v);
			return 0;
		}
		mlreg_sha256_hex(buf, len, hex);
		memcpy(prev, hex, sizeof(hex));
		if (w && files_wanted(s, m, k))
			wants_add_files(&mine, rec);
		cJSON_Delete(rec);
	}
	if (m->want > m->latest && mlreg_doc_int(m->record, "latest_version", 0) == m->want &&
	    strcmp(mlreg_doc_str(m->record, "latest_id", ""), prev) != 0) {
		fail(s, MLREG_ECORRUPT, "remote '%s': %s@%ld is not the version its model record "
		     "names (id %.12s, the record says %.12s)", s->r->name, m->name, m->want, prev,
		     mlreg_doc_str(m->record, "latest_id", ""));
		m->failed = 1;
	}
	for (size_t i = 0; w && !m->failed && i < mine.n; i++)
		wants_add(w, mine.v[i].hex, mine.v[i].size);
	free(mine.v);
	return 0;
}

/* Adds the files of local versions wanted (m->want and, with --all, those before). */
static void local_wants(struct sync *s, struct model *m, struct wants *w)
{
	long top = m->want < m->latest ? m->want : m->latest;

	for (long k = 1; k <= top; k++) {
		cJSON *v;
		if (!files_wanted(s, m, k))
			continue;
		if (mlreg_version_load(&v, s->store, m->name, k) == 0) {
			wants_add_files(w, v);
			cJSON_Delete(v);
		}
		mlreg_error_clear();
	}
}

/* Returns 1 when every file of the version record buf is stored. */
static int all_stored(struct sync *s, const char *buf, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(buf, len);
	const cJSON *f;
	int all = 1;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rec, "files"))
		all &= mlreg_object_exists(s->store, mlreg_doc_str(f, "sha256", ""));
	cJSON_Delete(rec);
	return all;
}

/* Returns 0 after making the fetched versions of m visible (the commit). */
static int commit_model(struct sync *s, struct model *m)
{
	struct mlreg_adopt a = { 0 };
	int *partial = xcalloc((size_t)m->nbufs + 1, sizeof(*partial));
	int err;

	for (long i = 0; i < m->nbufs; i++)
		partial[i] = !all_stored(s, m->bufs[i], m->lens[i]);
	a.model = m->record;
	a.base = m->latest;
	a.base_id = m->latest > 0 ? m->latest_id : NULL;
	a.n = m->nbufs;
	a.bufs = m->bufs;
	a.lens = m->lens;
	a.partial = partial;
	a.remote = s->r->name;
	err = mlreg_model_adopt(s->store, m->name, &a);
	free(partial);
	if (err < 0)
		return err;
	/* Local versions whose files came now are complete. */
	for (long k = 1; k <= m->latest && k <= m->want; k++) {
		char *buf, hex[MLREG_HEX_LEN + 1];
		size_t len;
		if (read_local(s, m, k, &buf, &len, hex) < 0)
			continue;
		if (mlreg_version_partial(s->store, m->name, k, hex, NULL) && all_stored(s, buf, len))
			mlreg_version_mark_complete(s->store, m->name, k);
		free(buf);
	}
	mlreg_error_clear();
	for (long k = m->latest + 1; k <= m->want; k++) {
		char *ref = xasprintf("%s@%ld", m->name, k);
		cJSON_AddItemToArray(s->sent, cJSON_CreateString(ref));
		free(ref);
	}
	return 0;
}

int mlreg_download(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		   const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct wants w = { 0 }, missing = { 0 };
	int err, exists;
	size_t i;

	if (summary)
		*summary = NULL;
	if ((err = sync_open(&s, store, r, o)) < 0) {
		cJSON_Delete(s.sent);
		return err;
	}
	{
		unsigned pruned;	/* what downloads or registrations killed earlier left */
		if (mlreg_object_prune_tmp(store, &pruned) < 0)
			mlreg_error_clear();	/* best effort */
	}
	if ((err = select_download(&s)) < 0 || (err = read_marker(&s, &exists)) < 0)
		goto done;
	if (o->nrefs == 0 && exists && (err = list_remote_models(&s)) < 0)
		goto done;
	if (exists && ((err = list_models(&s, 0)) < 0 || (err = get_model_records(&s)) < 0))
		goto done;
	fetch_records(&s);
	for (i = 0; i < s.nm; i++) {
		struct model *m = s.m[i];
		if (m->failed)
			continue;
		check_records(&s, m, &w);
		if (!m->failed)
			local_wants(&s, m, &w);
	}
	wants_unique(&w);
	for (i = 0; i < w.n; i++) {
		if (mlreg_object_exists(store, w.v[i].hex)) {
			s.objects_skipped++;
			s.bytes_skipped += w.v[i].size;
		} else {
			wants_add(&missing, w.v[i].hex, w.v[i].size);
		}
	}
	/* On failure, objects that arrived stay (a rerun reuses them); no version is committed. */
	if (missing.n > 0 && (err = download_objects(&s, &missing)) < 0)
		goto done;
	for (i = 0; i < s.nm; i++)
		if (!s.m[i]->failed && (err = commit_model(&s, s.m[i])) < 0)
			fail(&s, err, "%s", mlreg_error_message());
	err = sync_result(&s);
done:
	if (summary) {
		cJSON *sum = summary_new(&s);
		cJSON_AddItemToObject(sum, "versions", sorted_refs(&s));
		summary_counts(&s, sum, "received");
		*summary = sum;
	}
	if (err < 0)
		err = mlreg_error_set(err, "%s", mlreg_error_message());
	free(w.v);
	free(missing.v);
	sync_close(&s);
	return err;
}

/*
 * Reading a remote's registry.
 */

int mlreg_remote_models(cJSON **out, const struct mlreg_remote *r,
			const struct mlreg_sync_opts *o)
{
	struct sync s;
	int err, exists;

	*out = NULL;
	if ((err = sync_open(&s, NULL, r, o)) < 0) {
		cJSON_Delete(s.sent);
		return err;
	}
	if ((err = read_marker(&s, &exists)) < 0)
		goto done;
	if (exists && ((err = list_remote_models(&s)) < 0 || (err = list_models(&s, 0)) < 0 ||
		       (err = get_model_records(&s)) < 0))
		goto done;
	*out = cJSON_CreateArray();
	for (size_t i = 0; i < s.nm; i++)
		if (s.m[i]->record)
			cJSON_AddItemToArray(*out, cJSON_Duplicate(s.m[i]->record, 1));
done:
	sync_close(&s);
	return err;
}

int mlreg_remote_versions(cJSON **out, const struct mlreg_remote *r, const char *name,
			  const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct model *m;
	int err, exists;

	*out = NULL;
	if ((err = mlreg_name_validate(name)) < 0)
		return err;
	if ((err = sync_open(&s, NULL, r, o)) < 0) {
		cJSON_Delete(s.sent);
		return err;
	}
	s.no_local = 1;
	m = add_model(&s, name);
	if ((err = read_marker(&s, &exists)) < 0)
		goto done;
	if (exists && ((err = list_models(&s, 0)) < 0 || (err = get_model_records(&s)) < 0))
		goto done;
	if (!m->has_record) {
		err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found on remote '%s'", name,
				      r->name);
		goto done;
	}
	m->want = m->contig;
	fetch_records(&s);
	if (!m->failed)
		check_records(&s, m, NULL);
	if ((err = sync_result(&s)) < 0)
		goto done;
	*out = cJSON_CreateArray();
	for (long k = m->want; k >= 1; k--) {
		char hex[MLREG_HEX_LEN + 1];
		cJSON *rec = cJSON_ParseWithLength(m->bufs[k - 1], m->lens[k - 1]);
		mlreg_sha256_hex(m->bufs[k - 1], m->lens[k - 1], hex);
		cJSON_AddItemToArray(*out, mlreg_version_with_id(rec, hex));
		cJSON_Delete(rec);
	}
done:
	sync_close(&s);
	return err;
}
