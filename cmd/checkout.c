/*
 * mlreg checkout NAME[@N] DIR: write a version's files into DIR.
 */
#include <stdlib.h>

#include "cmd.h"

/* What 'mlreg checkout -h' prints: kept beside the options parsed below. */
const char cmd_checkout_usage[] =
	"usage: mlreg checkout NAME[@N] DIR [--force]\n"
	"\n"
	"    -f, --force           overwrite files in DIR that have other content\n";

int cmd_checkout(int argc, char **argv, struct mlreg_store *store)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	cJSON *version = NULL;
	char *name = NULL;
	long n;
	int c, err, force = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "f", opts)) != -1) {
		if (c == 'f')
			force = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments"
				       : argc - optind == 1 ? "missing target directory"
				       : "missing model name");
	if ((ret = cmd_resolve(store, argv[optind], &name, &n, 1)) != EXIT_OK)
		return ret;
	if ((err = mlreg_version_load(&version, store, name, n)) < 0 ||
	    (err = mlreg_checkout(store, version, argv[optind + 1], force)) < 0)
		ret = cmd_fail(err);
	cJSON_Delete(version);
	free(name);
	return ret;
}
