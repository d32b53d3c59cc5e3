/*
 * What upload, download and the --remote listings share: choosing the
 * remote from the arguments, the transfer settings from the environment,
 * and the progress meter (curl's: on stderr, only on a terminal, about ten
 * redraws a second, sized to the terminal).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "transfer.h"

/*
 * Returns the value of environment variable name when it is a number from
 * lo to hi, else dflt (a malformed setting falls back to the default).
 */
static long env_long(const char *name, long lo, long hi, long dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 10);
	return *end || v < lo || v > hi ? dflt : v;
}

void cmd_transfer_defaults(struct mlreg_sync_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verify_delay_ms = env_long("MLREG_VERIFY_DELAY_MS", 0, 600000, 1000);
	o->tr.jobs = (int)env_long("MLREG_JOBS", 1, 256, 8);
	o->tr.retries = (int)env_long("MLREG_RETRIES", 0, 100, 5);
	o->tr.retry_delay_ms = env_long("MLREG_RETRY_DELAY_MS", 1, 600000, 250);
	o->tr.timeout_s = env_long("MLREG_TIMEOUT", 1, 86400, 60);
	o->tr.max_pages = (unsigned long)env_long("MLREG_LIST_MAX_PAGES", 1, 1000000000, 100000);
}

int cmd_transfer_remote(struct mlreg_remote **out, const struct mlreg_store *store, int argc,
			char **argv, int *first)
{
	const char *name = NULL;
	int err;

	/* The first argument names a remote when one is called so. */
	if (*first < argc && mlreg_remote_exists(store, argv[*first]))
		name = argv[(*first)++];
	if ((err = mlreg_remote_get(out, store, name)) < 0)
		return cmd_fail(err);
	return 0;
}

void cmd_meter_start(struct cmd_meter *m, const char *verb, int quiet)
{
	memset(m, 0, sizeof(*m));
	m->verb = verb;
	m->on = !quiet && isatty(STDERR_FILENO);
	m->width = m->on ? cmd_stderr_width() : 80;
	m->start = mlreg_monotonic();
}

void cmd_meter_update(void *ctx, const struct mlreg_sync_progress *p)
{
	struct cmd_meter *m = ctx;
	char done[32], total[32], rate[32], line[256];
	double secs = mlreg_monotonic() - m->start;
	int pct;

	if (!m->on || p->objects_total == 0)
		return;
	pct = p->bytes_total ? (int)(p->bytes_done * 100 / p->bytes_total) : 100;
	mlreg_human_size(done, sizeof(done), p->bytes_done);
	mlreg_human_size(total, sizeof(total), p->bytes_total);
	mlreg_human_size(rate, sizeof(rate), secs > 0.2 ? (uint64_t)(p->bytes_done / secs) : 0);
	snprintf(line, sizeof(line), "%s %3d%% %s / %s, %llu/%llu objects, %s/s", m->verb, pct,
		 done, total, (unsigned long long)p->objects_done,
		 (unsigned long long)p->objects_total, rate);
	fprintf(stderr, "\r\033[K%.*s", m->width > 1 ? m->width - 1 : 1, line);
	m->shown = 1;
}

void cmd_meter_end(struct cmd_meter *m)
{
	if (m->shown)
		fputs("\r\033[K", stderr);
	m->shown = 0;
}

int cmd_sync(int argc, char **argv, struct mlreg_store *store, int download)
{
	enum { OPT_JSON = 256, OPT_ALL };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ 0 }
	};
	struct mlreg_sync_opts o;
	struct mlreg_remote *r = NULL;
	struct cmd_meter meter;
	cJSON *summary = NULL, *v;
	int c, err, json = 0, quiet = 0, first, ret = EXIT_OK;

	cmd_transfer_defaults(&o);
	while ((c = cmd_getopt(argc, argv, "qj:", opts)) != -1) {
		char *end;
		switch (c) {
		case OPT_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'j':
			o.tr.jobs = (int)strtol(optarg, &end, 10);
			if (*end || o.tr.jobs < 1 || o.tr.jobs > 256)
				return cmd_usage_error("invalid --jobs '%s' (1 to 256)", optarg);
			break;
		case OPT_ALL:
			if (!download)
				return cmd_usage_error("unknown option '--all'");
			o.all_versions = 1;
			break;
		default: return EXIT_USAGE;
		}
	}
	first = optind;
	if ((ret = cmd_transfer_remote(&r, store, argc, argv, &first)) != 0)
		return ret;
	for (int i = first; i < argc; i++) {
		char *name;
		long n;
		if ((err = mlreg_ref_parse(argv[i], &name, &n)) < 0) {
			mlreg_remote_free(r);
			return cmd_fail(err);
		}
		free(name);
	}
	o.refs = argv + first;
	o.nrefs = (size_t)(argc - first);
	cmd_meter_start(&meter, download ? "downloading" : "uploading", quiet);
	o.progress = cmd_meter_update;
	o.ctx = &meter;
	err = download ? mlreg_download(&summary, store, r, &o) : mlreg_upload(&summary, store, r, &o);
	cmd_meter_end(&meter);
	if (json && summary) {
		cmd_print_json(summary);
	} else if (summary) {
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(summary, "versions"))
			cmd_printf("%s\n", v->valuestring);
	}
	if (err < 0)
		ret = cmd_fail(err);
	cJSON_Delete(summary);
	mlreg_remote_free(r);
	return ret;
}
