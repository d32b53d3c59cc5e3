/*
 * mlreg init [DIR]: create a store, and keep it out of the git work tree
 * that holds it (the repository's info/exclude, through provenance.h).
 */
#include <stdlib.h>

#include "cmd.h"
#include "provenance.h"

/* What 'mlreg init -h' prints: kept beside the options parsed below. */
const char cmd_init_usage[] =
	"usage: mlreg init [-q] [DIR]\n"
	"\n"
	"Creates DIR/.mlreg (DIR defaults to the current directory), or the store\n"
	"named by --store or MLREG_DIR when DIR is not given.  Inside a git work\n"
	"tree, adds the store to the repository's info/exclude and says so.\n"
	"\n"
	"    -q, --quiet    do not say that the store was added to info/exclude\n";

int cmd_init(int argc, char **argv, struct mlreg_store *unused)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	const char *env = getenv("MLREG_DIR");
	char *path, *file = NULL, *pattern = NULL;
	int c, err, quiet = 0;

	while ((c = cmd_getopt(argc, argv, "q", opts)) != -1) {
		if (c == 'q')
			quiet = 1;
		else
			return EXIT_USAGE;
	}
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
	if ((err = mlreg_store_init(path)) < 0) {
		free(path);
		return cmd_fail(err == MLREG_EEXISTS ? MLREG_EOS : err);
	}
	/* the store is made: a failure to exclude it is only a warning */
	err = mlreg_provenance_exclude(&file, &pattern, path);
	if (err < 0) {
		cmd_warn(NULL, mlreg_error_message());
	} else if (err == 1 && !quiet) {
		char *msg = xasprintf("added '%s' to '%s' to keep the store out of git",
				      pattern, file);
		cmd_print_message(stderr, "", msg);
		free(msg);
	}
	free(file);
	free(pattern);
	free(path);
	return EXIT_OK;
}
