/*
 * mlreg describe NAME[@N]: the model and one version (the latest by default).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void print_json_field(const char *label, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	printf("%-13s %s\n", label, s ? s : "null");
	cJSON_free(s);
}

/* Prints a version object for people. */
static void print_version(const cJSON *v)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(v, "files"), *f;
	const cJSON *fw = cJSON_GetObjectItemCaseSensitive(v, "framework");
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(v, "provenance");
	const cJSON *git = cJSON_GetObjectItemCaseSensitive(prov, "git");
	char size[32];

	mlreg_human_size(size, sizeof(size), (uint64_t)mlreg_doc_int(v, "size", 0));
	printf("version:      %lld\n", mlreg_doc_int(v, "version", 0));
	printf("id:           %s\n", cmd_str(v, "id"));
	printf("created:      %s\n", cmd_str(v, "created"));
	printf("message:      %s\n", cmd_str(v, "message"));
	printf("size:         %s (%lld bytes)\n", size, mlreg_doc_int(v, "size", 0));
	if (cJSON_IsObject(fw)) {
		const char *ver = mlreg_doc_str(fw, "version", NULL);
		printf("framework:    %s%s%s\n", cmd_str(fw, "name"), ver ? " " : "", ver ? ver : "");
	}
	print_json_field("metadata:", cJSON_GetObjectItemCaseSensitive(v, "metadata"));
	print_json_field("metrics:", cJSON_GetObjectItemCaseSensitive(v, "metrics"));
	print_json_field("hparams:", cJSON_GetObjectItemCaseSensitive(v, "hparams"));
	printf("registered:   by %s on %s\n", cmd_str(prov, "user"), cmd_str(prov, "host"));
	if (cJSON_IsObject(git)) {
		const cJSON *dirty = cJSON_GetObjectItemCaseSensitive(git, "dirty");
		const char *branch = mlreg_doc_str(git, "branch", NULL);
		printf("git:          %s%s%s%s%s\n", mlreg_doc_str(git, "commit", "(no commit)"),
		       branch ? " on " : " (detached)", branch ? branch : "",
		       cJSON_IsTrue(dirty) ? ", dirty" : "",
		       mlreg_doc_str(git, "remote", NULL) ? "" : "");
		if (mlreg_doc_str(git, "remote", NULL))
			printf("remote:       %s\n", cmd_str(git, "remote"));
	}
	printf("files:\n");
	cJSON_ArrayForEach(f, files)
		printf("  %s %12lld  %s  %s\n", cmd_str(f, "mode"), mlreg_doc_int(f, "size", 0),
		       cmd_str(f, "sha256"), cmd_str(f, "path"));
}

int cmd_describe(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	cJSON *model = NULL, *version = NULL, *out;
	char *name = NULL;
	long n;
	int c, err, json = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
	if ((err = mlreg_ref_parse(argv[optind], &name, &n)) < 0)
		return cmd_fail(err);
	if ((err = mlreg_model_load(&model, store, name)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (n > 0 || mlreg_doc_int(model, "latest_version", 0) > 0) {
		if ((err = mlreg_version_load(&version, store, name, n)) < 0) {
			ret = cmd_fail(err);
			goto done;
		}
	}
	if (json) {
		out = mlreg_model_public(model);
		cJSON_AddItemToObject(out, "version", version ? cJSON_Duplicate(version, 1)
							      : cJSON_CreateNull());
		cmd_print_json(out);
		cJSON_Delete(out);
		goto done;
	}
	printf("model:        %s\n", cmd_str(model, "name"));
	printf("description:  %s\n", cmd_str(model, "description"));
	printf("created:      %s\n", cmd_str(model, "creation_time"));
	printf("updated:      %s\n", cmd_str(model, "last_updated_time"));
	print_json_field("metadata:", cJSON_GetObjectItemCaseSensitive(model, "metadata"));
	printf("versions:     %lld\n", mlreg_doc_int(model, "latest_version", 0));
	if (version) {
		putchar('\n');
		print_version(version);
	}
done:
	cJSON_Delete(model);
	cJSON_Delete(version);
	free(name);
	return ret;
}
