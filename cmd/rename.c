/*
 * mlreg rename OLD NEW: give a model a new name, keeping every version, its
 * provenance, aliases, deprecations and events (no record is rewritten:
 * the model's directory moves whole); OLD becomes a redirect, so a script
 * that still says OLD fails with one line naming NEW (registry.h,
 * store-format.md 5.2).  Quiet on success, as 'git branch -m' is.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "provenance.h"

/* What 'mlreg rename -h' prints: kept beside the options parsed below. */
const char cmd_rename_usage[] =
	"usage: mlreg rename OLD NEW [-m MESSAGE] [--json]\n"
	"\n"
	"Rerun it to finish a rename that was interrupted.\n"
	"\n"
	"    -m, --message MESSAGE  why (kept in the model's log)\n"
	"    --json                print the renamed model as JSON\n";

int cmd_rename(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	const char *message = "";
	char *user;
	cJSON *model = NULL;
	int c, json = 0, ret = EXIT_OK, err;

	while ((c = cmd_getopt(argc, argv, "m:", opts)) != -1) {
		if (c == 'm')
			message = optarg;
		else if (c == OPT_JSON)
			json = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments" :
				       argc - optind ? "missing new name" : "missing model name");
	if (strchr(argv[optind], '@') || strchr(argv[optind + 1], '@'))
		return cmd_usage_error("a rename names models, not versions: OLD NEW");
	user = mlreg_provenance_user(".");
	if ((err = mlreg_model_rename(json ? &model : NULL, store, argv[optind],
				      argv[optind + 1], user, message)) < 0) {
		ret = cmd_fail(err);
	} else if (json) {
		cJSON *pub = mlreg_model_public(model);
		cmd_print_json(pub);
		cJSON_Delete(pub);
	}
	cJSON_Delete(model);
	free(user);
	return ret;
}
