/*
 * mlreg list-versions NAME: a model's versions, newest first, or chosen by
 * --filter, ordered by --sort-by, cut by --limit, with --columns.  The
 * query machinery here is also 'mlreg search' (cmd/search.c) across models.
 *
 * Memory: without --sort-by the versions are read one at a time, printed
 * and dropped; with it, only a sort key and the version's number are kept
 * per version, and the versions printed are read again.
 *
 * The default listing (no --json, --filter, --sort-by nor --columns) of a
 * local model reads the model's versions index (lib/listidx.h) instead of
 * the records, a line at a time; a missing or stale index is rebuilt first
 * when the model's lock is free, and where the index ends or a line of it
 * is bad, the listing goes on from the records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "filter.h"
#include "listidx.h"
#include "transfer.h"

#define MAX_COLUMNS 64

/* What 'mlreg list-versions -h' prints: kept beside the options parsed below. */
const char cmd_list_versions_usage[] =
	"usage: mlreg list-versions NAME [--remote REMOTE] [--json] [--filter EXPR]...\n"
	"                           [--sort-by FIELD] [--order-by asc|desc] [--limit N]\n"
	"                           [--columns FIELD,...] [--deleted]\n"
	"\n"
	"    --remote REMOTE       the versions on a remote (no file is downloaded)\n"
	"    --json                print an array of version objects\n"
	"    --filter EXPR         only the versions EXPR matches (several: all must)\n"
	"    --sort-by FIELD       order by a field (version, created, size, framework,\n"
	"                          metrics.KEY, hparams.KEY, metadata.KEY...)\n"
	"    --order-by asc|desc   the order of --sort-by (asc unless told)\n"
	"    --limit N             at most N versions\n"
	"    --columns FIELD,...   print these fields as columns\n"
	"    --deleted             list deleted versions too, marked [deleted by ...]\n";

int cmd_query_option(struct cmd_query *q, int c, const char *arg)
{
	struct mlreg_filter *f;
	char *end, *list, *tok, *save;
	int err;

	switch (c) {
	case CMD_OPT_FILTER:
		if ((err = mlreg_filter_parse(&f, arg, strlen(arg))) < 0)
			return cmd_fail(err);
		MLREG_ALLOC_GROW(q->filters, q->nfilters + 1, q->capfilters);
		q->filters[q->nfilters++] = f;
		return 0;
	case CMD_OPT_SORT_BY:
		if ((err = mlreg_field_check(arg)) < 0)
			return cmd_fail(err);
		if (!strcmp(arg, "aliases"))
			return cmd_usage_error("cannot sort by aliases (a version has several)");
		q->sort_by = arg;
		return 0;
	case CMD_OPT_ORDER_BY:
		if (!strcmp(arg, "asc"))
			q->order = 1;
		else if (!strcmp(arg, "desc"))
			q->order = 2;
		else
			return cmd_usage_error("--order-by wants asc or desc, not '%s'", arg);
		return 0;
	case CMD_OPT_LIMIT:
		errno = 0;
		q->limit = strtol(arg, &end, 10);
		if (!*arg || *end || errno || q->limit < 0 || arg[0] == '+' || arg[0] == ' ')
			return cmd_usage_error("--limit wants a number of versions, not '%s'", arg);
		return 0;
	case CMD_OPT_COLUMNS:
		list = xstrdup(arg);
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (q->ncolumns == MAX_COLUMNS) {
				free(list);
				return cmd_usage_error("--columns: more than %d columns", MAX_COLUMNS);
			}
			if ((err = mlreg_field_check(tok)) < 0) {
				free(list);
				return cmd_fail(err);
			}
			q->columns = xreallocarray(q->columns, q->ncolumns + 1, sizeof(*q->columns));
			q->columns[q->ncolumns++] = xstrdup(tok);
		}
		free(list);
		if (!q->ncolumns)
			return cmd_usage_error("--columns wants a list of fields");
		return 0;
	}
	return EXIT_USAGE;
}

void cmd_query_release(struct cmd_query *q)
{
	size_t i;

	for (i = 0; i < q->nfilters; i++)
		mlreg_filter_free(q->filters[i]);
	free(q->filters);
	for (i = 0; i < q->ncolumns; i++)
		free(q->columns[i]);
	free(q->columns);
}

/* Where the versions come from: models of the store, or a remote's list. */
struct source {
	struct mlreg_store *store;
	char **names;		/* the models, in output order */
	long *latest;		/* their latest version numbers */
	cJSON **models;		/* their records (aliases, deprecated), or NULL */
	size_t n;
	const cJSON *list;	/* or one model's records, newest first */
};

/* One version kept for sorting: where it is and its key, not the record. */
struct kept {
	size_t model;
	long version;
	struct mlreg_sort_key key;
	int desc;
};

/* Output state: the JSON array opened, the header printed. */
struct out {
	const struct cmd_query *q;
	size_t printed;
};

/*
 * Returns 0 and in *v version n of model i of src (*owned: free it after),
 * or an error code.
 */
static int load(cJSON **v, int *owned, const struct source *src, size_t i, long n)
{
	int err;

	if (src->list) {
		int size = cJSON_GetArraySize(src->list);
		*owned = 0;
		/* newest first: version n at index size - n when complete */
		*v = cJSON_GetArrayItem(src->list, size - (int)n);
		return *v ? 0 : mlreg_error_set(MLREG_ECORRUPT, "version %ld not in the list", n);
	}
	*owned = 1;
	if (src->models)	/* model.json read once, not once a version */
		err = mlreg_version_load_in(v, src->store, src->models[i], n);
	else
		err = mlreg_version_load(v, src->store, src->names[i], n);
	if (err == 0 && src->models)
		mlreg_lifecycle_annotate(*v, src->models[i]);
	return err;
}

/* Returns 1 when every filter of q matches v. */
static int selected(const struct cmd_query *q, const cJSON *v)
{
	size_t i;

	for (i = 0; i < q->nfilters; i++)
		if (!mlreg_filter_match(q->filters[i], v))
			return 0;
	return 1;
}

/* Writes JSON text that cJSON made (it escapes control characters itself). */
static void json_write(const char *s)
{
	fputs(s, stdout);
}

/* Returns a new value printed for a column: a number, a string or "-". */
static char *column_text(const cJSON *v)
{
	char *s;
	size_t n;

	if (!v)
		return xstrdup("-");
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	s = mlreg_doc_print(v);		/* numbers, booleans, objects: as JSON */
	n = strlen(s);
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

/* Returns 1 when column i ends the line (search's last one): no padding. */
static int last_plain(const struct cmd_query *q, size_t i)
{
	return q->search && i + 1 == q->ncolumns;
}

/* Prints one selected version v as q asks. */
static void emit(struct out *o, const cJSON *v)
{
	const struct cmd_query *q = o->q;
	size_t i;

	if (q->json) {
		cJSON *obj = NULL;
		char *s, *p;
		if (q->ncolumns) {
			cJSON *cols = cJSON_CreateObject();
			obj = cJSON_CreateObject();
			cJSON_AddStringToObject(obj, "model", cmd_str(v, "model"));
			cJSON_AddNumberToObject(obj, "version", (double)mlreg_doc_int(v, "version", 0));
			cJSON_AddStringToObject(obj, "id", cmd_str(v, "id"));
			for (i = 0; i < q->ncolumns; i++) {
				const cJSON *c = mlreg_field_get(v, q->columns[i]);
				cJSON_AddItemToObject(cols, q->columns[i],
						      c ? cJSON_Duplicate(c, 1) : cJSON_CreateNull());
			}
			cJSON_AddItemToObject(obj, "columns", cols);
		}
		s = mlreg_doc_print_pretty(obj ? obj : v);
		cJSON_Delete(obj);
		json_write(o->printed ? ",\n  " : "[\n  ");
		/* indent the element as cmd_print_json() would inside the array */
		for (p = s; *p; p++) {
			char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			fwrite(p, 1, n, stdout);
			if (!nl || !nl[1])
				break;
			json_write("\n  ");
			p = nl;
		}
		free(s);
		o->printed++;
		return;
	}
	if (!o->printed && (!q->search || q->ncolumns)) {	/* search alone: no header */
		if (q->search)
			cmd_printf("%-24s", "VERSION");
		else
			cmd_printf("%-7s  %-12s  %-27s  %10s", "VERSION", "ID", "CREATED", "SIZE");
		for (i = 0; i < q->ncolumns; i++)
			cmd_printf(last_plain(q, i) ? "  %s" : "  %-12s", q->columns[i]);
		if (!q->search)
			cmd_printf("  %s", "MESSAGE");
		cmd_printf("\n");
	}
	o->printed++;
	if (q->search) {
		char *at = xasprintf("%s@%lld", cmd_str(v, "model"), mlreg_doc_int(v, "version", 0));
		cmd_printf(q->ncolumns ? "%-24s" : "%s", at);
		free(at);
	} else {
		char size[32];
		mlreg_human_size(size, sizeof(size), (uint64_t)mlreg_doc_int(v, "size", 0));
		cmd_printf("%-7lld  %.12s  %-27s  %10s", mlreg_doc_int(v, "version", 0),
			   cmd_str(v, "id"), cmd_str(v, "created"), size);
	}
	for (i = 0; i < q->ncolumns; i++) {
		char *t = column_text(mlreg_field_get(v, q->columns[i]));
		cmd_printf(last_plain(q, i) ? "  %s" : "  %-12s", t);
		free(t);
	}
	if (!q->search) {
		const cJSON *del = mlreg_record_deleted(v);
		const char *msg = del ? cmd_str(del, "message") : cmd_str(v, "message");
		const cJSON *a, *aliases = cJSON_GetObjectItemCaseSensitive(v, "aliases");
		int first = 1;
		cmd_printf("  ");
		cJSON_ArrayForEach(a, aliases) {	/* as git log --decorate */
			cmd_printf("%s%s", first ? "(" : ", ", cJSON_IsString(a) ? a->valuestring : "");
			first = 0;
		}
		if (!first)
			cmd_printf(") ");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "deprecated")))
			cmd_printf("[deprecated] ");
		if (del)
			cmd_printf("[deleted by %s on %s] ", cmd_str(del, "user"),
				   cmd_str(del, "time"));
		cmd_printf("%.*s", (int)strcspn(msg, "\r\n"), msg);	/* the subject line */
	}
	cmd_printf("\n");
}

/* Returns 1 when q's output is what a versions index holds. */
static int index_enough(const struct cmd_query *q, const struct source *src)
{
	return !src->list && src->models && !q->json && !q->nfilters && !q->sort_by &&
		!q->ncolumns && !q->search;
}

/* Returns 1 when the n bytes at s are printable ASCII: cmd_printf() prints them as they are. */
static int plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Returns 1 after printing index entry e exactly as emit() prints its
 * version, when that needs no escaping (every text printable ASCII, so
 * cmd_printf() would print it unchanged: checked here, not assumed), no
 * header and no alias nor deprecation mark (marked); 0 to leave it to
 * emit().  A listing of 100,000 versions spends its time here.
 */
static int emit_plain(struct out *o, const struct mlreg_vidx_entry *e, int marked)
{
	char size[32], line[MLREG_VIDX_LINE_MAX + 256];
	size_t slen = e->subject ? strcspn(e->subject, "\r\n") : 0;
	int n, m = 0;

	if (!o->printed || marked || !e->subject || !plain(e->subject, slen) ||
	    !plain(e->created, strlen(e->created)) ||
	    (e->deleted && (!plain(e->del_user, strlen(e->del_user)) ||
			    !plain(e->del_time, strlen(e->del_time)))))
		return 0;
	mlreg_human_size(size, sizeof(size), (uint64_t)e->size);
	n = snprintf(line, sizeof(line), "%-7ld  %.12s  %-27s  %10s  ", e->version, e->id,
		     e->created, size);
	if (n > 0 && (size_t)n < sizeof(line) && e->deleted)
		m = snprintf(line + n, sizeof(line) - (size_t)n, "[deleted by %s on %s] ",
			     e->del_user, e->del_time);
	if (n < 0 || m < 0 || (size_t)n + (size_t)m + slen + 1 > sizeof(line))
		return 0;
	n += m;
	memcpy(line + n, e->subject, slen);
	line[n + slen] = '\n';
	fwrite(line, 1, (size_t)n + slen + 1, stdout);
	o->printed++;
	return 1;
}

/* Returns the order of two longs, for qsort() and bsearch(). */
static int long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Returns the sorted versions that model's aliases and deprecations name (*n of them). */
static long *marked_versions(const cJSON *model, size_t *n)
{
	const cJSON *a;
	long *v = NULL;
	size_t cap = 0;

	*n = 0;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(model, "aliases")) {
		MLREG_ALLOC_GROW(v, *n + 1, cap);
		v[(*n)++] = cJSON_IsNumber(a) ? (long)a->valuedouble : 0;
	}
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(model, "deprecated")) {
		MLREG_ALLOC_GROW(v, *n + 1, cap);
		v[(*n)++] = cJSON_IsNumber(a) ? (long)a->valuedouble : 0;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), long_cmp);
	return v;
}

/*
 * Returns 0 after printing model i's versions from its index as far as it
 * is good, with *next the version the records must go on from (0: done);
 * an error code when a version it sends to its record cannot be read.
 */
static int run_index(struct out *o, const struct source *src, size_t i, long *next)
{
	const struct cmd_query *q = o->q;
	const cJSON *model = src->models[i];
	struct mlreg_vidx *x;
	struct mlreg_vidx_entry e;
	int r, err = 0, owned;
	size_t nmarked;
	long *marked;
	cJSON *v;

	if (mlreg_vidx_open(&x, src->store, src->names[i], model) != 0) {
		if (mlreg_vidx_refresh(src->store, src->names[i]) < 0)
			mlreg_error_clear();	/* then from the records */
		if (mlreg_vidx_open(&x, src->store, src->names[i], model) != 0)
			return 0;
	}
	marked = marked_versions(model, &nmarked);
	while (!(q->limit >= 0 && o->printed >= (size_t)q->limit)) {
		if ((r = mlreg_vidx_next(x, &e)) <= 0) {
			if (r < 0 && mlreg_vidx_rebuild(src->store, src->names[i]) < 0)
				mlreg_error_clear();	/* the records say the rest */
			mlreg_error_clear();
			break;
		}
		if (e.deleted && !q->deleted)
			continue;
		if (emit_plain(o, &e, nmarked && bsearch(&e.version, marked, nmarked,
							  sizeof(*marked), long_cmp)))
			continue;
		if (!e.subject) {	/* too long for the index: the record has it */
			if ((err = load(&v, &owned, src, i, e.version)) < 0)
				break;
		} else {
			v = cJSON_CreateObject();
			cJSON_AddNumberToObject(v, "version", (double)e.version);
			cJSON_AddStringToObject(v, "id", e.id);
			cJSON_AddStringToObject(v, "created", e.created);
			cJSON_AddNumberToObject(v, "size", (double)e.size);
			cJSON_AddStringToObject(v, "message", e.subject);
			if (e.deleted) {
				cJSON *d = cJSON_AddObjectToObject(v, "deleted");
				cJSON_AddStringToObject(d, "time", e.del_time);
				cJSON_AddStringToObject(d, "user", e.del_user);
				cJSON_AddStringToObject(d, "message", e.subject);
			}
			mlreg_lifecycle_annotate(v, model);
		}
		emit(o, v);
		cJSON_Delete(v);
	}
	free(marked);
	*next = mlreg_vidx_expected(x);
	if (q->limit >= 0 && o->printed >= (size_t)q->limit)
		*next = 0;
	mlreg_vidx_close(x);
	return err;
}

static int kept_cmp(const void *pa, const void *pb)
{
	const struct kept *a = pa, *b = pb;
	int c = mlreg_sort_key_cmp(&a->key, &b->key, a->desc);

	if (c)
		return c;
	if (a->model != b->model)	/* ties: models in order, newest first */
		return a->model < b->model ? -1 : 1;
	return a->version > b->version ? -1 : a->version < b->version;
}

/*
 * Returns 0 after printing the selected versions of src; an error code
 * (its message set) when a version cannot be read.
 */
static int run(struct cmd_query *q, const struct source *src)
{
	struct out o = { q, 0 };
	struct kept *keep = NULL;
	size_t nkeep = 0, capkeep = 0, i, k;
	int err = 0, owned;
	long n;
	cJSON *v;

	for (i = 0; i < src->n; i++) {
		n = src->latest[i];
		if (n > 0 && index_enough(q, src) && (err = run_index(&o, src, i, &n)) < 0)
			goto done;
		for (; n >= 1; n--) {
			if (!q->sort_by && q->limit >= 0 && o.printed >= (size_t)q->limit)
				goto sorted;
			if ((err = load(&v, &owned, src, i, n)) < 0)
				goto done;
			if ((q->deleted || !mlreg_record_deleted(v)) && selected(q, v)) {
				if (q->sort_by) {
					MLREG_ALLOC_GROW(keep, nkeep + 1, capkeep);
					keep[nkeep].model = i;
					keep[nkeep].version = n;
					keep[nkeep].desc = q->order == 2;
					mlreg_sort_key_get(&keep[nkeep].key, v, q->sort_by);
					nkeep++;
				} else {
					emit(&o, v);
				}
			}
			if (owned)
				cJSON_Delete(v);
		}
	}
sorted:
	if (q->sort_by) {
		if (nkeep)	/* qsort(NULL, 0) is undefined */
			qsort(keep, nkeep, sizeof(*keep), kept_cmp);
		for (k = 0; k < nkeep && (q->limit < 0 || k < (size_t)q->limit); k++) {
			if ((err = load(&v, &owned, src, keep[k].model, keep[k].version)) < 0)
				goto done;
			emit(&o, v);
			if (owned)
				cJSON_Delete(v);
		}
	}
	if (q->json)
		json_write(o.printed ? "\n]\n" : "[]\n");
done:
	for (k = 0; k < nkeep; k++)
		free(keep[k].key.str);
	free(keep);
	return err;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_query_run(struct cmd_query *q, struct mlreg_store *store, char **names, size_t n,
		  const cJSON *remote_list)
{
	struct source src = { store, NULL, NULL, NULL, 0, remote_list };
	cJSON *models = NULL, *m;
	size_t i;
	int err = 0;

	if (q->order && !q->sort_by)
		q->sort_by = "version";
	if (remote_list) {
		static char *none[] = { NULL };
		long size = cJSON_GetArraySize(remote_list);
		src.names = none;
		src.latest = &size;
		src.n = 1;
		err = run(q, &src);
		return err < 0 ? cmd_fail(err) : EXIT_OK;
	}
	if (q->search) {
		if ((err = mlreg_model_list(&models, store)) < 0)
			return cmd_fail(err);
		src.names = xcalloc((size_t)cJSON_GetArraySize(models) + 1, sizeof(char *));
		cJSON_ArrayForEach(m, models)
			src.names[src.n++] = xstrdup(cmd_str(m, "name"));
		cJSON_Delete(models);
		qsort(src.names, src.n, sizeof(*src.names), name_cmp);
	} else {
		src.names = xcalloc(n + 1, sizeof(char *));
		for (i = 0; i < n; i++)
			src.names[src.n++] = xstrdup(names[i]);
	}
	src.latest = xcalloc(src.n + 1, sizeof(long));
	src.models = xcalloc(src.n + 1, sizeof(cJSON *));
	for (i = 0; i < src.n; i++) {
		if ((err = mlreg_model_load(&src.models[i], store, src.names[i])) < 0)
			goto done;
		if (!q->deleted && (err = mlreg_model_require_live(src.models[i])) < 0 &&
		    q->search) {
			err = 0;	/* search: a deleted model is not there */
			src.latest[i] = 0;
			continue;
		}
		if (err < 0)
			goto done;
		src.latest[i] = (long)mlreg_doc_int(src.models[i], "latest_version", 0);
	}
	err = run(q, &src);
done:
	for (i = 0; i < src.n; i++) {
		free(src.names[i]);
		cJSON_Delete(src.models ? src.models[i] : NULL);
	}
	free(src.names);
	free(src.latest);
	free(src.models);
	return err < 0 ? cmd_fail(err) : EXIT_OK;
}

int cmd_list_versions(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_REMOTE, OPT_DELETED };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ "filter", required_argument, NULL, CMD_OPT_FILTER },
		{ "sort-by", required_argument, NULL, CMD_OPT_SORT_BY },
		{ "order-by", required_argument, NULL, CMD_OPT_ORDER_BY },
		{ "limit", required_argument, NULL, CMD_OPT_LIMIT },
		{ "columns", required_argument, NULL, CMD_OPT_COLUMNS },
		{ "deleted", no_argument, NULL, OPT_DELETED },
		{ 0 }
	};
	struct cmd_query q = CMD_QUERY_INIT;
	const char *remote = NULL;
	cJSON *list = NULL;
	int c, err, ret;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_JSON) {
			q.json = 1;
		} else if (c == OPT_REMOTE) {
			remote = optarg;
		} else if (c == OPT_DELETED) {
			q.deleted = 1;
		} else if (c >= CMD_OPT_FILTER && c <= CMD_OPT_COLUMNS) {
			if ((ret = cmd_query_option(&q, c, optarg)) != 0)
				goto done;
		} else {
			ret = EXIT_USAGE;
			goto done;
		}
	}
	if (argc - optind != 1) {
		ret = cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
		goto done;
	}
	if ((err = mlreg_name_validate(argv[optind])) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if (remote) {
		struct mlreg_remote *r;
		struct mlreg_sync_opts o;
		if ((err = mlreg_remote_get(&r, store, remote)) < 0) {
			ret = cmd_fail(err);
			goto done;
		}
		cmd_transfer_defaults(&o);
		err = mlreg_remote_versions(&list, r, argv[optind], &o);
		mlreg_remote_free(r);
		if (err < 0) {
			ret = cmd_fail(err);
			goto done;
		}
		ret = cmd_query_run(&q, store, NULL, 0, list);
	} else {
		ret = cmd_query_run(&q, store, &argv[optind], 1, NULL);
	}
done:
	cJSON_Delete(list);
	cmd_query_release(&q);
	return ret;
}
