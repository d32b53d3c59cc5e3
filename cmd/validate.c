/*
 * mlreg validate NAME[@N]|PATH: the checks register runs (ADS introspection,
 * MLX spec, contract, Determined checkpoint, model-file inspection),
 * printed as a report; exit 1 when one fails.  A PATH that exists is
 * checked as files on disk; a .zip, .tar.gz or .tgz file (an artifact
 * archive, as export writes one) by what is inside it, unpacked to a
 * private directory that is removed afterwards.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmd.h"
#include "understand/spec.h"
#include "understand/unpack.h"
#include "walk.h"

/* Fills e with a stored version's files, each read from its object. */
static void entries_of_version(struct mlreg_entries *e, const struct mlreg_store *store,
			       const cJSON *version)
{
	const cJSON *f;

	memset(e, 0, sizeof(*e));
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(version, "files")) {
		MLREG_ALLOC_GROW(e->v, e->n + 1, e->alloc);
		e->v[e->n].path = xstrdup(mlreg_doc_str(f, "path", ""));
		e->v[e->n].src = mlreg_object_path(store, mlreg_doc_str(f, "sha256", ""));
		e->v[e->n].exec = !strcmp(mlreg_doc_str(f, "mode", ""), "0755");
		e->n++;
	}
}

/* Returns 1 when path is a regular file named as an artifact archive: .zip, .tar.gz, .tgz. */
static int artifact_archive(const char *path, const struct stat *st)
{
	static const char *const ext[] = { ".zip", ".tar.gz", ".tgz", NULL };
	size_t n = strlen(path), i;

	for (i = 0; S_ISREG(st->st_mode) && ext[i]; i++)
		if (n > strlen(ext[i]) && !strcasecmp(path + n - strlen(ext[i]), ext[i]))
			return 1;
	return 0;
}

static void print_report(const cJSON *rep)
{
	const cJSON *intro = cJSON_GetObjectItemCaseSensitive(rep, "introspection"), *c;
	const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(rep, "signatures");
	const cJSON *arts = cJSON_GetObjectItemCaseSensitive(rep, "artifacts");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(rep, "spec");

	cJSON_ArrayForEach(c, arts) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "signatures");
		cmd_printf("file      %-28s %s%s%s\n", cmd_str(c, "path"), cmd_str(c, "format"),
		       cJSON_GetArraySize(s) ? ", signatures: " : "",
		       cJSON_GetArraySize(s) ? "inferred" : "");
	}
	if (cJSON_IsObject(spec))
		cmd_printf("spec      %-28s %s\n", cmd_str(spec, "file"),
		       mlreg_doc_int(rep, "spec_problems", 0) ? "MLX model spec, with problems "
		       "(below)" : "valid MLX model spec");
	if (cJSON_IsArray(sigs)) {
		if (mlreg_doc_int(rep, "contract_problems", 0))
			cmd_printf("contract  %-28s %d signature(s), with problems (below)\n",
			       cmd_str(cJSON_GetObjectItemCaseSensitive(rep, "contract"), "file"),
			       cJSON_GetArraySize(sigs));
		else
			cmd_printf("contract  %-28s valid, %d signature(s)\n",
			       cmd_str(cJSON_GetObjectItemCaseSensitive(rep, "contract"), "file"),
			       cJSON_GetArraySize(sigs));
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(intro, "checks")) {
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(c, "success");
		const char *msg = cmd_str(c, "message");
		cmd_printf("ads       %-28s %-7s %s\n", cmd_str(c, "key"),
		       cJSON_IsTrue(ok) ? "passed" : cJSON_IsFalse(ok) ? "FAILED" : "skipped",
		       *msg ? msg : cmd_str(c, "description"));
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rep, "warnings"))
		cmd_print_message(stdout, "warning   ", c->valuestring);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rep, "problems"))
		cmd_print_message(stdout, "problem   ", c->valuestring);
	cmd_printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok"))
	       ? "validation passed" : "validation FAILED");
}

/* What 'mlreg validate -h' prints: kept beside the options parsed below. */
const char cmd_validate_usage[] =
	"usage: mlreg validate NAME[@N]|PATH [--spec FILE] [--contract FILE] [--json]\n"
	"\n"
	"    PATH                  files, a directory, or a .zip/.tar.gz artifact\n"
	"    --spec FILE           also validate an MLX model YAML\n"
	"    --contract FILE       also validate a Hydrosphere model definition\n"
	"    --json                print the report as JSON\n";

int cmd_validate(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_SPEC, OPT_CONTRACT };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "spec", required_argument, NULL, OPT_SPEC },
		{ "contract", required_argument, NULL, OPT_CONTRACT },
		{ 0 }
	};
	struct mlreg_validate_opts vo = { 0 };
	struct mlreg_entries e = { 0 };
	cJSON *rep = NULL, *version = NULL;
	char *unpacked = NULL;
	const char *arg;
	struct stat st;
	int c, err, json = 0, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case OPT_SPEC: vo.spec_file = optarg; break;
		case OPT_CONTRACT: vo.contract_file = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing NAME[@N] or PATH");
	arg = argv[optind];
	if (!strchr(arg, '@') && stat(arg, &st) == 0) {
		if (artifact_archive(arg, &st)) {
			const char *tmp = getenv("TMPDIR");
			if ((err = mlreg_unpack(&e, &unpacked, arg, tmp ? tmp : "/tmp")) < 0)
				return cmd_fail(err);
			vo.archive = 1;
		} else if ((err = mlreg_walk(&e, &argv[optind], 1, NULL)) < 0) {
			return cmd_fail(err);
		}
	} else {
		char *name;
		long n;
		if (!store)
			return cmd_fail(mlreg_error_set(MLREG_EINVALID, "'%s' is not a file or "
							 "directory, and there is no store to find "
							 "a model in", arg));
		if ((ret = cmd_resolve(store, arg, &name, &n, 1)) != EXIT_OK)
			return ret;
		err = mlreg_version_load(&version, store, name, n);
		free(name);
		if (!err && (err = mlreg_version_require_files(store, version)) < 0)
			cJSON_Delete(version);
		if (err < 0)
			return cmd_fail(err);
		entries_of_version(&e, store, version);
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(version, "spec"), "document")))
			vo.stored_spec = cJSON_GetObjectItemCaseSensitive(version, "spec");
	}
	rep = mlreg_validate_entries(&e, &vo);
	if (json)
		cmd_print_json(rep);
	else
		print_report(rep);
	ret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok")) ? EXIT_OK : EXIT_FAIL;
	cJSON_Delete(rep);
	cJSON_Delete(version);
	if (unpacked)
		mlreg_unpack_remove(&e, unpacked);
	else
		mlreg_entries_free(&e);
	return ret;
}
