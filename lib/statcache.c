/*
 * The stat cache (statcache.h; the file is store-format.md section 2.1):
 * one binary file, read whole with one read(2), checked (sizes, order,
 * SHA-256 trailer) and then searched in place by binary search over its
 * fixed-size entries; the entries a registration adds are kept in one
 * growing array and merged with the old ones, sorted, when the file is
 * written again (temporary file in tmp/, rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "statcache.h"
#include "util.h"

#define MAGIC "MLREGSC1"
#define HEAD_LEN 32	/* magic, version, entry size, count, strings length */
#define ENT_LEN 88	/* dev, ino, size, mtime, ctime, seen, path off/len, sha256 */
#define SUM_LEN 32	/* SHA-256 of everything before it */

/* An entry this registration recorded: its path is in keys at key_off. */
struct fresh {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;
	size_t key_off, key_len;
	const char *key;	/* set when saving: keys.p + key_off */
	unsigned char sha[32];
};

struct mlreg_statcache {
	char *path;			/* <store>/statcache */
	char *tmpdir;			/* <store>/tmp */
	int objfd;			/* <store>/objects, or -1 */
	unsigned char *buf;		/* the file as read; NULL when none or not valid */
	uint64_t n;			/* its entries */
	const unsigned char *ents;	/* buf + HEAD_LEN */
	const unsigned char *strs;	/* its paths */
	uint64_t strs_len;
	int64_t written;		/* its mtime, ns: entries not older are racy */
	unsigned char *hit;		/* n flags: seen by this registration */
	struct fresh *fv;		/* recorded by this registration */
	size_t nf, af;
	struct mlreg_buf keys;		/* their paths, back to back */
	struct mlreg_buf key;		/* scratch: the key being looked up */
	char *cwd;			/* for relative sources; NULL: they are not cached */
	int64_t now;			/* seconds, when opened */
	int dirty;			/* the file must be written */
};

/* Returns the little-endian 64-bit number at p. */
static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Returns the little-endian 32-bit number at p. */
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Stores v little-endian at p (8 bytes). */
static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* Stores v little-endian at p (4 bytes). */
static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Returns nanoseconds since the epoch of ts. */
static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Returns <0, 0, >0 as path a (length la) sorts before, with, after b (lb). */
static int keycmp(const void *a, size_t la, const void *b, size_t lb)
{
	int r = memcmp(a, b, la < lb ? la : lb);

	return r ? r : (la > lb) - (la < lb);
}

/*
 * Returns NULL when the len bytes of buf are a valid cache file (its entry
 * count in *n), else what is wrong with them.
 */
static const char *validate(const unsigned char *buf, size_t len, uint64_t *n)
{
	uint64_t count, slen, i;
	const unsigned char *ents = buf + HEAD_LEN, *prev = NULL;
	uint32_t prev_len = 0;
	unsigned char sum[32];
	char hex[MLREG_HEX_LEN + 1];

	if (len < HEAD_LEN + SUM_LEN || memcmp(buf, MAGIC, 8))
		return "not a stat cache (bad magic)";
	if (get32(buf + 8) != 1 || get32(buf + 12) != ENT_LEN)
		return "unknown version";
	count = get64(buf + 16);
	slen = get64(buf + 24);
	if (count > MLREG_STATCACHE_MAX_ENTRIES || slen > MLREG_STATCACHE_MAX_BYTES ||
	    HEAD_LEN + count * ENT_LEN + slen + SUM_LEN != len)
		return "truncated, or sizes that do not add up";
	mlreg_sha256_hex(buf, len - SUM_LEN, hex);
	if (mlreg_unhex64(sum, hex) < 0 || memcmp(sum, buf + len - SUM_LEN, SUM_LEN))
		return "checksum mismatch";
	for (i = 0; i < count; i++) {
		const unsigned char *e = ents + i * ENT_LEN;
		uint32_t off = get32(e + 48), l = get32(e + 52);
		const unsigned char *k = ents + count * ENT_LEN + off;

		if (!l || (uint64_t)off + l > slen)
			return "an entry's path lies outside the file";
		if (prev && keycmp(prev, prev_len, k, l) >= 0)
			return "entries out of order";
		prev = k;
		prev_len = l;
	}
	*n = count;
	return NULL;
}

/*
 * Returns the cache file read whole into a malloc'd buffer (*len bytes,
 * its mtime in *mtime), or NULL when missing, not a regular file, too
 * large or unreadable.
 */
static unsigned char *slurp(const char *path, size_t *len, int64_t *mtime)
{
	struct stat st;
	unsigned char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > MLREG_STATCACHE_MAX_BYTES) {
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	*mtime = ns_of(&st.st_mtim);
	return buf;
}

/* Returns 1 when the environment or the store's config turns the cache off. */
static int disabled(int *off, const struct mlreg_store *store)
{
	const char *env = getenv("MLREG_STATCACHE");
	int on = 1, err;

	*off = 0;
	if (env && (!strcmp(env, "0") || !strcasecmp(env, "false") || !strcasecmp(env, "no") ||
		    !strcasecmp(env, "off"))) {
		*off = 1;
		return 0;
	}
	if ((err = mlreg_store_config_bool(&on, store, "register.statCache", 1)) < 0)
		return err;
	*off = !on;
	return 0;
}

int mlreg_statcache_open(struct mlreg_statcache **out, const struct mlreg_store *store)
{
	struct mlreg_statcache *c;
	size_t len = 0;
	int off, err;
	char *objects;

	*out = NULL;
	if ((err = disabled(&off, store)) < 0)
		return err;
	if (off)
		return 0;
	c = xcalloc(1, sizeof(*c));
	c->path = mlreg_store_path(store, "statcache");
	c->tmpdir = mlreg_store_path(store, "tmp");
	objects = mlreg_store_path(store, "objects");
	c->objfd = open(objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(objects);
	c->cwd = getcwd(NULL, 0);
	c->now = (int64_t)time(NULL);
	c->buf = slurp(c->path, &len, &c->written);
	if (c->buf && validate(c->buf, len, &c->n) == NULL) {
		c->ents = c->buf + HEAD_LEN;
		c->strs = c->ents + c->n * ENT_LEN;
		c->strs_len = get64(c->buf + 24);
		c->hit = xcalloc(c->n ? c->n : 1, 1);
	} else {
		/* missing, or not to be trusted: as if empty, and rewritten */
		c->dirty = c->buf != NULL;
		free(c->buf);
		c->buf = NULL;
		c->n = 0;
	}
	*out = c;
	return 0;
}

/* Returns 0 after setting c->key to src made absolute; -1 when it cannot be. */
static int make_key(struct mlreg_statcache *c, const char *src)
{
	c->key.len = 0;
	if (src[0] != '/') {
		if (!c->cwd)
			return -1;
		mlreg_buf_addstr(&c->key, c->cwd);
		mlreg_buf_addch(&c->key, '/');
	}
	mlreg_buf_addstr(&c->key, src);
	return c->key.len > UINT32_MAX / 2 ? -1 : 0;
}

/* Returns the index of the old entry of path c->key, or -1. */
static int64_t find(const struct mlreg_statcache *c)
{
	uint64_t lo = 0, hi = c->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const unsigned char *e = c->ents + mid * ENT_LEN;
		int r = keycmp(c->strs + get32(e + 48), get32(e + 52), c->key.p, c->key.len);
		if (!r)
			return (int64_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int mlreg_statcache_lookup(struct mlreg_statcache *c, const char *src, const struct stat *st,
			   char *hex)
{
	const unsigned char *e;
	struct stat ost;
	char name[MLREG_HEX_LEN + 2];
	int64_t i, mt, ct;

	if (!c || !c->n || c->objfd < 0 || make_key(c, src) < 0 || (i = find(c)) < 0)
		return 0;
	e = c->ents + i * ENT_LEN;
	mt = (int64_t)get64(e + 24);
	ct = (int64_t)get64(e + 32);
	if (get64(e) != (uint64_t)st->st_dev || get64(e + 8) != (uint64_t)st->st_ino ||
	    get64(e + 16) != (uint64_t)st->st_size || mt != ns_of(&st->st_mtim) ||
	    ct != ns_of(&st->st_ctim))
		return 0;
	if (mt >= c->written || ct >= c->written)
		return 0;	/* racy: may have changed in the tick it was hashed in */
	mlreg_hex(hex, e + 56, 32);
	/* objects/XX/YYYY...: present, a regular file, of the size recorded */
	memcpy(name, hex, 2);
	name[2] = '/';
	memcpy(name + 3, hex + 2, MLREG_HEX_LEN - 2 + 1);
	if (fstatat(c->objfd, name, &ost, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(ost.st_mode) ||
	    (uint64_t)ost.st_size != (uint64_t)st->st_size)
		return 0;
	if ((int64_t)ost.st_mtime < c->now - 24 * 3600) {
		/* freshened as a reuse is (object.h), at most once a day */
		static const struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
		utimensat(c->objfd, name, now, AT_SYMLINK_NOFOLLOW);
	}
	c->hit[i] = 1;
	if ((int64_t)get64(e + 40) < c->now - 24 * 3600)
		c->dirty = 1;	/* mark it seen, at most once a day */
	return 1;
}

void mlreg_statcache_record(struct mlreg_statcache *c, const char *src, const struct stat *st,
			    const char *hex)
{
	struct fresh *f;

	if (!c || make_key(c, src) < 0)
		return;
	MLREG_ALLOC_GROW(c->fv, c->nf + 1, c->af);
	f = &c->fv[c->nf];
	if (mlreg_unhex64(f->sha, hex) < 0)
		return;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime = ns_of(&st->st_mtim);
	f->ctime = ns_of(&st->st_ctim);
	f->key_off = c->keys.len;
	f->key_len = c->key.len;
	mlreg_buf_add(&c->keys, c->key.p, c->key.len);
	c->nf++;
	c->dirty = 1;
}

/* qsort: fresh entries by path, then in the order recorded (the last one wins). */
static int cmp_fresh(const void *a, const void *b)
{
	const struct fresh *x = a, *y = b;
	int r = keycmp(x->key, x->key_len, y->key, y->key_len);

	return r ? r : (x->key_off > y->key_off) - (x->key_off < y->key_off);
}

/* qsort: numbers ascending. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Returns 1 when old entry i goes into the new file (not racy, not expired). */
static int keep_old(const struct mlreg_statcache *c, uint64_t i, int64_t cutoff)
{
	const unsigned char *e = c->ents + i * ENT_LEN;
	int64_t seen = (int64_t)get64(e + 40);

	if (c->hit[i])
		return 1;
	if ((int64_t)get64(e + 24) >= c->written || (int64_t)get64(e + 32) >= c->written)
		return 0;	/* racy: never verified, so never carried on */
	return seen > cutoff;
}

/* Appends one entry (fields as stored) to ents and its path to strs. */
static void emit(struct mlreg_buf *ents, struct mlreg_buf *strs, uint64_t dev, uint64_t ino,
		 uint64_t size, int64_t mt, int64_t ct, int64_t seen, const void *key,
		 size_t klen, const unsigned char *sha)
{
	unsigned char e[ENT_LEN];

	put64(e, dev);
	put64(e + 8, ino);
	put64(e + 16, size);
	put64(e + 24, (uint64_t)mt);
	put64(e + 32, (uint64_t)ct);
	put64(e + 40, (uint64_t)seen);
	put32(e + 48, (uint32_t)strs->len);
	put32(e + 52, (uint32_t)klen);
	memcpy(e + 56, sha, 32);
	mlreg_buf_add(ents, e, ENT_LEN);
	mlreg_buf_add(strs, key, klen);
}

/* Returns 0 after writing len bytes of buf to a new file in tmp/ renamed over c->path. */
static int replace(const struct mlreg_statcache *c, const void *buf, size_t len)
{
	/* tmp/obj-*: swept as a dead writer's once unlocked and 60 s old (object.h) */
	char *tmp = xasprintf("%s/obj-statcache-XXXXXX", c->tmpdir);
	const char *p = buf;
	int fd = mkstemp(tmp), err = 0;

	if (fd < 0) {
		err = mlreg_error_os("cannot write the stat cache in '%s'", c->tmpdir);
		free(tmp);
		return err;
	}
	flock(fd, LOCK_EX);	/* a live writer's: never swept (fs.h) */
	fchmod(fd, 0644);
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = mlreg_error_os("cannot write '%s'", tmp);
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	/* no fsync: a cache torn by a crash fails its checksum and is ignored */
	if (close(fd) < 0 && !err)
		err = mlreg_error_os("cannot write '%s'", tmp);
	if (!err && rename(tmp, c->path) < 0)
		err = mlreg_error_os("cannot rename '%s' to '%s'", tmp, c->path);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int mlreg_statcache_save(struct mlreg_statcache *c)
{
	struct mlreg_buf ents = MLREG_BUF_INIT, strs = MLREG_BUF_INIT;
	unsigned char head[HEAD_LEN], sum[32];
	char hex[MLREG_HEX_LEN + 1];
	int64_t cutoff;
	uint64_t i = 0, count = 0, kept = 0;
	size_t j = 0, k;
	int err;

	if (!c || !c->dirty)
		return 0;
	for (k = 0; k < c->nf; k++)
		c->fv[k].key = c->keys.p + c->fv[k].key_off;
	qsort(c->fv, c->nf, sizeof(*c->fv), cmp_fresh);
	/* the oldest entries beyond the cap, then those unseen for too long, go */
	cutoff = c->now - MLREG_STATCACHE_MAX_AGE;
	for (i = 0; i < c->n; i++)
		kept += keep_old(c, i, cutoff);
	if (kept + c->nf > MLREG_STATCACHE_MAX_ENTRIES) {
		int64_t *seen = xmalloc((size_t)(c->n ? c->n : 1) * sizeof(*seen));
		uint64_t ns = 0, excess = kept + c->nf - MLREG_STATCACHE_MAX_ENTRIES;
		for (i = 0; i < c->n; i++)
			if (!c->hit[i] && keep_old(c, i, cutoff))
				seen[ns++] = (int64_t)get64(c->ents + i * ENT_LEN + 40);
		qsort(seen, (size_t)ns, sizeof(*seen), cmp_i64);
		if (ns)
			cutoff = seen[excess < ns ? excess - 1 : ns - 1];
		free(seen);
	}
	/* merge the old (sorted) and the fresh (sorted now): a fresh one wins */
	i = 0;
	while (i < c->n || j < c->nf) {
		const unsigned char *e = i < c->n ? c->ents + i * ENT_LEN : NULL;
		const struct fresh *f = j < c->nf ? &c->fv[j] : NULL;
		int r;

		if (e && f)
			r = keycmp(c->strs + get32(e + 48), get32(e + 52), f->key, f->key_len);
		else
			r = e ? -1 : 1;
		if (f && j + 1 < c->nf &&
		    !keycmp(f->key, f->key_len, c->fv[j + 1].key, c->fv[j + 1].key_len)) {
			j++;	/* recorded twice: the later one */
			continue;
		}
		if (r <= 0 && e) {
			if (r < 0 && keep_old(c, i, cutoff) && count < MLREG_STATCACHE_MAX_ENTRIES) {
				emit(&ents, &strs, get64(e), get64(e + 8), get64(e + 16),
				     (int64_t)get64(e + 24), (int64_t)get64(e + 32),
				     c->hit[i] ? c->now : (int64_t)get64(e + 40),
				     c->strs + get32(e + 48), get32(e + 52), e + 56);
				count++;
			}
			i++;
			if (r < 0)
				continue;
		}
		if (count < MLREG_STATCACHE_MAX_ENTRIES) {
			emit(&ents, &strs, f->dev, f->ino, f->size, f->mtime, f->ctime, c->now,
			     f->key, f->key_len, f->sha);
			count++;
		}
		j++;
	}
	if (HEAD_LEN + ents.len + strs.len + SUM_LEN > MLREG_STATCACHE_MAX_BYTES) {
		err = 0;	/* too large to keep: the old file stays as it is */
		goto done;
	}
	memcpy(head, MAGIC, 8);
	put32(head + 8, 1);
	put32(head + 12, ENT_LEN);
	put64(head + 16, count);
	put64(head + 24, strs.len);
	{
		/* one buffer: head, entries, paths, then the checksum of all that */
		struct mlreg_buf out = MLREG_BUF_INIT;
		mlreg_buf_add(&out, head, HEAD_LEN);
		if (ents.len)
			mlreg_buf_add(&out, ents.p, ents.len);
		if (strs.len)
			mlreg_buf_add(&out, strs.p, strs.len);
		mlreg_sha256_hex(out.p, out.len, hex);
		(void)mlreg_unhex64(sum, hex);
		mlreg_buf_add(&out, sum, SUM_LEN);
		err = replace(c, out.p, out.len);
		mlreg_buf_release(&out);
	}
	if (!err)
		c->dirty = 0;
done:
	mlreg_buf_release(&ents);
	mlreg_buf_release(&strs);
	return err;
}

void mlreg_statcache_free(struct mlreg_statcache *c)
{
	if (!c)
		return;
	if (c->objfd >= 0)
		close(c->objfd);
	free(c->path);
	free(c->tmpdir);
	free(c->buf);
	free(c->hit);
	free(c->fv);
	free(c->cwd);
	mlreg_buf_release(&c->keys);
	mlreg_buf_release(&c->key);
	free(c);
}

int mlreg_statcache_check(const struct mlreg_store *store, uint64_t *entries)
{
	char *path = mlreg_store_path(store, "statcache");
	size_t len = 0;
	int64_t mtime;
	unsigned char *buf;
	const char *why;
	struct stat st;
	int err = 0;

	*entries = 0;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	buf = slurp(path, &len, &mtime);
	if (!buf)
		why = "not a regular file that can be read";
	else
		why = validate(buf, len, entries);
	if (why)
		err = mlreg_error_set(MLREG_ECORRUPT, "stat cache '%s': %s", path, why);
	free(buf);
	free(path);
	return err;
}
