/*
 * mlreg register NAME PATH...: store files as the next version.  Prints
 * NAME@N; a progress bar on stderr only when it is a terminal.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "register.h"
#include "text.h"

struct progress {
	const char *path;	/* file being stored */
	uint64_t size;		/* its size */
	double last;		/* monotonic seconds of the last redraw */
	int width;		/* terminal columns */
	int shown;		/* something is on the line */
};

static void draw(struct progress *p, uint64_t done)
{
	char a[32], b[32], *path;
	int pct = p->size ? (int)(done * 100 / p->size) : 100;
	int room;

	mlreg_human_size(a, sizeof(a), done);
	mlreg_human_size(b, sizeof(b), p->size);
	room = p->width - 40;
	if (room < 8)
		room = 8;
	path = mlreg_quote(p->path, strlen(p->path), MLREG_QUOTE_WRAP);
	fprintf(stderr, "\r\033[Kstoring %-*.*s %3d%% %s / %s", room, room, path, pct, a, b);
	free(path);
	p->shown = 1;
}

static void on_progress(void *ctx, uint64_t done)
{
	struct progress *p = ctx;
	double t = mlreg_monotonic();

	if (t - p->last < 0.1 && done < p->size)
		return;		/* about ten redraws a second, as curl's meter */
	p->last = t;
	draw(p, done);
}

static void on_file(void *ctx, const char *path, uint64_t size)
{
	struct progress *p = ctx;

	p->path = path;
	p->size = size;
	p->last = 0;
}

static void on_warning(void *ctx, const char *msg)
{
	struct progress *p = ctx;

	if (p && p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
	cmd_warn(NULL, msg);
}

int cmd_register(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_MESSAGE = 256, OPT_FRAMEWORK, OPT_METRICS, OPT_HPARAMS, OPT_CREATE, OPT_JSON,
	       OPT_SPEC, OPT_CONTRACT };
	static const struct option opts[] = {
		{ "metadata", required_argument, NULL, 'm' },
		{ "message", required_argument, NULL, OPT_MESSAGE },
		{ "framework", required_argument, NULL, OPT_FRAMEWORK },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "hparams-file", required_argument, NULL, OPT_HPARAMS },
		{ "create", no_argument, NULL, OPT_CREATE },
		{ "spec", required_argument, NULL, OPT_SPEC },
		{ "contract", required_argument, NULL, OPT_CONTRACT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	struct mlreg_register_opts o = { 0 };
	struct progress prog = { 0 };
	const char *metrics_file = NULL, *hparams_file = NULL;
	char **kv = xcalloc((size_t)argc, sizeof(*kv));
	cJSON *meta = NULL, *metrics = NULL, *hparams = NULL, *version = NULL;
	size_t nkv = 0;
	int c, err, json = 0, quiet = 0, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "m:q", opts)) != -1) {
		switch (c) {
		case 'm': kv[nkv++] = optarg; break;
		case 'q': quiet = 1; break;
		case OPT_MESSAGE: o.message = optarg; break;
		case OPT_FRAMEWORK: o.framework = optarg; break;
		case OPT_METRICS: metrics_file = optarg; break;
		case OPT_HPARAMS: hparams_file = optarg; break;
		case OPT_CREATE: o.create = 1; break;
		case OPT_SPEC: o.spec_file = optarg; break;
		case OPT_CONTRACT: o.contract_file = optarg; break;
		case OPT_JSON: json = 1; break;
		default: ret = EXIT_USAGE; goto done;
		}
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
	if ((ret = cmd_build_object(&meta, NULL, kv, nkv)) != 0)
		goto done;
	if (metrics_file && (ret = cmd_build_object(&metrics, metrics_file, NULL, 0)) != 0)
		goto done;
	if (hparams_file && (ret = cmd_build_object(&hparams, hparams_file, NULL, 0)) != 0)
		goto done;
	o.warn = on_warning;
	o.ctx = &prog;
	o.metadata = meta;
	o.metrics = metrics;
	o.hparams = hparams;
	if (!quiet && isatty(STDERR_FILENO)) {
		prog.width = cmd_stderr_width();
		o.progress = on_progress;
		o.file_start = on_file;
	}
	err = mlreg_register(&version, store, &o);
	if (prog.shown)
		fputs("\r\033[K", stderr);
	if (err < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (json)
		cmd_print_json(version);
	else
		cmd_printf("%s@%lld\n", o.name, mlreg_doc_int(version, "version", 0));
done:
	cJSON_Delete(meta);
	cJSON_Delete(metrics);
	cJSON_Delete(hparams);
	cJSON_Delete(version);
	free(kv);
	return ret;
}
