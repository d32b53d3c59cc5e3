/*
 * The bounded zip reader of zip.h.  An archive is read from its end: the
 * end-of-central-directory record (EOCD, 22 bytes plus a comment of up to
 * 64 KiB) gives the central directory's offset, size and entry count, or
 * points through the zip64 locator to a zip64 EOCD record holding 64-bit
 * ones.  The central directory is read whole (it is capped, and checked
 * against the file size first) and each entry's name, sizes and local
 * header offset kept.  A member's bytes start after its local header, whose
 * name and extra field lengths may differ from the central directory's;
 * its sizes are taken from the central directory, as they are always
 * there (the local header holds zeros when a data descriptor follows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"
#include "zip.h"

#define EOCD_SIZE 22			/* fixed part of the end record */
#define EOCD_SEARCH (65535 + EOCD_SIZE)	/* where it can start, from the end */
#define LOCATOR_SIZE 20			/* zip64 end-of-directory locator */
#define EOCD64_SIZE 56			/* fixed part of the zip64 end record */
#define CDH_SIZE 46			/* central directory header */
#define LFH_SIZE 30			/* local file header */
#define MAX_CD_SIZE (32u << 20)		/* central directory bytes read */
#define CHUNK 65536			/* compressed bytes read at a time */

/* Returns the little-endian 16-bit value at p. */
static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Returns the little-endian 32-bit value at p. */
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Returns the little-endian 64-bit value at p. */
static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Returns MLREG_EINVALID with a message saying why src is not a valid zip. */
static int bad(const struct mlreg_src *src, const char *why)
{
	return mlreg_error_set(MLREG_EINVALID,
			       "'%s' is not a valid zip archive: %s", src->name,
			       why);
}

/* The end of the central directory, as the EOCD records give it. */
struct eocd {
	uint64_t entries;	/* total entry count */
	uint64_t cd_size;	/* central directory size in bytes */
	uint64_t cd_off;	/* central directory offset */
	uint64_t end;		/* where the end records start */
};

/*
 * Returns 0 and the EOCD record's offset in *off, searching the last 64 KiB
 * (plus the record's own size) from the end; MLREG_EINVALID when there is
 * none.
 */
static int find_eocd(uint64_t *off, const struct mlreg_src *src)
{
	size_t tail = src->size < EOCD_SEARCH ? (size_t)src->size : EOCD_SEARCH;
	unsigned char *buf;
	size_t i;
	int err;

	if (tail < EOCD_SIZE)
		return bad(src,
			   "too short for an end of central directory record");
	buf = xmalloc(tail);
	if ((err = mlreg_src_read(src, src->size - tail, buf, tail)) < 0) {
		free(buf);
		return err;
	}
	for (i = tail - EOCD_SIZE + 1; i-- > 0;) {
		if (buf[i] == 'P' && !memcmp(buf + i, "PK\x05\x06", 4) &&
		    i + EOCD_SIZE + le16(buf + i + 20) <= tail) {
			*off = src->size - tail + i;
			free(buf);
			return 0;
		}
	}
	free(buf);
	return bad(src, "no end of central directory record");
}

/*
 * Returns 0 after filling *z from the EOCD record at off and, when the
 * archive has one, the zip64 record; MLREG_EINVALID when they are
 * inconsistent or describe a spanned archive.
 */
static int read_eocd(struct eocd *z, const struct mlreg_src *src, uint64_t off)
{
	unsigned char e[EOCD_SIZE], loc[LOCATOR_SIZE], e64[EOCD64_SIZE];
	int err;

	if ((err = mlreg_src_read(src, off, e, sizeof(e))) < 0)
		return err;
	if (le16(e + 4) != 0 || le16(e + 6) != 0 || le16(e + 8) != le16(e + 10))
		return bad(src, "spanned archives are not supported");
	z->entries = le16(e + 10);
	z->cd_size = le32(e + 12);
	z->cd_off = le32(e + 16);
	z->end = off;
	if (off < LOCATOR_SIZE)
		return 0;
	err = mlreg_src_read(src, off - LOCATOR_SIZE, loc, sizeof(loc));
	if (err < 0)
		return err;
	if (memcmp(loc, "PK\x06\x07", 4))
		return 0;	/* no zip64 records */
	{
		uint64_t off64 = le64(loc + 8);
		if (off64 > off - LOCATOR_SIZE ||
		    off - LOCATOR_SIZE - off64 < EOCD64_SIZE)
			return bad(src, "zip64 end record outside the archive");
		if ((err = mlreg_src_read(src, off64, e64, sizeof(e64))) < 0)
			return err;
		if (memcmp(e64, "PK\x06\x06", 4))
			return bad(src, "bad zip64 end record signature");
		if (le32(e64 + 16) != 0 || le32(e64 + 20) != 0 ||
		    le64(e64 + 24) != le64(e64 + 32))
			return bad(src, "spanned archives are not supported");
		z->entries = le64(e64 + 32);
		z->cd_size = le64(e64 + 40);
		z->cd_off = le64(e64 + 48);
		z->end = off64;
	}
	return 0;
}

/*
 * Returns 0 after replacing the saturated 32-bit fields of e with the
 * 64-bit values of the zip64 extra field (id 1) found in the extra bytes x;
 * MLREG_EINVALID when a needed value is missing.
 */
static int apply_zip64_extra(struct mlreg_zip_entry *e, const unsigned char *x,
			     size_t len, const struct mlreg_src *src)
{
	int need_u = e->usize == 0xffffffffu, need_c = e->csize == 0xffffffffu;
	int need_o = e->local_off == 0xffffffffu;
	size_t p = 0;

	if (!need_u && !need_c && !need_o)
		return 0;
	while (p + 4 <= len) {
		uint16_t id = le16(x + p), n = le16(x + p + 2);
		const unsigned char *v = x + p + 4;
		size_t k = 0;
		if (n > len - p - 4)
			break;
		if (id == 1) {
			if (need_u) {
				if (k + 8 > n)
					break;
				e->usize = le64(v + k);
				k += 8;
			}
			if (need_c) {
				if (k + 8 > n)
					break;
				e->csize = le64(v + k);
				k += 8;
			}
			if (need_o) {
				if (k + 8 > n)
					break;
				e->local_off = le64(v + k);
			}
			return 0;
		}
		p += 4 + (size_t)n;
	}
	return bad(src, "a member's zip64 sizes are missing");
}

/*
 * Returns 0 after reading the count entries of the central directory held
 * in cd (len bytes) into zip; MLREG_EINVALID for a malformed entry.
 */
static int parse_cd(struct mlreg_zip *zip, const unsigned char *cd, size_t len,
		    size_t count)
{
	const struct mlreg_src *src = zip->src;
	size_t p = 0, i;
	int err;

	zip->entries = xcalloc(count ? count : 1, sizeof(*zip->entries));
	for (i = 0; i < count; i++) {
		struct mlreg_zip_entry *e = &zip->entries[i];
		size_t nlen, xlen, clen;
		if (len - p < CDH_SIZE || memcmp(cd + p, "PK\x01\x02", 4))
			return bad(src, "bad central directory entry");
		nlen = le16(cd + p + 28);
		xlen = le16(cd + p + 30);
		clen = le16(cd + p + 32);
		if (nlen + xlen + clen > len - p - CDH_SIZE)
			return bad(src, "central directory entry runs past the "
					"directory");
		if (nlen > MLREG_ZIP_MAX_NAME)
			return bad(src, "member name too long");
		if (memchr(cd + p + CDH_SIZE, 0, nlen))
			return bad(src, "member name holds a NUL byte");
		e->flags = le16(cd + p + 8);
		e->method = le16(cd + p + 10);
		e->crc = le32(cd + p + 16);
		e->csize = le32(cd + p + 20);
		e->usize = le32(cd + p + 24);
		e->local_off = le32(cd + p + 42);
		e->name = xstrndup((const char *)cd + p + CDH_SIZE, nlen);
		zip->count = i + 1;
		if ((err = apply_zip64_extra(e, cd + p + CDH_SIZE + nlen, xlen,
					     src)) < 0)
			return err;
		if (e->local_off >= src->size)
			return bad(src,
				   "a member's local header lies past the end");
		p += CDH_SIZE + nlen + xlen + clen;
	}
	return 0;
}

int mlreg_zip_open(struct mlreg_zip *zip, const struct mlreg_src *src)
{
	struct eocd z = { 0, 0, 0, 0 };
	unsigned char *cd;
	uint64_t off = 0;
	int err;

	zip->src = src;
	zip->entries = NULL;
	zip->count = 0;
	if ((err = find_eocd(&off, src)) < 0 ||
	    (err = read_eocd(&z, src, off)) < 0)
		return err;
	if (z.cd_off > z.end || z.cd_size > z.end - z.cd_off)
		return bad(src, "central directory outside the archive");
	if (z.entries > MLREG_ZIP_MAX_ENTRIES)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' claims %llu zip entries "
				       "(at most %d are read)",
				       src->name, (unsigned long long)z.entries,
				       MLREG_ZIP_MAX_ENTRIES);
	if (z.entries * CDH_SIZE > z.cd_size)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' claims %llu zip entries in a "
				       "central directory of %llu bytes",
				       src->name, (unsigned long long)z.entries,
				       (unsigned long long)z.cd_size);
	if (z.cd_size > MAX_CD_SIZE)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' has a zip central directory of "
				       "%llu bytes (at most %u are read)",
				       src->name, (unsigned long long)z.cd_size,
				       MAX_CD_SIZE);
	cd = xmalloc(z.cd_size ? (size_t)z.cd_size : 1);
	err = mlreg_src_read(src, z.cd_off, cd, (size_t)z.cd_size);
	if (!err)
		err = parse_cd(zip, cd, (size_t)z.cd_size, (size_t)z.entries);
	free(cd);
	return err;
}

void mlreg_zip_close(struct mlreg_zip *zip)
{
	size_t i;

	for (i = 0; zip->entries && i < zip->count; i++)
		free(zip->entries[i].name);
	free(zip->entries);
	zip->entries = NULL;
	zip->count = 0;
}

const struct mlreg_zip_entry *mlreg_zip_find(const struct mlreg_zip *zip,
					     const char *name)
{
	size_t i;

	for (i = 0; i < zip->count; i++)
		if (!strcmp(zip->entries[i].name, name))
			return &zip->entries[i];
	return NULL;
}

/* Returns MLREG_EINVALID with a message about member e of zip. */
static int bad_member(const struct mlreg_zip *zip,
		      const struct mlreg_zip_entry *e, const char *why)
{
	return mlreg_error_set(MLREG_EINVALID, "'%s': zip member '%s' %s",
			       zip->src->name, e->name, why);
}

/*
 * Returns 0 and the offset of member e's bytes in *data, after checking its
 * local header and that its compressed bytes lie inside the archive;
 * MLREG_EINVALID otherwise, or when it is encrypted or compressed by a
 * method other than store and deflate.
 */
static int member_data(uint64_t *data, const struct mlreg_zip *zip,
		       const struct mlreg_zip_entry *e)
{
	const struct mlreg_src *src = zip->src;
	unsigned char h[LFH_SIZE];
	uint64_t off = 0;
	int err;

	if (e->flags & 1)
		return bad_member(zip, e, "is encrypted");
	if (e->method != 0 && e->method != 8) {
		char why[96];
		snprintf(why, sizeof(why),
			 "is compressed with method %u (only stored "
			 "and deflated members are read)",
			 e->method);
		return bad_member(zip, e, why);
	}
	if (e->method == 0 && e->csize != e->usize)
		return bad_member(zip, e, "is stored with two different sizes");
	if ((err = mlreg_src_read(src, e->local_off, h, sizeof(h))) < 0)
		return err;
	if (memcmp(h, "PK\x03\x04", 4))
		return bad_member(zip, e, "has a bad local header");
	off = e->local_off + LFH_SIZE + le16(h + 26) + le16(h + 28);
	if (off > src->size || e->csize > src->size - off)
		return bad_member(zip, e, "runs past the end of the archive");
	*data = off;
	return 0;
}

/*
 * Returns 0 after inflating member e (raw deflate at data) into dst, at
 * most cap bytes, the count in *got and in *ended whether the stream's end
 * was reached; MLREG_EINVALID for corrupt or truncated data.
 */
static int inflate_member(unsigned char *dst, size_t cap, size_t *got,
			  int *ended, const struct mlreg_zip *zip,
			  const struct mlreg_zip_entry *e, uint64_t data)
{
	unsigned char *in = xmalloc(CHUNK);
	uint64_t done = 0;
	z_stream z;
	int ret = Z_OK, err = 0;

	memset(&z, 0, sizeof(z));
	*got = 0;
	*ended = 0;
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
		free(in);
		return bad_member(zip, e,
				  "cannot be inflated (zlib failed to start)");
	}
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	while (z.avail_out > 0) {
		if (z.avail_in == 0) {
			size_t n = e->csize - done < CHUNK
					   ? (size_t)(e->csize - done)
					   : CHUNK;
			if (n == 0)
				break;
			if ((err = mlreg_src_read(zip->src, data + done, in,
						  n)) < 0)
				break;
			done += n;
			z.next_in = in;
			z.avail_in = (uInt)n;
		}
		ret = inflate(&z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			*ended = 1;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			char why[128];
			snprintf(why, sizeof(why),
				 "has corrupt deflate data (%s)",
				 z.msg ? z.msg : "zlib error");
			err = bad_member(zip, e, why);
			break;
		}
		if (ret == Z_BUF_ERROR && z.avail_in > 0 && z.avail_out > 0) {
			err = bad_member(zip, e, "has corrupt deflate data");
			break;
		}
	}
	*got = cap - z.avail_out;
	inflateEnd(&z);
	free(in);
	if (!err && !*ended && *got < cap)
		err = bad_member(zip, e, "has truncated deflate data");
	return err;
}

int mlreg_zip_read(unsigned char **out, size_t *len,
		   const struct mlreg_zip *zip, const struct mlreg_zip_entry *e,
		   size_t max)
{
	unsigned char *buf;
	uint64_t data;
	size_t got = 0;
	int ended = 1, err;

	*out = NULL;
	*len = 0;
	if (e->usize > max || e->usize >= SIZE_MAX - 1) {
		char why[96];
		snprintf(why, sizeof(why),
			 "is too large (%llu bytes, at most %zu are read)",
			 (unsigned long long)e->usize, max);
		return bad_member(zip, e, why);
	}
	if ((err = member_data(&data, zip, e)) < 0)
		return err;
	buf = xmalloc((size_t)e->usize + 2);
	if (e->method == 0) {
		err = mlreg_src_read(zip->src, data, buf, (size_t)e->usize);
		got = (size_t)e->usize;
	} else {
		/* a byte more than declared, to notice a longer member */
		err = inflate_member(buf, (size_t)e->usize + 1, &got, &ended,
				     zip, e, data);
		if (!err && (got != e->usize || !ended))
			err = bad_member(
				zip, e,
				"inflates to a size other than declared");
	}
	if (!err && crc32(0L, buf, (uInt)got) != e->crc)
		err = bad_member(zip, e, "fails its CRC-32 check");
	if (err) {
		free(buf);
		return err;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int mlreg_zip_read_head(unsigned char *buf, size_t want, size_t *got,
			const struct mlreg_zip *zip,
			const struct mlreg_zip_entry *e)
{
	uint64_t data;
	int ended, err;

	*got = 0;
	if (e->usize < want)
		want = (size_t)e->usize;
	if ((err = member_data(&data, zip, e)) < 0)
		return err;
	if (e->method == 0) {
		if ((err = mlreg_src_read(zip->src, data, buf, want)) < 0)
			return err;
		*got = want;
		return 0;
	}
	return inflate_member(buf, want, got, &ended, zip, e, data);
}

int mlreg_zip_extract(const struct mlreg_zip *zip, const struct mlreg_zip_entry *e, int fd,
		      const char *what)
{
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
	uint64_t data, done = 0, written = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	int err, ended = 0;
	z_stream z;

	memset(&z, 0, sizeof(z));
	if ((err = member_data(&data, zip, e)) < 0)
		goto done;
	if (e->method == 0) {
		/* stored: copied as it is, e->csize == e->usize */
		while (!err && done < e->csize) {
			size_t n = e->csize - done < CHUNK ? (size_t)(e->csize - done) : CHUNK;
			if ((err = mlreg_src_read(zip->src, data + done, in, n)) < 0 ||
			    (err = mlreg_write_all(fd, in, n, what)) < 0)
				break;
			crc = crc32(crc, in, (uInt)n);
			done += n;
			written += n;
		}
		ended = 1;
	} else if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
		err = bad_member(zip, e, "cannot be inflated (zlib failed to start)");
		goto done;
	}
	while (!err && !ended) {
		int ret;
		size_t got;
		if (z.avail_in == 0 && done < e->csize) {
			size_t n = e->csize - done < CHUNK ? (size_t)(e->csize - done) : CHUNK;
			if ((err = mlreg_src_read(zip->src, data + done, in, n)) < 0)
				break;
			done += n;
			z.next_in = in;
			z.avail_in = (uInt)n;
		}
		z.next_out = out;
		z.avail_out = CHUNK;
		ret = inflate(&z, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
			err = bad_member(zip, e, "has corrupt deflate data");
			break;
		}
		got = CHUNK - z.avail_out;
		if (got > e->usize - written) {	/* never more than declared */
			err = bad_member(zip, e, "inflates to a size other than declared");
			break;
		}
		if (got && (err = mlreg_write_all(fd, out, got, what)) < 0)
			break;
		crc = crc32(crc, out, (uInt)got);
		written += got;
		if (ret == Z_STREAM_END)
			ended = 1;
		else if (!got && z.avail_in == 0 && done == e->csize)
			err = bad_member(zip, e, "has truncated deflate data");
	}
	if (!err && written != e->usize)
		err = bad_member(zip, e, "inflates to a size other than declared");
	if (!err && crc != e->crc)
		err = bad_member(zip, e, "fails its CRC-32 check");
	if (e->method != 0)
		inflateEnd(&z);
done:
	free(in);
	free(out);
	return err;
}
