/*
 * mlreg list: models, sorted and filtered as Determined's `det model list`.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "transfer.h"

/*
 * A model kept for a listing that is not printed as it is read (text, whose
 * name column is as wide as the longest name; a sort by another key than
 * the name): only what is printed and sorted, in one allocation, never the
 * record.  rec is the record itself for a remote's listing (held anyway).
 */
struct row {
	const char *name, *key, *updated, *desc;	/* desc: its first line */
	long long latest;
	const cJSON *rec;
};

struct listing {
	const char *name_sub, *desc_sub, *sort_key;
	int json, stream, desc_order;
	size_t n, alloc, namew, printed;
	struct row **rows;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	int r = strcmp(x->key, y->key);

	return r ? r : strcmp(x->name, y->name);
}

static int cmp_recs(const void *a, const void *b)
{
	return strcmp(cmd_str(*(const cJSON *const *)a, "name"),
		      cmd_str(*(const cJSON *const *)b, "name"));
}

/* Prints model as an element of the --json array (the brackets around). */
static void print_element(const cJSON *model, size_t printed)
{
	cJSON *arr = cJSON_CreateArray();
	char *s;
	size_t len;

	cJSON_AddItemToArray(arr, mlreg_model_public(model));
	s = mlreg_doc_print_pretty(arr);
	len = strlen(s);
	/* "[\n" ELEMENT "\n]\n": the element, joined as the array prints them */
	fputs(printed ? ",\n" : "[\n", stdout);
	if (len > 5)
		fwrite(s + 2, 1, len - 5, stdout);
	free(s);
	cJSON_Delete(arr);
}

static char *stash(char **p, const char *s, size_t len)
{
	char *start = *p;

	memcpy(start, s, len);
	start[len] = '\0';
	*p += len + 1;
	return start;
}

static int take(const cJSON *model, void *ctx)
{
	struct listing *l = ctx;
	const char *name = cmd_str(model, "name"), *desc = cmd_str(model, "description");
	const char *key = cmd_str(model, l->sort_key), *updated = cmd_str(model, "last_updated_time");
	size_t nl = strlen(name), kl = strlen(key), ul = strlen(updated);
	size_t dl = strcspn(desc, "\r\n");
	struct row *r;
	char *p;

	if (mlreg_record_deleted(model))
		return 0;	/* deleted: 'mlreg create NAME' makes it again */
	if (l->name_sub && !strstr(name, l->name_sub))
		return 0;
	if (l->desc_sub && !strstr(desc, l->desc_sub))
		return 0;
	if (l->stream) {
		print_element(model, l->printed++);
		return 0;
	}
	if (nl > l->namew)
		l->namew = nl;
	r = xmalloc(sizeof(*r) + nl + kl + ul + dl + 4);
	p = (char *)(r + 1);
	r->name = stash(&p, name, nl);
	r->key = stash(&p, key, kl);
	r->updated = stash(&p, updated, ul);
	r->desc = stash(&p, desc, dl);
	r->latest = mlreg_doc_int(model, "latest_version", 0);
	r->rec = NULL;
	MLREG_ALLOC_GROW(l->rows, l->n + 1, l->alloc);
	l->rows[l->n++] = r;
	return 0;
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
	struct listing l = { 0 };
	const char *remote = NULL;
	cJSON *all = NULL;
	size_t i;
	int c, err;

	l.sort_key = "name";
	l.namew = 4;
	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_SORT:
			for (i = 0; i < 4 && strcmp(optarg, keys[i]); i++)
				;
			if (i == 4)
				return cmd_usage_error("invalid --sort-by '%s' (name, description, "
						       "creation_time or last_updated_time)", optarg);
			l.sort_key = keys[i];
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "asc") && strcmp(optarg, "desc"))
				return cmd_usage_error("invalid --order-by '%s' (asc or desc)", optarg);
			l.desc_order = !strcmp(optarg, "desc");
			break;
		case OPT_NAME: l.name_sub = optarg; break;
		case OPT_DESC: l.desc_sub = optarg; break;
		case OPT_JSON: l.json = 1; break;
		case OPT_REMOTE: remote = optarg; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 0)
		return cmd_usage_error("too many arguments");
	/* sorted by name, --json prints each model as it is read: nothing kept */
	l.stream = l.json && !strcmp(l.sort_key, "name");
	if (remote) {
		struct mlreg_remote *r;
		struct mlreg_sync_opts o;
		const cJSON **v;
		size_t n = 0;
		const cJSON *item;

		if ((err = mlreg_remote_get(&r, store, remote)) < 0)
			return cmd_fail(err);
		cmd_transfer_defaults(&o);
		err = mlreg_remote_models(&all, r, &o);
		mlreg_remote_free(r);
		if (err < 0)
			return cmd_fail(err);
		v = xcalloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(*v));
		cJSON_ArrayForEach(item, all)
			v[n++] = item;
		qsort(v, n, sizeof(*v), cmp_recs);
		for (i = 0; i < n; i++) {
			size_t before = l.n;
			const cJSON *m = v[l.desc_order ? n - 1 - i : i];

			take(m, &l);
			if (l.n > before)
				l.rows[before]->rec = m;
		}
		free(v);
	} else if ((err = mlreg_model_each(store, l.json ? (l.desc_order ? MLREG_EACH_DESC : 0) :
					   MLREG_EACH_INDEX, take, &l)) < 0) {
		/* what was printed stays: the error follows it */
		if (l.printed)
			fputs("\n]\n", stdout);
		goto out;
	}
	if (l.n > 1 && (strcmp(l.sort_key, "name") || (!l.json && !remote))) {
		/*
		 * rows came in name order (reversed for --json desc; text reads
		 * the models index, ascending): sort by the key
		 */
		if (strcmp(l.sort_key, "name"))
			qsort(l.rows, l.n, sizeof(*l.rows), cmp_rows);
		if (l.desc_order)
			for (i = 0; i < l.n / 2; i++) {
				struct row *t = l.rows[i];
				l.rows[i] = l.rows[l.n - 1 - i];
				l.rows[l.n - 1 - i] = t;
			}
	}
	if (l.json) {
		for (i = 0; i < l.n; i++) {
			cJSON *m = NULL;

			if (l.rows[i]->rec) {
				print_element(l.rows[i]->rec, l.printed++);
				continue;
			}
			/* sorted by another key: the record is read again, alone */
			err = mlreg_model_load(&m, store, l.rows[i]->name);
			if (err == MLREG_ENOTFOUND || (!err && mlreg_record_deleted(m))) {
				cJSON_Delete(m);
				continue;	/* deleted since */
			}
			if (err < 0)
				break;
			print_element(m, l.printed++);
			cJSON_Delete(m);
		}
		fputs(l.printed ? "\n]\n" : "[]\n", stdout);
	} else if (l.n > 0) {
		cmd_printf("%-*s  %8s  %-27s  %s\n", (int)l.namew, "NAME", "VERSIONS",
			   "LAST UPDATED", "DESCRIPTION");
		for (i = 0; i < l.n; i++)
			cmd_printf("%-*s  %8lld  %-27s  %s\n", (int)l.namew, l.rows[i]->name,
				   l.rows[i]->latest, l.rows[i]->updated, l.rows[i]->desc);
	}
out:
	for (i = 0; i < l.n; i++)
		free(l.rows[i]);
	free(l.rows);
	cJSON_Delete(all);
	return err < 0 ? cmd_fail(err) : EXIT_OK;
}
