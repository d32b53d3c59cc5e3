/*
 * What upload, download and the --remote listings share: choosing the
 * remote from the arguments, the transfer settings from the environment,
 * and what the progress meter (progress.h) shows of a transfer.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "progress.h"
#include "transfer.h"

void cmd_transfer_defaults(struct mlreg_sync_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verify_delay_ms = mlreg_env_long("MLREG_VERIFY_DELAY_MS", 0, 600000, 1000);
	o->tr.jobs = (int)mlreg_env_long("MLREG_JOBS", 1, 256, 8);
	o->tr.retries = (int)mlreg_env_long("MLREG_RETRIES", 0, 100, 5);
	o->tr.retry_delay_ms = mlreg_env_long("MLREG_RETRY_DELAY_MS", 1, 600000, 250);
	o->tr.timeout_s = mlreg_env_long("MLREG_TIMEOUT", 1, 86400, 60);
	o->tr.max_pages = (unsigned long)mlreg_env_long("MLREG_LIST_MAX_PAGES", 1, 1000000000,
							100000);
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

/* What a transfer's meter shows: how far the bytes and objects are. */
struct meter {
	struct cmd_progress m;	/* the meter (progress.h) */
	const char *verb;	/* "uploading" */
};

/*
 * A progress callback of mlreg_sync_opts (ctx: a struct meter): draws
 * "uploading  42% 1.0 MiB / 2.4 MiB, 3/7 objects, 5.0 MiB/s" when due.
 */
static void on_progress(void *ctx, const struct mlreg_sync_progress *p)
{
	struct meter *t = ctx;
	char done[32], total[32], rate[32];
	double secs = mlreg_monotonic() - t->m.start;
	int pct;

	if (p->objects_total == 0 ||
	    !cmd_progress_due(&t->m, p->objects_done == p->objects_total &&
				     p->bytes_done == p->bytes_total))
		return;
	pct = p->bytes_total ? (int)(p->bytes_done * 100 / p->bytes_total) : 100;
	mlreg_human_size(done, sizeof(done), p->bytes_done);
	mlreg_human_size(total, sizeof(total), p->bytes_total);
	mlreg_human_size(rate, sizeof(rate), secs > 0.2 ? (uint64_t)(p->bytes_done / secs) : 0);
	cmd_progress_draw(&t->m, "%s %3d%% %s / %s, %llu/%llu objects, %s/s", t->verb, pct,
			  done, total, (unsigned long long)p->objects_done,
			  (unsigned long long)p->objects_total, rate);
}

/* What 'mlreg download -h' prints: kept beside the options parsed below. */
const char cmd_download_usage[] =
	"usage: mlreg download [REMOTE] [NAME[@N|@ALIAS]...] [--all] [--json] [-q] [-j N]\n"
	"\n"
	"Brings NAME@N (NAME: the remote's latest version; no NAME: every model;\n"
	"NAME@ALIAS: the version the remote's events name) with its files, the\n"
	"records of the versions before it and the model's events.  REMOTE\n"
	"defaults to 'origin', or to the only remote.\n"
	"\n"
	"    --all                 also the files of every earlier version\n"
	"    --json                print a summary as JSON instead of NAME@N lines\n"
	"    -q, --quiet           no progress meter\n"
	"    -j, --jobs N          requests in flight at most (default 8)\n";

/* What 'mlreg upload -h' prints: kept beside the options parsed below. */
const char cmd_upload_usage[] =
	"usage: mlreg upload [REMOTE] [NAME[@N]...] [--json] [-q] [-j N]\n"
	"\n"
	"Sends versions 1..N of NAME (NAME: all of them; no NAME: every model)\n"
	"that the remote lacks: objects first, then version records, then the\n"
	"events (aliases, deprecations) naming versions the remote has, then the\n"
	"model records.  REMOTE defaults to 'origin', or to the only remote.\n"
	"\n"
	"    --json                print a summary as JSON instead of NAME@N lines\n"
	"    -q, --quiet           no progress meter\n"
	"    -j, --jobs N          requests in flight at most (default 8)\n";

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
	struct meter meter;
	cJSON *summary = NULL, *v;
	char **refs = NULL;
	size_t nrefs = 0;
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
	/*
	 * NAME@ALIAS and NAME@latest: upload sends the version the store's
	 * aliases name now; download resolves them by the remote's events
	 * (store-format.md 10.3), so they go to it as written.
	 */
	refs = xcalloc((size_t)(argc - first) + 1, sizeof(*refs));
	for (int i = first; i < argc; i++) {
		const char *at = strchr(argv[i], '@');
		char *name;
		long n;
		if (at && !isdigit((unsigned char)at[1]) && download) {
			refs[nrefs++] = xstrdup(argv[i]);
			continue;
		}
		if (at && !isdigit((unsigned char)at[1])) {
			if ((ret = cmd_resolve(store, argv[i], &name, &n, 0)) != EXIT_OK)
				goto out;
			refs[nrefs++] = xasprintf("%s@%ld", name, n);
		} else if ((err = mlreg_ref_parse(argv[i], &name, &n)) < 0) {
			ret = cmd_fail(err);
			goto out;
		} else {
			refs[nrefs++] = xstrdup(argv[i]);
		}
		free(name);
	}
	o.refs = refs;
	o.nrefs = nrefs;
	meter.verb = download ? "downloading" : "uploading";
	cmd_progress_start(&meter.m, quiet);
	o.progress = on_progress;
	o.ctx = &meter;
	err = download ? mlreg_download(&summary, store, r, &o) : mlreg_upload(&summary, store, r, &o);
	cmd_progress_clear(&meter.m);
	if (json && summary) {
		cmd_print_json(summary);
	} else if (summary) {
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(summary, "versions"))
			cmd_printf("%s\n", v->valuestring);
	}
	if (err < 0)
		ret = cmd_fail(err);
	cJSON_Delete(summary);
out:
	while (nrefs > 0)
		free(refs[--nrefs]);
	free(refs);
	mlreg_remote_free(r);
	return ret;
}
