/*
 * mlreg create NAME: a new model without versions.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* What 'mlreg create -h' prints: kept beside the options parsed below. */
const char cmd_create_usage[] =
	"usage: mlreg create NAME [-d TEXT] [-m KEY=VALUE]... [--metadata-file FILE] [--force]\n"
	"                    [--json]\n"
	"\n"
	"    -d, --description TEXT   the model's description\n"
	"    -m, --metadata KEY=VALUE set a metadata key (KEY:=JSON for a typed value)\n"
	"    --metadata-file FILE     metadata from a JSON or YAML mapping\n"
	"    --force                  replace the redirect of a renamed model's old name\n"
	"    --json                   print the new model as JSON\n";

int cmd_create(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_FILE = 256, OPT_JSON, OPT_FORCE };
	static const struct option opts[] = {
		{ "description", required_argument, NULL, 'd' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "metadata-file", required_argument, NULL, OPT_FILE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ 0 }
	};
	const char *desc = NULL, *file = NULL;
	char **kv = xcalloc((size_t)argc, sizeof(*kv));
	size_t nkv = 0;
	cJSON *meta = NULL, *model = NULL;
	int c, err, json = 0, force = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "d:m:", opts)) != -1) {
		switch (c) {
		case 'd': desc = optarg; break;
		case 'm': kv[nkv++] = optarg; break;
		case OPT_FILE: file = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_FORCE: force = 1; break;
		default: free(kv); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		free(kv);
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
	}
	if ((err = mlreg_name_validate(argv[optind])) < 0) {
		free(kv);
		return cmd_fail(err);
	}
	if ((ret = cmd_build_object(&meta, file, kv, nkv)) != 0)
		goto done;
	err = force ? mlreg_model_create_over_redirect(&model, store, argv[optind], desc, meta)
		    : mlreg_model_create(&model, store, argv[optind], desc, meta);
	if (err < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (json) {
		cJSON *pub = mlreg_model_public(model);
		cmd_print_json(pub);
		cJSON_Delete(pub);
	}
done:
	cJSON_Delete(meta);
	cJSON_Delete(model);
	free(kv);
	return ret;
}
