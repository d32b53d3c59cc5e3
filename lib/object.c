/*
 * Loose object reading and writing (see object.h).  A new object is written
 * to tmp/ in the store, fsynced, then renamed to its address, so an object
 * file is always complete; a process killed mid-copy leaves only a file in
 * tmp/, never a visible object.  In a batch (object.h) the fsyncs are
 * replaced by two syncfs(2) for all the batch's objects, the first before
 * any of them is renamed to its address, so the same holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "object.h"

#define CHUNK MLREG_OBJECT_CHUNK
#define FLUSH_EVERY (8u << 20)	/* start the write-back of a written object this often */
#define PIPE_FROM (4u * CHUNK)	/* a source this large is written by a second thread */
#define PIPE_BUFS 4		/* chunks in flight between the hashing and the writing thread */
#define TMP_GRACE_S 60		/* a tmp/ file unchanged this long, unlocked, is a leftover */

/* A batch of objects made durable together (object.h). */
struct mlreg_object_batch {
	char *dir;	/* tmp/batch-XXXXXX: the objects written, not yet synced */
	int fd;		/* dir, open and flock'ed for the batch's life */
	struct pending {
		char hex[MLREG_HEX_LEN + 1];
		unsigned file;	/* its file in dir, named by this number */
	} *v;		/* the objects to name at commit, in the order written */
	size_t n, cap;
	unsigned next;	/* the number of the next file */
	char *buf;	/* CHUNK bytes, the copy buffer of mlreg_object_write_fd() */
	pthread_mutex_t mu;	/* guards next, v, n and cap: ingest.c's workers
				   write objects of one batch at once */
};

char *mlreg_object_path(const struct mlreg_store *store, const char *hex)
{
	return xasprintf("%s/objects/%.2s/%s", store->path, hex, hex + 2);
}

int mlreg_object_exists(const struct mlreg_store *store, const char *hex)
{
	char *p = mlreg_object_path(store, hex);
	int r = access(p, F_OK) == 0;

	free(p);
	return r;
}

int mlreg_object_freshen(const struct mlreg_store *store, const char *hex)
{
	static const struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	char *p = mlreg_object_path(store, hex);
	int r = access(p, F_OK) == 0;

	/*
	 * Best effort: an object owned by another user cannot be touched by
	 * us, and the gc lock (held by every mlreg writer) is what protects
	 * it then; the mtime is for writers that do not take the lock.
	 */
	if (r)
		utimensat(AT_FDCWD, p, now, AT_SYMLINK_NOFOLLOW);
	free(p);
	return r;
}

int mlreg_object_lock(const struct mlreg_store *store, int exclusive, int timeout_ms)
{
	char *path = mlreg_store_path(store, "gc.lock");
	long waited = 0, step = 1;
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		err = mlreg_error_os("cannot open lock file '%s'", path);
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = mlreg_error_set(MLREG_EOS, "cannot use lock file '%s': it is not a regular "
				      "file", path);
		goto done;
	}
	for (;;) {
		if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) {
			err = fd;
			fd = -1;
			goto done;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err = mlreg_error_os("cannot lock '%s'", path);
			goto done;
		}
		if (waited >= timeout_ms) {
			err = mlreg_error_set(MLREG_ELOCKED,
				exclusive ? "cannot lock '%s': a register, import or download "
					    "is storing objects (waited %d ms; set "
					    "MLREG_LOCK_TIMEOUT to wait longer)"
					  : "cannot lock '%s': 'mlreg gc' is removing objects "
					    "(waited %d ms; set MLREG_LOCK_TIMEOUT to wait longer)",
				path, timeout_ms);
			goto done;
		}
		mlreg_sleep_ms(step);
		waited += step;
		if (step < 50)
			step *= 2;
	}
done:
	if (fd >= 0)
		close(fd);
	free(path);
	return err;
}

void mlreg_object_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * Returns 0 after renaming from (relative to fromfd) to object hex's name,
 * creating objects/XX first.  gc removes an objects/XX it leaves empty: one
 * that vanishes between our mkdir and our rename is made again (a few
 * times, then it is an error).  made (may be NULL) is a bitmap of the
 * objects/XX already made by the caller, whose mkdir is then skipped.
 * from is left in place on failure.
 */
static int place(struct mlreg_store *store, int fromfd, const char *from, const char *hex,
		 unsigned char *made)
{
	char *path = mlreg_object_path(store, hex);
	char *dir = xasprintf("%s/objects/%.2s", store->path, hex);
	char xx_s[3] = { hex[0], hex[1], 0 };
	int xx = (int)strtol(xx_s, NULL, 16), tries, err = 0;

	for (tries = 0; ; tries++) {
		if (!(made && (made[xx / 8] & (1u << (xx % 8)))) && mkdir(dir, 0755) < 0 &&
		    errno != EEXIST) {
			err = mlreg_error_os("cannot create directory '%s'", dir);
			break;
		}
		if (made)
			made[xx / 8] |= (unsigned char)(1u << (xx % 8));
		if (renameat(fromfd, from, AT_FDCWD, path) == 0)
			break;
		if (made)
			made[xx / 8] &= (unsigned char)~(1u << (xx % 8));
		if (errno != ENOENT || tries >= 8 || faccessat(fromfd, from, F_OK, 0) < 0) {
			err = mlreg_error_os("cannot store object '%s'", hex);
			break;
		}
	}
	free(path);
	free(dir);
	return err;
}

/* Returns 0 after moving the finished temporary file tmp to object hex. */
static int install(struct mlreg_store *store, const char *tmp, const char *hex)
{
	char *dir;
	int err;

	if (mlreg_object_freshen(store, hex)) {
		/* Already stored: identical bytes by construction. */
		unlink(tmp);
		return 0;
	}
	if ((err = place(store, AT_FDCWD, tmp, hex, NULL)) < 0) {
		unlink(tmp);
		return err;
	}
	dir = xasprintf("%s/objects/%.2s", store->path, hex);
	err = mlreg_fs_fsync_dir(dir);
	free(dir);
	return err;
}

static int open_tmp(struct mlreg_store *store, char **tmp)
{
	int fd;

	*tmp = mlreg_store_path(store, "tmp/obj-XXXXXX");
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = mlreg_error_os("cannot create a temporary file in '%s/tmp'", store->path);
		free(*tmp);
		*tmp = NULL;
		return err;
	}
	fchmod(fd, 0444);
	/* Held until the file is renamed or removed: see mlreg_object_prune_tmp(). */
	flock(fd, LOCK_EX | LOCK_NB);
	return fd;
}

int mlreg_object_batch_begin(struct mlreg_store *store)
{
	struct mlreg_object_batch *b = xcalloc(1, sizeof(*b));

	b->dir = mlreg_store_path(store, "tmp/batch-XXXXXX");
	if (!mkdtemp(b->dir)) {
		int err = mlreg_error_os("cannot create a temporary directory in '%s/tmp'",
					 store->path);
		free(b->dir);
		free(b);
		return err;
	}
	b->fd = open(b->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->fd < 0 || flock(b->fd, LOCK_EX | LOCK_NB) < 0) {
		int err = mlreg_error_os("cannot lock '%s'", b->dir);
		if (b->fd >= 0)
			close(b->fd);
		rmdir(b->dir);
		free(b->dir);
		free(b);
		return err;
	}
	b->buf = xmalloc(CHUNK);
	pthread_mutex_init(&b->mu, NULL);
	store->batch = b;
	return 0;
}

/* Removes the batch's directory and what is left in it, and ends the batch. */
static void batch_end(struct mlreg_store *store)
{
	struct mlreg_object_batch *b = store->batch;
	int fd;
	DIR *d;

	if (!b)
		return;
	store->batch = NULL;
	if ((fd = dup(b->fd)) >= 0 && (d = fdopendir(fd)) != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(b->fd, de->d_name, 0);
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	rmdir(b->dir);
	close(b->fd);	/* drops the lock */
	free(b->dir);
	free(b->v);
	free(b->buf);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Orders pending objects by hash, then by file: qsort's comparison. */
static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int c = strcmp(x->hex, y->hex);

	return c ? c : (x->file > y->file) - (x->file < y->file);
}

void mlreg_object_batch_abort(struct mlreg_store *store)
{
	batch_end(store);
}

int mlreg_object_batch_commit(struct mlreg_store *store)
{
	struct mlreg_object_batch *b = store->batch;
	unsigned char made[256 / 8] = { 0 };
	int err = 0;
	size_t i;

	if (!b)
		return 0;
	/* 1. Every byte written on the disk, before any object has its name. */
	if (syncfs(b->fd) < 0) {
		err = mlreg_error_os("cannot sync the objects in '%s'", b->dir);
		goto done;
	}
	/* 2. Each object renamed to its address (a second copy of one: dropped). */
	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), pending_cmp);
	for (i = 0; !err && i < b->n; i++) {
		char name[16];

		if (i > 0 && !strcmp(b->v[i].hex, b->v[i - 1].hex))
			continue;	/* batch_end() removes it */
		snprintf(name, sizeof(name), "%u", b->v[i].file);
		err = place(store, b->fd, name, b->v[i].hex, made);
	}
	/* 3. The renames (and new objects/XX directories) on the disk. */
	if (!err && syncfs(b->fd) < 0)
		err = mlreg_error_os("cannot sync the objects of '%s'", store->path);
done:
	batch_end(store);
	return err;
}

int mlreg_object_sweep_batch(int tfd, const char *name, long grace_s, int dry,
			     uint64_t *count, uint64_t *bytes)
{
	int fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int clean = 1, dfd;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fd < 0)
		return 0;
	/* Alive: its writer holds the lock (or it changed within the grace period). */
	if (fstat(fd, &st) < 0 || (long long)time(NULL) - (long long)st.st_mtime <= grace_s ||
	    flock(fd, LOCK_EX | LOCK_NB) < 0 || (dfd = dup(fd)) < 0) {
		close(fd);
		return 0;
	}
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    (!dry && unlinkat(fd, de->d_name, 0) < 0)) {
			clean = 0;
			continue;
		}
		if (count)
			(*count)++;
		if (bytes)
			*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	close(fd);
	if (!clean || (!dry && unlinkat(tfd, name, AT_REMOVEDIR) < 0))
		return 0;
	return 1;
}

int mlreg_object_prune_tmp(struct mlreg_store *store, unsigned *removed)
{
	char *dir = mlreg_store_path(store, "tmp");
	struct dirent *de;
	DIR *d = opendir(dir);

	*removed = 0;
	if (!d) {
		int err = mlreg_error_os("cannot read '%s'", dir);
		free(dir);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		/* Unlocked and untouched for a minute: its writer is gone. */
		if (!strncmp(de->d_name, "obj-", 4) &&
		    mlreg_fs_remove_stale(dirfd(d), de->d_name, TMP_GRACE_S))
			(*removed)++;
		else if (!strncmp(de->d_name, "batch-", 6) &&
			 mlreg_object_sweep_batch(dirfd(d), de->d_name, TMP_GRACE_S, 0, NULL,
						  NULL))
			(*removed)++;
	}
	closedir(d);
	free(dir);
	return 0;
}

/*
 * Returns a new file of the batch, open for writing (its number in *file,
 * its path in *tmp, malloc'd), created 0444: no fchmod, and no random name
 * to retry, in a directory only this process writes.
 */
static int batch_open(struct mlreg_object_batch *b, unsigned *file, char **tmp)
{
	char name[16];
	int fd;

	pthread_mutex_lock(&b->mu);
	*file = b->next++;
	pthread_mutex_unlock(&b->mu);
	snprintf(name, sizeof(name), "%u", *file);
	*tmp = xasprintf("%s/%s", b->dir, name);
	/* Read and write: an object writer (download) reads back what it scattered. */
	fd = openat(b->fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		int err = mlreg_error_os("cannot create '%s'", *tmp);
		free(*tmp);
		*tmp = NULL;
		return err;
	}
	return fd;
}

/* Adds the finished, unsynced file (at tmp) to the batch as object hex (or drops it when stored). */
static void batch_add(struct mlreg_store *store, unsigned file, const char *tmp,
		      const char *hex)
{
	struct mlreg_object_batch *b = store->batch;

	if (mlreg_object_freshen(store, hex)) {
		unlink(tmp);	/* already stored: identical bytes by construction */
		return;
	}
	pthread_mutex_lock(&b->mu);
	MLREG_ALLOC_GROW(b->v, b->n + 1, b->cap);
	memcpy(b->v[b->n].hex, hex, sizeof(b->v[b->n].hex));
	b->v[b->n++].file = file;
	pthread_mutex_unlock(&b->mu);
}

/*
 * The large-file pipeline: this thread reads a chunk and hashes it, then
 * hands that very buffer to a writer thread, which writes it to the object
 * file and starts its write-back, while this thread reads and hashes the
 * next.  The bytes written are the bytes hashed by construction (the
 * source is read once, into memory that nobody changes until it is
 * written), so a source rewritten meanwhile yields an object named by the
 * SHA-256 of what was read, never a mismatch.  PIPE_BUFS chunks: memory is
 * flat whatever the size.
 *
 * Where the time goes (1 GiB, ext4 on a 2-core VM, issue 12): the reading
 * thread is the long pole, SHA-256 0.7 s, read() 0.1 s; the writer's
 * writes keep up, and the write-back started every FLUSH_EVERY keeps the
 * dirty pages under 10 MB, so the batch's syncfs has almost no data left
 * to write: its 0.3-0.6 s is the disk's cache flush (the host's), which
 * costs about that a GiB written even when nothing is dirty.  Tried and
 * measured slower: O_DIRECT writes (1 and 4 MiB: the disk takes direct
 * writes slower than write-back; 1.8-2.7 s against 1.5-2.2 s) and an
 * fdatasync every 128 MiB to spread that flush over the hashing
 * (2.0-2.7 s against 1.4-1.8 s, and 1 s more of system time).
 */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* signalled on every change below */
	char *buf[PIPE_BUFS];
	size_t len[PIPE_BUFS];	/* bytes to write in buf[i] */
	unsigned head, tail;	/* chunks handed over, chunks written (counters) */
	int done;		/* the reader has handed over its last chunk */
	int out;		/* the object file */
	const char *tmp, *what;	/* its path, and what names the source */
	int err;		/* the writer's error (0 none) ... */
	char msg[512];		/* ... and its message (errors are per thread) */
	uint64_t written, flushed;
};

/* The writer thread: returns NULL after writing every chunk handed over, or at the first error. */
static void *pipe_writer(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		unsigned i;
		size_t len;
		int err;

		while (p->tail == p->head && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->tail == p->head)
			break;
		i = p->tail % PIPE_BUFS;
		len = p->len[i];
		pthread_mutex_unlock(&p->mu);
		err = mlreg_write_all(p->out, p->buf[i], len, p->tmp);
		if (!err) {
			p->written += len;
			/* Write-back started as it goes, so the final sync has less to do. */
			if (p->written - p->flushed >= FLUSH_EVERY) {
				sync_file_range(p->out, (off_t)p->flushed,
						(off_t)(p->written - p->flushed),
						SYNC_FILE_RANGE_WRITE);
				p->flushed = p->written;
			}
		}
		pthread_mutex_lock(&p->mu);
		if (err) {
			p->err = err;
			snprintf(p->msg, sizeof(p->msg), "cannot store '%s': %s", p->what,
				 mlreg_error_message());
			pthread_cond_broadcast(&p->cv);
			break;
		}
		p->tail++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Returns 0 after copying fd (a source of at least PIPE_FROM bytes) to out
 * through the pipeline above, hashing into h, *total counting the bytes;
 * 1 when no thread could be started (nothing done: copy in one thread).
 */
static int copy_piped(int fd, int out, const char *what, const char *tmp,
		      struct mlreg_sha256 *h, uint64_t *total, mlreg_progress_fn progress,
		      void *ctx)
{
	struct pipe p;
	pthread_t th;
	int i, err = 0;

	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.out = out;
	p.tmp = tmp;
	p.what = what;
	for (i = 0; i < PIPE_BUFS; i++)
		p.buf[i] = xmalloc(CHUNK);
	if (pthread_create(&th, NULL, pipe_writer, &p) != 0) {
		err = 1;
		goto free;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		unsigned slot;
		ssize_t n;
		int stop;

		pthread_mutex_lock(&p.mu);
		while (p.head - p.tail == PIPE_BUFS && !p.err)
			pthread_cond_wait(&p.cv, &p.mu);
		slot = p.head % PIPE_BUFS;
		stop = p.err;
		pthread_mutex_unlock(&p.mu);
		if (stop)	/* the writer failed: its error is reported below */
			break;
		n = mlreg_read_retry(fd, p.buf[slot], CHUNK);
		if (n < 0) {
			err = mlreg_error_os("cannot read '%s'", what);
			break;
		}
		if (n == 0)
			break;
		mlreg_sha256_update(h, p.buf[slot], (size_t)n);
		*total += (uint64_t)n;
		pthread_mutex_lock(&p.mu);
		p.len[slot] = (size_t)n;
		p.head++;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (progress)
			progress(ctx, *total);
	}
	pthread_mutex_lock(&p.mu);
	p.done = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(th, NULL);
	if (!err && p.err)
		err = mlreg_error_set(p.err, "%s", p.msg);
free:
	for (i = 0; i < PIPE_BUFS; i++)
		free(p.buf[i]);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return err;
}

/* Returns 0 after copying fd to out in this thread with buf (CHUNK bytes), hashing into h. */
static int copy_plain(int fd, int out, const char *what, const char *tmp, char *buf,
		      struct mlreg_sha256 *h, uint64_t *total, mlreg_progress_fn progress,
		      void *ctx)
{
	uint64_t flushed = 0;
	int err = 0;

	for (;;) {
		ssize_t n = mlreg_read_retry(fd, buf, CHUNK);

		/* A file of more than a chunk: read ahead (small ones need no syscall). */
		if (n == (ssize_t)CHUNK && *total == 0)
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (n < 0) {
			err = mlreg_error_os("cannot read '%s'", what);
			break;
		}
		if (n == 0)
			break;
		mlreg_sha256_update(h, buf, (size_t)n);
		if ((err = mlreg_write_all(out, buf, (size_t)n, tmp)) < 0) {
			err = mlreg_error_set(err, "cannot store '%s': %s", what,
					      mlreg_error_message());
			break;
		}
		*total += (uint64_t)n;
		/* Write-back started as it goes, so the final sync has less to do. */
		if (*total - flushed >= FLUSH_EVERY) {
			sync_file_range(out, (off_t)flushed, (off_t)(*total - flushed),
					SYNC_FILE_RANGE_WRITE);
			flushed = *total;
		}
		if (progress)
			progress(ctx, *total);
	}
	return err;
}

/*
 * Returns 0 after storing fd as an object (mlreg_object_write_fd()), with
 * buf (CHUNK bytes) as its copy buffer; st (may be NULL) the source's
 * fstat, which picks the pipeline for a large one.
 */
static int write_fd_with(struct mlreg_store *store, int fd, const struct stat *st,
			 const char *what, char *hex, uint64_t *size,
			 mlreg_progress_fn progress, void *ctx, char *buf)
{
	struct mlreg_sha256 h;
	char *tmp;
	uint64_t total = 0;
	unsigned file = 0;
	int out, err = 1;

	if (store->batch)
		out = batch_open(store->batch, &file, &tmp);
	else
		out = open_tmp(store, &tmp);
	if (out < 0)
		return out;
	mlreg_sha256_init(&h);
	if (st && S_ISREG(st->st_mode) && (uint64_t)st->st_size >= PIPE_FROM)
		err = copy_piped(fd, out, what, tmp, &h, &total, progress, ctx);
	if (err == 1)
		err = copy_plain(fd, out, what, tmp, buf, &h, &total, progress, ctx);
	mlreg_sha256_final_hex(&h, hex);
	if (!err && !store->batch && fsync(out) < 0)
		err = mlreg_error_os("cannot store '%s': sync failed", what);
	if (close(out) < 0 && !err)
		err = mlreg_error_os("cannot store '%s'", what);
	if (err) {
		unlink(tmp);
		free(tmp);
		return err;
	}
	if (store->batch)
		batch_add(store, file, tmp, hex);
	else
		err = install(store, tmp, hex);
	free(tmp);
	if (!err)
		*size = total;
	return err;
}

int mlreg_object_write_fd(struct mlreg_store *store, int fd, const char *what,
			  char *hex, uint64_t *size, mlreg_progress_fn progress, void *ctx)
{
	struct stat st;
	char *buf = store->batch ? store->batch->buf : xmalloc(CHUNK);
	int err = write_fd_with(store, fd, fstat(fd, &st) == 0 ? &st : NULL, what, hex, size,
				progress, ctx, buf);

	if (!store->batch)
		free(buf);
	return err;
}

int mlreg_object_write_fd_buf(struct mlreg_store *store, int fd, const struct stat *st,
			      const char *what, char *hex, uint64_t *size,
			      mlreg_progress_fn progress, void *ctx, char *buf)
{
	return write_fd_with(store, fd, st, what, hex, size, progress, ctx, buf);
}

int mlreg_object_write_buf(struct mlreg_store *store, const void *buf, size_t len, char *hex)
{
	char *tmp;
	int out, err;

	mlreg_sha256_hex(buf, len, hex);
	if (mlreg_object_freshen(store, hex))
		return 0;
	if ((out = open_tmp(store, &tmp)) < 0)
		return out;
	err = mlreg_write_all(out, buf, len, tmp);
	if (!err && fsync(out) < 0)
		err = mlreg_error_os("cannot sync '%s'", tmp);
	close(out);
	if (err) {
		unlink(tmp);
		free(tmp);
		return err;
	}
	err = install(store, tmp, hex);
	free(tmp);
	return err;
}

int mlreg_object_stream(const struct mlreg_store *store, const char *hex, mlreg_sink_fn sink,
			void *ctx, char *actual, uint64_t *size)
{
	char *path = mlreg_object_path(store, hex), *buf;
	struct mlreg_sha256 h;
	uint64_t total = 0;
	int in, err = 0;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			err = mlreg_error_set(MLREG_ENOTFOUND, "object %s is missing", hex);
		else
			err = mlreg_error_os("cannot open object %s", hex);
		free(path);
		return err;
	}
	posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = xmalloc(CHUNK);
	mlreg_sha256_init(&h);
	for (;;) {
		ssize_t n = mlreg_read_retry(in, buf, CHUNK);
		if (n < 0) {
			err = mlreg_error_os("cannot read object %s", hex);
			break;
		}
		if (n == 0)
			break;
		mlreg_sha256_update(&h, buf, (size_t)n);
		if (sink && (err = sink(ctx, buf, (size_t)n)) < 0)
			break;
		total += (uint64_t)n;
	}
	mlreg_sha256_final_hex(&h, actual);
	free(buf);
	close(in);
	free(path);
	*size = total;
	return err;
}

struct fd_sink {
	int fd;
	const char *dest;
};

static int write_fd(void *ctx, const void *buf, size_t len)
{
	struct fd_sink *s = ctx;

	return mlreg_write_all(s->fd, buf, len, s->dest);
}

int mlreg_object_copy_to_fd(const struct mlreg_store *store, const char *hex,
			    uint64_t size, int fd, const char *dest)
{
	char actual[MLREG_HEX_LEN + 1];
	struct fd_sink sink = { fd, dest };
	uint64_t got;
	int err = mlreg_object_stream(store, hex, write_fd, &sink, actual, &got);

	if (err < 0)
		return err;
	if (strcmp(actual, hex) != 0 || got != size)
		return mlreg_error_set(MLREG_ECORRUPT,
			"object %s is corrupt: its content hashes to %s (%llu bytes, expected %llu); "
			"run 'mlreg fsck'", hex, actual, (unsigned long long)got,
			(unsigned long long)size);
	return 0;
}

/* Returns 0 after opening writer w, in the store's batch when batch is set and there is one. */
static int writer_open(struct mlreg_object_writer *w, struct mlreg_store *store, int batch)
{
	memset(w, 0, sizeof(*w));
	w->store = store;
	if (batch && store->batch) {
		w->batched = 1;
		if ((w->fd = batch_open(store->batch, &w->file, &w->tmp)) < 0) {
			w->fd = -1;
			return MLREG_EOS;
		}
	} else if ((w->fd = open_tmp(store, &w->tmp)) < 0) {
		w->fd = -1;
		return MLREG_EOS;
	}
	mlreg_sha256_init(&w->h);
	return 0;
}

int mlreg_object_writer_open(struct mlreg_object_writer *w, struct mlreg_store *store)
{
	return writer_open(w, store, 1);
}

int mlreg_object_writer_open_alone(struct mlreg_object_writer *w, struct mlreg_store *store)
{
	return writer_open(w, store, 0);
}

int mlreg_object_writer_append(struct mlreg_object_writer *w, const void *buf, size_t len)
{
	int err;

	mlreg_sha256_update(&w->h, buf, len);
	w->size += len;
	if ((err = mlreg_write_all(w->fd, buf, len, w->tmp)) < 0)
		return err;
	/* Write-back started as it goes, so the final fsync has less to do. */
	if (w->size - w->flushed >= FLUSH_EVERY) {
		sync_file_range(w->fd, (off_t)w->flushed, (off_t)(w->size - w->flushed),
				SYNC_FILE_RANGE_WRITE);
		w->flushed = w->size;
	}
	return 0;
}

int mlreg_object_writer_pwrite(struct mlreg_object_writer *w, const void *buf, size_t len,
			       uint64_t off)
{
	const char *p = buf;

	if (!w->scattered)
		w->size = 0;	/* from now on: the bytes hashed in order */
	w->scattered = 1;
	while (len > 0) {
		ssize_t n = pwrite(w->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlreg_error_os("cannot write '%s'", w->tmp);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Returns 0 after hashing the temporary file from w->size on, len bytes
 * (UINT64_MAX: to its end), into w->h, w->size counting them.
 */
static int hash_from(struct mlreg_object_writer *w, uint64_t len)
{
	char *buf = xmalloc(CHUNK);
	uint64_t off = w->size;
	ssize_t n = 0;

	while (len > 0) {
		n = pread(w->fd, buf, len < CHUNK ? (size_t)len : CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		mlreg_sha256_update(&w->h, buf, (size_t)n);
		off += (uint64_t)n;
		if (len != UINT64_MAX)
			len -= (uint64_t)n;
	}
	free(buf);
	if (n < 0)
		return mlreg_error_os("cannot read '%s'", w->tmp);
	if (len != UINT64_MAX && len > 0)
		return mlreg_error_set(MLREG_EOS, "cannot read '%s': it is shorter than written",
				       w->tmp);
	w->size = off;
	return 0;
}

int mlreg_object_writer_absorb(struct mlreg_object_writer *w, uint64_t off, uint64_t len)
{
	int err;

	if (off != w->size)
		return mlreg_error_set(MLREG_ERROR, "bytes absorbed out of order");
	if ((err = hash_from(w, len)) == 0)
		sync_file_range(w->fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
	return err;
}

int mlreg_object_writer_commit(struct mlreg_object_writer *w, const char *hex, uint64_t size,
			       char *actual)
{
	int err = 0;

	if (w->scattered)
		err = hash_from(w, UINT64_MAX);
	mlreg_sha256_final_hex(&w->h, actual);
	/* Batched: the batch's first syncfs, before any name, makes it durable. */
	if (!err && !w->batched && fsync(w->fd) < 0)
		err = mlreg_error_os("cannot sync '%s'", w->tmp);
	if (close(w->fd) < 0 && !err)
		err = mlreg_error_os("cannot write '%s'", w->tmp);
	w->fd = -1;
	if (!err && (w->size != size || strcmp(actual, hex) != 0))
		err = mlreg_error_set(MLREG_ECORRUPT, "its bytes hash to %s (%llu bytes, expected "
				      "%llu)", actual, (unsigned long long)w->size,
				      (unsigned long long)size);
	if (!err && w->batched && !w->store->batch)	/* never named unsynced */
		err = mlreg_error_set(MLREG_ERROR, "object %s was written for a batch that "
				      "ended", hex);
	if (err)
		unlink(w->tmp);
	else if (w->batched)
		batch_add(w->store, w->file, w->tmp, hex);
	else
		err = install(w->store, w->tmp, hex);
	free(w->tmp);
	w->tmp = NULL;
	return err;
}

void mlreg_object_writer_abort(struct mlreg_object_writer *w)
{
	char junk[MLREG_HEX_LEN + 1];

	if (w->fd < 0)
		return;
	mlreg_sha256_final_hex(&w->h, junk);
	close(w->fd);
	w->fd = -1;
	unlink(w->tmp);
	free(w->tmp);
	w->tmp = NULL;
}
