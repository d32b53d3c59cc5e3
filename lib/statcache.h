/*
 * The stat cache, <store>/statcache (store-format.md section 2.1): what a
 * source file hashed to, keyed by its path and checked against what stat(2)
 * says of it (device, inode, size, mtime and ctime in nanoseconds), so that
 * 'mlreg register' of files it has stored before neither reads nor hashes
 * nor copies them again: git's index, for register.
 *
 * It is a derived cache, never the truth: a missing, truncated, corrupt or
 * foreign file (bad magic, version, sizes, order or checksum) is ignored as
 * if empty and replaced by the next register that writes one; it is never
 * fatal.  It is read with one read(2) into one buffer and searched there by
 * binary search (its entries are sorted by path): no allocation per entry.
 *
 * Invariants:
 * - a hit needs every stat field equal, and git's racy-timestamp rule: an
 *   entry whose mtime or ctime is not older than the cache file's own
 *   mtime (when it was written) is not trusted, since the file may have
 *   changed within the same timestamp tick after it was hashed;
 * - a hit is returned only when the object it names exists in the store as
 *   a regular file of the entry's size (gc or a hand may have removed it);
 *   the caller holds the gc lock from the look-up to its commit, so the
 *   object cannot go away in between;
 * - the file is replaced whole (temporary file in tmp/, then rename): two
 *   registers at once each write a complete cache and the last rename wins;
 *   either cache is correct, a lost entry only costs a re-hash;
 * - it is bounded: entries not seen for MLREG_STATCACHE_MAX_AGE seconds are
 *   dropped, at most MLREG_STATCACHE_MAX_ENTRIES are kept (the least
 *   recently seen go first), and a file above MLREG_STATCACHE_MAX_BYTES is
 *   not read.
 *
 * Threats: the cache is not authenticated (its checksum finds damage, not
 * forgery).  Whoever can write the store can plant one; what a lying cache
 * can then do is make register record, for a file, another object of the
 * store that has the same size: the record still names an object that
 * exists with the size it says (fsck stays clean, checkout verifies the
 * hash), but not the file's bytes.  It cannot make register name an object
 * the store lacks, or one of another size, and it cannot make register
 * read or write outside the store.  The same writer could as well rewrite
 * the records; 'register' of a file whose bytes matter more than the
 * store's permissions say can be made with MLREG_STATCACHE=0.
 *
 * Disabled by MLREG_STATCACHE=0 in the environment or register.statCache
 * = false in the store's config: then it is neither read nor written.
 */
#ifndef MLREG_STATCACHE_H
#define MLREG_STATCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define MLREG_STATCACHE_MAX_AGE (30L * 24 * 3600)	/* seconds unseen before dropped */
#define MLREG_STATCACHE_MAX_ENTRIES 1000000
#define MLREG_STATCACHE_MAX_BYTES (256u << 20)

struct stat;
struct mlreg_statcache;

/*
 * Returns 0 and in *out the store's stat cache (empty when the file is
 * missing or not valid), or *out NULL when it is disabled; MLREG_EINVALID
 * when register.statCache is not a boolean.
 */
int mlreg_statcache_open(struct mlreg_statcache **out, const struct mlreg_store *store);

/*
 * Returns 1 and the object's hex name (65 bytes) when the cache holds src
 * (as given; a relative path is taken from the current directory) with
 * exactly the stat st, trusted (not racy), and the store has that object at
 * that size; 0 otherwise (re-hash it).
 */
int mlreg_statcache_lookup(struct mlreg_statcache *c, const char *src, const struct stat *st,
			   char *hex);

/* Remembers that src, as st describes it, holds the bytes of object hex. */
void mlreg_statcache_record(struct mlreg_statcache *c, const char *src, const struct stat *st,
			    const char *hex);

/*
 * Returns 0 after writing the cache when it changed (new entries, dropped
 * ones, or hits to mark seen), or when nothing needed writing; MLREG_EOS
 * when it could not be written (callers ignore it: it is a cache).
 */
int mlreg_statcache_save(struct mlreg_statcache *c);

/* Frees the cache (NULL is fine); what was not saved is lost. */
void mlreg_statcache_free(struct mlreg_statcache *c);

/*
 * Returns 0 when the store's cache file is valid or missing (*entries gets
 * its entry count, 0 when missing); MLREG_ECORRUPT with a message saying
 * what is wrong otherwise.  For fsck: a bad cache is harmless (ignored).
 */
int mlreg_statcache_check(const struct mlreg_store *store, uint64_t *entries);

#endif
