/*
 * mlreg search EXPR: the versions of every model that a filter expression
 * matches (MLflow's search_model_versions), as NAME@N lines; the language
 * is list-versions --filter's (lib/filter.h), and so are --sort-by,
 * --order-by, --limit, --columns and --json (cmd_query_run(), in
 * cmd/list-versions.c).
 */
#include <string.h>

#include "cmd.h"
#include "filter.h"

/* What 'mlreg search -h' prints: kept beside the options parsed below. */
const char cmd_search_usage[] =
	"usage: mlreg search EXPR [--filter EXPR]... [--sort-by FIELD] [--order-by asc|desc]\n"
	"                    [--limit N] [--columns FIELD,...] [--json]\n"
	"\n"
	"    --filter EXPR         another expression that must match too\n"
	"    --sort-by FIELD       order by a field (version, created, size, framework,\n"
	"                          model, metrics.KEY, hparams.KEY, metadata.KEY...)\n"
	"    --order-by asc|desc   the order of --sort-by (asc unless told)\n"
	"    --limit N             at most N versions\n"
	"    --columns FIELD,...   print these fields as columns after NAME@N\n"
	"    --json                print an array of version objects\n";

int cmd_search(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "filter", required_argument, NULL, CMD_OPT_FILTER },
		{ "sort-by", required_argument, NULL, CMD_OPT_SORT_BY },
		{ "order-by", required_argument, NULL, CMD_OPT_ORDER_BY },
		{ "limit", required_argument, NULL, CMD_OPT_LIMIT },
		{ "columns", required_argument, NULL, CMD_OPT_COLUMNS },
		{ 0 }
	};
	struct cmd_query q = CMD_QUERY_INIT;
	int c, ret;

	q.search = 1;
	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_JSON) {
			q.json = 1;
		} else if (c >= CMD_OPT_FILTER && c <= CMD_OPT_COLUMNS) {
			if ((ret = cmd_query_option(&q, c, optarg)) != 0)
				goto done;
		} else {
			ret = EXIT_USAGE;
			goto done;
		}
	}
	if (argc - optind != 1) {
		ret = cmd_usage_error(argc - optind ? "too many arguments" : "missing expression");
		goto done;
	}
	if ((ret = cmd_query_option(&q, CMD_OPT_FILTER, argv[optind])) != 0)
		goto done;
	ret = cmd_query_run(&q, store, NULL, 0, NULL);
done:
	cmd_query_release(&q);
	return ret;
}
