/*
 * Upload (mlreg_upload(), sync.h): the selected local versions the remote
 * lacks, in an order that never lets the remote name data it does not
 * have: the objects first (small ones in packs, a pack before its index),
 * then the version records one round at a time (NAME@1 before NAME@2),
 * then the events naming them (sync-events.c chooses which; they are put
 * by the same rounds), then the model records.
 *
 * A version record is created only where none exists, so two stores that
 * made different NAME@N never overwrite each other: with a create-only put
 * (If-None-Match: *) where the server honours it, which a probe on a key of
 * our own finds out; else by checking (HEAD), putting, waiting and reading
 * it back.  A remote record other than ours is a conflict: that model's
 * versions from there on are not sent, the others are.  Every local object
 * is hashed on the way out and every local record checked as a download
 * would, so a corrupt store is never copied to a remote.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "doc.h"
#include "error.h"
#include "name.h"
#include "object.h"
#include "registry.h"
#include "sync-int.h"
#include "util.h"

/* Objects: packs of small ones, large ones alone. */

/* Reads a pack's objects one after the other from the store, as a request body. */
struct pack_src {
	struct mlreg_store *store;
	const struct mlreg_pack_index *idx;
	size_t i;		/* the object being read */
	int fd;
	uint64_t left;		/* its bytes still to read */
};

/* Returns the next bytes of the pack (0 at its end), or -1 with a message set. */
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

/* Starts the pack again from its first object (a retry); returns 0. */
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

/* A pack arrived (its index is put next), or its index did; returns nothing. */
static void pack_done(void *ctx, const struct mlreg_result *r)
{
	struct pack_job *j = ctx;
	struct sync *s = j->s;

	pack_rewind(&j->src);
	if (r->err) {
		sync_fail(s, r->err, "%s", r->msg);
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
	sync_cache_index(s, j->idx.pack, j->idx_text, j->idx_len);
	sync_report(s, 0);
}

/* Where an object streamed from the store is hashed. */
struct hash_sink {
	struct mlreg_sha256 *h;
};

/* Hashes the bytes of an object; returns 0. */
static int hash_write(void *ctx, const void *buf, size_t len)
{
	struct hash_sink *hs = ctx;

	mlreg_sha256_update(hs->h, buf, len);
	return 0;
}

/*
 * Returns 0 after filling the index of a pack of the objects w[0..n) (sorted
 * by hash) and its hash, read from the store: each object is checked
 * against its name on the way, so a corrupt local object is never sent.
 */
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

/* A loose object arrived (or did not); returns nothing. */
static void object_done(void *ctx, const struct mlreg_result *r)
{
	struct obj_put *p = ctx;

	if (r->err) {
		sync_fail(p->s, r->err, "%s", r->msg);
		return;
	}
	p->s->prog.objects_done++;
	p->s->bytes_moved += p->size - r->skipped;
	p->s->bytes_skipped += r->skipped;
	sync_report(p->s, 0);
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

		if (!mlreg_is_hex64(de->d_name) || !(e = sync_inv_find(inv, de->d_name)))
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
	size_t njobs = 0, capjobs = 0, nputs = 0, i, start;
	int err;

	sync_phase_begin(s);
	if ((err = sync_load_inventory(s, &inv, 1)) < 0)
		goto done;
	prune_upload_states(s, &inv);
	for (i = 0; i < w->n; i++) {
		const struct inv_entry *e = sync_inv_find(&inv, w->v[i].hex);
		char *path;
		struct stat st;

		if (e && e->size == w->v[i].size) {
			s->objects_skipped++;
			s->bytes_skipped += w->v[i].size;
			continue;
		}
		path = mlreg_object_path(s->store, w->v[i].hex);
		if (stat(path, &st) < 0 || (uint64_t)st.st_size != w->v[i].size) {
			sync_fail(s, MLREG_ECORRUPT, "object %s is %s in the local store; run 'mlreg fsck'",
				  w->v[i].hex, stat(path, &st) < 0 ? "missing" : "of the wrong size");
			free(path);
			continue;
		}
		s->prog.objects_total++;
		s->prog.bytes_total += w->v[i].size;
		if (w->v[i].size < MLREG_PACK_MAX_OBJECT) {
			sync_wants_add(&small, w->v[i].hex, w->v[i].size);
		} else {
			char *key = sync_object_key(w->v[i].hex);
			puts[nputs] = (struct obj_put){ s, w->v[i].size };
			mlreg_tr_put_file(s->t, key, path, w->v[i].size, w->v[i].hex, object_done,
					  &puts[nputs++]);
			free(key);
		}
		free(path);
	}
	if (s->perr) {
		err = sync_phase_result(s);
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
			sync_fail(s, err, "%s", mlreg_error_message());
			break;
		}
		j->src = (struct pack_src){ s->store, &j->idx, 0, -1, 0 };
		j->source = (struct mlreg_source){ j->idx.size, pack_read, pack_rewind, &j->src };
		MLREG_ALLOC_GROW(jobs, njobs + 1, capjobs);
		jobs[njobs++] = j;
		{
			char *key = xasprintf("packs/pack-%s.pack", j->idx.pack);
			mlreg_tr_put(s->t, key, &j->source, j->idx.pack, pack_done, j);
			free(key);
		}
		start = end;
	}
	mlreg_tr_run(s->t);
	sync_report(s, 1);
	err = sync_phase_result(s);
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
	sync_inv_free(&inv);
	return err;
}

/* Version records: create-only, one round at a time. */

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
		mlreg_tr_put_buf(s->t, key, "probe\n", 6, MLREG_TR_IF_ABSENT, sync_slot_done, &sl);
		mlreg_tr_run(s->t);
		if (sl.err == MLREG_EEXISTS) {
			mlreg_tr_set_conditional(s->t, 1);
			round = 1;	/* known: no second put */
		} else if (sl.err) {
			err = mlreg_error_set(sl.err, "%s", sl.msg);
		} else if (round == 1) {
			mlreg_tr_set_conditional(s->t, 0);	/* accepted over itself */
		}
		sync_slot_clear(&sl);
	}
	mlreg_tr_delete(s->t, key, sync_slot_done, &sl);
	mlreg_tr_run(s->t);
	sync_slot_clear(&sl);	/* best effort: a stray probe key harms nothing */
	free(key);
	return err;
}

/* One round of putting records of a chain (versions, events): the next one of each model. */
struct rec_put {
	struct model *m;
	long n;
	char *buf;
	size_t len;
	struct slot sl;
	int stage;	/* 0 create-only put or HEAD, 1 put without a condition, 2 read and
			   compare, 3 created (ours), 4 failed, 5 already there and the same */
};

/* Returns the upload state of m's chain of this kind. */
static struct model_up *up_of(struct model *m, int kind)
{
	return kind == CHAIN_EVENTS ? &m->evup : &m->up;
}

/* Stops m's chain of this kind (an event that failed stops the events only); returns nothing. */
static void give_up(struct model *m, int kind)
{
	if (kind == CHAIN_EVENTS)
		m->ev_failed = 1;
	else
		m->failed = 1;
}

/* Notes record n of m's chain of this kind as sent by this upload; returns nothing. */
static void note_sent(struct sync *s, struct model *m, int kind, long n)
{
	char *ref;

	if (kind == CHAIN_EVENTS) {
		sync_events_sent(s, m, n);
		return;
	}
	ref = xasprintf("%s@%ld", m->name, n);
	cJSON_AddItemToArray(s->sent, cJSON_CreateString(ref));
	free(ref);
}

/*
 * Returns 0 after putting the next missing record of this kind (versions,
 * events) of every model still going, one round: create-only where the
 * server honours it; else check (HEAD), put, wait, and read it back
 * (verify).  One code path for both chains: an event is created as a
 * version is, and another record in its place is a conflict.
 */
static int put_records_round(struct sync *s, int kind, int *more)
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
		struct model_up *up = up_of(m, kind);
		struct rchain *c = sync_chain(m, kind);
		while (!sync_chain_failed(m, kind) && up->next <= up->sel && up->next <= c->nrv &&
		       c->rv[up->next].present)
			up->next++;	/* there and the same (sync_compare_chain) */
		if (sync_chain_failed(m, kind) || up->next > up->sel)
			continue;
		p[np].m = m;
		p[np].n = up->next;
		if (sync_read_local_chain(s, m, kind, up->next, &p[np].buf, &p[np].len, hex) < 0) {
			sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			give_up(m, kind);
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
		char *key = sync_chain_key(p[i].m, kind, p[i].n);
		if (cond)
			mlreg_tr_put_buf(s->t, key, p[i].buf, p[i].len, MLREG_TR_IF_ABSENT, sync_slot_done,
					 &p[i].sl);
		else
			mlreg_tr_head(s->t, key, sync_slot_done, &p[i].sl);
		free(key);
	}
	mlreg_tr_run(s->t);
	/* Stage 1: what stage 0 found. */
	for (i = 0; i < np; i++) {
		char *key = sync_chain_key(p[i].m, kind, p[i].n);
		int got = p[i].sl.err, retried = p[i].sl.retried;
		char *msg = p[i].sl.msg ? xstrdup(p[i].sl.msg) : NULL;
		sync_slot_clear(&p[i].sl);
		if (cond && got == 0) {
			p[i].stage = 3;		/* created: done */
		} else if ((cond && got == MLREG_EEXISTS) || (!cond && got == 0)) {
			p[i].stage = 2;		/* someone's is there: read it */
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, sync_slot_done, &p[i].sl);
			if (cond && retried)
				p[i].n = -p[i].n;	/* maybe our first attempt's: ours if the same */
		} else if (!cond && got == MLREG_ENOTFOUND) {
			p[i].stage = 1;
			mlreg_tr_put_buf(s->t, key, p[i].buf, p[i].len, 0, sync_slot_done, &p[i].sl);
		} else {
			sync_fail(s, got, "%s", msg ? msg : "error");
			give_up(p[i].m, kind);
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
				sync_fail(s, p[i].sl.err, "%s", p[i].sl.msg);
				give_up(p[i].m, kind);
				p[i].stage = 4;
				continue;
			}
			sync_slot_clear(&p[i].sl);
			if (!waited && delay > 0) {
				mlreg_sleep_ms(delay);
				waited = 1;
			}
			char *key = sync_chain_key(p[i].m, kind, p[i].n);
			p[i].stage = 2;
			p[i].n = -p[i].n;	/* read back after our own put */
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, sync_slot_done, &p[i].sl);
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
			if (sync_parse_record(&rec, p[i].sl.body, p[i].sl.len) == 0) {
				cJSON_Delete(rec);
				continue;
			}
			mlreg_error_clear();
			if (!again)
				mlreg_sleep_ms(100);
			again = 1;
			char *key = sync_chain_key(p[i].m, kind, p[i].n < 0 ? -p[i].n : p[i].n);
			sync_slot_clear(&p[i].sl);
			mlreg_tr_get_buf(s->t, key, MLREG_RECORD_MAX, sync_slot_done, &p[i].sl);
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
				sync_fail(s, p[i].sl.err, "%s", p[i].sl.msg);
				give_up(m, kind);
			} else if (kind == CHAIN_EVENTS ? p[i].sl.len != p[i].len ||
				   memcmp(p[i].sl.body, p[i].buf, p[i].len) != 0
				   : !sync_same_version(p[i].sl.body, p[i].sl.len, p[i].buf,
							p[i].len)) {
				/* (a version: the same id is the same version, 6.7) */
				if (kind == CHAIN_EVENTS)
					sync_event_conflict(s, m, n, p[i].sl.body, p[i].sl.len, 0);
				else
					sync_conflict(s, m, n, p[i].sl.body, p[i].sl.len, ours ?
						      "received at the same time" : "already has");
			} else {
				p[i].stage = ours ? 3 : 5;
			}
		}
		if (p[i].stage == 3 || p[i].stage == 5) {
			if (p[i].stage == 3)
				note_sent(s, m, kind, n);
			up_of(m, kind)->next = n + 1;
			if (n + 1 <= up_of(m, kind)->sel)
				*more = 1;
		}
		sync_slot_clear(&p[i].sl);
		free(p[i].buf);
	}
	free(p);
	return 0;
}

/* Model records: last, merged with the remote's. */

/* Returns a new remote model record for m: the local one merged with the remote's. */
static cJSON *merged_record(struct sync *s, struct model *m, cJSON *local)
{
	cJSON *rec = cJSON_CreateObject(), *theirs = m->record;
	const cJSON *src = local;
	const char *lt = mlreg_doc_str(local, "last_updated_time", "");
	const char *ct = mlreg_doc_str(local, "creation_time", "");
	long latest = m->up.next - 1;
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
	    mlreg_doc_int(theirs, "latest_version", 0) <= m->ver.contig &&
	    mlreg_is_hex64(mlreg_doc_str(theirs, "latest_id", ""))) {
		latest = (long)mlreg_doc_int(theirs, "latest_version", 0);
		lid = mlreg_doc_str(theirs, "latest_id", "");
	} else if (latest > 0) {
		char *buf;
		size_t len;
		if (sync_read_local(s, m, latest, &buf, &len, hex) == 0) {
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
	sync_events_hint(s, m, rec);
	/* The names its records may hold (a rename), so that a download accepts them. */
	mlreg_former_merge(rec, local);
	mlreg_former_merge(rec, theirs);
	return rec;
}

/* Returns 0 after putting the model record of every model that did not fail. */
static int put_model_records(struct sync *s)
{
	struct slot *sl = xcalloc(s->nm + 1, sizeof(*sl));
	size_t i;

	sync_phase_begin(s);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		cJSON *local, *rec;
		char *text, *old = NULL;

		if (m->failed)
			continue;
		if (mlreg_model_load(&local, s->store, m->name) < 0) {
			sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			continue;
		}
		rec = merged_record(s, m, local);
		text = mlreg_doc_print(rec);
		if (m->record)
			old = mlreg_doc_print(m->record);
		if (!old || strcmp(old, text) != 0) {
			char *key = xasprintf("models/%s/model.json", m->enc);
			mlreg_tr_put_buf(s->t, key, text, strlen(text), 0, sync_slot_done, &sl[i]);
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
			sync_fail(s, sl[i].err, "%s", sl[i].msg);
		sync_slot_clear(&sl[i]);
	}
	free(sl);
	return sync_phase_result(s);
}

/* Choosing what to send, and the upload itself. */

/* Returns 0 after choosing the local models and versions to upload. */
static int select_upload(struct sync *s)
{
	int err = 0;

	if (s->o->nrefs == 0) {
		cJSON *all, *rec;
		if ((err = mlreg_model_list(&all, s->store)) < 0)
			return err;
		cJSON_ArrayForEach(rec, all) {
			struct model *m = sync_add_model(s, mlreg_doc_str(rec, "name", ""));
			m->local = 1;
			m->latest = m->up.sel = (long)mlreg_doc_int(rec, "latest_version", 0);
		}
		cJSON_Delete(all);
	}
	for (size_t i = 0; i < s->o->nrefs && !err; i++) {
		struct model *m;
		char *name;
		long n;
		if ((err = mlreg_ref_parse(s->o->refs[i], &name, &n)) < 0)
			break;
		m = sync_add_model(s, name);
		free(name);
		if ((err = sync_load_local(s, m)) < 0)
			break;
		if (!m->local)
			err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' not found", m->name);
		else if (n > m->latest)
			err = mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
					      n, m->name);
		else if ((n ? n : m->latest) > m->up.sel)
			m->up.sel = n ? n : m->latest;
	}
	sync_sort_models(s);
	return err;
}

/* Returns 0 after collecting the files of the versions to send; checks they are stored. */
static int upload_wants(struct sync *s, struct wants *w)
{
	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		for (long k = 1; k <= m->up.sel && !m->failed; k++) {
			cJSON *v;
			char *remote = NULL;
			if (k <= m->ver.nrv && m->ver.rv[k].present)
				continue;
			if (mlreg_version_load(&v, s->store, m->name, k) < 0) {
				sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
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
					sync_fail(s, MLREG_ENOTFOUND, "%s@%ld was downloaded without its files "
						  "(they are on remote '%s'): run 'mlreg download %s %s@%ld' "
						  "before uploading it", m->name, k, remote ? remote : "?",
						  remote ? remote : "REMOTE", m->name, k);
					m->failed = 1;
				}
			}
			free(remote);
			if (!m->failed)
				sync_wants_add_files(w, v);
			cJSON_Delete(v);
		}
	}
	sync_wants_unique(w);
	return 0;
}


/* Returns 0 after uploading the selected versions (see sync.h). */
int mlreg_upload(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		 const struct mlreg_sync_opts *o)
{
	struct sync s;
	struct wants w = { 0 };
	int err, more;

	if (summary)
		*summary = NULL;
	if ((err = sync_open(&s, store, r, o)) < 0)
		return err;
	if ((err = select_upload(&s)) < 0 || (err = sync_events_load(&s)) < 0 ||
	    (err = sync_ensure_marker(&s)) < 0)
		goto done;
	/* What uploads killed earlier left: a file remote's temporary files. */
	mlreg_tr_tidy(s.t, NULL, NULL);
	mlreg_tr_run(s.t);
	if ((err = sync_list_models(&s, o->nrefs == 0)) < 0 ||
	    (err = sync_compare_existing(&s, 0)) < 0 || (err = upload_wants(&s, &w)) < 0)
		goto done;
	if (w.n > 0 && (err = upload_objects(&s, &w)) < 0)
		goto done;
	for (size_t i = 0; i < s.nm; i++)
		s.m[i]->up.next = 1;
	do {
		if ((err = put_records_round(&s, CHAIN_VERSIONS, &more)) < 0)
			goto done;
	} while (more);
	/* Events name versions: they go after the versions, before the model records. */
	sync_events_select(&s);
	do {
		if ((err = put_records_round(&s, CHAIN_EVENTS, &more)) < 0)
			goto done;
	} while (more);
	sync_get_model_records(&s);
	put_model_records(&s);
	err = sync_result(&s);
done:
	if (summary) {
		cJSON *sum = sync_summary_new(&s);
		cJSON_AddBoolToObject(sum, "conditional_writes", mlreg_tr_conditional(s.t) == 1);
		cJSON_AddItemToObject(sum, "versions", sync_sorted_refs(&s));
		sync_events_summary(&s, sum);
		sync_summary_counts(&s, sum, "sent");
		cJSON_AddNumberToObject(sum, "packs", (double)s.packs_sent);
		*summary = sum;
	}
	if (err < 0)
		err = mlreg_error_set(err, "%s", mlreg_error_message());
	free(w.v);
	sync_close(&s);
	return err;
}
