/*
 * mlreg list-versions NAME: a model's versions, newest first.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "transfer.h"

/* What 'mlreg list-versions -h' prints: kept beside the options parsed below. */
const char cmd_list_versions_usage[] =
	"usage: mlreg list-versions NAME [--remote REMOTE] [--json]\n"
	"\n"
	"    --remote REMOTE       the versions on a remote (no file is downloaded)\n"
	"    --json                print an array of version objects\n";

int cmd_list_versions(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_REMOTE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ 0 }
	};
	const char *remote = NULL;
	cJSON *list = NULL, *v;
	int c, err, json = 0;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_REMOTE)
			remote = optarg;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
	if ((err = mlreg_name_validate(argv[optind])) < 0)
		return cmd_fail(err);
	if (remote) {
		struct mlreg_remote *r;
		struct mlreg_sync_opts o;
		if ((err = mlreg_remote_get(&r, store, remote)) < 0)
			return cmd_fail(err);
		cmd_transfer_defaults(&o);
		err = mlreg_remote_versions(&list, r, argv[optind], &o);
		mlreg_remote_free(r);
	} else {
		err = mlreg_version_list(&list, store, argv[optind]);
	}
	if (err < 0)
		return cmd_fail(err);
	if (json) {
		cmd_print_json(list);
	} else if (cJSON_GetArraySize(list) > 0) {
		cmd_printf("%-7s  %-12s  %-27s  %10s  %s\n", "VERSION", "ID", "CREATED", "SIZE", "MESSAGE");
		cJSON_ArrayForEach(v, list) {
			char size[32];
			mlreg_human_size(size, sizeof(size), (uint64_t)mlreg_doc_int(v, "size", 0));
			const char *msg = cmd_str(v, "message");
			cmd_printf("%-7lld  %.12s  %-27s  %10s  %.*s\n", mlreg_doc_int(v, "version", 0),
			       cmd_str(v, "id"), cmd_str(v, "created"), size,
			       (int)strcspn(msg, "\r\n"), msg);	/* the subject line only */
		}
	}
	cJSON_Delete(list);
	return EXIT_OK;
}
