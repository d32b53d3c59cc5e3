/*
 * mlreg describe NAME[@N]: the model and one version (the latest by default).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void print_json_field(const char *label, const cJSON *v)
{
	char *s = mlreg_doc_print(v);	/* one line, control characters escaped */

	s[strcspn(s, "\n")] = '\0';
	cmd_printf("%-13s %s\n", label, s);
	free(s);
}

/*
 * Prints one signature's fields: "(in: type[d,d], ...)", "[?]" for an unknown
 * shape, a map's own fields in parentheses after it.
 */
static void print_fields(const cJSON *fields)
{
	const cJSON *f, *d;
	int first = 1;

	cmd_printf("(");
	cJSON_ArrayForEach(f, fields) {
		const cJSON *shape = cJSON_GetObjectItemCaseSensitive(f, "shape");
		int fd = 1;
		cmd_printf("%s%s: %s[", first ? "" : ", ", cmd_str(f, "name"), cmd_str(f, "type"));
		if (!cJSON_IsArray(shape))
			cmd_printf("?");	/* a contract that gives no shape: unknown */
		cJSON_ArrayForEach(d, shape) {
			cmd_printf("%s%lld", fd ? "" : ",", (long long)d->valuedouble);
			fd = 0;
		}
		cmd_printf("]");
		if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(f, "fields")))
			print_fields(cJSON_GetObjectItemCaseSensitive(f, "fields"));
		if (mlreg_doc_str(f, "profile", NULL))
			cmd_printf(" %s", cmd_str(f, "profile"));
		first = 0;
	}
	cmd_printf(")");
}

/* Prints what mlreg understood of the version: spec, contract, checks, checkpoint. */
static void print_understanding(const cJSON *v)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(v, "spec");
	const cJSON *doc = cJSON_GetObjectItemCaseSensitive(spec, "document");
	const cJSON *contract = cJSON_GetObjectItemCaseSensitive(v, "contract");
	const cJSON *intro = cJSON_GetObjectItemCaseSensitive(v, "introspection");
	const cJSON *cp = cJSON_GetObjectItemCaseSensitive(v, "checkpoint");
	const cJSON *s, *a;

	if (cJSON_IsObject(doc)) {
		const cJSON *img = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(doc, "serve"), "serving_container_image");
		const cJSON *ex = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(doc, "train"), "execution");
		char *types = mlreg_doc_print(cJSON_GetObjectItemCaseSensitive(spec, "types"));
		types[strcspn(types, "\n")] = '\0';
		cmd_printf("spec:         MLX %s from %s\n", types, cmd_str(spec, "file"));
		free(types);
		cmd_printf("  name:       %s\n", cmd_str(doc, "name"));
		if (mlreg_doc_str(doc, "license", NULL))
			cmd_printf("  license:    %s\n", cmd_str(doc, "license"));
		if (mlreg_doc_str(doc, "domain", NULL))
			cmd_printf("  domain:     %s\n", cmd_str(doc, "domain"));
		if (mlreg_doc_str(doc, "website", NULL))
			cmd_printf("  website:    %s\n", cmd_str(doc, "website"));
		if (mlreg_doc_str(img, "container_image_url", NULL)) {
			cmd_printf("  serving:    %s", cmd_str(img, "container_image_url"));
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(img, "container_port")))
				cmd_printf(" port %lld", mlreg_doc_int(img, "container_port", 0));
			else if (mlreg_doc_str(img, "container_port", NULL))	/* "5000" */
				cmd_printf(" port %s", cmd_str(img, "container_port"));
			cmd_printf("\n");
		}
		if (mlreg_doc_str(ex, "command", NULL))
			cmd_printf("  training:   %s\n", cmd_str(ex, "command"));
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(v, "signatures")) {
		cmd_printf("signature:    %s", cmd_str(s, "name"));
		print_fields(cJSON_GetObjectItemCaseSensitive(s, "inputs"));
		cmd_printf(" -> ");
		print_fields(cJSON_GetObjectItemCaseSensitive(s, "outputs"));
		cmd_printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "inferred"))
		       ? " (inferred)" : "");
	}
	if (cJSON_IsObject(contract))
		cmd_printf("contract:     %s %s\n", cmd_str(contract, "source"), cmd_str(contract, "file"));
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(v, "artifacts")) {
		const char *fw = mlreg_doc_str(a, "framework", NULL);
		cmd_printf("artifact:     %s: %s%s%s%s\n", cmd_str(a, "path"), cmd_str(a, "format"),
		       fw ? " (" : "", fw ? fw : "", fw ? ")" : "");
	}
	if (cJSON_IsObject(intro)) {
		int total = 0, failed = 0;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(intro, "checks")) {
			total++;
			failed += cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "success"));
		}
		cmd_printf("introspection: ADS artifact, %d of %d checks failed\n", failed, total);
	}
	if (cJSON_IsObject(cp)) {
		cmd_printf("checkpoint:   Determined");
		if (mlreg_doc_str(cp, "uuid", NULL))
			cmd_printf(" %s", cmd_str(cp, "uuid"));
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cp, "batch_number")))
			cmd_printf(", batch %lld", mlreg_doc_int(cp, "batch_number", 0));
		if (mlreg_doc_str(cp, "format", NULL))
			cmd_printf(", format %s", cmd_str(cp, "format"));
		cmd_printf("\n");
	}
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
	cmd_printf("version:      %lld\n", mlreg_doc_int(v, "version", 0));
	cmd_printf("id:           %s\n", cmd_str(v, "id"));
	cmd_printf("created:      %s\n", cmd_str(v, "created"));
	cmd_printf("message:      %s\n", cmd_str(v, "message"));
	cmd_printf("size:         %s (%lld bytes)\n", size, mlreg_doc_int(v, "size", 0));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "aliases")) > 0) {
		const cJSON *a;
		int first = 1;
		cmd_printf("aliases:     ");
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(v, "aliases")) {
			cmd_printf("%s%s", first ? " " : ", ", cJSON_IsString(a) ? a->valuestring : "");
			first = 0;
		}
		cmd_printf("\n");
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "deprecated")))
		cmd_printf("deprecated:   yes\n");
	if (cJSON_IsObject(fw)) {
		const char *ver = mlreg_doc_str(fw, "version", NULL);
		cmd_printf("framework:    %s%s%s\n", cmd_str(fw, "name"), ver ? " " : "", ver ? ver : "");
	}
	print_json_field("metadata:", cJSON_GetObjectItemCaseSensitive(v, "metadata"));
	print_json_field("metrics:", cJSON_GetObjectItemCaseSensitive(v, "metrics"));
	print_json_field("hparams:", cJSON_GetObjectItemCaseSensitive(v, "hparams"));
	cmd_printf("registered:   by %s on %s\n", cmd_str(prov, "user"), cmd_str(prov, "host"));
	if (cJSON_IsObject(git)) {
		const cJSON *dirty = cJSON_GetObjectItemCaseSensitive(git, "dirty");
		const char *branch = mlreg_doc_str(git, "branch", NULL);
		cmd_printf("git:          %s%s%s%s%s\n", mlreg_doc_str(git, "commit", "(no commit)"),
		       branch ? " on " : " (detached)", branch ? branch : "",
		       cJSON_IsTrue(dirty) ? ", dirty" : "",
		       mlreg_doc_str(git, "remote", NULL) ? "" : "");
		if (mlreg_doc_str(git, "remote", NULL))
			cmd_printf("remote:       %s\n", cmd_str(git, "remote"));
	}
	print_understanding(v);
	cmd_printf("files:\n");
	cJSON_ArrayForEach(f, files)
		cmd_printf("  %s %12lld  %s  %s\n", cmd_str(f, "mode"), mlreg_doc_int(f, "size", 0),
		       cmd_str(f, "sha256"), cmd_str(f, "path"));
}

/* What 'mlreg describe -h' prints: kept beside the options parsed below. */
const char cmd_describe_usage[] =
	"usage: mlreg describe NAME[@N] [--json]\n"
	"\n"
	"    --json                print the model, with \"version\", as JSON\n";

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
	/* a bare NAME of a model without versions describes the model alone */
	if (!strchr(argv[optind], '@') && mlreg_model_load(&model, store, argv[optind]) == 0 &&
	    mlreg_doc_int(model, "latest_version", 0) == 0) {
		if ((err = mlreg_model_require_live(model)) < 0) {
			cJSON_Delete(model);
			return cmd_fail(err);
		}
		name = xstrdup(argv[optind]);
		n = 0;
	} else {
		cJSON_Delete(model);
		model = NULL;
		if ((ret = cmd_resolve(store, argv[optind], &name, &n, 0)) != EXIT_OK)
			return ret;
	}
	if (!model && (err = mlreg_model_load(&model, store, name)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (n > 0) {
		if ((err = mlreg_version_load(&version, store, name, n)) < 0) {
			ret = cmd_fail(err);
			goto done;
		}
		mlreg_lifecycle_annotate(version, model);
	}
	if (json) {
		out = mlreg_model_public(model);
		cJSON_AddItemToObject(out, "version", version ? cJSON_Duplicate(version, 1)
							      : cJSON_CreateNull());
		cmd_print_json(out);
		cJSON_Delete(out);
		goto done;
	}
	cmd_printf("model:        %s\n", cmd_str(model, "name"));
	cmd_printf("description:  %s\n", cmd_str(model, "description"));
	cmd_printf("created:      %s\n", cmd_str(model, "creation_time"));
	cmd_printf("updated:      %s\n", cmd_str(model, "last_updated_time"));
	print_json_field("metadata:", cJSON_GetObjectItemCaseSensitive(model, "metadata"));
	cmd_printf("versions:     %lld\n", mlreg_doc_int(model, "latest_version", 0));
	if (version) {
		cmd_printf("\n");
		print_version(version);
	}
done:
	cJSON_Delete(model);
	cJSON_Delete(version);
	free(name);
	return ret;
}
