/*
 * A bounded reader of zip archives, enough to look inside the zip-based
 * model formats (Keras 3 .keras, PyTorch's torch.save archives, NumPy .npz)
 * without extracting them: it finds the end-of-central-directory record in
 * the archive's last 64 KiB (zip64 too), lists the central directory with a
 * cap on the entry count and on name lengths, and reads one member, stored
 * or deflated, into memory up to a size the caller names.  Every offset and
 * size the archive claims is checked against the file before it is used.
 *
 * It also declares the two parsers of lib/inspect/npy.c and
 * lib/inspect/pickle.c that lib/inspect/zip-formats.c applies to members (an npz's
 * arrays, a PyTorch archive's data.pkl); they belong to inspect.h's family
 * but live here so that inspect.h stays as it is.
 */
#ifndef MLREG_ZIP_H
#define MLREG_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

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

/*
 * lib/inspect/npy.c: returns 0 and in *details a new object describing the
 * .npy whose first len bytes are buf (they must hold its whole header) and
 * whose total size is size: descr, type, fortran_order, shape, itemsize,
 * data_bytes; *object_array is set to 1 for an array of Python objects.
 * MLREG_EINVALID with a message naming name when the header is malformed
 * or the data does not fit in size.
 */
int mlreg_npy_describe(cJSON **details, int *object_array,
		       const unsigned char *buf, size_t len, uint64_t size,
		       const char *name);

/* What mlreg_pickle_scan() found. */
struct mlreg_pickle_scan {
	int protocol;		/* from the first PROTO opcode; 0 without */
	int torch_legacy;	/* the first object is torch's magic number */
	int joblib;		/* a joblib global was seen */
	int complete;		/* the whole stream was walked */
	int pickles;		/* pickles walked (torch legacy: 5) */
	cJSON *globals;		/* array of up to 50 distinct "module.name" */
	int globals_truncated;	/* more distinct globals seen than listed */
	int unresolved;		/* STACK_GLOBALs of unknown names */
	cJSON *dangerous;	/* array: those that can run commands or code */
	const char *framework;	/* guessed from the globals, or NULL */
	char stop[160];		/* why the walk stopped early, or "" */
};

/*
 * lib/inspect/pickle.c: returns 0 after walking the pickle opcodes of src
 * (never executing them) into *scan, whose arrays the caller frees with
 * mlreg_pickle_scan_free(); MLREG_EINVALID naming src when its first pickle
 * is malformed.  partial says src holds only the stream's beginning, so
 * that running out of bytes ends the walk instead of failing it.
 */
int mlreg_pickle_scan(struct mlreg_pickle_scan *scan,
		      const struct mlreg_src *src, int partial);

/* Frees the arrays of a scan. */
void mlreg_pickle_scan_free(struct mlreg_pickle_scan *scan);

#endif
