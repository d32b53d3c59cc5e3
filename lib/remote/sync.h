/*
 * Upload and download: moving versions between the local store and a
 * remote (transport.h), in the remote layout of store-format.md section 10.
 *
 * Upload sends objects first (small ones packed), then version records,
 * then the events (aliases, deprecations) naming them, then model records,
 * so nothing on a remote ever names data that is not there; a version record is created only where none exists (a conditional
 * put where the server honours it, check-then-verify where it does not), so
 * two stores that made different NAME@N never overwrite each other.
 * Download verifies every object's SHA-256 and every record's place in its
 * model's chain of ids (versions and events), and replays the events,
 * before the local model record, the commit point, makes them visible.
 *
 * The implementation: sync-common.c, sync-inventory.c, sync-upload.c and
 * sync-download.c, whose shared internals are in sync-int.h.
 */
#ifndef MLREG_SYNC_H
#define MLREG_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "remote.h"
#include "store.h"
#include "transport.h"

/* How far a transfer is, for a progress bar. */
struct mlreg_sync_progress {
	uint64_t bytes_done, bytes_total;	/* object bytes moved and to move */
	uint64_t objects_done, objects_total;	/* objects stored and to store */
};

struct mlreg_sync_opts {
	char *const *refs;	/* NAME or NAME@N; none: every model */
	size_t nrefs;
	int all_versions;	/* download: the files of every version, not only the named */
	long verify_delay_ms;	/* upload without conditional writes: wait this long before
				   verifying a record put (< 0: 1000) */
	struct mlreg_tr_opts tr;
	/* Called at most about ten times a second, and once at the end; may be NULL. */
	void (*progress)(void *ctx, const struct mlreg_sync_progress *p);
	void *ctx;
};

/*
 * Returns 0 after uploading the selected versions (every local version when
 * there are no refs) that the remote lacks; *summary (may be NULL) gets a
 * summary object (store-format.md, mlreg-upload(1)).  MLREG_ECONFLICT when
 * the remote holds another version under a number being uploaded: that
 * model's versions from there on are not sent, the others are; or another
 * event: that model's events from there on are not sent, its versions are.
 */
int mlreg_upload(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		 const struct mlreg_sync_opts *o);

/*
 * Returns 0 after bringing the selected versions (the remote's latest of
 * each ref without @N; every model when there are no refs) into the store,
 * with their files (objects) and the records of the versions before them.
 * NAME@ALIAS and NAME@latest are resolved by the remote's events.
 * MLREG_ECONFLICT when the local store has another version under a number
 * the remote uses (nothing of that model moves), or another event (its
 * versions move, its events do not); MLREG_ECORRUPT when the remote's data
 * is not what its names say.  Nothing becomes visible for a model that
 * failed.
 */
int mlreg_download(cJSON **summary, struct mlreg_store *store, const struct mlreg_remote *r,
		   const struct mlreg_sync_opts *o);

/* Returns 0 and in *out an array of the remote's model records (as mlreg list). */
int mlreg_remote_models(cJSON **out, const struct mlreg_remote *r,
			const struct mlreg_sync_opts *o);

/*
 * Returns 0 and in *out the remote's versions of model name, newest first,
 * each with its id, aliases and deprecated (the remote's events replayed),
 * as mlreg list-versions prints them; only records chained from version 1
 * count.  MLREG_ENOTFOUND when the remote has no such model.
 */
int mlreg_remote_versions(cJSON **out, const struct mlreg_remote *r, const char *name,
			  const struct mlreg_sync_opts *o);

#endif
