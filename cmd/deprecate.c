/*
 * mlreg deprecate|undeprecate NAME@REF: mark a version as one not to use
 * (kept, listed, skipped by NAME and NAME@latest, warned about by checkout,
 * export and validate), or clear the mark; each an event of the model's
 * log (lifecycle.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "provenance.h"

/* What 'mlreg deprecate -h' prints: kept beside the options parsed below. */
const char cmd_deprecate_usage[] =
	"usage: mlreg deprecate NAME@REF [-m MESSAGE] [--json]\n"
	"   or: mlreg undeprecate NAME@REF [-m MESSAGE] [--json]\n"
	"\n"
	"REF is a version number or an alias.\n"
	"\n"
	"    -m, --message MESSAGE  why (kept in the model's log)\n"
	"    --json                print the event as JSON (null: nothing changed)\n";

/* Returns the exit code of deprecate (on = 1) or undeprecate (on = 0). */
static int deprecate(int argc, char **argv, struct mlreg_store *store, int on)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	const char *message = "";
	char *name = NULL, *user = NULL;
	cJSON *ev = NULL;
	long n;
	int c, json = 0, ret, err;

	while ((c = cmd_getopt(argc, argv, "m:", opts)) != -1) {
		if (c == 'm')
			message = optarg;
		else if (c == OPT_JSON)
			json = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing NAME@REF");
	if (!strchr(argv[optind], '@'))
		return cmd_usage_error("name the version: %s@N", argv[optind]);
	if ((ret = cmd_resolve(store, argv[optind], &name, &n, 0)) != EXIT_OK)
		return ret;
	user = mlreg_provenance_user(".");
	if ((err = mlreg_version_deprecate(&ev, store, name, n, on, user, message)) < 0) {
		ret = cmd_fail(err);
	} else if (json) {
		if (!ev)
			ev = cJSON_CreateNull();
		cmd_print_json(ev);
	}
	cJSON_Delete(ev);
	free(name);
	free(user);
	return ret;
}

int cmd_deprecate(int argc, char **argv, struct mlreg_store *store)
{
	return deprecate(argc, argv, store, 1);
}

int cmd_undeprecate(int argc, char **argv, struct mlreg_store *store)
{
	return deprecate(argc, argv, store, 0);
}
