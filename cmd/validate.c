/*
 * mlreg validate NAME[@N]|PATH: the checks register runs (ADS introspection,
 * MLX spec, contract, model-file inspection), printed as a report; exit 1
 * when one fails.  A PATH that exists is checked as files on disk.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "spec.h"
#include "walk.h"

/* Fills e with a stored version's files, each read from its object. */
static void entries_of_version(struct mlreg_entries *e, const struct mlreg_store *store,
			       const cJSON *version)
{
	const cJSON *f;

	memset(e, 0, sizeof(*e));
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(version, "files")) {
		if (e->n == e->alloc) {
			e->alloc = e->alloc ? 2 * e->alloc : 64;
			e->v = xrealloc(e->v, e->alloc * sizeof(*e->v));
		}
		e->v[e->n].path = xstrdup(mlreg_doc_str(f, "path", ""));
		e->v[e->n].src = mlreg_object_path(store, mlreg_doc_str(f, "sha256", ""));
		e->v[e->n].exec = !strcmp(mlreg_doc_str(f, "mode", ""), "0755");
		e->n++;
	}
}

static void print_report(const cJSON *rep)
{
	const cJSON *intro = cJSON_GetObjectItemCaseSensitive(rep, "introspection"), *c;
	const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(rep, "signatures");
	const cJSON *arts = cJSON_GetObjectItemCaseSensitive(rep, "artifacts");

	cJSON_ArrayForEach(c, arts) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "signatures");
		cmd_printf("file      %-28s %s%s%s\n", cmd_str(c, "path"), cmd_str(c, "format"),
		       cJSON_GetArraySize(s) ? ", signatures: " : "",
		       cJSON_GetArraySize(s) ? "inferred" : "");
	}
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rep, "spec")))
		cmd_printf("spec      %-28s valid MLX model spec\n",
		       cmd_str(cJSON_GetObjectItemCaseSensitive(rep, "spec"), "file"));
	if (cJSON_IsArray(sigs))
		cmd_printf("contract  %-28s valid, %d signature(s)\n",
		       cmd_str(cJSON_GetObjectItemCaseSensitive(rep, "contract"), "file"),
		       cJSON_GetArraySize(sigs));
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(intro, "checks")) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(c, "success");
		const char *msg = cmd_str(c, "message");
		cmd_printf("ads       %-28s %-7s %s\n", cmd_str(c, "key"),
		       cJSON_IsTrue(ok) ? "passed" : cJSON_IsFalse(ok) ? "FAILED" : "skipped",
		       *msg ? msg : cmd_str(c, "description"));
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rep, "problems"))
		cmd_print_message(stdout, "problem   ", c->valuestring);
	cmd_printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"))
	       ? "validation passed" : "validation FAILED");
}

int cmd_validate(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_SPEC, OPT_CONTRACT };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "spec", required_argument, NULL, OPT_SPEC },
		{ "contract", required_argument, NULL, OPT_CONTRACT },
		{ 0 }
	};
	const char *spec = NULL, *contract = NULL, *arg;
	struct mlreg_entries e = { 0 };
	cJSON *rep = NULL, *version = NULL;
	struct stat st;
	int c, err, json = 0, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_SPEC: spec = optarg; break;
		case OPT_CONTRACT: contract = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing NAME[@N] or PATH");
	arg = argv[optind];
	if (!strchr(arg, '@') && stat(arg, &st) == 0) {
		if ((err = mlreg_walk(&e, &argv[optind], 1, NULL)) < 0)
			return cmd_fail(err);
	} else {
		char *name;
		long n;
		if (!store)
			return cmd_fail(mlreg_error_set(MLREG_EINVALID, "'%s' is not a file or "
							 "directory, and there is no store to find "
							 "a model in", arg));
		if ((err = mlreg_ref_parse(arg, &name, &n)) < 0)
			return cmd_fail(err);
		err = mlreg_version_load(&version, store, name, n);
		free(name);
		if (!err && (err = mlreg_version_require_files(store, version)) < 0)
			cJSON_Delete(version);
		if (err < 0)
			return cmd_fail(err);
		entries_of_version(&e, store, version);
	}
	rep = mlreg_validate_files(&e, spec, contract);
	if (version) {
		/* a stored spec is checked again as stored */
		const cJSON *sp = cJSON_GetObjectItemCaseSensitive(version, "spec");
		const cJSON *doc = cJSON_GetObjectItemCaseSensitive(sp, "document");
		if (doc && mlreg_mlx_validate(doc, cmd_str(sp, "file"),
					      cJSON_GetObjectItemCaseSensitive(rep, "problems")) < 0)
			cJSON_ReplaceItemInObjectCaseSensitive(rep, "ok", cJSON_CreateFalse());
		else if (doc && !spec)
			cJSON_AddItemToObject(rep, "spec", cJSON_Duplicate(sp, 1));
	}
	if (json)
		cmd_print_json(rep);
	else
		print_report(rep);
	ret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok")) ? EXIT_OK : EXIT_FAIL;
	cJSON_Delete(rep);
	cJSON_Delete(version);
	mlreg_entries_free(&e);
	return ret;
}
