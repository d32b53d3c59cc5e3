/*
 * mlreg download [REMOTE] [NAME[@N]...]: bring versions, and the files of
 * the ones named, into the local store.  Prints each version whose record
 * was received as NAME@N (--json: a summary).
 */
#include "cmd.h"
#include "transfer.h"

int cmd_download(int argc, char **argv, struct mlreg_store *store)
{
	return cmd_sync(argc, argv, store, 1);
}
