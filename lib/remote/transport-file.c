/*
 * The file transport: a remote that is a directory (a shared filesystem, or
 * a test without a server), laid out exactly as a bucket would be, one file
 * per key.  Writes go to a temporary file in the key's directory, fsynced,
 * then renamed into place, or linked for a create-only put so an existing
 * key is never replaced: link(2) is the conditional write S3 servers offer
 * with If-None-Match.  Operations run one after the other, in order.
 *
 * Threat: whoever can write to the directory can plant symbolic links in
 * it (models/NAME, packs, objects/XX, a key itself) to make mlreg read or
 * write elsewhere.  So every key is opened from a descriptor on the
 * remote's root, one component at a time, with O_NOFOLLOW (O_DIRECTORY for
 * directories), and written, linked, renamed and removed relative to its
 * directory's descriptor (openat, linkat, renameat, unlinkat), as checkout
 * does in its target: a link anywhere below the root fails the operation
 * with one line naming it, and nothing is ever followed.  Only the root
 * itself, the path the user configured, may be reached through a link.
 * Special files (a FIFO planted as a key) are never opened blocking.
 *
 * Temporary files (.mlreg-tmp-*, never listed) are held with flock(2)
 * while written; mlreg_tr_tidy() removes those of writers that died (not
 * locked, unchanged for TMP_GRACE_S).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "error.h"
#include "fs.h"
#include "transport-int.h"
#include "util.h"

#define CHUNK (1u << 20)
#define TMP_PREFIX ".mlreg-tmp-"
#define TMP_GRACE_S 3600	/* a temporary file unchanged this long, unlocked, is a leftover */
#define MAX_DEPTH 8		/* the layout nests 3 deep: nothing deeper is listed */

struct file_tr {
	struct mlreg_transport base;
	int rootfd;			/* open on it: every key is opened from here */
	struct mlreg_op *head, *tail;	/* queued operations */
};

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

/*
 * Paths below the root, opened without following links.
 */

/* Returns MLREG_ECORRUPT, saying that the first len bytes of key name a link. */
static int link_error(struct file_tr *f, const char *what, const char *key, size_t len)
{
	return mlreg_error_set(MLREG_ECORRUPT, "remote '%s': cannot %s '%s': '%.*s' is a "
			       "symbolic link, and mlreg follows no link inside a remote",
			       f->base.remote->name, what, key, (int)len, key);
}

/* Returns MLREG_ENOTFOUND for key. */
static int not_found(struct file_tr *f, const char *key)
{
	return mlreg_error_set(MLREG_ENOTFOUND, "remote '%s': no such key '%s'",
			       f->base.remote->name, key);
}

/* Returns MLREG_EOS for a failed system call (errno) on key. */
static int os_error(struct file_tr *f, const char *what, const char *key)
{
	int e = errno;

	return mlreg_error_set(MLREG_EOS, "remote '%s': cannot %s '%s': %s",
			       f->base.remote->name, what, key, strerror(e));
}

/*
 * Returns a descriptor on the directory made of the first len bytes of key
 * ('/'-separated components below the root; len 0: the root), each
 * component opened with O_NOFOLLOW and, when create is set, made when
 * missing.  Otherwise a negative error, set: MLREG_ECORRUPT for a link
 * (naming it), MLREG_ENOTFOUND for a missing component or one that is not
 * a directory when reading, MLREG_EOS else.  what is the verb of messages.
 */
static int open_dir(struct file_tr *f, const char *key, size_t len, int create,
		    const char *what)
{
	size_t pos = 0;
	int fd = dup(f->rootfd);

	if (fd < 0)
		return os_error(f, what, key);
	while (pos < len) {
		size_t end = pos;
		char *seg;
		int next, tries = 0;

		while (end < len && key[end] != '/')
			end++;
		seg = xstrndup(key + pos, end - pos);
		for (;;) {
			struct stat st;
			next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0)
				break;
			if (errno == ENOENT && create && tries++ < 2) {
				if (mkdirat(fd, seg, 0755) == 0 || errno == EEXIST)
					continue;
				next = os_error(f, what, key);
			} else if (errno == ENOENT) {
				next = not_found(f, key);
			} else if ((errno == ELOOP || errno == ENOTDIR) &&
				   fstatat(fd, seg, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				if (S_ISLNK(st.st_mode))
					next = link_error(f, what, key, end);
				else if (!create)
					next = not_found(f, key);
				else
					next = mlreg_error_set(MLREG_EOS, "remote '%s': cannot %s '%s': "
							       "'%.*s' is not a directory",
							       f->base.remote->name, what, key,
							       (int)end, key);
			} else {
				next = os_error(f, what, key);
			}
			break;
		}
		free(seg);
		close(fd);
		if (next < 0)
			return next;
		fd = next;
		pos = end + (end < len);
	}
	return fd;
}

/* Returns the descriptor of the directory holding key (see open_dir), *base its last component. */
static int open_parent(struct file_tr *f, const char *key, int create, const char *what,
		       const char **base)
{
	const char *slash = strrchr(key, '/');

	*base = slash ? slash + 1 : key;
	return open_dir(f, key, slash ? (size_t)(slash - key) : 0, create, what);
}

/*
 * Listing.
 */

struct lkey {
	char *key;
	uint64_t size;
	char etag[33];
	int is_prefix;
};

struct keys {
	struct lkey *v;
	size_t n, alloc;
};

static struct lkey *keys_add(struct keys *k, char *key, int is_prefix)
{
	MLREG_ALLOC_GROW(k->v, k->n + 1, k->alloc);
	memset(&k->v[k->n], 0, sizeof(k->v[k->n]));
	k->v[k->n].key = key;
	k->v[k->n].is_prefix = is_prefix;
	return &k->v[k->n++];
}

/*
 * Writes into etag (33 bytes) what S3 lists as a small object's ETag, the
 * MD5 of its bytes, for files under ETAG_MAX; "" for larger ones.  So a
 * listing tells record contents apart here as it does from S3.
 */
#define ETAG_MAX (1u << 20)
static void small_etag(int dirfd, const char *name, const struct stat *st, char *etag)
{
	char *buf;
	size_t got = 0;
	int fd;

	etag[0] = '\0';
	if (st->st_size >= ETAG_MAX)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	buf = xmalloc(ETAG_MAX);
	for (;;) {
		ssize_t n = mlreg_read_retry(fd, buf + got, ETAG_MAX - got);
		if (n <= 0) {
			if (n == 0)
				mlreg_md5_hex(buf, got, etag);
			break;
		}
		got += (size_t)n;
		if (got == ETAG_MAX)
			break;	/* grew meanwhile: no ETag */
	}
	close(fd);
	free(buf);
}

/*
 * Returns 0 after adding the keys below the directory dfd (which is key
 * prefix rel, "" or ending in '/') whose names start with leaf; recursing,
 * or reporting directories as prefixes.  Takes dfd.  A link fails it.
 */
static int walk(struct file_tr *f, int dfd, const char *rel, const char *leaf, int recurse,
		int depth, const char *listed, struct keys *k)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int err = 0;

	if (!d) {
		err = os_error(f, "list", listed);
		close(dfd);
		return err;
	}
	while (!err && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		struct stat st;
		char *key;

		if (name[0] == '.' && (!name[1] || !strcmp(name, "..") ||
				       !strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX))))
			continue;
		if (strncmp(name, leaf, strlen(leaf)) != 0)
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)	/* gone meanwhile: not listed */
				err = os_error(f, "list", listed);
			continue;
		}
		key = xasprintf("%s%s", rel, name);
		if (S_ISLNK(st.st_mode)) {
			err = mlreg_error_set(MLREG_ECORRUPT, "remote '%s': cannot list '%s': '%s' is "
					      "a symbolic link, and mlreg follows no link inside a "
					      "remote", f->base.remote->name, listed, key);
			free(key);
		} else if (S_ISDIR(st.st_mode) && !recurse) {
			keys_add(k, xasprintf("%s/", key), 1);
			free(key);
		} else if (S_ISDIR(st.st_mode)) {
			char *below = xasprintf("%s/", key);
			int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
			if (sub < 0 && errno == ENOENT)
				;	/* gone meanwhile */
			else if (sub < 0 && (errno == ELOOP || errno == ENOTDIR))
				err = mlreg_error_set(MLREG_ECORRUPT, "remote '%s': cannot list '%s': "
						      "'%s' is a symbolic link, and mlreg follows no "
						      "link inside a remote", f->base.remote->name,
						      listed, key);
			else if (sub < 0)
				err = os_error(f, "list", listed);
			else if (depth >= MAX_DEPTH)
				close(sub);	/* deeper than any key of the layout */
			else
				err = walk(f, sub, below, "", 1, depth + 1, listed, k);
			free(below);
			free(key);
		} else if (S_ISREG(st.st_mode)) {
			struct lkey *lk = keys_add(k, key, 0);
			lk->size = (uint64_t)st.st_size;
			small_etag(dirfd(d), name, &st, lk->etag);
		} else {
			free(key);	/* a FIFO, a device...: no key */
		}
	}
	closedir(d);
	return err;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(((const struct lkey *)a)->key, ((const struct lkey *)b)->key);
}

static void do_list(struct file_tr *f, struct mlreg_op *op)
{
	struct keys k = { 0 };
	const char *slash = strrchr(op->key, '/');
	size_t dirlen = slash ? (size_t)(slash - op->key) : 0;
	char *rel = slash ? xstrndup(op->key, dirlen + 1) : xstrdup("");
	const char *leaf = slash ? slash + 1 : op->key;
	int err = 0, dfd = open_dir(f, op->key, dirlen, 0, "list");
	size_t i;

	if (dfd == MLREG_ENOTFOUND)
		mlreg_error_clear();	/* nothing there: an empty listing */
	else if (dfd < 0)
		err = dfd;
	else
		err = walk(f, dfd, rel, leaf, op->delim == NULL, 0, op->key, &k);
	free(rel);
	/* Sorted as S3 lists; prefixes carry their '/' so they sort among keys. */
	if (k.n)
		qsort(k.v, k.n, sizeof(*k.v), cmp_keys);
	for (i = 0; i < k.n && !err; i++) {
		struct mlreg_key key = { k.v[i].key, k.v[i].size, k.v[i].etag, k.v[i].is_prefix };
		err = op->each ? op->each(op->ctx, &key) : 0;
	}
	if (err < 0)
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
	for (i = 0; i < k.n; i++)
		free(k.v[i].key);
	free(k.v);
}

/*
 * Reading.
 */

/* Returns an fd on the regular file at key, opened without following a link, or an error. */
static int open_key(struct file_tr *f, const char *key, struct stat *st)
{
	const char *base;
	int pfd = open_parent(f, key, 0, "read", &base), fd;

	if (pfd < 0)
		return pfd;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		fd = link_error(f, "read", key, strlen(key));
	else if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ENXIO))
		fd = not_found(f, key);
	else if (fd < 0)
		fd = os_error(f, "read", key);
	else if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		int err = S_ISREG(st->st_mode) ? os_error(f, "read", key) : not_found(f, key);
		close(fd);
		fd = err;
	}
	close(pfd);
	return fd;
}

static void do_get(struct file_tr *f, struct mlreg_op *op, int to_buf)
{
	char *buf = NULL;
	struct stat st = { 0 };
	uint64_t off = to_buf ? 0 : op->off, left, got = 0;
	int fd = open_key(f, op->key, &st), err = 0;

	if (fd < 0) {
		mlreg_op_fail(op, fd, "%s", mlreg_error_message());
		return;
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
			mlreg_op_fail(op, os_error(f, "read", op->rel), "%s", mlreg_error_message());
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
	close(fd);
	free(buf);
}

static void do_head(struct file_tr *f, struct mlreg_op *op)
{
	const char *base;
	struct stat st;
	int pfd = open_parent(f, op->key, 0, "read", &base), err = 0;

	if (pfd >= 0) {
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			err = errno == ENOENT ? not_found(f, op->key) : os_error(f, "read", op->key);
		else if (S_ISLNK(st.st_mode))
			err = link_error(f, "read", op->key, strlen(op->key));
		else if (!S_ISREG(st.st_mode))
			err = not_found(f, op->key);	/* a directory is no object */
		close(pfd);
	} else {
		err = pfd;
	}
	if (err < 0)
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .size = (uint64_t)st.st_size,
							    .etag = "" });
}

/*
 * Writing.
 */

/* A put in progress: the key's directory and a temporary file in it. */
struct put {
	int pfd;		/* the key's directory */
	const char *base;	/* the key's last component */
	char tmp[64];		/* the temporary file's name in pfd */
	int fd;			/* open on it, locked */
};

/* Returns 0 after creating the key's directories and a locked temporary file there. */
static int put_open(struct file_tr *f, struct mlreg_op *op, struct put *p)
{
	p->fd = -1;
	p->pfd = open_parent(f, op->key, 1, "write", &p->base);
	if (p->pfd < 0)
		return p->pfd;
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[8];
		char hex[17];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			break;
		mlreg_hex(hex, rnd, sizeof(rnd));
		snprintf(p->tmp, sizeof(p->tmp), TMP_PREFIX "%s", hex);
		p->fd = openat(p->pfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			       0444);
		if (p->fd >= 0 || errno != EEXIST)
			break;
	}
	if (p->fd < 0) {
		int err = os_error(f, "write", op->key);
		close(p->pfd);
		p->pfd = -1;
		return err;
	}
	/* Held until it is renamed or removed: see mlreg_tr_tidy(). */
	flock(p->fd, LOCK_EX | LOCK_NB);
	return 0;
}

/*
 * Returns 0 after moving the complete temporary file to the key: renamed
 * over it, or (if_absent) linked, MLREG_EEXISTS when the key exists.  A
 * link or a directory at the key is never replaced.
 */
static int install(struct file_tr *f, struct mlreg_op *op, struct put *p, int if_absent)
{
	struct stat st;

	if (if_absent) {
		if (linkat(p->pfd, p->tmp, p->pfd, p->base, 0) < 0)
			return errno == EEXIST ? MLREG_EEXISTS : os_error(f, "write", op->key);
		unlinkat(p->pfd, p->tmp, 0);
	} else {
		if (fstatat(p->pfd, p->base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return link_error(f, "write", op->key, strlen(op->key));
		if (renameat(p->pfd, p->tmp, p->pfd, p->base) < 0)
			return os_error(f, "write", op->key);
	}
	if (fsync(p->pfd) < 0 && errno != EINVAL)
		return os_error(f, "write", op->key);
	return 0;
}

/* Finishes a put (err: how the writing went): fsync, install, report on op. */
static void put_finish(struct file_tr *f, struct mlreg_op *op, struct put *p, int err)
{
	if (!err && fsync(p->fd) < 0)
		err = os_error(f, "write", op->key);
	if (!err)
		err = install(f, op, p, op->flags & MLREG_TR_IF_ABSENT);
	if (err)
		unlinkat(p->pfd, p->tmp, 0);
	if (close(p->fd) < 0 && !err)
		err = os_error(f, "write", op->key);
	close(p->pfd);
	if (err == MLREG_EEXISTS)
		mlreg_op_fail(op, err, "remote '%s': '%s' exists", f->base.remote->name, op->rel);
	else if (err)
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
}

static void do_put_buf(struct file_tr *f, struct mlreg_op *op)
{
	struct put p;
	int err = put_open(f, op, &p);

	if (err < 0) {
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
		return;
	}
	if (mlreg_write_all(p.fd, op->buf, op->buflen, op->key) < 0)
		err = os_error(f, "write", op->key);
	else
		progress(f, op->buflen, 0);
	put_finish(f, op, &p, err);
}

static void do_put(struct file_tr *f, struct mlreg_op *op)
{
	struct mlreg_sha256 h;
	char actual[MLREG_HEX_LEN + 1], *buf;
	uint64_t total = 0;
	struct put p;
	int err = put_open(f, op, &p);

	if (err < 0) {
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
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
		if (mlreg_write_all(p.fd, buf, (size_t)n, op->key) < 0) {
			err = os_error(f, "write", op->key);
			break;
		}
		total += (uint64_t)n;
		progress(f, (uint64_t)n, 0);
	}
	mlreg_sha256_final_hex(&h, actual);
	free(buf);
	if (!err && (total != op->src->size || strcmp(actual, op->sha256)))
		err = mlreg_error_set(MLREG_ECORRUPT, "the bytes read for '%s' (%llu, SHA-256 %s) "
				      "are not those announced; nothing was written", op->rel,
				      (unsigned long long)total, actual);
	put_finish(f, op, &p, err);
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
	const char *base;
	int pfd = open_parent(f, op->key, 0, "delete", &base), err = 0;

	if (pfd >= 0) {
		/* unlinkat(2) removes a link itself, never what it names. */
		if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT)
			err = os_error(f, "delete", op->key);
		close(pfd);
	} else if (pfd != MLREG_ENOTFOUND) {
		err = pfd;
	}
	if (err < 0)
		mlreg_op_fail(op, err, "%s", mlreg_error_message());
	else
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
}

/*
 * Returns how many temporary files of dead writers were removed below the
 * directory dfd (taken), depth levels down, never entering a link.
 */
static uint64_t tidy_dir(int dfd, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	uint64_t removed = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			removed += mlreg_fs_remove_stale(dirfd(d), de->d_name, TMP_GRACE_S);
			continue;
		}
		if (depth >= MAX_DEPTH || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			removed += tidy_dir(sub, depth + 1);
	}
	closedir(d);
	return removed;
}

static void do_tidy(struct file_tr *f, struct mlreg_op *op)
{
	int fd = dup(f->rootfd);
	uint64_t removed = fd >= 0 ? tidy_dir(fd, 0) : 0;

	mlreg_op_finish(op, &(struct mlreg_result){ .size = removed, .etag = "" });
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
		case MLREG_OP_TIDY: do_tidy(f, op); break;
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
	if (f->rootfd >= 0)
		close(f->rootfd);
	free(f);
}

static const struct mlreg_tr_vtable file_vt = { submit, run, free_tr };

int mlreg_tr_file_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		       const struct mlreg_tr_opts *o)
{
	struct file_tr *f;
	int fd;

	*out = NULL;
	/* The configured path itself may be a link: the user chose it. */
	fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
		return mlreg_error_os("remote '%s': cannot open directory '%s'", r->name, r->path);
	if (fd < 0)
		return mlreg_error_set(MLREG_EREMOTE, "remote '%s': directory '%s' does not "
				       "exist (create it first, as a bucket)", r->name, r->path);
	f = xcalloc(1, sizeof(*f));
	f->base.vt = &file_vt;
	f->base.conditional = 1;
	f->rootfd = fd;
	*out = &f->base;
	return 0;
}
