/*
 * A bounded reader of zip archives, enough to look inside the zip-based
 * model formats (Keras 3 .keras, PyTorch's torch.save archives, NumPy .npz)
 * without extracting them: it finds the end-of-central-directory record in
 * the archive's last 64 KiB (zip64 too), lists the central directory with a
 * cap on the entry count and on name lengths, and reads one member, stored
 * or deflated, into memory up to a size the caller names.  Every offset and
 * size the archive claims is checked against the file before it is used.
 */
#ifndef MLREG_ZIP_H
#define MLREG_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "inspect.h"

#define MLREG_ZIP_MAX_ENTRIES 100000	/* central directory entries read */
#define MLREG_ZIP_MAX_NAME 4096		/* bytes in a member's name */

/* One member, as the central directory describes it. */
struct mlreg_zip_entry {
	char *name;		/* NUL-terminated (no NUL inside) */
	uint64_t csize;		/* compressed size in bytes */
	uint64_t usize;		/* uncompressed size in bytes */
	uint64_t local_off;	/* offset of the member's local file header */
	uint32_t crc;		/* CRC-32 of the uncompressed bytes */
	uint16_t method;	/* 0 stored, 8 deflated; others are refused */
	uint16_t flags;		/* general purpose flags; bit 0: encrypted */
};

/* An open archive: its source and its central directory. */
struct mlreg_zip {
	const struct mlreg_src *src;	/* the archive's bytes */
	struct mlreg_zip_entry *entries;	/* in central directory order */
	size_t count;			/* number of entries */
};

/*
 * Returns 0 after reading src's central directory into zip;
 * MLREG_EINVALID naming src when it is not a well-formed zip archive
 * (no end record, offsets past the end, too many entries, a spanned
 * archive).  Release with mlreg_zip_close() in either case.
 */
int mlreg_zip_open(struct mlreg_zip *zip, const struct mlreg_src *src);

/* Frees what mlreg_zip_open() allocated; zip may be half-filled. */
void mlreg_zip_close(struct mlreg_zip *zip);

/* Returns the first entry named name, or NULL. */
const struct mlreg_zip_entry *mlreg_zip_find(const struct mlreg_zip *zip,
					     const char *name);

/*
 * Returns 0 and the whole of member e in *out (malloc'ed, len bytes plus a
 * NUL not counted), its CRC checked; MLREG_EINVALID when it is larger than
 * max bytes, compressed by an unsupported method, encrypted, corrupt, or
 * lies outside the archive.
 */
int mlreg_zip_read(unsigned char **out, size_t *len,
		   const struct mlreg_zip *zip, const struct mlreg_zip_entry *e,
		   size_t max);

/*
 * Returns 0 and the first min(want, e->usize) bytes of member e in buf,
 * their count in *got; for a deflated member only that much is inflated.
 * Errors as mlreg_zip_read().
 */
int mlreg_zip_read_head(unsigned char *buf, size_t want, size_t *got,
			const struct mlreg_zip *zip,
			const struct mlreg_zip_entry *e);

/*
 * Returns 0 after writing the whole of member e to fd (what names fd in
 * errors), inflating it a chunk at a time, never more bytes than the
 * central directory declares, its CRC checked; errors as mlreg_zip_read(),
 * or MLREG_EOS when a write fails.
 */
int mlreg_zip_extract(const struct mlreg_zip *zip, const struct mlreg_zip_entry *e, int fd,
		      const char *what);

#endif
