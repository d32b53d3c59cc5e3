/*
 * Shared by the commands that talk to a remote (see transfer.c).
 */
#ifndef MLREG_CMD_TRANSFER_H
#define MLREG_CMD_TRANSFER_H

#include "remote/remote.h"
#include "remote/sync.h"

/* Fills o with defaults and the MLREG_JOBS, MLREG_RETRIES, MLREG_RETRY_DELAY_MS
 * and MLREG_TIMEOUT settings of the environment. */
void cmd_transfer_defaults(struct mlreg_sync_opts *o);

/*
 * Returns 0 and in *out the remote named by argv[*first] (then skipped) when
 * a remote has that name, else the default remote; an exit code after
 * printing the error otherwise.
 */
int cmd_transfer_remote(struct mlreg_remote **out, const struct mlreg_store *store, int argc,
			char **argv, int *first);

/* Runs 'mlreg upload' (download 0) or 'mlreg download' (download 1). */
int cmd_sync(int argc, char **argv, struct mlreg_store *store, int download);
#endif
