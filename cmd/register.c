/*
 * mlreg register NAME PATH...: store files as the next version.  Prints
 * NAME@N; a progress meter (progress.h) on stderr only when it is a terminal.
 * A registration equal to the latest version prints that version's NAME@N,
 * with a notice on stderr, and makes none (lib/register.c says what is
 * compared): the default, as --if-changed; --force (or --no-if-changed, or
 * register.ifChanged = false in the store's config) makes one anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lifecycle.h"
#include "progress.h"
#include "register.h"
#include "text.h"

/* What register's meter shows: the file being stored. */
struct progress {
	struct cmd_progress m;	/* the meter (progress.h) */
	const char *path;	/* file being stored */
	uint64_t size;		/* its size */
};

/* Draws "storing PATH  42% 1.0 MiB / 2.4 MiB" when a redraw is due. */
static void on_progress(void *ctx, uint64_t done)
{
	struct progress *p = ctx;
	char a[32], b[32], *path;
	int pct = p->size ? (int)(done * 100 / p->size) : 100;
	int room = p->m.width - 40;

	if (!cmd_progress_due(&p->m, done >= p->size))
		return;
	if (room < 8)
		room = 8;
	mlreg_human_size(a, sizeof(a), done);
	mlreg_human_size(b, sizeof(b), p->size);
	path = mlreg_quote(p->path, strlen(p->path), MLREG_QUOTE_WRAP);
	cmd_progress_draw(&p->m, "storing %-*.*s %3d%% %s / %s", room, room, path, pct, a, b);
	free(path);
}

/* Starts the meter on a new file, drawn at its first update. */
static void on_file(void *ctx, const char *path, uint64_t size)
{
	struct progress *p = ctx;

	p->path = path;
	p->size = size;
	p->m.last = 0;
}

/* Prints a warning of the library, clearing the meter's line first. */
static void on_warning(void *ctx, const char *msg)
{
	struct progress *p = ctx;

	if (p)
		cmd_progress_clear(&p->m);
	cmd_warn(NULL, msg);
}

/*
 * Returns a new "KEY:=VALUE" when arg is "KEY=VALUE" and VALUE is a JSON
 * number (so --metric accuracy=0.9 stores a number), else a copy of arg
 * ("KEY=text" a string, "KEY:=JSON" typed as -m types it).
 */
static char *typed_kv(const char *arg)
{
	const char *eq = strchr(arg, '=');
	cJSON *num;
	char *out;

	if (!eq || eq == arg || eq[-1] == ':' || !eq[1] || strchr(" \t\n\r", eq[1]))
		return xstrdup(arg);
	num = cJSON_ParseWithOpts(eq + 1, NULL, 1);
	if (cJSON_IsNumber(num))
		out = xasprintf("%.*s:=%s", (int)(eq - arg), arg, eq + 1);
	else
		out = xstrdup(arg);
	cJSON_Delete(num);
	return out;
}

/*
 * Prints a registered version (register and import): NAME@N, or with json
 * the version object, with "unchanged" (true or false) when if_changed
 * was asked; and, when unchanged and not quiet, the notice on stderr.
 */
void cmd_print_registered(const struct mlreg_store *store, cJSON *version,
			  const char *name, int json, int if_changed, int unchanged, int quiet)
{
	long long n = mlreg_doc_int(version, "version", 0);

	if (json) {
		if (if_changed)
			cJSON_AddBoolToObject(version, "unchanged", unchanged);
		cmd_print_version_json(store, version);
	} else {
		cmd_printf("%s@%lld\n", name, n);
	}
	if (unchanged && !quiet) {
		char *msg = xasprintf("%s@%lld is unchanged: no new version", name, n);
		fflush(stdout);
		cmd_print_message(stderr, "", msg);
		free(msg);
	}
	if (unchanged) {
		/* The same content as a version marked not to use: say so, even with -q. */
		cJSON *model = NULL;
		if (mlreg_model_load(&model, store, name) == 0 &&
		    mlreg_model_deprecated(model, (long)n)) {
			char *msg = xasprintf("%s@%lld, which has the same content, is deprecated "
					      "('mlreg undeprecate %s@%lld' to use it again)", name,
					      n, name, n);
			fflush(stdout);
			cmd_print_message(stderr, "warning: ", msg);
			free(msg);
		}
		mlreg_error_clear();
		cJSON_Delete(model);
	}
}

/* What 'mlreg register -h' prints: kept beside the options parsed below. */
const char cmd_register_usage[] =
	"usage: mlreg register NAME PATH... [-m KEY=VALUE]... [--message TEXT]\n"
	"                      [--framework NAME[:VERSION]] [--metrics-file FILE]\n"
	"                      [--metric KEY=VALUE]... [--hparams-file FILE]\n"
	"                      [--hparam KEY=VALUE]... [--spec FILE] [--contract FILE]\n"
	"                      [--create] [--force | --if-changed | --no-if-changed]\n"
	"                      [--json] [-q]\n"
	"\n"
	"    -m, --metadata KEY=VALUE  set version metadata (KEY:=JSON for a typed value)\n"
	"    --message TEXT            describe the version\n"
	"    --framework NAME[:VER]    the framework that made the model\n"
	"    --metrics-file FILE       metrics from a JSON or YAML mapping (- reads stdin)\n"
	"    --metric KEY=VALUE        one metric (a number when VALUE is one; KEY:=JSON),\n"
	"                              over the file's\n"
	"    --hparams-file FILE       hyperparameters from a JSON or YAML mapping (- stdin)\n"
	"    --hparam KEY=VALUE        one hyperparameter, as --metric, over the file's\n"
	"    --spec FILE               an MLX model YAML (trainable/servable), kept with the version\n"
	"    --contract FILE           a Hydrosphere contract (else serving.yaml, else inferred)\n"
	"    --create                  create the model if it does not exist\n"
	"    --force                   make a new version even when it equals the latest\n"
	"    --if-changed              no new version when it equals the latest: print\n"
	"                              the latest's NAME@N (the default, unless\n"
	"                              register.ifChanged is false)\n"
	"    --no-if-changed           always make a new version: --force\n"
	"    --json                    print the version as JSON instead of NAME@N\n"
	"    -q, --quiet               no progress bar, no notice of an unchanged version\n";

int cmd_register(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_MESSAGE = 256, OPT_FRAMEWORK, OPT_METRICS, OPT_HPARAMS, OPT_CREATE, OPT_JSON,
	       OPT_SPEC, OPT_CONTRACT, OPT_METRIC, OPT_HPARAM, OPT_IF_CHANGED,
	       OPT_NO_IF_CHANGED, OPT_FORCE };
	static const struct option opts[] = {
		{ "metadata", required_argument, NULL, 'm' },
		{ "message", required_argument, NULL, OPT_MESSAGE },
		{ "framework", required_argument, NULL, OPT_FRAMEWORK },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "hparams-file", required_argument, NULL, OPT_HPARAMS },
		{ "metric", required_argument, NULL, OPT_METRIC },
		{ "hparam", required_argument, NULL, OPT_HPARAM },
		{ "create", no_argument, NULL, OPT_CREATE },
		{ "spec", required_argument, NULL, OPT_SPEC },
		{ "contract", required_argument, NULL, OPT_CONTRACT },
		{ "if-changed", no_argument, NULL, OPT_IF_CHANGED },
		{ "no-if-changed", no_argument, NULL, OPT_NO_IF_CHANGED },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	struct mlreg_register_opts o = { 0 };
	struct progress prog = { 0 };
	const char *metrics_file = NULL, *hparams_file = NULL;
	char **kv = xcalloc((size_t)argc, sizeof(*kv));
	char **mkv = xcalloc((size_t)argc, sizeof(*mkv));	/* --metric, typed */
	char **hkv = xcalloc((size_t)argc, sizeof(*hkv));	/* --hparam, typed */
	size_t nm = 0, nh = 0, i;
	cJSON *meta = NULL, *metrics = NULL, *hparams = NULL, *version = NULL;
	size_t nkv = 0;
	int c, err, json = 0, quiet = 0, ret = EXIT_OK;
	int if_changed = -1, unchanged = 0;	/* -1: as register.ifChanged says */

	while ((c = cmd_getopt(argc, argv, "m:q", opts)) != -1) {
		switch (c) {
		case 'm': kv[nkv++] = optarg; break;
		case 'q': quiet = 1; break;
		case OPT_MESSAGE: o.message = optarg; break;
		case OPT_FRAMEWORK: o.framework = optarg; break;
		case OPT_METRICS: metrics_file = optarg; break;
		case OPT_HPARAMS: hparams_file = optarg; break;
		case OPT_METRIC: mkv[nm++] = typed_kv(optarg); break;
		case OPT_HPARAM: hkv[nh++] = typed_kv(optarg); break;
		case OPT_CREATE: o.create = 1; break;
		case OPT_SPEC: o.spec_file = optarg; break;
		case OPT_CONTRACT: o.contract_file = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_IF_CHANGED: if_changed = 1; break;
		case OPT_NO_IF_CHANGED: if_changed = 0; break;
		case OPT_FORCE: if_changed = 0; break;
		default: ret = EXIT_USAGE; goto done;
		}
	}
	for (i = 0; i < nkv; i++)
		if (!strchr(kv[i], '=')) {	/* 'mlreg register -m "better model"' */
			char *msg = xasprintf("'-m' takes KEY=VALUE (metadata), not '%s'; "
					      "use --message for the version's message", kv[i]);
			cmd_print_message(stderr, "error: ", msg);
			free(msg);
			ret = EXIT_USAGE;
			goto done;
		}
	if (metrics_file && hparams_file && !strcmp(metrics_file, "-") &&
	    !strcmp(hparams_file, "-")) {
		ret = cmd_usage_error("--metrics-file and --hparams-file cannot both "
				      "read standard input");
		goto done;
	}
	if (argc - optind < 1) {
		ret = cmd_usage_error("missing model name");
		goto done;
	}
	if (argc - optind < 2) {
		ret = cmd_usage_error("missing PATH to register");
		goto done;
	}
	if (o.framework && (!*o.framework || o.framework[0] == ':')) {
		ret = cmd_usage_error("malformed --framework '%s': expected NAME[:VERSION]",
				      o.framework);
		goto done;
	}
	o.name = argv[optind];
	o.paths = argv + optind + 1;
	o.npaths = (size_t)(argc - optind - 1);
	if ((err = mlreg_name_validate(o.name)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (if_changed < 0 &&
	    (err = mlreg_store_config_bool(&if_changed, store, "register.ifChanged", 1)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if ((ret = cmd_build_object(&meta, NULL, kv, nkv)) != 0)
		goto done;
	/* the inline values go over the file's: --metric a=1 wins over its "a" */
	if ((metrics_file || nm) &&
	    (ret = cmd_build_object(&metrics, metrics_file, mkv, nm)) != 0)
		goto done;
	if ((hparams_file || nh) &&
	    (ret = cmd_build_object(&hparams, hparams_file, hkv, nh)) != 0)
		goto done;
	o.warn = on_warning;
	o.ctx = &prog;
	o.metadata = meta;
	o.metrics = metrics;
	o.hparams = hparams;
	o.if_changed = if_changed;
	o.unchanged = &unchanged;
	cmd_progress_start(&prog.m, quiet);
	if (prog.m.on) {
		o.progress = on_progress;
		o.file_start = on_file;
	}
	err = mlreg_register(&version, store, &o);
	cmd_progress_clear(&prog.m);
	if (err < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	cmd_print_registered(store, version, o.name, json, if_changed, unchanged, quiet);
done:
	cJSON_Delete(meta);
	cJSON_Delete(metrics);
	cJSON_Delete(hparams);
	cJSON_Delete(version);
	free(kv);
	for (i = 0; i < nm; i++)
		free(mkv[i]);
	for (i = 0; i < nh; i++)
		free(hkv[i]);
	free(mkv);
	free(hkv);
	return ret;
}
