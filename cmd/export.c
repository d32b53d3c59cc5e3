/*
 * mlreg export NAME[@N] --format zip|tar.gz -o FILE|-: the version's files
 * as an artifact archive (ADS-style: the files at the top level), to a file
 * or, with -o -, to standard output (never to a terminal unless --force, as
 * tar and gzip refuse).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "cmd.h"

/* What 'mlreg export -h' prints: kept beside the options parsed below. */
const char cmd_export_usage[] =
	"usage: mlreg export NAME[@N] [--format zip|tar.gz] -o FILE|-\n"
	"\n"
	"    --format FORMAT       zip or tar.gz (default: from FILE's extension)\n"
	"    -o, --output FILE     the archive to write (a regular file); - for stdout\n"
	"    -f, --force           write to stdout even when it is a terminal\n";

int cmd_export(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_FORMAT = 256 };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	const char *format = NULL, *output = NULL;
	cJSON *version = NULL;
	char *name = NULL;
	long n;
	int c, err, ret = EXIT_OK, force = 0, to_stdout;

	while ((c = cmd_getopt(argc, argv, "o:f", opts)) != -1) {
		switch (c) {
		case OPT_FORMAT: format = optarg; break;
		case 'o': output = optarg; break;
		case 'f': force = 1; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing NAME[@N]");
	if (!output)
		return cmd_usage_error("missing -o FILE");
	if (!format) {
		size_t len = strlen(output);
		if (len > 4 && !strcmp(output + len - 4, ".zip"))
			format = "zip";
		else if ((len > 7 && !strcmp(output + len - 7, ".tar.gz")) ||
			 (len > 4 && !strcmp(output + len - 4, ".tgz")))
			format = "tar.gz";
		else
			return cmd_usage_error("missing --format zip|tar.gz");
	}
	if (strcmp(format, "zip") && strcmp(format, "tar.gz"))
		return cmd_usage_error("invalid --format '%s' (zip or tar.gz)", format);
	to_stdout = !strcmp(output, "-");
	if (to_stdout && !force && isatty(STDOUT_FILENO))
		return cmd_usage_error("refusing to write a %s archive to a terminal (use --force "
				       "to write it anyway)", format);
	if ((ret = cmd_resolve(store, argv[optind], &name, &n, 1)) != EXIT_OK)
		return ret;
	if ((err = mlreg_version_load(&version, store, name, n)) < 0 ||
	    (err = to_stdout ? mlreg_export_fd(store, version, format, STDOUT_FILENO,
					       "standard output")
			     : mlreg_export(store, version, format, output)) < 0)
		ret = cmd_fail(err);
	cJSON_Delete(version);
	free(name);
	return ret;
}
