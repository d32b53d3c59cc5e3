/*
 * mlreg gc [--dry-run] [--prune=TIME] [--json] [-q]: remove the objects no
 * version record names and the leftovers of writers that died (lib/gc.h
 * has the rules).  Quiet on success unless something was removed, as git
 * gc is; the summary goes to stderr, a dry run's list and --json to stdout.
 */
#include <time.h>

#include "cmd.h"
#include "gc.h"

/* What 'mlreg gc -h' prints: kept beside the options parsed below. */
const char cmd_gc_usage[] =
	"usage: mlreg gc [--dry-run] [--prune=TIME] [--json] [-q]\n"
	"\n"
	"Removes the objects that no version record names and that were not\n"
	"modified after TIME, and temporary files of writers that died.\n"
	"\n"
	"    -n, --dry-run         remove nothing; list each object that would go\n"
	"    --prune TIME          now, never, N.UNIT.ago (seconds, minutes, hours,\n"
	"                          days, weeks) or an RFC 3339 time; default 2.weeks.ago\n"
	"    --json                print what was removed as JSON\n"
	"    -q, --quiet           print no summary\n";

/* Prints a dry run's "would remove HASH SIZE" line. */
static void list_object(void *ctx, const char *hex, uint64_t size)
{
	cmd_printf("would remove %s %llu\n", hex, (unsigned long long)size);
}

/* Returns a new {"count": N, "bytes": N} object. */
static cJSON *count_json(const struct mlreg_gc_count *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "count", (double)c->count);
	cJSON_AddNumberToObject(o, "bytes", (double)c->bytes);
	return o;
}

/* Formats t as the store's RFC 3339 time (UTC, microseconds) into buf. */
static void format_time(char *buf, size_t len, const struct timespec *t)
{
	struct tm tm;
	char head[32];

	gmtime_r(&t->tv_sec, &tm);
	strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", head, t->tv_nsec / 1000);
}

/* Prints the one-line summary on stderr. */
static void summary(const struct mlreg_gc_opts *o, const struct mlreg_gc_result *r)
{
	char size[32];

	mlreg_human_size(size, sizeof(size), r->objects.bytes);
	fprintf(stderr, "%s %llu object%s, %s", o->dry_run ? "would remove" : "removed",
		(unsigned long long)r->objects.count, r->objects.count == 1 ? "" : "s", size);
	if (r->temporary.count)
		fprintf(stderr, "; %llu temporary file%s",
			(unsigned long long)r->temporary.count, r->temporary.count == 1 ? "" : "s");
	if (r->kept_recent.count) {
		mlreg_human_size(size, sizeof(size), r->kept_recent.bytes);
		fprintf(stderr, "; kept %llu unreferenced object%s, %s, modified after the "
			"prune time", (unsigned long long)r->kept_recent.count,
			r->kept_recent.count == 1 ? "" : "s", size);
	}
	fputc('\n', stderr);
}

int cmd_gc(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_PRUNE = 256, OPT_JSON };
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "prune", required_argument, NULL, OPT_PRUNE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	struct mlreg_gc_opts o = { 0 };
	struct mlreg_gc_result r;
	int c, err, json = 0, quiet = 0;

	mlreg_gc_default_prune(&o);
	while ((c = cmd_getopt(argc, argv, "nq", opts)) != -1) {
		switch (c) {
		case 'n':
			o.dry_run = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_PRUNE:
			if (mlreg_gc_parse_prune(&o, optarg) < 0)
				return cmd_usage_error("%s", mlreg_error_message());
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 0)
		return cmd_usage_error("too many arguments");
	if (o.dry_run && !json) {
		o.object = list_object;
	}
	if ((err = mlreg_gc(store, &o, &r)) < 0)
		return cmd_fail(err);
	if (json) {
		cJSON *out = cJSON_CreateObject();
		char when[64];

		cJSON_AddBoolToObject(out, "dry_run", o.dry_run);
		if (o.never) {
			cJSON_AddNullToObject(out, "prune");
		} else {
			format_time(when, sizeof(when), &o.prune);
			cJSON_AddStringToObject(out, "prune", when);
		}
		cJSON_AddItemToObject(out, "objects", count_json(&r.objects));
		cJSON_AddItemToObject(out, "temporary", count_json(&r.temporary));
		cJSON_AddItemToObject(out, "kept_recent", count_json(&r.kept_recent));
		cmd_print_json(out);
		cJSON_Delete(out);
	} else if (!quiet && (o.dry_run || r.objects.count || r.temporary.count)) {
		summary(&o, &r);
	}
	return EXIT_OK;
}
