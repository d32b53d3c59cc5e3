/*
 * mlreg alias set|rm|list|log: a model's aliases (stages such as
 * "production"), each move an event of its log (lifecycle.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "provenance.h"

enum { OPT_JSON = 256, OPT_AT, OPT_GIT_TAG };

/* What 'mlreg alias -h' prints: kept beside the options parsed below. */
const char cmd_alias_usage[] =
	"usage: mlreg alias set NAME@REF ALIAS [-m MESSAGE] [--git-tag] [--json]\n"
	"   or: mlreg alias rm NAME ALIAS [-m MESSAGE] [--git-tag] [--json]\n"
	"   or: mlreg alias list [NAME] [--at TIME] [--json]\n"
	"   or: mlreg alias log NAME [ALIAS] [--json]\n"
	"\n"
	"REF is a version number, another alias or 'latest'.\n"
	"\n"
	"    -m, --message MESSAGE  why (kept in the model's log)\n"
	"    --git-tag             also tag the move in the current git repository\n"
	"                          (GTO's names: NAME#ALIAS#K, NAME#ALIAS!#K, NAME@vN)\n"
	"    --at TIME             the aliases as they were at TIME (RFC 3339 in UTC,\n"
	"                          or YYYY-MM-DD: the end of that day)\n"
	"    --json                print JSON\n";

/* Prints set's and rm's JSON: the change, and its event (null: nothing changed). */
static void print_change(const char *name, const char *alias, long version, const cJSON *ev)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "model", name);
	cJSON_AddStringToObject(o, "alias", alias);
	if (version)
		cJSON_AddNumberToObject(o, "version", (double)version);
	else
		cJSON_AddNullToObject(o, "version");
	cJSON_AddItemToObject(o, "event", ev ? cJSON_Duplicate(ev, 1) : cJSON_CreateNull());
	cmd_print_json(o);
	cJSON_Delete(o);
}

/* What a subcommand's options say. */
struct args {
	const char *message;	/* -m: set and rm */
	const char *at;		/* --at: list */
	int git_tag;		/* --git-tag: set and rm */
	int json;
};

/*
 * Parses the options into a (those of other subcommands refused: allowed
 * is a string of 'm', 'a' (--at), 'g' (--git-tag)); returns -1 to go on,
 * else an exit code.
 */
static int parse(int argc, char **argv, struct args *a, const char *allowed)
{
	static const struct option opts[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "at", required_argument, NULL, OPT_AT },
		{ "git-tag", no_argument, NULL, OPT_GIT_TAG },
		{ 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->message = "";
	while ((c = cmd_getopt(argc, argv, "m:", opts)) != -1) {
		const char *name = c == 'm' ? "--message" : c == OPT_AT ? "--at" : "--git-tag";
		char key = c == 'm' ? 'm' : c == OPT_AT ? 'a' : 'g';
		if (c == OPT_JSON) {
			a->json = 1;
			continue;
		}
		if (c != 'm' && c != OPT_AT && c != OPT_GIT_TAG)
			return EXIT_USAGE;
		if (!strchr(allowed, key))
			return cmd_usage_error("option '%s' is not for this subcommand", name);
		if (c == 'm')
			a->message = optarg;
		else if (c == OPT_AT)
			a->at = optarg;
		else
			a->git_tag = 1;
	}
	return -1;
}

/* Returns the git commit version n of model name was registered from, malloc'd, or NULL. */
static char *version_commit(const struct mlreg_store *store, const char *name, long n)
{
	cJSON *v = NULL;
	char *commit = NULL;

	if (n > 0 && mlreg_version_load(&v, store, name, n) == 0) {
		const cJSON *git = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(v, "provenance"), "git");
		const char *c = mlreg_doc_str(git, "commit", NULL);
		commit = c ? xstrdup(c) : NULL;
	}
	cJSON_Delete(v);
	return commit;
}

/*
 * Returns EXIT_OK after tagging event ev of model name in the current git
 * repository: NAME#ALIAS#K (set) or NAME#ALIAS!#K (rm), K the event's
 * number, at the commit of the version it names, and NAME@vN for that
 * version when missing; an exit code after printing the error (the alias
 * has moved: the message says so).
 */
static int git_tag(const struct mlreg_store *store, const char *name, const cJSON *ev,
		   const char *who)
{
	int set = !strcmp(cmd_str(ev, "action"), "alias-set");
	long n = (long)mlreg_doc_int(ev, set ? "version" : "previous", 0);
	char *commit = version_commit(store, name, n);
	char *tag = xasprintf("%s#%s%s#%lld", name, cmd_str(ev, "alias"), set ? "" : "!",
			      mlreg_doc_int(ev, "event", 0));
	char *vtag = xasprintf("%s@v%ld", name, n);
	char *msg = *cmd_str(ev, "message") ? xstrdup(cmd_str(ev, "message"))
		  : xasprintf("mlreg: %s %s %s@%ld\n", cmd_str(ev, "alias"),
			      set ? "->" : "removed from", name, n);
	char *vmsg = xasprintf("mlreg: %s@%ld\n", name, n);
	int err, ret = EXIT_OK;

	err = mlreg_provenance_tag(".", tag, commit, msg, who, 0);
	if (!err && (err = mlreg_provenance_tag(".", vtag, commit, vmsg, who, 0)) == MLREG_EEXISTS)
		err = 0;
	if (err < 0) {
		char *m = xasprintf("the alias moved, but %s", mlreg_error_message());
		mlreg_error_set(err, "%s", m);
		free(m);
		ret = cmd_fail(err);
	}
	free(commit);
	free(tag);
	free(vtag);
	free(msg);
	free(vmsg);
	return ret;
}

static int alias_set(int argc, char **argv, struct mlreg_store *store)
{
	struct args a;
	char *name = NULL, *user = NULL;
	cJSON *ev = NULL;
	long n;
	int ret, err;

	if ((ret = parse(argc, argv, &a, "mg")) >= 0)
		return ret;
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments"
				       : "usage: mlreg alias set NAME@REF ALIAS");
	if (!strchr(argv[optind], '@'))
		return cmd_usage_error("name the version: %s@N (or @ALIAS, @latest)", argv[optind]);
	if ((err = mlreg_alias_validate(argv[optind + 1])) < 0)
		return cmd_fail(err);
	if (a.git_tag && (err = mlreg_provenance_tag(".", "mlreg", NULL, "", "", 1)) < 0)
		return cmd_fail(err);
	if ((ret = cmd_resolve(store, argv[optind], &name, &n, 0)) != EXIT_OK)
		return ret;
	user = mlreg_provenance_user(".");
	if ((err = mlreg_alias_set(&ev, store, name, n, argv[optind + 1], user, a.message)) < 0)
		ret = cmd_fail(err);
	else if (a.git_tag && ev)
		ret = git_tag(store, name, ev, user);
	if (!err && a.json)
		print_change(name, argv[optind + 1], n, ev);
	cJSON_Delete(ev);
	free(name);
	free(user);
	return ret;
}

static int alias_rm(int argc, char **argv, struct mlreg_store *store)
{
	struct args a;
	char *user;
	cJSON *ev = NULL;
	int ret, err;

	if ((ret = parse(argc, argv, &a, "mg")) >= 0)
		return ret;
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments"
				       : "usage: mlreg alias rm NAME ALIAS");
	if ((err = mlreg_name_validate(argv[optind])) < 0 ||
	    (err = mlreg_alias_validate(argv[optind + 1])) < 0)
		return cmd_fail(err);
	if (a.git_tag && (err = mlreg_provenance_tag(".", "mlreg", NULL, "", "", 1)) < 0)
		return cmd_fail(err);
	user = mlreg_provenance_user(".");
	ret = EXIT_OK;
	if ((err = mlreg_alias_remove(&ev, store, argv[optind], argv[optind + 1], user,
				      a.message)) < 0)
		ret = cmd_fail(err);
	else if (a.git_tag && ev)
		ret = git_tag(store, argv[optind], ev, user);
	if (!err && a.json)
		print_change(argv[optind], argv[optind + 1], 0, ev);
	cJSON_Delete(ev);
	free(user);
	return ret;
}

/*
 * Returns 0 and the canonical form of a --at time in buf (RFC 3339 UTC with
 * microseconds, so it compares as text with the events' times); a date
 * alone is the last microsecond of that day.  MLREG_EUSAGE otherwise.
 */
static int parse_at(char *buf, size_t size, const char *at)
{
	int y, mo, d, h = 23, mi = 59, s = 59, len = 0, flen = 0;
	char frac[7] = "999999";
	const char *p;

	if (sscanf(at, "%4d-%2d-%2d%n", &y, &mo, &d, &len) != 3 || len != 10)
		goto bad;
	p = at + 10;
	if (*p) {
		if ((*p != 'T' && *p != 't') ||
		    sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &len) != 3 || len != 8)
			goto bad;
		p += 9;
		memcpy(frac, "000000", 7);
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++)
				if (flen < 6)
					frac[flen++] = *p;
			if (flen == 0)
				goto bad;
		}
		if ((*p != 'Z' && *p != 'z') || p[1])
			goto bad;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 0)
		goto bad;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%sZ", y, mo, d, h, mi, s, frac);
	return 0;
bad:
	return mlreg_error_set(MLREG_EUSAGE, "invalid --at '%s': use YYYY-MM-DD or "
			       "YYYY-MM-DDTHH:MM:SS[.FRACTION]Z (UTC)", at);
}

/* Adds the aliases of model name (as of until, or now) to out, sorted by alias. */
static int add_aliases(cJSON *out, const struct mlreg_store *store, const char *name,
		       const char *until)
{
	cJSON *model = NULL, *events = NULL, *aliases = NULL, *deprecated = NULL, *keys;
	const cJSON *k;
	int err;

	if ((err = mlreg_model_load(&model, store, name)) < 0)
		return err;
	if (until) {
		if ((err = mlreg_event_list(&events, store, name, 1)) < 0 ||
		    (err = mlreg_lifecycle_replay(&aliases, &deprecated, events, until)) < 0)
			goto done;
		mlreg_doc_set(model, "aliases", aliases);
		aliases = NULL;
	}
	keys = mlreg_model_aliases_of(model, 0);
	cJSON_ArrayForEach(k, keys) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", name);
		cJSON_AddStringToObject(o, "alias", k->valuestring);
		cJSON_AddNumberToObject(o, "version", (double)mlreg_doc_int(
			cJSON_GetObjectItemCaseSensitive(model, "aliases"), k->valuestring, 0));
		cJSON_AddItemToArray(out, o);
	}
	cJSON_Delete(keys);
done:
	cJSON_Delete(model);
	cJSON_Delete(events);
	cJSON_Delete(aliases);
	cJSON_Delete(deprecated);
	return err;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int alias_list(int argc, char **argv, struct mlreg_store *store)
{
	struct args a;
	const char *at;
	char until[64], **names = NULL;
	cJSON *out = cJSON_CreateArray(), *models = NULL, *m;
	const cJSON *o;
	size_t n = 0, i;
	int json, ret, err = 0;

	if ((ret = parse(argc, argv, &a, "a")) >= 0)
		goto done;
	at = a.at;
	json = a.json;
	ret = EXIT_OK;
	if (argc - optind > 1) {
		ret = cmd_usage_error("too many arguments");
		goto done;
	}
	if (at && (err = parse_at(until, sizeof(until), at)) < 0)
		goto done;
	if (argc - optind == 1) {
		names = xcalloc(1, sizeof(*names));
		names[n++] = xstrdup(argv[optind]);
	} else {
		if ((err = mlreg_model_list(&models, store)) < 0)
			goto done;
		names = xcalloc((size_t)cJSON_GetArraySize(models) + 1, sizeof(*names));
		cJSON_ArrayForEach(m, models)
			names[n++] = xstrdup(cmd_str(m, "name"));
		qsort(names, n, sizeof(*names), name_cmp);
	}
	for (i = 0; i < n && !err; i++)
		err = add_aliases(out, store, names[i], at ? until : NULL);
	if (err < 0)
		goto done;
	if (json) {
		cmd_print_json(out);
	} else {
		cJSON_ArrayForEach(o, out)
			cmd_printf("%s %s@%lld\n", cmd_str(o, "alias"), cmd_str(o, "model"),
				   mlreg_doc_int(o, "version", 0));
	}
done:
	if (err < 0)
		ret = cmd_fail(err);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cJSON_Delete(models);
	cJSON_Delete(out);
	return ret;
}

/* Prints NAME@N, or "(none)" for a null or missing member key of ev. */
static void print_at(const char *name, const cJSON *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);

	if (cJSON_IsNumber(v))
		cmd_printf("%s@%lld", name, (long long)v->valuedouble);
	else
		cmd_printf("(none)");
}

/* Prints one event as a line of 'alias log'. */
static void print_event(const char *name, const cJSON *ev)
{
	const char *action = cmd_str(ev, "action");
	const char *msg = cmd_str(ev, "message");

	cmd_printf("%s  %s  ", cmd_str(ev, "time"), cmd_str(ev, "user"));
	if (!strcmp(action, "alias-set") || !strcmp(action, "alias-remove")) {
		cmd_printf("%s: ", cmd_str(ev, "alias"));
		print_at(name, ev, "previous");
		cmd_printf(" -> ");
		if (!strcmp(action, "alias-set"))
			print_at(name, ev, "version");
		else
			cmd_printf("(none)");
	} else if (!strcmp(action, "rename")) {
		cmd_printf("renamed %s -> %s", cmd_str(ev, "from"), cmd_str(ev, "to"));
	} else {
		cmd_printf("%s ", action);
		print_at(name, ev, "version");
	}
	if (*msg)
		cmd_printf("  %.*s", (int)strcspn(msg, "\r\n"), msg);
	cmd_printf("\n");
}

static int alias_log(int argc, char **argv, struct mlreg_store *store)
{
	cJSON *events = NULL, *out = cJSON_CreateArray();
	const cJSON *ev;
	const char *name, *alias;
	struct args a;
	int json, ret, err;

	if ((ret = parse(argc, argv, &a, "")) >= 0)
		goto done;
	json = a.json;
	ret = EXIT_OK;
	if (argc - optind < 1 || argc - optind > 2) {
		ret = cmd_usage_error(argc - optind ? "too many arguments" : "missing model name");
		goto done;
	}
	name = argv[optind];
	alias = argc - optind == 2 ? argv[optind + 1] : NULL;
	if ((alias && (err = mlreg_alias_validate(alias)) < 0) ||
	    (err = mlreg_event_list(&events, store, name, 1)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	/* newest first, as git log */
	for (ev = events->child ? events->child->prev : NULL; ev;
	     ev = ev == events->child ? NULL : ev->prev) {
		if (alias && strcmp(mlreg_doc_str(ev, "alias", ""), alias) != 0)
			continue;
		if (json)
			cJSON_AddItemToArray(out, cJSON_Duplicate(ev, 1));
		else
			print_event(name, ev);
	}
	if (json)
		cmd_print_json(out);
done:
	cJSON_Delete(events);
	cJSON_Delete(out);
	return ret;
}

int cmd_alias(int argc, char **argv, struct mlreg_store *store)
{
	static const char *const subs[] = { "set", "rm", "remove", "list", "log" };
	const char *sub = argc > 1 ? argv[1] : "list";
	const char *near;

	if (argc <= 1 || sub[0] == '-')
		return alias_list(argc, argv, store);
	if (!strcmp(sub, "set"))
		return alias_set(argc - 1, argv + 1, store);
	if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
		return alias_rm(argc - 1, argv + 1, store);
	if (!strcmp(sub, "list"))
		return alias_list(argc - 1, argv + 1, store);
	if (!strcmp(sub, "log"))
		return alias_log(argc - 1, argv + 1, store);
	near = cmd_suggest(sub, subs, sizeof(subs) / sizeof(subs[0]));
	if (near)
		return cmd_usage_error("unknown subcommand '%s'; did you mean '%s'?", sub, near);
	return cmd_usage_error("unknown subcommand '%s' (set, rm, list or log)", sub);
}
