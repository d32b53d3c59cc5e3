/*
 * Garbage collection: removing the objects no version record names and the
 * leftovers of writers that died (store-format.md, "Garbage collection").
 *
 * The rules that keep a writer's objects safe:
 *   - the referenced set is every sha256 in the files of every record in
 *     every model's versions/, visible or above latest_version (a register
 *     in flight); a record that cannot be read makes gc refuse to delete
 *     anything (a corrupt store is fsck's to report, not gc's to guess);
 *   - gc lists references and deletes holding the gc lock exclusive
 *     (object.h), which every writer of objects holds shared from its first
 *     object to its commit, so with any prune time, even now, no object a
 *     writer in flight will name is deleted;
 *   - an unreferenced object modified after the prune time is kept (git's
 *     grace period), for writers that do not take the lock; a writer that
 *     reuses a stored object freshens its mtime (mlreg_object_freshen()).
 * The referenced set is a sorted array of 32-byte hashes (bounded by what
 * the store holds); records are read one at a time and never kept.
 */
#ifndef MLREG_GC_H
#define MLREG_GC_H

#include <stdint.h>
#include <time.h>

#include "store.h"

/* How many files, and their bytes. */
struct mlreg_gc_count {
	uint64_t count;
	uint64_t bytes;
};

struct mlreg_gc_opts {
	int dry_run;		/* remove nothing, take no lock: tell what would go */
	int never;		/* --prune=never: keep every unreferenced object */
	struct timespec prune;	/* an unreferenced object modified after this is kept */
	/* Called for each object removed (or that would be, with dry_run); may be NULL. */
	void (*object)(void *ctx, const char *hex, uint64_t size);
	void *ctx;
};

struct mlreg_gc_result {
	struct mlreg_gc_count objects;		/* unreferenced objects removed */
	struct mlreg_gc_count temporary;	/* leftovers of dead writers removed */
	struct mlreg_gc_count kept_recent;	/* unreferenced objects kept: too recent */
};

/*
 * Returns 0 after filling o's prune time from s: "now", "never",
 * "N.UNIT.ago" (UNIT seconds, minutes, hours, days or weeks, singular or
 * plural) or an RFC 3339 time ("2026-11-22T08:25:47Z", an offset or
 * fractional seconds allowed); MLREG_EUSAGE naming the value otherwise.
 */
int mlreg_gc_parse_prune(struct mlreg_gc_opts *o, const char *s);

/* Sets o's prune time to the default, two weeks ago (git's gc.pruneExpire). */
void mlreg_gc_default_prune(struct mlreg_gc_opts *o);

/*
 * Returns 0 after removing (with o->dry_run, counting) what the rules above
 * allow, with the counts in *r: unreferenced objects not modified after the
 * prune time, objects/XX directories left empty, temporary files in tmp/
 * unlocked and unchanged for a minute, and records above latest_version not
 * modified after the prune time (under their model's lock).  A link or
 * anything but a regular file is never followed nor removed.
 * MLREG_ECORRUPT naming an unreadable record (nothing is removed then),
 * MLREG_ELOCKED when a writer held the gc lock too long.
 */
int mlreg_gc(struct mlreg_store *store, const struct mlreg_gc_opts *o,
	     struct mlreg_gc_result *r);

/*
 * Returns 0 with the unreferenced objects (whatever their age) in *out, for
 * fsck; it takes no lock, so it is a snapshot.  MLREG_ECORRUPT when a record
 * cannot be read (fsck reports it its own way).
 */
int mlreg_gc_unreferenced(const struct mlreg_store *store, struct mlreg_gc_count *out);

#endif
