/*
 * mlreg remote [list] | add NAME URL [options] | remove NAME: the remotes
 * in the store's config file, as 'git remote' does it.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "remote/remote.h"

static int remote_add(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_ENDPOINT = 256, OPT_REGION, OPT_PROFILE, OPT_PATH_STYLE, OPT_NO_PATH_STYLE };
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "path-style", no_argument, NULL, OPT_PATH_STYLE },
		{ "no-path-style", no_argument, NULL, OPT_NO_PATH_STYLE },
		{ 0 }
	};
	const char *endpoint = NULL, *region = NULL, *profile = NULL;
	int c, err, path_style = -1;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_ENDPOINT: endpoint = optarg; break;
		case OPT_REGION: region = optarg; break;
		case OPT_PROFILE: profile = optarg; break;
		case OPT_PATH_STYLE: path_style = 1; break;
		case OPT_NO_PATH_STYLE: path_style = 0; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments" :
				       argc - optind == 1 ? "missing URL" : "missing remote name");
	if ((err = mlreg_remote_add(store, argv[optind], argv[optind + 1], endpoint, region,
				    profile, path_style)) < 0)
		return cmd_fail(err);
	return EXIT_OK;
}

static int remote_remove(int argc, char **argv, struct mlreg_store *store)
{
	static const struct option opts[] = { { 0 } };
	int c, err;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1)
		return EXIT_USAGE;
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing remote name");
	if ((err = mlreg_remote_remove(store, argv[optind])) < 0)
		return cmd_fail(err);
	return EXIT_OK;
}

static int remote_list(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	cJSON *list, *r;
	int c, err, verbose = 0, json = 0;

	while ((c = cmd_getopt(argc, argv, "v", opts)) != -1) {
		if (c == 'v')
			verbose = 1;
		else if (c == OPT_JSON)
			json = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 0)
		return cmd_usage_error("too many arguments");
	if ((err = mlreg_remote_list(&list, store)) < 0)
		return cmd_fail(err);
	if (json) {
		cmd_print_json(list);
	} else {
		cJSON_ArrayForEach(r, list) {
			const cJSON *ps = cJSON_GetObjectItemCaseSensitive(r, "path_style");
			if (!verbose) {
				cmd_printf("%s\n", cmd_str(r, "name"));
				continue;
			}
			cmd_printf("%s\t%s", cmd_str(r, "name"), cmd_str(r, "url"));
			if (mlreg_doc_str(r, "endpoint", NULL))
				cmd_printf(" endpoint=%s", cmd_str(r, "endpoint"));
			if (mlreg_doc_str(r, "region", NULL))
				cmd_printf(" region=%s", cmd_str(r, "region"));
			if (mlreg_doc_str(r, "profile", NULL))
				cmd_printf(" profile=%s", cmd_str(r, "profile"));
			if (cJSON_IsBool(ps))
				cmd_printf(" path-style=%s", cJSON_IsTrue(ps) ? "true" : "false");
			cmd_printf("\n");
		}
	}
	cJSON_Delete(list);
	return EXIT_OK;
}

/* What 'mlreg remote -h' prints: kept beside the options parsed below. */
const char cmd_remote_usage[] =
	"usage: mlreg remote [list] [-v] [--json]\n"
	"   or: mlreg remote add NAME URL [--endpoint URL] [--region REGION]\n"
	"                        [--profile PROFILE] [--[no-]path-style]\n"
	"   or: mlreg remote remove|rm NAME\n"
	"\n"
	"URL is s3://BUCKET[/PREFIX] or file:///PATH.\n"
	"\n"
	"    -v, --verbose         list URLs and settings too\n"
	"    --json                print the remotes as JSON\n"
	"    --endpoint URL        an S3-compatible server (default: AWS, or\n"
	"                          $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL)\n"
	"    --region REGION       the bucket's region (default: $AWS_REGION...)\n"
	"    --profile PROFILE     the AWS profile holding the credentials\n"
	"    --path-style          address the bucket in the path, not the host name\n"
	"                          (the default with --endpoint or an IP address)\n"
	"    --no-path-style       address it in the host name (BUCKET.HOST)\n";

int cmd_remote(int argc, char **argv, struct mlreg_store *store)
{
	const char *sub = argc > 1 ? argv[1] : "list";

	if (argc <= 1 || sub[0] == '-')
		return remote_list(argc, argv, store);
	if (!strcmp(sub, "add"))
		return remote_add(argc - 1, argv + 1, store);
	if (!strcmp(sub, "remove") || !strcmp(sub, "rm"))
		return remote_remove(argc - 1, argv + 1, store);
	if (!strcmp(sub, "list"))
		return remote_list(argc - 1, argv + 1, store);
	return cmd_usage_error("unknown subcommand '%s' (add, list or remove)", sub);
}
