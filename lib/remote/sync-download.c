/*
 * Download (mlreg_download(), sync.h): the selected versions of the remote
 * into the local store, with their files and the records of the versions
 * before them.  The records are read and checked first (sync-inventory.c:
 * each is the record it is named for and chains to the one before it, the
 * last to the model record), then the objects the store lacks are fetched,
 * and only then does the local model record, the commit point
 * (mlreg_model_adopt()), make the new versions visible.  The model's events
 * are read, checked and replayed before its records (sync-events.c: they
 * resolve NAME@ALIAS) and committed in the same rename.  Nothing becomes
 * visible for a model that failed; objects that arrived stay, for a rerun.
 * The objects are written in batches (object.h, flush_batch()): two
 * syncfs for many objects, not two fsyncs each.
 *
 * Every object's bytes are hashed on the way in and compared with its name
 * before it is stored; an object is never longer than its version lists,
 * and a pack range is used only for the objects its index places there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "lifecycle.h"
#include "name.h"
#include "object.h"
#include "registry.h"
#include "sync-int.h"
#include "util.h"

#define RANGE_GAP (1u << 20)		/* pack bytes read past rather than split a GET */
#define RANGE_MAX (64u << 20)		/* longest ranged GET of a pack */
#define CHUNK_SIZE (16u << 20)		/* ranged GETs of one large object */
#define CHUNKED_OVER (64u << 20)	/* objects larger than this come in chunks */

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

/*
 * Batches.  The objects of loose GETs and pack ranges are written into the
 * store's batch (object.h), with no fsync; the batch is committed (two
 * syncfs, store-format.md section 2) once no such request is in flight and
 * either no task is left to start or the batch holds BATCH_OBJECTS objects
 * or BATCH_BYTES bytes (new tasks then wait for it), and a new one begun.
 * So objects that arrived are named while large ones still travel (a kill
 * then loses at most one batch's worth: a rerun fetches it again), and no
 * object is named before its bytes are durable.  A large object, fetched
 * in chunks, is written alone (fsync'd and named when complete).
 */
#define BATCH_OBJECTS 50000u
#define BATCH_BYTES (1ull << 30)

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
	unsigned batch_inflight;	/* requests writing into the batch (loose, ranges) */
	size_t batch_objects;	/* objects committed into the batch, not yet named */
	uint64_t batch_bytes;	/* and their bytes */
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

/* Frees g, dropping what it wrote of an object not committed. */
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
		sync_fail(g->s, err, "%s", msg);
	g->failed = 1;
	if (g->chunked)
		deactivate(g);
	mlreg_object_writer_abort(&g->w);
}

/* Returns 0 after storing bytes of a whole object, an error past its listed size. */
static int obj_append(void *ctx, const void *buf, size_t len)
{
	struct obj_get *g = ctx;

	if (g->w.size + len > g->size)
		return mlreg_error_set(MLREG_ECORRUPT, "remote '%s': object %s is longer than the "
				       "%llu bytes its version lists", g->s->r->name, g->hex,
				       (unsigned long long)g->size);
	return stored(mlreg_object_writer_append(&g->w, buf, len), g->hex);
}

/* Starts a whole object again (a retry); returns nothing. */
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
		sync_fail(g->s, err, "remote '%s': object %s is corrupt (loose): %s; nothing was stored",
			  g->s->r->name, g->hex, mlreg_error_message());
	else if (err)
		sync_fail(g->s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
	else {
		g->s->prog.objects_done++;
		g->s->bytes_moved += g->size;
		if (g->w.batched) {
			g->fe->batch_objects++;
			g->fe->batch_bytes += g->size;
		}
	}
	sync_report(g->s, 0);
}

/* A whole object arrived (or did not). */
static void obj_done(void *ctx, const struct mlreg_result *r)
{
	struct obj_get *g = ctx;
	struct fetch *fe = g->fe;

	fe->inflight--;
	fe->batch_inflight--;
	if (r->err && !g->failed)
		sync_fail(g->s, r->err, "%s", r->msg);
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

/* Returns 0 after writing bytes of a chunk at their place, an error past its end. */
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

/* Starts a chunk again (a retry); returns nothing. */
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
		sync_fail(g->s, r->err, "%s", r->msg);
		get_free(g);
	} else if (r->size != g->size) {
		sync_fail(g->s, MLREG_ECORRUPT, "remote '%s': object %s has %llu bytes (%s), not the %llu "
			  "its version lists: the remote is corrupt", g->s->r->name, g->hex,
			  (unsigned long long)r->size, g->key, (unsigned long long)g->size);
		get_free(g);
	} else if ((err = mlreg_object_writer_open_alone(&g->w, g->s->store)) < 0) {
		sync_fail(g->s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
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
	g->key = sync_object_key(w->hex);
	fe->inflight++;
	if (g->size > CHUNKED_OVER) {
		mlreg_tr_head(s->t, g->key, head_done, g);
		return;
	}
	if ((err = mlreg_object_writer_open(&g->w, s->store)) < 0) {
		fe->inflight--;
		sync_fail(s, err, "cannot store object %s: %s", g->hex, mlreg_error_message());
		get_free(g);
		return;
	}
	fe->batch_inflight++;
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
	if (g->w.batched) {
		g->fe->batch_objects++;
		g->fe->batch_bytes += e->size;
	}
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

/* Returns 0 after storing the bytes of a pack range that belong to wanted objects. */
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

/* Starts a pack range again (a retry); returns nothing. */
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

/* A pack range arrived (or did not): its objects all committed, or a failure. */
static void range_done(void *ctx, const struct mlreg_result *r)
{
	struct range_get *g = ctx;
	struct fetch *fe = g->fe;

	fe->inflight--;
	fe->batch_inflight--;
	if (!r->err && range_settle(g) == 0 && g->i < g->n)
		mlreg_error_set(MLREG_ECORRUPT, "remote '%s': packs/pack-%s.pack ended early",
				g->s->r->name, g->pack);
	if (r->err)
		sync_fail(g->s, r->err, "%s", r->msg);
	else if (g->i < g->n)
		sync_fail(g->s, mlreg_error_code() ? mlreg_error_code() : MLREG_ECORRUPT, "%s",
			  mlreg_error_message());
	if (g->open)
		mlreg_object_writer_abort(&g->w);
	g->open = 0;
	sync_report(g->s, 0);
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
	fe->batch_inflight++;
	if (g->end > g->start)
		mlreg_tr_get(fe->s->t, key, g->start, g->end - g->start,
			     &(struct mlreg_sink){ range_write, range_reset, g }, range_done, g);
	else
		range_done(g, &(struct mlreg_result){ .etag = "" });	/* empty objects only */
	free(key);
}

/* Returns 1 when the batch must be committed before more objects go into it. */
static int batch_full(const struct fetch *fe)
{
	return fe->batch_objects >= BATCH_OBJECTS || fe->batch_bytes >= BATCH_BYTES;
}

/*
 * Commits the batch, whose writers are all closed, and begins the next; a
 * failure fails the download (without a batch, objects are written alone).
 */
static void flush_batch(struct fetch *fe)
{
	int err;

	fe->batch_objects = 0;
	fe->batch_bytes = 0;
	if ((err = mlreg_object_batch_commit(fe->s->store)) < 0 ||
	    (err = mlreg_object_batch_begin(fe->s->store)) < 0)
		sync_fail(fe->s, err, "%s", mlreg_error_message());
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
		if (fe->batch_inflight == 0 && fe->batch_objects > 0 &&
		    (fe->next == fe->ntasks || batch_full(fe)))
			flush_batch(fe);
		for (struct obj_get *g = fe->active, *next; g && fe->inflight < fe->queue_max; g = next) {
			next = g->next_active;
			while (fe->inflight < fe->queue_max && ask_chunk(g))
				;
		}
		while (fe->inflight < fe->queue_max && fe->next < fe->ntasks && !batch_full(fe)) {
			const struct task *t = &fe->tasks[fe->next++];
			if (t->pack < 0)
				start_loose(fe, t->w);
			else
				start_range(fe, t);
		}
	} while (fe->again);
	fe->pumping = 0;
}

/* Adds a task to the plan; returns nothing. */
static void add_task(struct fetch *fe, long pack, const struct mlreg_pack_entry **e, size_t n,
		     const struct want *w)
{
	MLREG_ALLOC_GROW(fe->tasks, fe->ntasks + 1, fe->cap);
	fe->tasks[fe->ntasks++] = (struct task){ pack, e, n, w };
}

/* Orders pack entries by offset. */
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
	unsigned jobs = mlreg_tr_options(s->t)->jobs > 0 ? (unsigned)mlreg_tr_options(s->t)->jobs : 8;
	const struct mlreg_pack_entry ***bypack = NULL;
	size_t *nbypack = NULL, *capbypack = NULL, i;
	int err;

	fe.queue_max = 2 * jobs > QUEUE_MIN ? 2 * jobs : QUEUE_MIN;
	fe.chunk_window = 2 * jobs > CHUNK_WINDOW ? 2 * jobs : CHUNK_WINDOW;
	sync_phase_begin(s);
	if ((err = sync_load_inventory(s, &inv, 0)) < 0)
		goto done;
	bypack = xcalloc(inv.npacks + 1, sizeof(*bypack));
	nbypack = xcalloc(inv.npacks + 1, sizeof(*nbypack));
	capbypack = xcalloc(inv.npacks + 1, sizeof(*capbypack));
	if ((err = mlreg_object_batch_begin(s->store)) < 0)
		goto done;
	for (i = 0; i < w->n; i++) {
		const struct inv_entry *e = sync_inv_find(&inv, w->v[i].hex);
		s->prog.objects_total++;
		s->prog.bytes_total += w->v[i].size;
		if (e && e->pack >= 0 && e->size == w->v[i].size) {
			const struct mlreg_pack_entry *pe = mlreg_pack_index_find(&inv.packs[e->pack],
										  e->hex);
			MLREG_ALLOC_GROW(bypack[e->pack], nbypack[e->pack] + 1, capbypack[e->pack]);
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
	/* Also after a failure: the objects that arrived whole stay, for a rerun. */
	if (fe.batch_inflight == 0 && fe.batch_objects > 0)
		flush_batch(&fe);
	sync_report(s, 1);
	err = sync_phase_result(s);
done:
	while (fe.active) {	/* only when the transport broke */
		struct obj_get *g = fe.active;
		fe.active = g->next_active;
		get_free(g);
	}
	mlreg_object_batch_abort(s->store);	/* the empty batch begun last */
	free(fe.tasks);
	for (i = 0; bypack && i < inv.npacks; i++)
		free(bypack[i]);
	free(bypack);
	free(nbypack);
	free(capbypack);
	sync_inv_free(&inv);
	return err;
}

/* Choosing what to download. */

/* Returns 0 after choosing what to download (the models named). */
static int select_download(struct sync *s)
{
	int err = 0;

	for (size_t i = 0; i < s->o->nrefs && !err; i++) {
		struct model *m;
		char *name;
		long n;
		const char *at = strchr(s->o->refs[i], '@');
		char *ref = NULL;
		if (at && !(at[1] >= '0' && at[1] <= '9')) {
			/* NAME@ALIAS, NAME@latest: resolved by the remote's events (sync-events.c) */
			name = xstrndup(s->o->refs[i], (size_t)(at - s->o->refs[i]));
			n = 0;
			if ((err = mlreg_name_validate(name)) < 0 ||
			    (strcmp(at + 1, "latest") && (err = mlreg_alias_validate(at + 1)) < 0)) {
				free(name);
				break;
			}
			ref = xstrdup(at + 1);
		} else if ((err = mlreg_ref_parse(s->o->refs[i], &name, &n)) < 0) {
			break;
		}
		m = sync_add_model(s, name);
		free(name);
		MLREG_ALLOC_GROW(m->down.asked, m->down.nasked + 1, m->down.capasked);
		m->down.refs = xrealloc(m->down.refs, m->down.capasked * sizeof(*m->down.refs));
		m->down.refs[m->down.nasked] = ref;
		m->down.asked[m->down.nasked++] = n;
	}
	sync_sort_models(s);
	return err;
}

/* Returns 1 when version k's files are wanted (it was named, or --all). */
int sync_files_wanted(const struct sync *s, const struct model *m, long k)
{
	if (s->o->all_versions || m->down.nasked == 0)
		return s->o->all_versions || k == m->down.want;
	for (size_t i = 0; i < m->down.nasked; i++)
		if (m->down.asked[i] == k)
			return 1;
	return 0;
}

/* Versions: which files are wanted, and the commit. */

/* Adds the files of local versions wanted (m->down.want and, with --all, those before). */
static void local_wants(struct sync *s, struct model *m, struct wants *w)
{
	long top = m->down.want < m->latest ? m->down.want : m->latest;

	for (long k = 1; k <= top; k++) {
		cJSON *v;
		if (!sync_files_wanted(s, m, k))
			continue;
		if (mlreg_version_load(&v, s->store, m->name, k) == 0) {
			sync_wants_add_files(w, v);
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
	cJSON *aliases = NULL, *deprecated = NULL;
	int *partial = xcalloc((size_t)m->down.nbufs + 1, sizeof(*partial));
	int err;

	for (long i = 0; i < m->down.nbufs; i++)
		partial[i] = !all_stored(s, m->down.bufs[i], m->down.lens[i]);
	a.model = m->record;
	a.base = m->latest;
	a.base_id = m->latest > 0 ? m->latest_id : NULL;
	a.n = m->down.nbufs;
	a.bufs = m->down.bufs;
	a.lens = m->down.lens;
	a.partial = partial;
	a.remote = s->r->name;
	if ((err = sync_events_adopt(s, m, &a, &aliases, &deprecated)) == 0)
		err = mlreg_model_adopt(s->store, m->name, &a);
	free(partial);
	cJSON_Delete(aliases);
	cJSON_Delete(deprecated);
	if (err < 0)
		return err;
	for (long k = a.ev_base + 1; k <= a.ev_base + a.ev_n; k++)
		sync_events_sent(s, m, k);
	/* Local versions whose files came now are complete. */
	for (long k = 1; k <= m->latest && k <= m->down.want; k++) {
		char *buf, hex[MLREG_HEX_LEN + 1];
		size_t len;
		if (sync_read_local(s, m, k, &buf, &len, hex) < 0)
			continue;
		if (mlreg_version_partial(s->store, m->name, k, hex, NULL) && all_stored(s, buf, len))
			mlreg_version_mark_complete(s->store, m->name, k);
		free(buf);
	}
	mlreg_error_clear();
	for (long k = m->latest + 1; k <= m->down.want; k++) {
		char *ref = xasprintf("%s@%ld", m->name, k);
		cJSON_AddItemToArray(s->sent, cJSON_CreateString(ref));
		free(ref);
	}
	return 0;
}

/* Returns 0 after downloading the selected versions (see sync.h). */
int mlreg_download(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		   const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct wants w = { 0 }, missing = { 0 };
	int err, exists, gc_lock = -1;
	size_t i;

	if (summary)
		*summary = NULL;
	if ((err = sync_open(&s, store, r, o)) < 0)
		return err;
	/* From the first object to the commits: gc deletes none of ours (object.h). */
	if ((gc_lock = mlreg_object_lock(store, 0, mlreg_lock_timeout())) < 0) {
		err = gc_lock;
		goto done;
	}
	{
		unsigned pruned;	/* what downloads or registrations killed earlier left */
		if (mlreg_object_prune_tmp(store, &pruned) < 0)
			mlreg_error_clear();	/* best effort */
	}
	if ((err = select_download(&s)) < 0 || (err = sync_read_marker(&s, &exists)) < 0)
		goto done;
	if (o->nrefs == 0 && exists && (err = sync_list_remote_models(&s)) < 0)
		goto done;
	if (exists && ((err = sync_list_models(&s, 0)) < 0 ||
		       (err = sync_get_model_records(&s)) < 0))
		goto done;
	/* The events first: NAME@ALIAS names a version only once they are replayed. */
	sync_events_fetch(&s);
	sync_fetch_records(&s);
	for (i = 0; i < s.nm; i++) {
		struct model *m = s.m[i];
		if (m->failed)
			continue;
		sync_check_records(&s, m, &w);
		if (!m->failed)
			local_wants(&s, m, &w);
	}
	sync_wants_unique(&w);
	for (i = 0; i < w.n; i++) {
		if (mlreg_object_freshen(store, w.v[i].hex)) {
			s.objects_skipped++;
			s.bytes_skipped += w.v[i].size;
		} else {
			sync_wants_add(&missing, w.v[i].hex, w.v[i].size);
		}
	}
	/* On failure, objects that arrived stay (a rerun reuses them); no version is committed. */
	if (missing.n > 0 && (err = download_objects(&s, &missing)) < 0)
		goto done;
	for (i = 0; i < s.nm; i++)
		if (!s.m[i]->failed && (err = commit_model(&s, s.m[i])) < 0)
			sync_fail(&s, err, "%s", mlreg_error_message());
	err = sync_result(&s);
done:
	if (summary) {
		cJSON *sum = sync_summary_new(&s);
		cJSON_AddItemToObject(sum, "versions", sync_sorted_refs(&s));
		sync_events_summary(&s, sum);
		sync_summary_counts(&s, sum, "received");
		*summary = sum;
	}
	if (err < 0)
		err = mlreg_error_set(err, "%s", mlreg_error_message());
	mlreg_object_unlock(gc_lock);
	free(w.v);
	free(missing.v);
	sync_close(&s);
	return err;
}
