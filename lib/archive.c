/*
 * Zip and tar.gz writers and a tar.gz reader (see archive.h), on zlib.
 *
 * zip: one local header per file, data stored (files of 16 MiB or more,
 * usually incompressible weights) or deflated, then the CRC-32 and sizes
 * patched into the local header once known (the output is a seekable
 * temporary file), a central directory, and zip64 records when a size, an
 * offset or the entry count needs them.  Times are the version's creation
 * time, so the same version always exports to the same bytes.
 * tar.gz: POSIX ustar headers (a pax 'path' record for names that do not
 * fit, base-256 sizes past 8 GiB), compressed as one gzip stream.
 * The reader (import's .tar.gz) knows ustar, pax and GNU long names; it
 * inflates at most GUNZIP_MAX bytes and copies out at most YAML_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "archive.h"
#include "doc.h"
#include "error.h"
#include "fs.h"
#include "object.h"
#include "registry.h"
#include "util.h"

#define CHUNK (1u << 20)
#define DEFLATE_BELOW (16u << 20)	/* larger files are stored, not deflated */
#define YAML_MAX (16u << 20)		/* largest spec read from an archive */
#define GUNZIP_MAX (256u << 20)		/* most bytes inflated from an archive */

struct out {
	int fd;
	const char *path;	/* temporary file, for messages */
	uint64_t off;		/* bytes written so far */
	z_stream *gz;		/* set when writing through gzip */
	unsigned char *zbuf;
};

static int out_raw(struct out *o, const void *p, size_t n)
{
	int err = mlreg_write_all(o->fd, p, n, o->path);

	if (!err)
		o->off += n;
	return err;
}

/* Returns 0 after writing n bytes, through gzip when o->gz is set. */
static int out_write(struct out *o, const void *p, size_t n, int flush)
{
	if (!o->gz)
		return out_raw(o, p, n);
	o->gz->next_in = (unsigned char *)p;
	o->gz->avail_in = (uInt)n;
	do {
		int err;
		o->gz->next_out = o->zbuf;
		o->gz->avail_out = CHUNK;
		if (deflate(o->gz, flush) == Z_STREAM_ERROR)
			return mlreg_error_set(MLREG_ERROR, "gzip compression failed");
		if ((err = out_raw(o, o->zbuf, CHUNK - o->gz->avail_out)) < 0)
			return err;
	} while (o->gz->avail_out == 0);
	return 0;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Returns the version's creation time as seconds since the epoch (0 when unreadable). */
static time_t created_time(const cJSON *version)
{
	struct tm tm;
	const char *s = mlreg_doc_str(version, "created", "");

	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

/* One file's copy: the object streamed through SHA-256, CRC-32 and a sink. */
struct copy {
	uint32_t crc;
	uint64_t csize;		/* bytes written to the archive */
};

struct copy_sink {
	struct out *o;
	z_stream *zs;		/* raw deflate, or NULL to store */
	unsigned char *zout;
	uint32_t crc;
};

static int copy_chunk(void *ctx, const void *buf, size_t n)
{
	struct copy_sink *c = ctx;
	int err;

	c->crc = (uint32_t)crc32(c->crc, buf, (uInt)n);
	if (!c->zs)
		return out_write(c->o, buf, n, Z_NO_FLUSH);
	c->zs->next_in = (unsigned char *)buf;
	c->zs->avail_in = (uInt)n;
	do {
		c->zs->next_out = c->zout;
		c->zs->avail_out = CHUNK;
		deflate(c->zs, Z_NO_FLUSH);
		if ((err = out_write(c->o, c->zout, CHUNK - c->zs->avail_out, Z_NO_FLUSH)) < 0)
			return err;
	} while (c->zs->avail_out == 0);
	return 0;
}

/*
 * Returns 0 after streaming object hex (size bytes) into o, deflated when
 * deflating is set, and checking its hash; the CRC-32 and the bytes written
 * go to *c.
 */
static int copy_object(struct out *o, const struct mlreg_store *store, const char *hex,
		       uint64_t size, int deflating, const char *path, struct copy *c)
{
	struct copy_sink sink = { o, NULL, NULL, (uint32_t)crc32(0L, Z_NULL, 0) };
	char actual[MLREG_HEX_LEN + 1];
	uint64_t start = o->off, got = 0;
	z_stream zs;
	int err;

	memset(&zs, 0, sizeof(zs));
	if (deflating) {
		if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return mlreg_error_set(MLREG_ERROR, "cannot start deflate");
		sink.zs = &zs;
		sink.zout = xmalloc(CHUNK);
	}
	err = mlreg_object_stream(store, hex, copy_chunk, &sink, actual, &got);
	if (!err && deflating) {
		int r;
		do {	/* flush what deflate holds */
			zs.next_out = sink.zout;
			zs.avail_out = CHUNK;
			r = deflate(&zs, Z_FINISH);
			err = out_write(o, sink.zout, CHUNK - zs.avail_out, Z_NO_FLUSH);
		} while (!err && r != Z_STREAM_END);
	}
	if (deflating) {
		deflateEnd(&zs);
		free(sink.zout);
	}
	if (err == MLREG_ENOTFOUND)
		return mlreg_error_set(MLREG_ECORRUPT, "cannot export '%s': object %s is missing; "
				       "run 'mlreg fsck'", path, hex);
	if (!err && (strcmp(actual, hex) != 0 || got != size))
		err = mlreg_error_set(MLREG_ECORRUPT, "cannot export '%s': object %s is corrupt "
				      "(its content hashes to %s); run 'mlreg fsck'", path, hex, actual);
	c->crc = sink.crc;
	c->csize = o->off - start;
	return err;
}

struct zentry {
	char *name;
	uint32_t crc, mode;
	uint64_t size, csize, offset;
	int method, z64;
};

static void dos_time(time_t t, unsigned *dtime, unsigned *ddate)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year < 80) {
		*dtime = 0;
		*ddate = (1 << 5) | 1;
		return;
	}
	*dtime = (unsigned)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
	*ddate = (unsigned)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

static int write_zip(struct out *o, const struct mlreg_store *store, const cJSON *version)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(version, "files"), *f;
	size_t n = (size_t)cJSON_GetArraySize(files), i = 0;
	struct zentry *z = xcalloc(n + 1, sizeof(*z));
	unsigned dtime, ddate;
	uint64_t cd_start, cd_size;
	int err = 0, need64 = n >= 0xffff;

	dos_time(created_time(version), &dtime, &ddate);
	cJSON_ArrayForEach(f, files) {
		unsigned char h[30 + 20];
		const char *path = mlreg_doc_str(f, "path", "");
		size_t nl = strlen(path);
		struct copy c;

		z[i].name = xstrdup(path);
		z[i].size = (uint64_t)mlreg_doc_int(f, "size", 0);
		z[i].offset = o->off;
		z[i].method = z[i].size < DEFLATE_BELOW ? 8 : 0;
		z[i].mode = !strcmp(mlreg_doc_str(f, "mode", ""), "0755") ? 0100755 : 0100644;
		z[i].z64 = z[i].size >= 0xfffff000u || o->off >= 0xffffffffu;
		need64 |= z[i].z64;
		memset(h, 0, sizeof(h));
		put32(h, 0x04034b50);
		put16(h + 4, z[i].z64 ? 45 : 20);
		put16(h + 6, 1 << 11);		/* names are UTF-8 */
		put16(h + 8, (unsigned)z[i].method);
		put16(h + 10, dtime);
		put16(h + 12, ddate);
		put16(h + 26, (unsigned)nl);
		put16(h + 28, z[i].z64 ? 20 : 0);
		if (z[i].z64) {
			put32(h + 18, 0xffffffffu);
			put32(h + 22, 0xffffffffu);
			put16(h + 30, 0x0001);
			put16(h + 32, 16);
		}
		if ((err = out_raw(o, h, 30)) < 0 || (err = out_raw(o, path, nl)) < 0 ||
		    (z[i].z64 && (err = out_raw(o, h + 30, 20)) < 0))
			goto done;
		err = copy_object(o, store, mlreg_doc_str(f, "sha256", ""), z[i].size,
				  z[i].method == 8, path, &c);
		if (err < 0)
			goto done;
		z[i].crc = c.crc;
		z[i].csize = c.csize;
		/* patch the CRC and sizes into the local header */
		put32(h + 14, z[i].crc);
		if (z[i].z64) {
			put64(h + 34, z[i].size);
			put64(h + 42, z[i].csize);
			if (pwrite(o->fd, h + 14, 4, (off_t)z[i].offset + 14) != 4 ||
			    pwrite(o->fd, h + 34, 16, (off_t)(z[i].offset + 30 + nl + 4)) != 16)
				err = mlreg_error_os("cannot write '%s'", o->path);
		} else {
			put32(h + 18, (uint32_t)z[i].csize);
			put32(h + 22, (uint32_t)z[i].size);
			if (pwrite(o->fd, h + 14, 12, (off_t)z[i].offset + 14) != 12)
				err = mlreg_error_os("cannot write '%s'", o->path);
		}
		if (err)
			goto done;
		i++;
	}
	cd_start = o->off;
	for (i = 0; i < n; i++) {
		unsigned char h[46 + 28];
		size_t nl = strlen(z[i].name);
		int z64 = z[i].z64 || z[i].offset >= 0xffffffffu;

		memset(h, 0, sizeof(h));
		put32(h, 0x02014b50);
		put16(h + 4, (3 << 8) | 45);	/* made by: Unix, spec 4.5 */
		put16(h + 6, z64 ? 45 : 20);
		put16(h + 8, 1 << 11);
		put16(h + 10, (unsigned)z[i].method);
		put16(h + 12, dtime);
		put16(h + 14, ddate);
		put32(h + 16, z[i].crc);
		put32(h + 20, z64 ? 0xffffffffu : (uint32_t)z[i].csize);
		put32(h + 24, z64 ? 0xffffffffu : (uint32_t)z[i].size);
		put16(h + 28, (unsigned)nl);
		put16(h + 30, z64 ? 28 : 0);
		put32(h + 38, z[i].mode << 16);
		put32(h + 42, z64 ? 0xffffffffu : (uint32_t)z[i].offset);
		if (z64) {
			put16(h + 46, 0x0001);
			put16(h + 48, 24);
			put64(h + 50, z[i].size);
			put64(h + 58, z[i].csize);
			put64(h + 66, z[i].offset);
		}
		if ((err = out_raw(o, h, 46)) < 0 || (err = out_raw(o, z[i].name, nl)) < 0 ||
		    (z64 && (err = out_raw(o, h + 46, 28)) < 0))
			goto done;
		need64 |= z64;
	}
	cd_size = o->off - cd_start;
	need64 |= cd_start >= 0xffffffffu;
	if (need64) {
		unsigned char r[56 + 20];
		uint64_t rec = o->off;
		memset(r, 0, sizeof(r));
		put32(r, 0x06064b50);
		put64(r + 4, 44);
		put16(r + 12, (3 << 8) | 45);
		put16(r + 14, 45);
		put64(r + 24, n);
		put64(r + 32, n);
		put64(r + 40, cd_size);
		put64(r + 48, cd_start);
		put32(r + 56, 0x07064b50);
		put64(r + 64, rec);
		put32(r + 72, 1);
		if ((err = out_raw(o, r, 76)) < 0)
			goto done;
	}
	{
		unsigned char e[22];
		memset(e, 0, sizeof(e));
		put32(e, 0x06054b50);
		put16(e + 8, n >= 0xffff ? 0xffff : (unsigned)n);
		put16(e + 10, n >= 0xffff ? 0xffff : (unsigned)n);
		put32(e + 12, cd_size >= 0xffffffffu ? 0xffffffffu : (uint32_t)cd_size);
		put32(e + 16, cd_start >= 0xffffffffu ? 0xffffffffu : (uint32_t)cd_start);
		err = out_raw(o, e, 22);
	}
done:
	for (i = 0; i < n; i++)
		free(z[i].name);
	free(z);
	return err;
}

/* Writes v as width-1 octal digits and a NUL (v must fit). */
static void octal(char *field, size_t width, uint64_t v)
{
	size_t i;

	field[width - 1] = '\0';
	for (i = width - 1; i > 0; i--) {
		field[i - 1] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Returns 0 after writing one tar header block (and a pax block first when needed). */
static int tar_header(struct out *o, const char *path, uint64_t size, unsigned mode,
		      time_t mtime, char type)
{
	unsigned char b[512];
	size_t nl = strlen(path), i;
	unsigned sum = 0;
	const char *split = NULL;
	int err;

	if (nl > 100) {
		/* ustar: prefix (155) '/' name (100) */
		for (i = nl > 101 ? nl - 101 : 0; i < nl && i <= 155; i++)
			if (path[i] == '/' && nl - i - 1 <= 100 && i > 0) {
				split = path + i;
				break;
			}
		if (!split) {
			/* a pax extended header with the whole path */
			char rec[4200];
			size_t len = nl + 7, digits;
			int r;
			if (nl > 4000)
				return mlreg_error_set(MLREG_EINVALID, "path '%.40s...' too long for tar", path);
			for (digits = 1; ; digits++) {
				size_t total = digits + len + 1;
				if (snprintf(rec, sizeof(rec), "%zu", total) == (int)digits)
					break;
			}
			r = snprintf(rec, sizeof(rec), "%zu path=%s\n", digits + len + 1, path);
			if ((err = tar_header(o, "././@PaxHeader", (uint64_t)r, 0644, mtime, 'x')) < 0 ||
			    (err = out_write(o, rec, (size_t)r, Z_NO_FLUSH)) < 0)
				return err;
			memset(b, 0, sizeof(b));
			if ((err = out_write(o, b, (512 - (size_t)r % 512) % 512, Z_NO_FLUSH)) < 0)
				return err;
		}
	}
	memset(b, 0, sizeof(b));
	if (split) {
		memcpy(b, split + 1, nl - (size_t)(split - path) - 1);
		memcpy(b + 345, path, (size_t)(split - path));
	} else {
		memcpy(b, path, nl > 100 ? 100 : nl);
	}
	octal((char *)b + 100, 8, mode);
	octal((char *)b + 108, 8, 0);
	octal((char *)b + 116, 8, 0);
	if (size < 077777777777ull) {
		octal((char *)b + 124, 12, size);
	} else {
		b[124] = 0x80;		/* base-256 */
		for (i = 0; i < 8; i++)
			b[135 - i] = (unsigned char)(size >> (8 * i));
	}
	octal((char *)b + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
	b[156] = (unsigned char)type;
	memcpy(b + 257, "ustar", 6);
	memcpy(b + 263, "00", 2);
	memcpy(b + 265, "root", 4);
	memcpy(b + 297, "root", 4);
	memset(b + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += b[i];
	snprintf((char *)b + 148, 8, "%06o", sum);
	b[155] = ' ';
	return out_write(o, b, 512, Z_NO_FLUSH);
}

static int write_targz(struct out *o, const struct mlreg_store *store, const cJSON *version)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(version, "files"), *f;
	static const unsigned char zero[1024];
	time_t mtime = created_time(version);
	z_stream zs;
	int err = 0;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return mlreg_error_set(MLREG_ERROR, "cannot start gzip");
	o->gz = &zs;
	o->zbuf = xmalloc(CHUNK);
	cJSON_ArrayForEach(f, files) {
		const char *path = mlreg_doc_str(f, "path", "");
		uint64_t size = (uint64_t)mlreg_doc_int(f, "size", 0);
		unsigned mode = !strcmp(mlreg_doc_str(f, "mode", ""), "0755") ? 0755 : 0644;
		struct copy c;

		if ((err = tar_header(o, path, size, mode, mtime, '0')) < 0)
			break;
		if ((err = copy_object(o, store, mlreg_doc_str(f, "sha256", ""), size, 0, path, &c)) < 0)
			break;
		if ((err = out_write(o, zero, (512 - size % 512) % 512, Z_NO_FLUSH)) < 0)
			break;
	}
	if (!err)
		err = out_write(o, zero, sizeof(zero), Z_FINISH);
	deflateEnd(&zs);
	free(o->zbuf);
	o->gz = NULL;
	o->zbuf = NULL;
	return err;
}

/* Returns 0 when version can be exported as format, else the error. */
static int export_check(const struct mlreg_store *store, const cJSON *version, const char *format)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(version, "files"))
		if (!mlreg_path_is_safe(mlreg_doc_str(f, "path", "")) ||
		    !mlreg_is_hex64(mlreg_doc_str(f, "sha256", "")))
			return mlreg_error_set(MLREG_ECORRUPT, "the version record lists an unsafe "
					       "or malformed file; run 'mlreg fsck'");
	if (strcmp(format, "zip") && strcmp(format, "tar.gz"))
		return mlreg_error_set(MLREG_EUSAGE, "unknown archive format '%s' (zip or tar.gz)",
				       format);
	return mlreg_version_require_files(store, version);
}

/* Returns 0 after writing the whole archive into fd, a new, empty, seekable file. */
static int write_archive(int fd, const char *what, const struct mlreg_store *store,
			 const cJSON *version, const char *format)
{
	struct out o = { fd, what, 0, NULL, NULL };

	return !strcmp(format, "zip") ? write_zip(&o, store, version)
				      : write_targz(&o, store, version);
}

int mlreg_export(const struct mlreg_store *store, const cJSON *version, const char *format,
		 const char *path)
{
	char *tmp;
	struct stat st;
	mode_t mask;
	int err, fd;

	if ((err = export_check(store, version, format)) < 0)
		return err;
	/* Never through a link, never over a device, FIFO or directory (issue: as root,
	 * -o /dev/stdout replaced /dev/stdout).  rename() below replaces the name itself,
	 * so a link planted after this check is replaced, not followed. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return mlreg_error_set(MLREG_ECONFLICT, "'%s' is %s: export replaces only a "
				       "regular file", path, mlreg_fs_kind(&st));
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = mlreg_error_os("cannot create '%s'", path);
		free(tmp);
		return err;
	}
	err = write_archive(fd, tmp, store, version, format);
	mask = umask(0);	/* read it back: umask() has no getter */
	umask(mask);
	if (!err && (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0))
		err = mlreg_error_os("cannot write '%s'", tmp);
	if (close(fd) < 0 && !err)
		err = mlreg_error_os("cannot write '%s'", tmp);
	if (!err && rename(tmp, path) < 0)
		err = mlreg_error_os("cannot rename '%s' to '%s'", tmp, path);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

/* Returns an open, unnamed temporary file in dir (named and unlinked where O_TMPFILE fails). */
static int tmpfile_in(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	char *name;

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	name = xasprintf("%s/export-XXXXXX", dir);
	if ((fd = mkostemp(name, O_CLOEXEC)) >= 0)
		unlink(name);
	free(name);
	return fd;
}

int mlreg_export_fd(const struct mlreg_store *store, const cJSON *version, const char *format,
		    int out, const char *what)
{
	char *dir = mlreg_store_path(store, "tmp"), buf[1 << 16];
	int err, fd;
	ssize_t n;

	if ((err = export_check(store, version, format)) < 0)
		goto done;
	if ((fd = tmpfile_in(dir)) < 0) {
		err = mlreg_error_os("cannot create a temporary file in '%s'", dir);
		goto done;
	}
	err = write_archive(fd, dir, store, version, format);
	if (!err && lseek(fd, 0, SEEK_SET) < 0)
		err = mlreg_error_os("cannot read back the archive in '%s'", dir);
	while (!err && (n = mlreg_read_retry(fd, buf, sizeof(buf))) != 0) {
		if (n < 0)
			err = mlreg_error_os("cannot read back the archive in '%s'", dir);
		else
			err = mlreg_write_all(out, buf, (size_t)n, what);
	}
	close(fd);
done:
	free(dir);
	return err;
}

/* Returns 0 and the inflated bytes of a gzip buffer in *out, capped at GUNZIP_MAX. */
static int gunzip(unsigned char **out, size_t *len, const unsigned char *in, size_t inlen,
		  const char *what)
{
	z_stream zs;
	size_t cap = 1 << 16, used = 0;
	unsigned char *buf;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return mlreg_error_set(MLREG_ERROR, "cannot start gunzip");
	buf = xmalloc(cap);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)inlen;
	do {
		if (used == cap) {
			if (cap >= GUNZIP_MAX) {
				inflateEnd(&zs);
				free(buf);
				return mlreg_error_set(MLREG_EINVALID, "'%s' inflates to more than %u "
						       "MiB", what, GUNZIP_MAX >> 20);
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		zs.next_out = buf + used;
		zs.avail_out = (uInt)(cap - used);
		r = inflate(&zs, Z_NO_FLUSH);
		used = cap - zs.avail_out;
		if (r != Z_OK && r != Z_STREAM_END) {
			inflateEnd(&zs);
			free(buf);
			return mlreg_error_set(MLREG_EINVALID, "'%s' is not a valid gzip file (%s)",
					       what, zs.msg ? zs.msg : "truncated");
		}
	} while (r != Z_STREAM_END);
	inflateEnd(&zs);
	*out = buf;
	*len = used;
	return 0;
}

static uint64_t tar_number(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (p[0] & 0x80) {
		for (i = 1; i < n; i++)
			v = (v << 8) | p[i];
		return v;
	}
	for (i = 0; i < n && p[i] == ' '; i++)
		;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

#define TAR_NAME_MAX 4096	/* longest member name read (PATH_MAX) */

/* What the extended headers before a member say about it. */
struct tar_ext {
	char *path;		/* pax "path" or GNU long name, or NULL */
	uint64_t size;		/* pax "size" */
	int has_size;
	int sparse;		/* pax GNU.sparse.* records */
};

/* Returns 0 after setting x's path to the n bytes of name (a pax path or GNU long name). */
static int long_name(struct tar_ext *x, const unsigned char *name, size_t n, const char *what,
		     size_t off)
{
	while (n > 0 && !name[n - 1])
		n--;		/* a GNU long name ends in NULs */
	if (n > TAR_NAME_MAX)
		return mlreg_error_set(MLREG_EINVALID, "'%s' has a member name longer than %d "
				       "bytes, at offset %zu", what, TAR_NAME_MAX, off);
	if (memchr(name, '\0', n))
		return mlreg_error_set(MLREG_EINVALID, "'%s' has a member name holding a NUL, "
				       "at offset %zu", what, off);
	free(x->path);
	x->path = xstrndup((const char *)name, n);
	return 0;
}

/*
 * Returns 0 after reading the pax records of data (n bytes) into x (only a
 * 'x' header's, when global is 0); MLREG_EINVALID when they are malformed.
 */
static int pax_parse(struct tar_ext *x, const unsigned char *data, size_t n, int global,
		     const char *what, size_t off)
{
	size_t i = 0;

	while (i < n && data[i]) {
		size_t len = 0, k = i, klen;
		const unsigned char *rec, *eq;
		while (k < n && data[k] >= '0' && data[k] <= '9' && len < n)
			len = len * 10 + (size_t)(data[k++] - '0');
		if (k == i || k >= n || data[k] != ' ' || len > n - i || len < k - i + 3 ||
		    data[i + len - 1] != '\n')
			return mlreg_error_set(MLREG_EINVALID, "'%s' has a malformed pax header at "
					       "offset %zu", what, off);
		rec = data + k + 1;
		eq = memchr(rec, '=', (size_t)(data + i + len - 1 - rec));
		if (!eq)
			return mlreg_error_set(MLREG_EINVALID, "'%s' has a malformed pax header at "
					       "offset %zu", what, off);
		klen = (size_t)(eq - rec);
		if (klen > 11 && !memcmp(rec, "GNU.sparse.", 11))
			x->sparse = 1;
		/* GNU.sparse.name is the real name of a sparse member (format 1.0) */
		if (!global && ((klen == 4 && !memcmp(rec, "path", 4)) ||
				(klen == 15 && !memcmp(rec, "GNU.sparse.name", 15)))) {
			int err = long_name(x, eq + 1, (size_t)(data + i + len - 1 - (eq + 1)),
					    what, off);
			if (err < 0)
				return err;
		} else if (!global && klen == 4 && !memcmp(rec, "size", 4)) {
			const unsigned char *v = eq + 1, *end = data + i + len - 1;
			uint64_t sz = 0;
			if (v == end)
				goto bad_size;
			for (; v < end; v++) {
				if (*v < '0' || *v > '9' || sz > (UINT64_MAX - 9) / 10)
					goto bad_size;
				sz = sz * 10 + (uint64_t)(*v - '0');
			}
			x->size = sz;
			x->has_size = 1;
		}
		i += len;
	}
	return 0;
bad_size:
	return mlreg_error_set(MLREG_EINVALID, "'%s' has a malformed pax size at offset %zu",
			       what, off);
}

int mlreg_targz_find_yaml(char **out, size_t *len, char **name, const unsigned char *buf,
			  size_t buflen, const char *what)
{
	struct tar_ext x = { NULL, 0, 0, 0 };
	unsigned char *tar = NULL;
	size_t tlen = 0, off = 0;
	char *nm = NULL;
	int err;

	*out = NULL;
	*name = NULL;
	if ((err = gunzip(&tar, &tlen, buf, buflen, what)) < 0)
		return err;
	while (off + 512 <= tlen) {
		const unsigned char *h = tar + off, *data = h + 512;
		uint64_t size;
		unsigned sum = 0, want;
		size_t i;
		char type = (char)h[156];

		for (i = 0; i < 512 && !h[i]; i++)
			;
		if (i == 512)
			break;		/* end-of-archive block */
		for (i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		want = (unsigned)tar_number(h + 148, 8);
		if (sum != want) {
			err = mlreg_error_set(MLREG_EINVALID, "'%s' is not a tar archive (bad header "
					      "checksum at offset %zu)", what, off);
			goto done;
		}
		size = tar_number(h + 124, 12);
		if (x.has_size && type != 'x' && type != 'g' && type != 'L' && type != 'K')
			size = x.size;
		if (size > tlen - off - 512) {
			err = mlreg_error_set(MLREG_EINVALID, "'%s' is truncated", what);
			goto done;
		}
		switch (type) {
		case 'x':	/* pax header of the next member */
		case 'g':	/* pax global header */
			if ((err = pax_parse(&x, data, (size_t)size, type == 'g', what, off)) < 0)
				goto done;
			break;
		case 'L':	/* GNU long name of the next member */
			if ((err = long_name(&x, data, (size_t)size, what, off)) < 0)
				goto done;
			break;
		case 'K':	/* GNU long link name: no use here */
			break;
		default:
			free(nm);
			if (x.path)
				nm = x.path;
			else if (!memcmp(h + 257, "ustar\0", 6) && h[345])
				nm = xasprintf("%.155s/%.100s", h + 345, h);
			else
				nm = xasprintf("%.100s", h);
			x.path = NULL;
			if ((type == '0' || type == '\0' || type == '7' || type == 'S') &&
			    (ends_with(nm, ".yaml") || ends_with(nm, ".yml"))) {
				const char *base = strrchr(nm, '/');
				base = base ? base + 1 : nm;
				if (base[0] == '.')	/* AppleDouble "._x.yaml", hidden files */
					goto next;
				if (type == 'S' || x.sparse) {
					err = mlreg_error_set(MLREG_EINVALID, "'%s' in '%s' is a sparse "
							      "file, which import cannot read", nm, what);
					goto done;
				}
				if (size > YAML_MAX) {
					err = mlreg_error_set(MLREG_EINVALID, "'%s' in '%s' is larger than "
							      "%u MiB", nm, what, YAML_MAX >> 20);
					goto done;
				}
				*out = xmalloc((size_t)size + 1);
				memcpy(*out, data, (size_t)size);
				(*out)[size] = '\0';
				*len = (size_t)size;
				*name = xstrdup(base);
				goto done;
			}
next:
			x.has_size = 0;
			x.sparse = 0;
			break;
		}
		off += 512 + (size_t)((size + 511) / 512 * 512);
	}
	err = mlreg_error_set(MLREG_EINVALID, "'%s' holds no .yaml or .yml file", what);
done:
	free(x.path);
	free(nm);
	free(tar);
	return err;
}
