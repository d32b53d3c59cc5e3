/*
 * mlreg fsck: verify the store; quiet when all is well, one line per problem
 * on stdout and exit status 1 otherwise.  Unreferenced objects (gc.h) are
 * not a problem: their count and size are information, on stderr; nor is a
 * damaged stat cache (statcache.h), ignored by register: a warning.
 */
#include <stdlib.h>

#include "cmd.h"
#include "gc.h"
#include "statcache.h"

static void print_line(void *ctx, const char *problem)
{
	if (ctx)
		cJSON_AddItemToArray((cJSON *)ctx, cJSON_CreateString(problem));
	else
		cmd_print_message(stdout, "", problem);
}

/* What 'mlreg fsck -h' prints: kept beside the options parsed below. */
const char cmd_fsck_usage[] =
	"usage: mlreg fsck [--json]\n"
	"\n"
	"    --json                print {\"problems\": [...], \"unreferenced\": {...}}\n"
	"                          instead of lines\n";

int cmd_fsck(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ 0 }
	};
	unsigned long problems = 0;
	cJSON *out = NULL, *arr = NULL;
	int c, err;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c != OPT_JSON)
			return EXIT_USAGE;
		out = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(out, "problems");
	}
	if (argc - optind != 0) {
		cJSON_Delete(out);
		return cmd_usage_error("too many arguments");
	}
	err = mlreg_fsck(store, print_line, arr, &problems);
	if (err < 0) {
		cJSON_Delete(out);
		return cmd_fail(err);
	}
	{
		/* Unknown (null) when a record cannot be read: that is reported above. */
		struct mlreg_gc_count u;
		int known = mlreg_gc_unreferenced(store, &u) == 0;

		mlreg_error_clear();
		if (out && known) {
			cJSON *o = cJSON_AddObjectToObject(out, "unreferenced");
			cJSON_AddNumberToObject(o, "count", (double)u.count);
			cJSON_AddNumberToObject(o, "bytes", (double)u.bytes);
		} else if (out) {
			cJSON_AddNullToObject(out, "unreferenced");
		} else if (known && u.count) {
			char size[32];
			mlreg_human_size(size, sizeof(size), u.bytes);
			fprintf(stderr, "%llu unreferenced object%s, %s ('mlreg gc' removes them)\n",
				(unsigned long long)u.count, u.count == 1 ? "" : "s", size);
		}
	}
	if (!out) {
		uint64_t n;
		if (mlreg_statcache_check(store, &n) < 0) {
			char *msg = xasprintf("%s (ignored; the next register rewrites it)",
					      mlreg_error_message());
			cmd_print_message(stderr, "warning: ", msg);
			free(msg);
		}
		mlreg_error_clear();
	}
	if (out) {
		cmd_print_json(out);
		cJSON_Delete(out);
	}
	return problems ? EXIT_FAIL : EXIT_OK;
}
