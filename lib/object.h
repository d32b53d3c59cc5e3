/*
 * Loose objects: files stored once under objects/XX/YYYY... where XXYYYY...
 * is the SHA-256 of their bytes.  Content is kept raw, so an object can be
 * checked with sha256sum and copied out without decoding.  Bytes are
 * streamed: read, hashed and written in one pass in constant memory.
 */
#ifndef MLREG_OBJECT_H
#define MLREG_OBJECT_H

#include <stdint.h>
#include <sys/stat.h>

#include "store.h"
#include "util.h"

/* The copy buffer's size: mlreg_object_write_fd_buf()'s callers allocate it. */
#define MLREG_OBJECT_CHUNK (1u << 20)

/* Called during long copies with the bytes done so far in this object. */
typedef void (*mlreg_progress_fn)(void *ctx, uint64_t done);

/*
 * Returns 0 after storing everything readable from fd as an object, its hex
 * address in hex (65 bytes) and its size in *size; what names the source in
 * errors.  A store that already has the object keeps its copy (the new
 * copy is discarded once its hash is known).
 */
int mlreg_object_write_fd(struct mlreg_store *store, int fd, const char *what,
			  char *hex, uint64_t *size, mlreg_progress_fn progress, void *ctx);

/*
 * Returns as mlreg_object_write_fd(), copying through buf, the caller's
 * MLREG_OBJECT_CHUNK bytes; st (may be NULL) is the source's fstat.  Threads
 * may call it at once on one batch, each with its own buffer (ingest.c).
 * A source of 4 MiB or more is read and hashed by this thread while a
 * second one writes what was hashed: the object holds exactly the bytes
 * hashed, whatever another process does to the source meanwhile, and the
 * write-back of what is written is started every 8 MiB.
 */
int mlreg_object_write_fd_buf(struct mlreg_store *store, int fd, const struct stat *st,
			      const char *what, char *hex, uint64_t *size,
			      mlreg_progress_fn progress, void *ctx, char *buf);

/*
 * Batched durability (store-format.md section 2).  Between
 * mlreg_object_batch_begin() and mlreg_object_batch_commit(), the objects
 * mlreg_object_write_fd() and object writers store are written without fsync into a
 * directory of the batch's own, tmp/batch-XXXXXX, which this process holds
 * locked (flock) for the batch's life, as files 0, 1, 2... whose hashes it
 * keeps in memory (one copy buffer serves them all).  Commit makes them all
 * durable with one syncfs(2), then renames
 * each to objects/XX/ and makes the renames durable with a second syncfs:
 * two flushes however many objects, where writing them one at a time costs
 * two fsyncs an object (the file, its objects/XX directory).
 *
 * Invariant: an object is never visible under its name before its bytes
 * are on the disk (the first syncfs comes before any rename), so a power
 * cut cannot leave a named object that is empty or short, which a later
 * writer would reuse on its name alone.  Nothing of a batch is visible
 * before commit; the caller writes the record naming the objects only
 * after it.  A process killed mid-batch leaves only its directory, which
 * the next register (mlreg_object_prune_tmp()) or gc removes once nobody
 * holds its lock.  syncfs flushes the whole file system: on a disk shared
 * with a busy writer it waits for that writer's data too, but twice per
 * batch rather than twice per object.
 */
int mlreg_object_batch_begin(struct mlreg_store *store);

/* Returns 0 once every object of the batch is durable and visible; ends the batch. */
int mlreg_object_batch_commit(struct mlreg_store *store);

/* Ends the batch (if any), removing what it wrote that is not yet visible. */
void mlreg_object_batch_abort(struct mlreg_store *store);

/*
 * Returns 1 after removing (unless dry) tmp/ entry name (tfd: tmp/ open) when
 * it is the directory of a dead batch: nobody holds its lock and it has not
 * changed for grace_s seconds; *count and *bytes (may be NULL) grow by the
 * files it held.  0 when it is not, or is alive.  Regular files only are
 * removed; a link or anything else inside keeps the directory.
 */
int mlreg_object_sweep_batch(int tfd, const char *name, long grace_s, int dry,
			     uint64_t *count, uint64_t *bytes);

/* Returns 0 after storing len bytes of buf as an object (hex as above). */
int mlreg_object_write_buf(struct mlreg_store *store, const void *buf, size_t len, char *hex);

/* Returns the malloc'd path of object hex. */
char *mlreg_object_path(const struct mlreg_store *store, const char *hex);

/* Returns 1 when the store has object hex, else 0. */
int mlreg_object_exists(const struct mlreg_store *store, const char *hex);

/*
 * Returns 1 when the store has object hex, after setting its mtime to now
 * (best effort), else 0.  A writer that reuses an object it found stored
 * calls this, so that gc's grace period (store-format.md, "Garbage
 * collection") counts from this use, not from when the object was first
 * written: an old unreferenced object is not pruned under a writer that
 * does not hold the gc lock.
 */
int mlreg_object_freshen(const struct mlreg_store *store, const char *hex);

/*
 * The gc lock, <store>/gc.lock (opened without following a link, created
 * 0644 when missing).  Every writer that stores objects and then a record
 * naming them (register, import, download) holds it shared from before its
 * first object until its record is committed or it gave up; 'mlreg gc'
 * holds it exclusive while it lists references and deletes, so an object a
 * writer in flight will reference is never deleted, whatever --prune says.
 * A process that dies drops its flock(2), so a killed writer never blocks
 * gc.  Returns the descriptor holding the lock (>= 0), waiting up to
 * timeout_ms; MLREG_ELOCKED after that, MLREG_EOS when it cannot be opened.
 */
int mlreg_object_lock(const struct mlreg_store *store, int exclusive, int timeout_ms);

/* Releases a lock mlreg_object_lock() returned; a negative fd is ignored. */
void mlreg_object_unlock(int fd);

/*
 * Returns 0 after copying object hex to fd while verifying it has the
 * expected size and hash; MLREG_ENOTFOUND when missing, MLREG_ECORRUPT when
 * its content does not match, MLREG_EOS on I/O errors.
 */
int mlreg_object_copy_to_fd(const struct mlreg_store *store, const char *hex,
			    uint64_t size, int fd, const char *dest);

/* Receives an object's bytes in order; returns 0 or an error that stops the stream. */
typedef int (*mlreg_sink_fn)(void *ctx, const void *buf, size_t len);

/*
 * Returns 0 after reading object hex through sink (may be NULL) in chunks,
 * with the SHA-256 of what was read in actual (65 bytes) and its length in
 * *size; MLREG_ENOTFOUND, MLREG_EOS or the sink's error otherwise.  It does
 * not compare: callers decide what a mismatch means.
 */
int mlreg_object_stream(const struct mlreg_store *store, const char *hex, mlreg_sink_fn sink,
			void *ctx, char *actual, uint64_t *size);

/*
 * An object arriving from elsewhere (a remote): its bytes go to a temporary
 * file in the store, appended in order or written at offsets, and become an
 * object only when mlreg_object_writer_commit() finds they hash to the name
 * they were sent for.  A writer opened while the store has a batch
 * (mlreg_object_batch_begin()) writes into the batch: its commit checks the
 * hash and hands the file to the batch, whose commit makes it durable and
 * names it with the others (download does this, as register does).
 */
struct mlreg_object_writer {
	struct mlreg_store *store;
	int fd;			/* the temporary file, -1 when closed */
	char *tmp;		/* its path */
	struct mlreg_sha256 h;	/* over the bytes appended in order */
	uint64_t size;		/* bytes appended, or hashed in order (scattered) */
	int scattered;		/* bytes were written at offsets: the hash covers the first
				   size bytes of the file; commit hashes the rest */
	uint64_t flushed;	/* appended bytes whose write-back was started */
	int batched;		/* written into the store's batch (object.h above): commit
				   neither fsyncs nor names it, batch commit does */
	unsigned file;		/* batched: its file in the batch's directory */
};

/* Returns 0 after opening a new writer in w (in the store's batch, if any), or MLREG_EOS. */
int mlreg_object_writer_open(struct mlreg_object_writer *w, struct mlreg_store *store);

/*
 * Returns 0 after opening a new writer in w outside any batch, or
 * MLREG_EOS: its commit fsyncs and names it at once.  For a large object,
 * whose own fsync costs little beside its bytes, and which then neither
 * holds back the batch's commit nor is lost with it.
 */
int mlreg_object_writer_open_alone(struct mlreg_object_writer *w, struct mlreg_store *store);

/* Returns 0 after appending len bytes, or MLREG_EOS (a full disk...). */
int mlreg_object_writer_append(struct mlreg_object_writer *w, const void *buf, size_t len);

/* Returns 0 after writing len bytes at offset off (any order), or MLREG_EOS. */
int mlreg_object_writer_pwrite(struct mlreg_object_writer *w, const void *buf, size_t len,
			       uint64_t off);

/*
 * Returns 0 after adding to the hash the len bytes written at offset off by
 * mlreg_object_writer_pwrite(), which must start where the hashed bytes
 * end, and starting their write-back to disk (so the final fsync has less
 * to do); MLREG_EOS on a read error.  Done as ranges complete, it spares
 * the commit a second pass over a large object.
 */
int mlreg_object_writer_absorb(struct mlreg_object_writer *w, uint64_t off, uint64_t len);

/*
 * Returns 0 after storing the bytes as object hex when they are exactly
 * size bytes hashing to hex; MLREG_ECORRUPT (the SHA-256 they have in
 * actual, 65 bytes) when they are not, and nothing is stored.  The writer
 * is closed either way.
 */
int mlreg_object_writer_commit(struct mlreg_object_writer *w, const char *hex, uint64_t size,
			       char *actual);

/* Throws the bytes away and closes the writer; safe on a closed one. */
void mlreg_object_writer_abort(struct mlreg_object_writer *w);

/*
 * Returns 0 after removing the temporary files of writers that died (files
 * in tmp/ that nobody holds locked and that did not change for a minute);
 * *removed counts them.
 */
int mlreg_object_prune_tmp(struct mlreg_store *store, unsigned *removed);

#endif
