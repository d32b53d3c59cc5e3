/*
 * Writing a version's files into a directory, and verifying a whole store.
 */
#ifndef MLREG_CHECKOUT_H
#define MLREG_CHECKOUT_H

#include <cjson/cJSON.h>

#include "store.h"

/*
 * Returns 0 after writing every file of version (a version object) under
 * dir, each verified against its SHA-256 while copied and renamed into place
 * only when whole.  Paths are validated and no symlink inside dir is
 * followed, so nothing is written outside dir.  Without force, an existing
 * file with other content is MLREG_ECONFLICT and nothing is written.
 */
int mlreg_checkout(const struct mlreg_store *store, const cJSON *version, const char *dir,
		   int force);

/*
 * Returns 1 when name is that of checkout's temporary files,
 * .mlreg-checkout-PID-N: each file is written to one beside its target,
 * held with flock(2), then renamed over the target.  One that a killed
 * checkout left (unlocked, unchanged for a minute) is removed by the next
 * checkout into that directory, and register never takes one.
 */
int mlreg_checkout_is_tmp(const char *name);

/* Called by mlreg_fsck() once for each problem found, with a one-line description. */
typedef void (*mlreg_fsck_fn)(void *ctx, const char *problem);

/*
 * Returns 0 after checking the whole store (objects, model records, version
 * records and their id chains, file references), with *problems counting
 * what report was told about; an error only when the check itself failed.
 */
int mlreg_fsck(const struct mlreg_store *store, mlreg_fsck_fn report, void *ctx,
	       unsigned long *problems);

#endif
