/*
 * The ingest engine (see ingest.h): a pool of threads storing the files
 * of one version into the current batch.  The pool shares one lock, which
 * guards the next file to take, the first error and the progress meter
 * (which shows one file at a time: a thread whose file starts or makes
 * progress while the meter is free takes it until that file is done);
 * each thread has its own copy buffer.  Objects are written into the
 * batch's directory (object.c serialises what it shares), so nothing is
 * visible before the caller commits the batch, whatever the order in
 * which the threads finish.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "ingest.h"

/* What the threads share. */
struct pool {
	struct mlreg_store *store;
	struct mlreg_ingest_item *v;
	size_t n;
	const struct mlreg_ingest_opts *o;
	pthread_mutex_t mu;	/* guards everything below, and the callbacks */
	size_t next;		/* the next item to take */
	int stop;		/* an item failed: take no more */
	size_t err_at;		/* the lowest item that failed (n: none) ... */
	int err;		/* ... its error ... */
	char msg[1024];		/* ... and its message (messages are per thread) */
	int shown;		/* the thread whose file the meter shows, -1 none */
};

/* One thread of the pool. */
struct worker {
	struct pool *p;
	int id;
	char *buf;		/* MLREG_OBJECT_CHUNK bytes */
	struct mlreg_ingest_item *it;	/* the item being stored, NULL between items */
	pthread_t th;
};

/*
 * Returns 1 when this thread's file (it) is the one the meter shows,
 * taking the meter for it when nobody has it (file_start() then); called
 * with p->mu held.
 */
static int take_meter(struct worker *w)
{
	struct pool *p = w->p;

	if (p->shown == w->id)
		return 1;
	if (p->shown >= 0)
		return 0;
	p->shown = w->id;
	if (p->o->file_start)
		p->o->file_start(p->o->ctx, w->it->path ? w->it->path : w->it->src,
				 (uint64_t)w->it->st.st_size);
	return 1;
}

/* Passes the bytes done to the meter when this thread's file is (or can become) the one shown. */
static void worker_progress(void *ctx, uint64_t done)
{
	struct worker *w = ctx;
	struct pool *p = w->p;

	pthread_mutex_lock(&p->mu);
	if (take_meter(w) && p->o->progress)
		p->o->progress(p->o->ctx, done);
	pthread_mutex_unlock(&p->mu);
}

/* Returns 0 after storing item it (or finding its known object stored). */
static int store_one(struct worker *w, struct mlreg_ingest_item *it)
{
	struct pool *p = w->p;
	int fd, err, meter = p->o->file_start || p->o->progress;

	memset(&it->st, 0, sizeof(it->st));
	if (it->known && mlreg_object_freshen(p->store, it->hex))
		return 0;
	fd = open(it->src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return mlreg_error_os("cannot open '%s'", it->src);
	if (fstat(fd, &it->st) < 0 || !S_ISREG(it->st.st_mode)) {
		close(fd);
		return mlreg_error_set(MLREG_EINVALID, "'%s' is not a regular file", it->src);
	}
	w->it = it;
	if (meter) {
		pthread_mutex_lock(&p->mu);
		take_meter(w);
		pthread_mutex_unlock(&p->mu);
	}
	err = mlreg_object_write_fd_buf(p->store, fd, &it->st, it->src, it->hex, &it->size,
					meter ? worker_progress : NULL, w, w->buf);
	close(fd);
	if (meter) {
		/* A file done while another was shown: its end is drawn if the meter is free. */
		pthread_mutex_lock(&p->mu);
		if (!err && p->shown != w->id && it->size > 0 && take_meter(w) && p->o->progress)
			p->o->progress(p->o->ctx, it->size);
		if (p->shown == w->id)
			p->shown = -1;
		pthread_mutex_unlock(&p->mu);
	}
	w->it = NULL;
	return err;
}

/* A thread of the pool: returns NULL when no item is left or one failed. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	for (;;) {
		size_t i;
		int err;

		pthread_mutex_lock(&p->mu);
		if (p->stop || p->next >= p->n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if ((err = store_one(w, &p->v[i])) < 0) {
			pthread_mutex_lock(&p->mu);
			p->stop = 1;
			if (i < p->err_at) {
				p->err_at = i;
				p->err = err;
				snprintf(p->msg, sizeof(p->msg), "%s", mlreg_error_message());
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
	return NULL;
}

/* Returns the number of threads to use for n items. */
static unsigned pool_size(const struct mlreg_ingest_opts *o, size_t n)
{
	long t = o->threads;

	if (t <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		t = mlreg_env_long("MLREG_INGEST_THREADS", 1, MLREG_INGEST_MAX_THREADS,
				   cpus > 0 ? cpus : 1);
	}
	if (t > MLREG_INGEST_MAX_THREADS)
		t = MLREG_INGEST_MAX_THREADS;
	if ((size_t)t > n)
		t = (long)n;
	return t > 0 ? (unsigned)t : 1;
}

int mlreg_ingest(struct mlreg_store *store, struct mlreg_ingest_item *v, size_t n,
		 const struct mlreg_ingest_opts *o)
{
	struct pool p;
	struct worker *w;
	unsigned nt = pool_size(o, n), started = 0, i;

	if (n == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.store = store;
	p.v = v;
	p.n = n;
	p.o = o;
	p.err_at = n;
	p.shown = -1;
	pthread_mutex_init(&p.mu, NULL);
	w = xcalloc(nt, sizeof(*w));
	for (i = 0; i < nt; i++) {
		w[i].p = &p;
		w[i].id = (int)i;
		w[i].buf = xmalloc(MLREG_OBJECT_CHUNK);
	}
	/* Thread 0 is this one; a thread that cannot start leaves its share to the others. */
	for (i = 1; i < nt; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]) == 0)
			started = i;
		else
			break;
	work(&w[0]);
	for (i = 1; i <= started; i++)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < nt; i++)
		free(w[i].buf);
	free(w);
	pthread_mutex_destroy(&p.mu);
	if (p.err_at < n)
		return mlreg_error_set(p.err, "%s", p.msg);
	return 0;
}
