/*
 * mlreg delete NAME[@REF]...: delete versions (NAME@N, NAME@ALIAS) or whole
 * models (NAME).  A deleted version keeps its number as a tombstone that
 * says who deleted it and when (store-format.md 6.7): its content is gone,
 * its files are unreferenced (gc frees them), and numbers are never
 * reused.  An alias naming what is deleted is refused unless --force,
 * which removes it first (an event of the model's log).  As git branch -d
 * does, each deletion is printed ("deleted NAME@N"); one already done
 * prints nothing and succeeds, so a rerun finishes an interrupted delete.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "provenance.h"

/* What 'mlreg delete -h' prints: kept beside the options parsed below. */
const char cmd_delete_usage[] =
	"usage: mlreg delete NAME[@REF]... [-m MESSAGE] [--force] [--json]\n"
	"\n"
	"NAME deletes the model and all its versions; NAME@REF one version (REF a\n"
	"number, an alias or latest).  Numbers are never reused.\n"
	"\n"
	"    -m, --message MESSAGE  why (kept in the tombstones)\n"
	"    --force               remove the aliases naming what is deleted first\n"
	"    --json                print {\"versions\": [tombstones written], \"models\":\n"
	"                          [models deleted]}\n";

/* One deletion asked for: a version (n >= 1) or a model (n = 0). */
struct target {
	char *name;
	long n;
};

/*
 * Returns EXIT_OK after reading spec into t: NAME, NAME@N or NAME@ALIAS
 * (resolved now, so that a mistyped argument fails before anything is
 * deleted); an exit code after printing the error otherwise.
 */
static int parse_target(struct target *t, const struct mlreg_store *store, const char *spec)
{
	const char *at = strchr(spec, '@');
	cJSON *model = NULL;
	int err;

	t->name = NULL;
	t->n = 0;
	if (at && !isdigit((unsigned char)at[1]))
		return cmd_resolve(store, spec, &t->name, &t->n, 0);
	if (at)
		err = mlreg_ref_parse(spec, &t->name, &t->n);
	else if ((err = mlreg_name_validate(spec)) == 0)
		t->name = xstrdup(spec);
	if (err == 0)	/* the model must exist (deleted or not) */
		err = mlreg_model_load(&model, store, t->name);
	cJSON_Delete(model);
	if (err < 0) {
		free(t->name);
		t->name = NULL;
		return cmd_fail(err);
	}
	return EXIT_OK;
}

/* Returns 1 when model name's record is marked deleted. */
static int model_deleted(const struct mlreg_store *store, const char *name)
{
	cJSON *model = NULL;
	int yes = mlreg_model_load(&model, store, name) == 0 && mlreg_record_deleted(model);

	cJSON_Delete(model);
	mlreg_error_clear();
	return yes;
}

int cmd_delete(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_FORCE };
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	const char *message = "";
	struct target *t = NULL;
	cJSON *out = NULL, *versions, *models, *tombs, *v;
	char *user = NULL;
	int c, i, nt = 0, json = 0, force = 0, ret = EXIT_OK, err;

	while ((c = cmd_getopt(argc, argv, "m:", opts)) != -1) {
		if (c == 'm')
			message = optarg;
		else if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_FORCE)
			force = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind < 1)
		return cmd_usage_error("missing NAME or NAME@REF");
	t = xcalloc((size_t)(argc - optind) + 1, sizeof(*t));
	for (i = optind; i < argc; i++, nt++)
		if ((ret = parse_target(&t[nt], store, argv[i])) != EXIT_OK)
			goto done;
	out = cJSON_CreateObject();
	versions = cJSON_AddArrayToObject(out, "versions");
	models = cJSON_AddArrayToObject(out, "models");
	user = mlreg_provenance_user(".");
	/* In order; at the first failure the rest is left as it is. */
	for (i = 0; i < nt; i++) {
		int was = t[i].n == 0 && model_deleted(store, t[i].name);
		if ((err = mlreg_delete(&tombs, store, t[i].name, t[i].n, force, user,
					message)) < 0) {
			ret = cmd_fail(err);
			break;
		}
		while ((v = cJSON_DetachItemFromArray(tombs, 0)) != NULL) {
			if (!json)
				cmd_printf("deleted %s@%lld\n", t[i].name,
					   mlreg_doc_int(v, "version", 0));
			cJSON_AddItemToArray(versions, v);
		}
		cJSON_Delete(tombs);
		if (t[i].n == 0 && !was) {
			if (!json)
				cmd_printf("deleted model %s\n", t[i].name);
			cJSON_AddItemToArray(models, cJSON_CreateString(t[i].name));
		}
	}
	if (json && ret == EXIT_OK)
		cmd_print_json(out);
done:
	for (i = 0; i < nt; i++)
		free(t[i].name);
	free(t);
	free(user);
	cJSON_Delete(out);
	return ret;
}
