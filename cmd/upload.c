/*
 * mlreg upload [REMOTE] [NAME[@N]...]: send versions the remote lacks.
 * Prints each version sent as NAME@N (--json: a summary).
 */
#include "cmd.h"
#include "transfer.h"

int cmd_upload(int argc, char **argv, struct mlreg_store *store)
{
	return cmd_sync(argc, argv, store, 0);
}
