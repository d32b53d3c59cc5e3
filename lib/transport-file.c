/*
 * The file transport: a remote that is a directory (a shared filesystem, or
 * a test without a server), laid out exactly as a bucket would be, one file
 * per key.  Writes go to a temporary file in the key's directory, fsynced,
 * then renamed into place, or linked for a create-only put so an existing
 * key is never replaced: link(2) is the conditional write S3 servers offer
 * with If-None-Match.  Operations run one after the other, in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "transport.h"
#include "util.h"

#define CHUNK (1u << 20)
#define TMP_PREFIX ".mlreg-tmp-"

struct file_tr {
	struct mlreg_transport base;
	char *root;			/* the remote's directory */
	struct mlreg_op *head, *tail;	/* queued operations */
};

/* Returns the path of key below the root, malloc'd. */
static char *key_path(struct file_tr *f, const char *key)
{
	return xasprintf("%s/%s", f->root, key);
}

static void submit(struct mlreg_transport *t, struct mlreg_op *op)
{
	struct file_tr *f = (struct file_tr *)t;

	op->next = NULL;
	if (f->tail)
		f->tail->next = op;
	else
		f->head = op;
	f->tail = op;
}

static void progress(struct file_tr *f, uint64_t up, uint64_t down)
{
	f->base.stats.bytes_up += up;
	f->base.stats.bytes_down += down;
	if (f->base.opts.progress)
		f->base.opts.progress(f->base.opts.ctx, up, down);
}

struct keys {
	char **v;
	size_t n, alloc;
	int *is_prefix;
};

static void keys_add(struct keys *k, char *key, int is_prefix)
{
	if (k->n == k->alloc) {
		k->alloc = k->alloc ? 2 * k->alloc : 64;
		k->v = xrealloc(k->v, k->alloc * sizeof(*k->v));
		k->is_prefix = xrealloc(k->is_prefix, k->alloc * sizeof(*k->is_prefix));
	}
	k->v[k->n] = key;
	k->is_prefix[k->n++] = is_prefix;
}

/* Adds the keys below directory rel ("" or ending in '/') that start with rel+leaf. */
static int walk(struct file_tr *f, const char *rel, const char *leaf, int recurse,
		struct keys *k)
{
	char *dir = xasprintf("%s/%s", f->root, rel);
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d) {
		err = errno == ENOENT || errno == ENOTDIR ? 0 :
			mlreg_error_os("cannot read '%s'", dir);
		free(dir);
		return err;
	}
	while (!err && (de = readdir(d)) != NULL) {
		struct stat st;
		char *sub;

		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..") ||
					     !strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))))
			continue;
		if (strncmp(de->d_name, leaf, strlen(leaf)) != 0)
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(sub, &st) < 0) {
			free(sub);
			continue;
		}
		free(sub);
		if (S_ISDIR(st.st_mode)) {
			char *below = xasprintf("%s%s/", rel, de->d_name);
			if (recurse) {
				err = walk(f, below, "", 1, k);
				free(below);
			} else {
				keys_add(k, below, 1);
			}
		} else if (S_ISREG(st.st_mode)) {
			keys_add(k, xasprintf("%s%s", rel, de->d_name), 0);
		}
	}
	closedir(d);
	free(dir);
	return err;
}

/*
 * Writes into etag (33 bytes) what S3 lists as a small object's ETag, the
 * MD5 of its bytes, for files under ETAG_MAX; "" for larger ones.  So a
 * listing tells record contents apart here as it does from S3.
 */
#define ETAG_MAX (1u << 20)
static void small_etag(const char *path, const struct stat *st, char *etag)
{
	char *buf;
	size_t len;

	etag[0] = '\0';
	if (!S_ISREG(st->st_mode) || st->st_size >= ETAG_MAX ||
	    mlreg_fs_read_file(&buf, &len, path, ETAG_MAX, path) < 0) {
		mlreg_error_clear();
		return;
	}
	mlreg_md5_hex(buf, len, etag);
	free(buf);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_list(struct file_tr *f, struct mlreg_op *op)
{
	struct keys k = { 0 };
	const char *slash = strrchr(op->key, '/');
	char *rel = slash ? xstrndup(op->key, (size_t)(slash - op->key + 1)) : xstrdup("");
	const char *leaf = slash ? slash + 1 : op->key;
	int err = walk(f, rel, leaf, op->delim == NULL, &k);
	size_t i;

	free(rel);
	if (err < 0) {
		mlreg_op_fail(op, err, "remote '%s': %s", f->base.remote->name,
			      mlreg_error_message());
		goto done;
	}
	/* Sorted as S3 lists; prefixes carry their '/' so they sort among keys. */
	{
		char **sorted = xcalloc(k.n + 1, sizeof(*sorted));
		for (i = 0; i < k.n; i++)
			sorted[i] = k.v[i];
		qsort(sorted, k.n, sizeof(*sorted), cmp_keys);
		for (i = 0; i < k.n && !err; i++) {
			struct mlreg_key key = { sorted[i], 0, "", 0 };
			struct stat st;
			char *p = key_path(f, sorted[i]), etag[33] = "";
			size_t len = strlen(sorted[i]);
			key.is_prefix = len > 0 && sorted[i][len - 1] == '/';
			if (!key.is_prefix && stat(p, &st) == 0) {
				key.size = (uint64_t)st.st_size;
				small_etag(p, &st, etag);
				key.etag = etag;
			}
			free(p);
			err = op->each ? op->each(op->ctx, &key) : 0;
		}
		free(sorted);
	}
	if (err < 0)
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
done:
	for (i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	free(k.is_prefix);
}

/* Fails op for a failed system call on path (ENOENT: no such key). */
static void fail_os(struct file_tr *f, struct mlreg_op *op, const char *what, const char *path)
{
	int e = errno;

	if (e == ENOENT || e == ENOTDIR)
		mlreg_op_fail(op, MLREG_ENOTFOUND, "remote '%s': no such key '%s'",
			      f->base.remote->name, op->rel);
	else
		mlreg_op_fail(op, MLREG_EOS, "remote '%s': cannot %s '%s': %s",
			      f->base.remote->name, what, path, strerror(e));
}

static void do_get(struct file_tr *f, struct mlreg_op *op, int to_buf)
{
	char *path = key_path(f, op->key), *buf = NULL;
	struct stat st;
	uint64_t off = to_buf ? 0 : op->off, left, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0 && !S_ISREG(st.st_mode))
			errno = ENOENT;
		fail_os(f, op, "read", path);
		goto done;
	}
	if (to_buf && (uint64_t)st.st_size > op->max) {
		mlreg_op_fail(op, MLREG_EINVALID, "remote '%s': '%s' is larger than %zu bytes",
			      f->base.remote->name, op->rel, op->max);
		goto done;
	}
	if (off > (uint64_t)st.st_size) {
		mlreg_op_fail(op, MLREG_ECORRUPT, "remote '%s': '%s' has %lld bytes, fewer than "
			      "the %llu expected", f->base.remote->name, op->rel,
			      (long long)st.st_size, (unsigned long long)off);
		goto done;
	}
	left = (uint64_t)st.st_size - off;
	if (!to_buf && op->len != UINT64_MAX) {
		if (op->len > left) {
			mlreg_op_fail(op, MLREG_ECORRUPT, "remote '%s': '%s' has %lld bytes, fewer "
				      "than the %llu expected", f->base.remote->name, op->rel,
				      (long long)st.st_size,
				      (unsigned long long)(off + op->len));
			goto done;
		}
		left = op->len;
	}
	buf = xmalloc(to_buf ? left + 1 : CHUNK);
	while (left > 0) {
		size_t want = to_buf ? (size_t)left : (left < CHUNK ? (size_t)left : CHUNK);
		ssize_t n = pread(fd, to_buf ? buf + got : buf, want, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			fail_os(f, op, "read", path);
			goto done;
		}
		progress(f, 0, (uint64_t)n);
		if (!to_buf && (err = op->sink.write(op->sink.ctx, buf, (size_t)n)) < 0) {
			mlreg_op_fail(op, err, "%s", mlreg_error_message());
			goto done;
		}
		got += (uint64_t)n;
		left -= (uint64_t)n;
	}
	if (to_buf) {
		buf[got] = '\0';
		mlreg_op_finish(op, &(struct mlreg_result){ .body = buf, .len = (size_t)got,
							    .size = got, .etag = "" });
	} else {
		mlreg_op_finish(op, &(struct mlreg_result){ .size = got, .etag = "" });
	}
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
}

static void do_head(struct file_tr *f, struct mlreg_op *op)
{
	char *path = key_path(f, op->key);
	struct stat st;

	int rc = lstat(path, &st);

	if (rc < 0 || !S_ISREG(st.st_mode)) {
		if (rc == 0)
			errno = ENOENT;	/* a directory is no object */
		fail_os(f, op, "stat", path);
	} else {
		mlreg_op_finish(op, &(struct mlreg_result){ .size = (uint64_t)st.st_size,
							    .etag = "" });
	}
	free(path);
}

/* Returns an fd on a new temporary file beside path (its name in *tmp), or -1. */
static int open_tmp(const char *path, char **tmp)
{
	const char *slash = strrchr(path, '/');
	char *dir = xstrndup(path, (size_t)(slash - path));
	int fd;

	*tmp = xasprintf("%s/" TMP_PREFIX "XXXXXX", dir);
	if (mlreg_fs_mkdirs(dir, 0755) < 0) {
		free(dir);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	free(dir);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		mlreg_error_os("cannot create a file beside '%s'", path);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	fchmod(fd, 0444);
	return fd;
}

/*
 * Returns 0 after moving the complete temporary file tmp to path: renamed
 * over it, or (if_absent) linked, MLREG_EEXISTS when path exists.
 */
static int install(const char *tmp, const char *path, int if_absent)
{
	int err = 0;

	if (if_absent) {
		if (link(tmp, path) < 0)
			err = errno == EEXIST ? MLREG_EEXISTS : mlreg_error_os("cannot write '%s'", path);
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		err = mlreg_error_os("cannot write '%s'", path);
		unlink(tmp);
	}
	if (!err)
		err = mlreg_fs_fsync_parent(path);
	return err;
}

/* Finishes a put: fsync and close fd, then install; reports on op. */
static void finish_put(struct file_tr *f, struct mlreg_op *op, int fd, char *tmp, char *path,
		       int err)
{
	if (!err && fsync(fd) < 0)
		err = mlreg_error_os("cannot write '%s'", path);
	if (close(fd) < 0 && !err)
		err = mlreg_error_os("cannot write '%s'", path);
	if (err)
		unlink(tmp);
	else
		err = install(tmp, path, op->flags & MLREG_TR_IF_ABSENT);
	if (err == MLREG_EEXISTS)
		mlreg_op_fail(op, err, "remote '%s': '%s' exists", f->base.remote->name, op->rel);
	else if (err)
		mlreg_op_fail(op, err, "remote '%s': %s", f->base.remote->name,
			      mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
	free(tmp);
	free(path);
}

static void do_put_buf(struct file_tr *f, struct mlreg_op *op)
{
	char *path = key_path(f, op->key), *tmp;
	int fd = open_tmp(path, &tmp);

	if (fd < 0) {
		mlreg_op_fail(op, MLREG_EOS, "remote '%s': %s", f->base.remote->name,
			      mlreg_error_message());
		free(path);
		return;
	}
	int err = mlreg_write_all(fd, op->buf, op->buflen, path);
	if (!err)
		progress(f, op->buflen, 0);
	finish_put(f, op, fd, tmp, path, err);
}

static void do_put(struct file_tr *f, struct mlreg_op *op)
{
	char *path = key_path(f, op->key), *tmp, *buf;
	struct mlreg_sha256 h;
	char actual[MLREG_HEX_LEN + 1];
	uint64_t total = 0;
	int fd, err = 0;

	if ((fd = open_tmp(path, &tmp)) < 0) {
		mlreg_op_fail(op, MLREG_EOS, "remote '%s': %s", f->base.remote->name,
			      mlreg_error_message());
		free(path);
		return;
	}
	buf = xmalloc(CHUNK);
	mlreg_sha256_init(&h);
	if (op->src->rewind)
		err = op->src->rewind(op->src->ctx);
	while (!err) {
		ssize_t n = op->src->read(op->src->ctx, buf, CHUNK);
		if (n < 0) {
			err = mlreg_error_code() ? mlreg_error_code() : MLREG_EOS;
			break;
		}
		if (n == 0)
			break;
		mlreg_sha256_update(&h, buf, (size_t)n);
		if ((err = mlreg_write_all(fd, buf, (size_t)n, path)) < 0)
			break;
		total += (uint64_t)n;
		progress(f, (uint64_t)n, 0);
	}
	mlreg_sha256_final_hex(&h, actual);
	free(buf);
	if (!err && (total != op->src->size || strcmp(actual, op->sha256)))
		err = mlreg_error_set(MLREG_ECORRUPT, "the bytes read for '%s' (%llu, SHA-256 %s) "
				      "are not those announced; nothing was written", op->rel,
				      (unsigned long long)total, actual);
	finish_put(f, op, fd, tmp, path, err);
}

/* Reads a local file for do_put_file(). */
struct file_src {
	int fd;
	const char *path;
};

static ssize_t file_read(void *ctx, void *buf, size_t len)
{
	struct file_src *s = ctx;
	ssize_t n = mlreg_read_retry(s->fd, buf, len);

	if (n < 0)
		mlreg_error_os("cannot read '%s'", s->path);
	return n;
}

static int file_rewind(void *ctx)
{
	struct file_src *s = ctx;

	if (lseek(s->fd, 0, SEEK_SET) < 0)
		return mlreg_error_os("cannot read '%s'", s->path);
	return 0;
}

static void do_put_file(struct file_tr *f, struct mlreg_op *op)
{
	struct file_src fs = { open(op->path, O_RDONLY | O_CLOEXEC), op->path };
	struct mlreg_source src = { op->size, file_read, file_rewind, &fs };

	if (fs.fd < 0) {
		mlreg_op_fail(op, MLREG_EOS, "cannot open '%s': %s", op->path, strerror(errno));
		return;
	}
	posix_fadvise(fs.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	op->src = &src;
	do_put(f, op);	/* finishes (frees) op */
	close(fs.fd);
}

static void do_delete(struct file_tr *f, struct mlreg_op *op)
{
	char *path = key_path(f, op->key);

	if (unlink(path) < 0 && errno != ENOENT)
		fail_os(f, op, "delete", path);
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
	free(path);
}

static int run(struct mlreg_transport *t)
{
	struct file_tr *f = (struct file_tr *)t;
	struct mlreg_op *op;

	while ((op = f->head) != NULL) {
		f->head = op->next;
		if (!f->head)
			f->tail = NULL;
		t->stats.requests++;
		switch (op->kind) {
		case MLREG_OP_LIST: do_list(f, op); break;
		case MLREG_OP_GET_BUF: do_get(f, op, 1); break;
		case MLREG_OP_GET: do_get(f, op, 0); break;
		case MLREG_OP_HEAD: do_head(f, op); break;
		case MLREG_OP_PUT_BUF: do_put_buf(f, op); break;
		case MLREG_OP_PUT: do_put(f, op); break;
		case MLREG_OP_PUT_FILE: do_put_file(f, op); break;
		case MLREG_OP_DELETE: do_delete(f, op); break;
		}
	}
	return 0;
}

static void free_tr(struct mlreg_transport *t)
{
	struct file_tr *f = (struct file_tr *)t;

	while (f->head) {
		struct mlreg_op *op = f->head;
		f->head = op->next;
		op->done = NULL;
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
	}
	free(f->root);
	free(f);
}

static const struct mlreg_tr_vtable file_vt = { submit, run, free_tr };

int mlreg_tr_file_open(struct mlreg_transport **out, const struct mlreg_remote *r)
{
	struct file_tr *f;
	struct stat st;

	*out = NULL;
	int rc = stat(r->path, &st);

	if (rc < 0 && errno != ENOENT)
		return mlreg_error_os("remote '%s': cannot open directory '%s'", r->name, r->path);
	if (rc < 0 || !S_ISDIR(st.st_mode))
		return mlreg_error_set(MLREG_EREMOTE, "remote '%s': directory '%s' does not "
				       "exist (create it first, as a bucket)", r->name, r->path);
	f = xcalloc(1, sizeof(*f));
	f->base.vt = &file_vt;
	f->base.conditional = 1;
	f->root = xstrdup(r->path);
	*out = &f->base;
	return 0;
}
