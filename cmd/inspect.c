/*
 * mlreg inspect FILE...: what a model file is and what it takes and
 * returns, read from its bytes without running it.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "inspect/inspect.h"

/* What 'mlreg inspect -h' prints: kept beside the options parsed below. */
const char cmd_inspect_usage[] =
	"usage: mlreg inspect FILE... [--json]\n"
	"\n"
	"    --json                print an array of inspection objects\n";

int cmd_inspect(int argc, char **argv, struct mlreg_store *unused)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	cJSON *all = cJSON_CreateArray();
	int c, i, err, json = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c != OPT_JSON) {
			cJSON_Delete(all);
			return EXIT_USAGE;
		}
		json = 1;
	}
	if (argc - optind < 1) {
		cJSON_Delete(all);
		return cmd_usage_error("missing FILE");
	}
	for (i = optind; i < argc; i++) {
		cJSON *r = NULL;
		if ((err = mlreg_inspect_path(&r, argv[i], NULL)) < 0) {
			ret = cmd_fail(err);
			continue;
		}
		if (!r) {
			r = cJSON_CreateObject();
			cJSON_AddNullToObject(r, "format");
		}
		cJSON_AddItemToObject(r, "path", cJSON_CreateString(argv[i]));
		cJSON_AddItemToArray(all, r);
	}
	if (ret != EXIT_OK) {
		/* a failure prints its one line and nothing on stdout */
	} else if (json) {
		cmd_print_json(all);
	} else {
		const cJSON *r;
		cJSON_ArrayForEach(r, all) {
			char *s = mlreg_doc_print(r);
			s[strcspn(s, "\n")] = '\0';
			cmd_printf("%s: %s\n", cmd_str(r, "path"), s);
			free(s);
		}
	}
	cJSON_Delete(all);
	return ret;
}
