/*
 * mlreg init [DIR]: create a store.
 */
#include <stdlib.h>

#include "cmd.h"

/* What 'mlreg init -h' prints: kept beside the options parsed below. */
const char cmd_init_usage[] =
	"usage: mlreg init [DIR]\n"
	"\n"
	"Creates DIR/.mlreg (DIR defaults to the current directory), or the store\n"
	"named by --store or MLREG_DIR when DIR is not given.\n";

int cmd_init(int argc, char **argv, struct mlreg_store *unused)
{
	static const struct option opts[] = { { 0 } };
	const char *env = getenv("MLREG_DIR");
	char *path;
	int c, err;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1)
		if (c == '?')
			return EXIT_USAGE;
	if (argc - optind > 1)
		return cmd_usage_error("too many arguments");
	if (argc - optind == 1)
		path = xasprintf("%s/%s", argv[optind], MLREG_STORE_DIRNAME);
	else if (store_option)
		path = xstrdup(store_option);
	else if (env && *env)
		path = xstrdup(env);
	else
		path = xstrdup(MLREG_STORE_DIRNAME);
	err = mlreg_store_init(path);
	free(path);
	return err < 0 ? cmd_fail(err == MLREG_EEXISTS ? MLREG_EOS : err) : EXIT_OK;
}
