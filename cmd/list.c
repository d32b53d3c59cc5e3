/*
 * mlreg list: models, sorted and filtered as Determined's `det model list`.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "transfer.h"

static const char *sort_key;
static int sort_desc;

static int cmp_models(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int r = strcmp(cmd_str(x, sort_key), cmd_str(y, sort_key));

	if (r == 0)
		r = strcmp(cmd_str(x, "name"), cmd_str(y, "name"));
	return sort_desc ? -r : r;
}

/* What 'mlreg list -h' prints: kept beside the options parsed below. */
const char cmd_list_usage[] =
	"usage: mlreg list [--sort-by KEY] [--order-by asc|desc] [--name SUBSTR]\n"
	"                  [--description SUBSTR] [--remote REMOTE] [--json]\n"
	"\n"
	"    --sort-by KEY         name (default), description, creation_time or\n"
	"                          last_updated_time\n"
	"    --order-by ORDER      asc (default) or desc\n"
	"    --name SUBSTR         only models whose name contains SUBSTR\n"
	"    --description SUBSTR  only models whose description contains SUBSTR\n"
	"    --remote REMOTE       the models of a remote (nothing is downloaded)\n"
	"    --json                print an array of model objects\n";

int cmd_list(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_SORT = 256, OPT_ORDER, OPT_NAME, OPT_DESC, OPT_JSON, OPT_REMOTE };
	static const struct option opts[] = {
		{ "sort-by", required_argument, NULL, OPT_SORT },
		{ "order-by", required_argument, NULL, OPT_ORDER },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "description", required_argument, NULL, OPT_DESC },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ 0 }
	};
	static const char *const keys[] = { "name", "description", "creation_time",
					    "last_updated_time" };
	const char *name_sub = NULL, *desc_sub = NULL, *remote = NULL;
	cJSON *all = NULL, **v = NULL, *item, *out;
	size_t n = 0, i, namew = 4;
	int c, err, json = 0;

	sort_key = "name";
	sort_desc = 0;
	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_SORT:
			for (i = 0; i < 4 && strcmp(optarg, keys[i]); i++)
				;
			if (i == 4)
				return cmd_usage_error("invalid --sort-by '%s' (name, description, "
						       "creation_time or last_updated_time)", optarg);
			sort_key = keys[i];
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "asc") && strcmp(optarg, "desc"))
				return cmd_usage_error("invalid --order-by '%s' (asc or desc)", optarg);
			sort_desc = !strcmp(optarg, "desc");
			break;
		case OPT_NAME: name_sub = optarg; break;
		case OPT_DESC: desc_sub = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_REMOTE: remote = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 0)
		return cmd_usage_error("too many arguments");
	if (remote) {
		struct mlreg_remote *r;
		struct mlreg_sync_opts o;
		if ((err = mlreg_remote_get(&r, store, remote)) < 0)
			return cmd_fail(err);
		cmd_transfer_defaults(&o);
		err = mlreg_remote_models(&all, r, &o);
		mlreg_remote_free(r);
	} else {
		err = mlreg_model_list(&all, store);
	}
	if (err < 0)
		return cmd_fail(err);
	v = xcalloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*v));
	cJSON_ArrayForEach(item, all) {
		if (mlreg_record_deleted(item))
			continue;	/* deleted: 'mlreg create NAME' makes it again */
		if (name_sub && !strstr(cmd_str(item, "name"), name_sub))
			continue;
		if (desc_sub && !strstr(cmd_str(item, "description"), desc_sub))
			continue;
		v[n++] = item;
		if (strlen(cmd_str(item, "name")) > namew)
			namew = strlen(cmd_str(item, "name"));
	}
	qsort(v, n, sizeof(*v), cmp_models);
	if (json) {
		out = cJSON_CreateArray();
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(out, mlreg_model_public(v[i]));
		cmd_print_json(out);
		cJSON_Delete(out);
	} else if (n > 0) {
		cmd_printf("%-*s  %8s  %-27s  %s\n", (int)namew, "NAME", "VERSIONS", "LAST UPDATED",
		       "DESCRIPTION");
		for (i = 0; i < n; i++) {
			const char *desc = cmd_str(v[i], "description");
			cmd_printf("%-*s  %8lld  %-27s  %.*s\n", (int)namew, cmd_str(v[i], "name"),
			       mlreg_doc_int(v[i], "latest_version", 0),
			       cmd_str(v[i], "last_updated_time"),
			       (int)strcspn(desc, "\r\n"), desc);	/* its first line only */
		}
	}
	free(v);
	cJSON_Delete(all);
	return EXIT_OK;
}
