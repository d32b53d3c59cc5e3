/*
 * MLX model specs (seed 000): the rules are those of MLX itself, so that
 * mlreg refuses exactly what MLX refuses and warns about what MLX would
 * take but not run.  What MLX does was read from its code (the v1 API and
 * UI, machine-learning-exchange/mlx before the 2025 rewrite, and the
 * model-config pipeline step of machine-learning-exchange/katalog):
 *
 *  - Registering ("upload", from a file, a .tgz or a URL) loads the YAML,
 *    checks model_identifier against Kubernetes naming (lower case letters,
 *    digits and '-', as kfp-tekton's sanitize_k8s_name() leaves it), then
 *    reads name (unless a name comes with the upload), description (a
 *    string: it calls strip() on it), framework, and train and serve as
 *    mappings.  Those are refusals (level REFUSE).  Nothing else is
 *    checked: a servable model without an image, a trainable one without
 *    its data stores, a port written as "5000" are all registered.
 *  - Launching reads the stored YAML in model-config: the serving image and
 *    port (written to files as text, so a port given as a YAML number makes
 *    the step fail), the training fields that Watson ML needs, the tested
 *    platforms.  What it would stumble on is a hint (level HINT): validate
 *    shows it, register keeps quiet.
 *  - A value that is still a template's placeholder ("<model_id>") is
 *    level FAIL: MLX would store it (or refuse it, for model_identifier),
 *    and the model could not run; register warns, validate fails.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "error.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

/*
 * Returns 1 for true, 0 for false, -1 for a value that is neither: booleans,
 * and the YAML 1.1 words MLX's loader (PyYAML) reads as booleans when they
 * are not quoted (mlreg's YAML 1.2 reader keeps them as strings).
 */
static int mlx_bool(const cJSON *v)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	int i;

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (!cJSON_IsString(v))
		return -1;
	for (i = 0; yes[i]; i++)
		if (!strcasecmp(v->valuestring, yes[i]))
			return 1;
	for (i = 0; no[i]; i++)
		if (!strcasecmp(v->valuestring, no[i]))
			return 0;
	return -1;
}

/* Returns 1 when v makes the model trainable or servable, as MLX reads it. */
static int mlx_true(const cJSON *v)
{
	int b = mlx_bool(v);

	if (b >= 0)
		return b;
	/* MLX stores "value or False": any other non-empty value counts as true */
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	return v->child != NULL;
}

cJSON *mlreg_mlx_kinds(const cJSON *doc)
{
	cJSON *k = cJSON_CreateArray();

	if (mlx_true(mlreg_seed_at(doc, "train.trainable")))
		cJSON_AddItemToArray(k, cJSON_CreateString("trainable"));
	if (mlx_true(mlreg_seed_at(doc, "serve.servable")))
		cJSON_AddItemToArray(k, cJSON_CreateString("servable"));
	return k;
}

/* Returns 1 when s is what kfp-tekton's sanitize_k8s_name() leaves unchanged. */
static int k8s_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n > 57 || (n && (s[0] == '-' || s[n - 1] == '-')))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '-' && i && s[i - 1] == '-')
			return 0;
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	}
	return 1;
}

/* Returns 1 when s holds a placeholder (which the FAIL note covers already). */
static int placeholder(const cJSON *v)
{
	char ph[128];

	return cJSON_IsString(v) && mlreg_seed_placeholder(v->valuestring, ph, sizeof(ph));
}

/* Notes a HINT when the dotted path is missing or empty. */
static void need(struct mlreg_seed_notes *n, const cJSON *doc, const char *path,
		 const char *why)
{
	const cJSON *v = mlreg_seed_at(doc, path);
	char parent[256];
	const cJSON *where = v;

	if (mlreg_seed_present(v))
		return;
	/* point at the nearest enclosing mapping that is there */
	snprintf(parent, sizeof(parent), "%s", path);
	while (!where && strrchr(parent, '.')) {
		*strrchr(parent, '.') = '\0';
		where = mlreg_seed_at(doc, parent);
	}
	mlreg_seed_note(n, MLREG_SEED_HINT, where, path, "missing: %s", why);
}

/* The checks of a mapping that MLX requires to be one (train, serve). */
static int section(struct mlreg_seed_notes *n, const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!v)
		return 0;
	if (!cJSON_IsObject(v)) {
		mlreg_seed_note(n, MLREG_SEED_REFUSE, v, key, "must be a mapping; MLX's upload "
				"reads it as one and fails too");
		return 0;
	}
	return 1;
}

static void check_port(struct mlreg_seed_notes *n, const cJSON *port)
{
	const char *f = "serve.serving_container_image.container_port";
	char *end;
	long p;

	if (!port || cJSON_IsNull(port))
		return;		/* MLX's model-config uses 5000 */
	if (cJSON_IsString(port)) {
		if (placeholder(port))
			return;
		p = strtol(port->valuestring, &end, 10);
		if (!isdigit((unsigned char)port->valuestring[0]) || *end || p < 1 || p > 65535)
			mlreg_seed_note(n, MLREG_SEED_HINT, port, f, "'%s' is not a port number "
					"(1-65535); MLX registers it, and the deployment it launches "
					"would fail", port->valuestring);
		return;
	}
	if (cJSON_IsNumber(port) && port->valuedouble == (double)(long)port->valuedouble &&
	    port->valuedouble >= 1 && port->valuedouble <= 65535) {
		mlreg_seed_note(n, MLREG_SEED_HINT, port, f, "%ld is a number; MLX's model-config "
				"step writes the port to a file as text and fails on a number: "
				"quote it (\"%ld\"), as MLX's own samples do",
				(long)port->valuedouble, (long)port->valuedouble);
		return;
	}
	mlreg_seed_note(n, MLREG_SEED_HINT, port, f, "not a port number (1-65535); MLX "
			"registers it, and the deployment it launches would fail");
}

static void check_platforms(struct mlreg_seed_notes *n, const cJSON *doc, const char *path)
{
	const cJSON *p = mlreg_seed_at(doc, path);
	char sect[16];

	if ((cJSON_IsArray(p) && p->child) || (cJSON_IsString(p) && *p->valuestring))
		return;		/* a list, or MLX's "a, b" string */
	snprintf(sect, sizeof(sect), "%.*s", (int)strcspn(path, "."), path);
	mlreg_seed_note(n, MLREG_SEED_HINT, p ? p : mlreg_seed_at(doc, sect), path,
			"%s: MLX launches a model only on a tested platform, and offers none",
			p ? "not a list of platforms" : "missing");
}

static void check_trainable(struct mlreg_seed_notes *n, const cJSON *doc)
{
	static const char *const fields[] = {
		"author.name", "author.email", "framework.runtimes.name",
		"framework.runtimes.version", "train.model_source.initial_model.data_store",
		"train.model_source.initial_model.bucket", "train.model_source.initial_model.path",
		"train.model_training_results.trained_model.data_store",
		"train.model_training_results.trained_model.bucket",
		"train.data_source.training_data.data_store",
		"train.data_source.training_data.bucket", "train.data_source.training_data.path",
		"train.mount_type", "train.execution.command",
		"train.execution.compute_configuration.name",
		"train.execution.compute_configuration.nodes", "data_stores",
	};
	static const char *const refs[] = {
		"train.model_source.initial_model.data_store",
		"train.model_training_results.trained_model.data_store",
		"train.data_source.training_data.data_store",
	};
	const cJSON *stores = cJSON_GetObjectItemCaseSensitive(doc, "data_stores"), *s;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		need(n, doc, fields[i], "MLX's template requires it for a trainable model, and "
		     "its training step reads it");
	check_platforms(n, doc, "train.tested_platforms");
	if (stores && !cJSON_IsArray(stores)) {
		mlreg_seed_note(n, MLREG_SEED_HINT, stores, "data_stores", "not a list; MLX's "
				"training step reads its first entry");
		return;
	}
	for (i = 0; stores && i < sizeof(refs) / sizeof(refs[0]); i++) {
		const cJSON *r = mlreg_seed_at(doc, refs[i]);
		int found = 0;
		if (!cJSON_IsString(r) || placeholder(r))
			continue;
		cJSON_ArrayForEach(s, stores)
			if (!strcmp(mlreg_doc_str(s, "name", ""), r->valuestring))
				found = 1;
		if (!found)
			mlreg_seed_note(n, MLREG_SEED_HINT, r, refs[i], "names data store '%s', "
					"which 'data_stores' does not define: MLX's training "
					"step would find no storage", r->valuestring);
	}
}

void mlreg_mlx_check(const cJSON *doc, struct mlreg_seed_notes *n, int name_given)
{
	const cJSON *v;

	if (!cJSON_IsObject(doc)) {
		mlreg_seed_note(n, MLREG_SEED_REFUSE, doc, NULL, "the top level must be a "
				"mapping; MLX's upload refuses anything else too");
		return;
	}
	mlreg_seed_placeholders(n, doc, NULL);

	/* what MLX's upload refuses */
	v = cJSON_GetObjectItemCaseSensitive(doc, "model_identifier");
	if (v && !cJSON_IsNull(v) && !placeholder(v)) {
		if (!cJSON_IsString(v))
			mlreg_seed_note(n, MLREG_SEED_REFUSE, v, "model_identifier", "must be a "
					"string; MLX's upload refuses anything else");
		else if (!k8s_name(v->valuestring))
			mlreg_seed_note(n, MLREG_SEED_REFUSE, v, "model_identifier", "'%s' is not "
					"an identifier MLX accepts (lower case letters, digits and "
					"single '-' inside, at most 57): its upload refuses it too",
					v->valuestring);
	} else if (!v || cJSON_IsNull(v)) {
		mlreg_seed_note(n, MLREG_SEED_HINT, doc, "model_identifier", "missing: MLX's "
				"upload fails without it since 2022 (it made one from the name "
				"before)");
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "name");
	if (!name_given && (!v || cJSON_IsNull(v)))
		mlreg_seed_note(n, MLREG_SEED_REFUSE, doc, "name", "missing: MLX's upload "
				"requires it, unless a name is given with the upload (mlreg import "
				"--name)");
	v = cJSON_GetObjectItemCaseSensitive(doc, "description");
	if (!v || cJSON_IsNull(v))
		mlreg_seed_note(n, MLREG_SEED_REFUSE, doc, "description", "missing: MLX's "
				"upload reads it and fails without it (its template calls it "
				"optional)");
	else if (!cJSON_IsString(v))
		mlreg_seed_note(n, MLREG_SEED_REFUSE, v, "description", "must be a string: "
				"MLX's upload fails on anything else");
	v = cJSON_GetObjectItemCaseSensitive(doc, "framework");
	if (!v || cJSON_IsNull(v))
		mlreg_seed_note(n, MLREG_SEED_REFUSE, doc, "framework", "missing: MLX's upload "
				"requires it");
	else if (!cJSON_IsObject(v) || !mlreg_seed_present(cJSON_GetObjectItemCaseSensitive(v,
										       "name")))
		mlreg_seed_note(n, MLREG_SEED_HINT, v, "framework.name", "missing: MLX registers "
				"the model, and its UI shows the framework from this name");
	section(n, doc, "train");
	section(n, doc, "serve");

	/* what MLX would take but not run */
	v = mlreg_seed_at(doc, "train.trainable");
	if (v && mlx_bool(v) < 0 && !cJSON_IsNull(v))
		mlreg_seed_note(n, MLREG_SEED_HINT, v, "train.trainable", "should be true or "
				"false; MLX takes any other non-empty value as true");
	v = mlreg_seed_at(doc, "serve.servable");
	if (v && mlx_bool(v) < 0 && !cJSON_IsNull(v))
		mlreg_seed_note(n, MLREG_SEED_HINT, v, "serve.servable", "should be true or "
				"false; MLX takes any other non-empty value as true");
	if (mlx_true(mlreg_seed_at(doc, "train.trainable")))
		check_trainable(n, doc);
	if (mlx_true(mlreg_seed_at(doc, "serve.servable"))) {
		need(n, doc, "serve.serving_container_image.container_image_url",
		     "MLX's serving step deploys this image");
		check_platforms(n, doc, "serve.tested_platforms");
		check_port(n, mlreg_seed_at(doc, "serve.serving_container_image.container_port"));
	}
}

int mlreg_mlx_validate(const cJSON *doc, const char *what, cJSON *problems)
{
	struct mlreg_seed_notes n;
	int err;

	mlreg_seed_notes_init(&n, what, NULL);
	mlreg_mlx_check(doc, &n, 0);
	if (problems)
		mlreg_seed_copy(problems, &n, MLREG_SEED_REFUSE);
	err = mlreg_seed_refusal(&n, "MLX model spec");
	mlreg_seed_notes_free(&n);
	return err;
}

int mlreg_mlx_parse(cJSON **doc, const char *text, size_t len, const char *what,
		    int name_given)
{
	struct mlreg_seed_notes n;
	struct mlreg_docpos *pos;
	int err;

	if ((err = mlreg_doc_parse(doc, text, len, what)) < 0)
		return err;
	pos = mlreg_docpos_build(*doc, text, len);
	mlreg_seed_notes_init(&n, what, pos);
	mlreg_mlx_check(*doc, &n, name_given);
	err = mlreg_seed_refusal(&n, "MLX model spec");
	mlreg_seed_notes_free(&n);
	mlreg_docpos_free(pos);
	if (err < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return err;
}
