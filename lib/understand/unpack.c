/*
 * Unpacking an artifact archive for checking (see unpack.h): zip members
 * through zip.c, tar.gz as a stream read here, block by block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "inspect/inspect.h"
#include "registry.h"
#include "unpack.h"
#include "util.h"
#include "inspect/zip.h"

#define CHUNK 65536		/* compressed bytes read at a time */
#define MAX_MEMBERS 100000	/* members unpacked, as zip.h's cap */
#define MAX_LONGNAME 4096	/* a GNU long name's bytes */
#define MAX_PAX (1u << 20)	/* a pax header's bytes */

/* Returns 0 after adding path (its content in src) to e; MLREG_EINVALID for a duplicate. */
static int add(struct mlreg_entries *e, const char *path, char *src, const char *what)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].path, path)) {
			free(src);
			return mlreg_error_set(MLREG_EINVALID, "'%s': member '%s' appears twice",
					       what, path);
		}
	if (e->n == e->alloc) {
		e->alloc = e->alloc ? 2 * e->alloc : 64;
		e->v = xrealloc(e->v, e->alloc * sizeof(*e->v));
	}
	e->v[e->n].path = xstrdup(path);
	e->v[e->n].src = src;
	e->v[e->n].exec = 0;
	e->n++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mlreg_entry *)a)->path, ((const struct mlreg_entry *)b)->path);
}

/*
 * Returns the name to record for a member ("./" dropped), NULL for one to
 * skip (a directory, the archive's "./"), or sets an error for an unsafe
 * one: its number is named, not its bytes, which may hold control
 * characters.
 */
static const char *member_name(const char *name, size_t index, const char *what, int *err)
{
	size_t len;

	*err = 0;
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	len = strlen(name);
	if (!len || name[len - 1] == '/')
		return NULL;
	if (!mlreg_path_is_safe(name) || strchr(name, '\\')) {
		*err = mlreg_error_set(MLREG_EINVALID, "'%s': member %zu has an unsafe name "
				       "(absolute, with an empty, '.' or '..' part, a backslash "
				       "or a control character)", what, index);
		return NULL;
	}
	return name;
}

/* Returns a new file below dir for member number i, its descriptor in *fd. */
static char *member_file(const char *dir, size_t i, int *fd)
{
	char *file = xasprintf("%s/%zu", dir, i);

	*fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0) {
		mlreg_error_os("cannot create '%s'", file);
		free(file);
		return NULL;
	}
	return file;
}

/* Unpacks the zip at src into dir. */
static int unpack_zip(struct mlreg_entries *out, const struct mlreg_src *src, const char *dir)
{
	struct mlreg_zip zip;
	size_t i;
	int err;

	memset(&zip, 0, sizeof(zip));
	if ((err = mlreg_zip_open(&zip, src)) < 0)
		goto done;
	for (i = 0; i < zip.count && !err; i++) {
		const struct mlreg_zip_entry *e = &zip.entries[i];
		const char *name = member_name(e->name, i + 1, src->name, &err);
		char *file;
		int fd;

		if (!name)
			continue;
		if (!(file = member_file(dir, i, &fd))) {
			err = MLREG_EOS;
			break;
		}
		err = mlreg_zip_extract(&zip, e, fd, file);
		if (close(fd) < 0 && !err)
			err = mlreg_error_os("cannot write '%s'", file);
		if (!err) {
			err = add(out, name, file, src->name);
		} else {
			unlink(file);
			free(file);
		}
	}
done:
	mlreg_zip_close(&zip);
	return err;
}

/* A gzip stream read from a file descriptor, inflated on demand. */
struct gz {
	int fd;
	z_stream z;
	unsigned char in[CHUNK];
	int ended;		/* the gzip stream ended */
	const char *what;	/* the archive's name, for messages */
};

/* Returns 0 after inflating exactly n bytes into buf; MLREG_EINVALID when the stream ends first. */
static int gz_read(struct gz *g, void *buf, size_t n)
{
	g->z.next_out = buf;
	g->z.avail_out = (uInt)n;
	while (g->z.avail_out > 0) {
		int ret;
		if (g->ended)
			return mlreg_error_set(MLREG_EINVALID, "'%s' is truncated", g->what);
		if (g->z.avail_in == 0) {
			ssize_t got = mlreg_read_retry(g->fd, g->in, sizeof(g->in));
			if (got < 0)
				return mlreg_error_os("cannot read '%s'", g->what);
			if (got == 0)
				return mlreg_error_set(MLREG_EINVALID, "'%s' is truncated", g->what);
			g->z.next_in = g->in;
			g->z.avail_in = (uInt)got;
		}
		ret = inflate(&g->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			g->ended = 1;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return mlreg_error_set(MLREG_EINVALID, "'%s' is not a valid gzip stream (%s)",
					       g->what, g->z.msg ? g->z.msg : "corrupt data");
	}
	return 0;
}

/* Returns 0 after copying n bytes of the stream to fd (or dropping them, fd < 0). */
static int gz_copy(struct gz *g, uint64_t n, int fd, const char *file)
{
	unsigned char buf[CHUNK];
	int err;

	while (n > 0) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		if ((err = gz_read(g, buf, k)) < 0)
			return err;
		if (fd >= 0 && (err = mlreg_write_all(fd, buf, k, file)) < 0)
			return err;
		n -= k;
	}
	return 0;
}

/* Returns a tar header number: octal, or base-256 when its top bit is set; -1 when malformed. */
static int64_t tar_field(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (p[0] & 0x80) {
		if (p[0] != 0x80)
			return -1;	/* negative, or more than 63 bits */
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = v << 8 | p[i];
		}
		return (int64_t)v;
	}
	for (i = 0; i < n && p[i] == ' '; i++)
		;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(p[i] - '0');
	}
	return (int64_t)v;
}

/* Returns the value of the pax record key ("path") in the n bytes at p, newly allocated, or NULL. */
static char *pax_value(const char *p, size_t n, const char *key)
{
	size_t off = 0, klen = strlen(key);

	while (off < n) {
		char *end;
		unsigned long len = strtoul(p + off, &end, 10);
		const char *rec = p + off, *sp = memchr(rec, ' ', n - off);
		if (!len || len > n - off || !sp || sp >= rec + len || rec[len - 1] != '\n')
			return NULL;
		if ((size_t)(rec + len - (sp + 1)) > klen && !strncmp(sp + 1, key, klen) &&
		    sp[1 + klen] == '=')
			return xstrndup(sp + 2 + klen, (size_t)(rec + len - 1 - (sp + 2 + klen)));
		off += len;
	}
	return NULL;
}

/* Unpacks the gzip-compressed tar read from fd into dir. */
static int unpack_targz(struct mlreg_entries *out, int fd, const char *what, const char *dir)
{
	struct gz *g = xcalloc(1, sizeof(*g));
	char *longname = NULL;
	size_t index = 0, headers = 0;
	int err = 0;

	g->fd = fd;
	g->what = what;
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g);
		return mlreg_error_set(MLREG_ERROR, "cannot start zlib to read '%s'", what);
	}
	for (;;) {
		unsigned char h[512];
		char name[256 + 2];
		const char *rec;
		unsigned sum = 0;
		int64_t size, want;
		size_t i;
		int sfd;
		char *file;

		if ((err = gz_read(g, h, sizeof(h))) < 0)
			break;
		for (i = 0; i < 512 && !h[i]; i++)
			;
		if (i == 512)
			break;		/* the end-of-archive block */
		for (i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		want = tar_field(h + 148, 8);
		size = tar_field(h + 124, 12);
		if (want < 0 || (unsigned)want != sum || size < 0) {
			err = mlreg_error_set(MLREG_EINVALID, "'%s' is not a tar archive (a bad "
					      "header after %zu member(s))", what, index);
			break;
		}
		if (++headers > 3 * MAX_MEMBERS) {
			err = mlreg_error_set(MLREG_EINVALID, "'%s' holds more than %d members",
					      what, MAX_MEMBERS);
			break;
		}
		if (h[156] == 'x' || h[156] == 'L') {
			/* the name of the next member: a pax path record, a GNU long name */
			size_t cap = h[156] == 'x' ? MAX_PAX : MAX_LONGNAME;
			char *data;
			if ((uint64_t)size > cap) {
				err = mlreg_error_set(MLREG_EINVALID, "'%s': member %zu has a name "
						      "record of more than %zu bytes", what, index + 1,
						      cap);
				break;
			}
			data = xmalloc((size_t)size + 1);
			if ((err = gz_read(g, data, (size_t)size)) < 0 ||
			    (err = gz_copy(g, (512 - (uint64_t)size % 512) % 512, -1, NULL)) < 0) {
				free(data);
				break;
			}
			data[size] = '\0';
			free(longname);
			longname = h[156] == 'x' ? pax_value(data, (size_t)size, "path")
						 : xstrndup(data, strlen(data));
			free(data);
			continue;
		}
		if (h[156] == 'g') {	/* pax global header: nothing mlreg uses */
			if ((err = gz_copy(g, ((uint64_t)size + 511) / 512 * 512, -1, NULL)) < 0)
				break;
			continue;
		}
		index++;	/* a member: what came before were its name records */
		if (h[345] && !memcmp(h + 257, "ustar", 5))
			snprintf(name, sizeof(name), "%.155s/%.100s", h + 345, h);
		else
			snprintf(name, sizeof(name), "%.100s", h);
		rec = member_name(longname ? longname : name, index, what, &err);
		if (err < 0)
			break;
		if (h[156] != '0' && h[156] != '\0' && h[156] != '7' && h[156] != '5') {
			err = mlreg_error_set(MLREG_EINVALID, "'%s': member %zu is a link or a "
					      "special file, which an artifact does not hold",
					      what, index);
			break;
		}
		if (!rec || h[156] == '5') {
			err = gz_copy(g, ((uint64_t)size + 511) / 512 * 512, -1, NULL);
		} else if (!(file = member_file(dir, index, &sfd))) {
			err = MLREG_EOS;
		} else {
			err = gz_copy(g, (uint64_t)size, sfd, file);
			if (close(sfd) < 0 && !err)
				err = mlreg_error_os("cannot write '%s'", file);
			if (!err)
				err = gz_copy(g, (512 - (uint64_t)size % 512) % 512, -1, NULL);
			if (!err) {
				err = add(out, rec, file, what);
			} else {
				unlink(file);
				free(file);
			}
		}
		free(longname);
		longname = NULL;
		if (err < 0)
			break;
	}
	free(longname);
	inflateEnd(&g->z);
	free(g);
	return err;
}

int mlreg_unpack(struct mlreg_entries *out, char **dir, const char *path, const char *tmpdir)
{
	unsigned char magic[4] = { 0 };
	struct mlreg_src src;
	struct stat st;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	*dir = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mlreg_error_os("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err = mlreg_error_os("cannot stat '%s'", path);
		close(fd);
		return err;
	}
	if (pread(fd, magic, sizeof(magic), 0) < 2) {
		close(fd);
		return mlreg_error_set(MLREG_EINVALID, "'%s' is neither a zip nor a tar.gz "
				       "archive", path);
	}
	*dir = xasprintf("%s/mlreg-unpack-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(*dir)) {
		err = mlreg_error_os("cannot create a directory in '%s'", tmpdir);
		free(*dir);
		*dir = NULL;
		close(fd);
		return err;
	}
	if (magic[0] == 0x1f && magic[1] == 0x8b) {
		err = unpack_targz(out, fd, path, *dir);
	} else if (magic[0] == 'P' && magic[1] == 'K') {
		src.fd = fd;
		src.buf = NULL;
		src.size = (uint64_t)st.st_size;
		src.name = path;
		err = unpack_zip(out, &src, *dir);
	} else {
		err = mlreg_error_set(MLREG_EINVALID, "'%s' is neither a zip nor a tar.gz archive",
				      path);
	}
	close(fd);
	if (!err && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_path);
	if (err < 0) {
		mlreg_unpack_remove(out, *dir);
		*dir = NULL;
	}
	return err;
}

void mlreg_unpack_remove(struct mlreg_entries *e, char *dir)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		unlink(e->v[i].src);
	mlreg_entries_free(e);
	if (dir)
		rmdir(dir);
	free(dir);
}
