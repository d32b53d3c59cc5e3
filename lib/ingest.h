/*
 * The ingest engine: the files of one version stored as objects of the
 * store's current batch (object.h), several at once.  A small bounded pool
 * of threads (one a CPU, at most MLREG_INGEST_MAX_THREADS) takes the files
 * in order; each opens its file, checks it is regular and streams it into
 * an object with a buffer of its own (a large file in two threads, see
 * mlreg_object_write_fd_buf()).  What the caller sees does not depend on
 * the number of threads: results are kept per entry, in the caller's
 * order, and the error reported is the one of the lowest-numbered file
 * that failed, which is the one a single thread would have met first
 * (files are taken in order, and every file taken is finished).
 */
#ifndef MLREG_INGEST_H
#define MLREG_INGEST_H

#include <stdint.h>
#include <sys/stat.h>

#include "object.h"
#include "store.h"
#include "util.h"

#define MLREG_INGEST_MAX_THREADS 8

/* One file to store: inputs, then what storing it found. */
struct mlreg_ingest_item {
	const char *src;	/* in: the file to read */
	const char *path;	/* in: its name in the version (progress only) */
	int known;		/* in: hex and size are its content's already (a stat
				   cache found it unchanged): when the store has
				   that object, the file is not opened */
	char hex[MLREG_HEX_LEN + 1];	/* out (in when known): its object */
	uint64_t size;		/* out (in when known): its length */
	struct stat st;		/* out: fstat(2) of the source as opened and read;
				   all zero when it was not opened (known) */
};

struct mlreg_ingest_opts {
	mlreg_progress_fn progress;	/* bytes done in the file shown, may be NULL */
	void (*file_start)(void *ctx, const char *path, uint64_t size);	/* may be NULL */
	void *ctx;		/* given to both */
	unsigned threads;	/* 0: the environment's MLREG_INGEST_THREADS, else
				   the online CPUs; capped at MLREG_INGEST_MAX_THREADS */
};

/*
 * Returns 0 after storing the n items as objects of store's batch (which
 * the caller began and commits or aborts), filling hex, size and st; the
 * first error otherwise (above), with its message: nothing else is
 * stored after it, and the caller aborts the batch.  The callbacks are
 * called one at a time, never together: file_start() for a file, then
 * progress() for that file only, until the next file_start(); with
 * several threads a file stored while another is shown is shown from
 * when the meter is free (its end at least, when the meter is free then).
 */
int mlreg_ingest(struct mlreg_store *store, struct mlreg_ingest_item *v, size_t n,
		 const struct mlreg_ingest_opts *o);

#endif
