/*
 * mlreg metadata NAME: show or change a model's metadata with Determined's
 * semantics: top-level keys merge, a new value replaces the old one whole,
 * removal deletes keys.
 */
#include <stdlib.h>

#include "cmd.h"

/* What 'mlreg metadata -h' prints: kept beside the options parsed below. */
const char cmd_metadata_usage[] =
	"usage: mlreg metadata NAME [--add KEY=VALUE]... [--add-file FILE] [--remove KEY]...\n"
	"                      [--json]\n"
	"\n"
	"    --add KEY=VALUE       set a top-level key (KEY:=JSON for a typed value)\n"
	"    --add-file FILE       merge the top-level keys of a JSON or YAML mapping\n"
	"    --remove KEY          delete a top-level key\n"
	"    --json                print the resulting metadata\n";

int cmd_metadata(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_ADD = 256, OPT_FILE, OPT_REMOVE, OPT_JSON };
	static const struct option opts[] = {
		{ "add", required_argument, NULL, OPT_ADD },
		{ "add-file", required_argument, NULL, OPT_FILE },
		{ "remove", required_argument, NULL, OPT_REMOVE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	char **kv = xcalloc((size_t)argc, sizeof(*kv));
	char **rm = xcalloc((size_t)argc, sizeof(*rm));
	const char *file = NULL;
	size_t nkv = 0, nrm = 0;
	cJSON *add = NULL, *model = NULL;
	int c, err, json = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_ADD: kv[nkv++] = optarg; break;
		case OPT_FILE: file = optarg; break;
		case OPT_REMOVE: rm[nrm++] = optarg; break;
		case OPT_JSON: json = 1; break;
		default: ret = EXIT_USAGE; goto done;
		}
	}
	if (argc - optind != 1) {
		ret = cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
		goto done;
	}
	if ((err = mlreg_name_validate(argv[optind])) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (!nkv && !nrm && !file) {
		if ((err = mlreg_model_load(&model, store, argv[optind])) < 0)
			ret = cmd_fail(err);
		else
			cmd_print_json(cJSON_GetObjectItemCaseSensitive(model, "metadata"));
		goto done;
	}
	if ((ret = cmd_build_object(&add, file, kv, nkv)) != 0)
		goto done;
	if ((err = mlreg_model_update_metadata(&model, store, argv[optind], add, rm, nrm)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (json)
		cmd_print_json(cJSON_GetObjectItemCaseSensitive(model, "metadata"));
done:
	cJSON_Delete(add);
	cJSON_Delete(model);
	free(kv);
	free(rm);
	return ret;
}
