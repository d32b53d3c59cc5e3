/*
 * Aliases and deprecation (see lifecycle.h): the rules of each change,
 * applied under the model's lock through registry.c's event log, and the
 * reading side: resolving NAME@ALIAS and replaying the log.  Deleting
 * (mlreg_delete()) removes the aliases here, then has registry.c write
 * the tombstones; resolving skips or refuses deleted versions.
 *
 * Threats: an alias comes from the command line and from records another
 * store wrote, and ends up in messages, in git tag names and in JSON keys,
 * so every alias read from a record is validated again before use; a
 * record's state that disagrees with its events is reported by fsck, never
 * silently preferred.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "lifecycle.h"
#include "name.h"
#include "registry.h"
#include "util.h"

int mlreg_alias_validate(const char *alias)
{
	size_t len = strlen(alias), i;

	if (len == 0 || len > MLREG_ALIAS_MAX)
		return mlreg_error_set(MLREG_EINVALID, "invalid alias: it must be 1 to %d "
				       "characters", MLREG_ALIAS_MAX);
	if (!(alias[0] >= 'a' && alias[0] <= 'z'))
		return mlreg_error_set(MLREG_EINVALID, "invalid alias: it must start with a "
				       "lowercase letter");
	for (i = 0; i < len; i++) {
		char c = alias[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return mlreg_error_set(MLREG_EINVALID, "invalid alias: only lowercase "
					       "letters, digits, '-', '_' and '.' are allowed");
	}
	if (alias[len - 1] == '.' || strstr(alias, ".."))
		return mlreg_error_set(MLREG_EINVALID, "invalid alias: it must not end with '.' "
				       "or hold '..'");
	if (!strcmp(alias, "latest"))
		return mlreg_error_set(MLREG_EINVALID, "invalid alias: 'latest' is built in "
				       "(the latest version that is not deprecated)");
	return 0;
}

int mlreg_model_deprecated(const cJSON *model, long n)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(model, "deprecated"))
		if (cJSON_IsNumber(d) && (long)d->valuedouble == n)
			return 1;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns a new array of obj's keys (those naming version only, or all: 0), sorted. */
static cJSON *sorted_keys(const cJSON *obj, long only)
{
	const char **keys = xcalloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*keys));
	cJSON *arr = cJSON_CreateArray();
	const cJSON *item;
	size_t n = 0, i;

	cJSON_ArrayForEach(item, obj)
		if (!only || (cJSON_IsNumber(item) && (long)item->valuedouble == only))
			keys[n++] = item->string;
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(keys[i]));
	free(keys);
	return arr;
}

cJSON *mlreg_model_aliases_of(const cJSON *model, long n)
{
	return sorted_keys(cJSON_GetObjectItemCaseSensitive(model, "aliases"), n);
}

void mlreg_lifecycle_annotate(cJSON *version, const cJSON *model)
{
	long n = (long)mlreg_doc_int(version, "version", 0);

	mlreg_doc_set(version, "aliases", mlreg_model_aliases_of(model, n));
	mlreg_doc_set(version, "deprecated", cJSON_CreateBool(mlreg_model_deprecated(model, n)));
}

/* Returns the highest version of model that is not deprecated, 0 when none. */
static long latest_usable(const cJSON *model)
{
	long n = (long)mlreg_doc_int(model, "latest_version", 0);

	while (n > 0 && mlreg_model_deprecated(model, n))
		n--;
	return n;
}

/* Returns MLREG_ENOTFOUND for a missing alias, naming the ones model has. */
static int no_such_alias(const cJSON *model, const char *name, const char *alias)
{
	cJSON *keys = sorted_keys(cJSON_GetObjectItemCaseSensitive(model, "aliases"), 0);
	struct mlreg_buf b = MLREG_BUF_INIT;
	const cJSON *k;
	int err;

	cJSON_ArrayForEach(k, keys) {
		mlreg_buf_addstr(&b, b.len ? ", " : "");
		mlreg_buf_addstr(&b, k->valuestring);
	}
	if (b.len)
		err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' has no alias '%s' (it has: %s)",
				      name, alias, b.p);
	else
		err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' has no alias '%s' (it has "
				      "none)", name, alias);
	mlreg_buf_release(&b);
	cJSON_Delete(keys);
	return err;
}

/*
 * Returns 0 and in *v the highest version of model (named name) that is
 * neither deprecated nor deleted, reading the records from the top down;
 * MLREG_ENOTFOUND saying why when there is none.
 */
static int latest_live(long *v, const struct mlreg_store *store, const cJSON *model,
		       const char *name)
{
	long n = latest_usable(model);
	int deleted = 0;

	for (; n > 0; n--) {
		if (mlreg_model_deprecated(model, n))
			continue;
		if (mlreg_version_require_live(store, name, n) == 0)
			break;
		deleted = 1;
	}
	mlreg_error_clear();
	*v = n;
	if (n > 0)
		return 0;
	if (!deleted)
		return mlreg_error_set(MLREG_ENOTFOUND, "every version of model '%s' is "
				       "deprecated; name one as %s@N", name, name);
	return mlreg_error_set(MLREG_ENOTFOUND, "every version of model '%s' is deleted or "
			       "deprecated", name);
}

int mlreg_ref_resolve(const struct mlreg_store *store, const char *spec, char **name,
		      long *version)
{
	const char *at = strchr(spec, '@');
	const char *suffix = at ? at + 1 : "latest";
	cJSON *model = NULL;
	char *n = NULL;
	long v = 0, latest;
	int err;

	*name = NULL;
	*version = 0;
	if (at && isdigit((unsigned char)*suffix)) {
		if ((err = mlreg_ref_parse(spec, &n, &v)) < 0)
			return err;
	} else {
		n = at ? xstrndup(spec, (size_t)(at - spec)) : xstrdup(spec);
		if ((err = mlreg_name_validate(n)) < 0)
			goto done;
		if (strcmp(suffix, "latest") != 0 && mlreg_alias_validate(suffix) < 0) {
			err = mlreg_error_set(MLREG_EINVALID, "invalid version in '%s': expected "
					      "NAME@N (N >= 1), NAME@ALIAS or NAME@latest", spec);
			goto done;
		}
	}
	if ((err = mlreg_model_load(&model, store, n)) < 0)
		goto done;
	if ((err = mlreg_model_require_live(model)) < 0)
		goto done;
	latest = (long)mlreg_doc_int(model, "latest_version", 0);
	if (v == 0 && !strcmp(suffix, "latest")) {
		if (latest == 0)
			err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' has no versions", n);
		else
			err = latest_live(&v, store, model, n);
		if (err < 0)
			goto done;
	} else if (v == 0) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(model, "aliases"), suffix);
		if (!cJSON_IsNumber(a))
			err = no_such_alias(model, n, suffix);
		else
			v = (long)a->valuedouble;
	}
	if (!err && (v < 1 || v > latest))
		err = mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found", v, n);
	if (!err)
		err = mlreg_version_require_live(store, n, v);
done:
	cJSON_Delete(model);
	if (err < 0) {
		free(n);
		return err;
	}
	*name = n;
	*version = v;
	return 0;
}

/* What an apply function is asked to do. */
struct change {
	const char *name;
	const char *alias;
	long n;
	int on;
	const char *message;
	const struct mlreg_store *store;	/* set: a deleted version is refused */
};

/* Returns the model record's member key as an object or array, made when missing. */
static cJSON *state(cJSON *model, const char *key, int array)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(model, key);

	if (array ? !cJSON_IsArray(s) : !cJSON_IsObject(s)) {
		s = array ? cJSON_CreateArray() : cJSON_CreateObject();
		mlreg_doc_set(model, key, s);
	}
	return s;
}

/* Returns 0 when version n of model exists, else MLREG_ENOTFOUND. */
static int need_version(const cJSON *model, const char *name, long n)
{
	if (n < 1 || n > (long)mlreg_doc_int(model, "latest_version", 0))
		return mlreg_error_set(MLREG_ENOTFOUND, "version %ld of model '%s' not found",
				       n, name);
	return 0;
}

static int apply_alias_set(cJSON *model, cJSON *body, void *arg)
{
	const struct change *c = arg;
	cJSON *aliases = state(model, "aliases", 0);
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(aliases, c->alias);
	int err;

	if ((err = need_version(model, c->name, c->n)) < 0)
		return err;
	if (cJSON_IsNumber(old) && (long)old->valuedouble == c->n)
		return 1;
	if (c->store && (err = mlreg_version_require_live(c->store, c->name, c->n)) < 0)
		return err;
	if (mlreg_model_deprecated(model, c->n))
		return mlreg_error_set(MLREG_ECONFLICT, "%s@%ld is deprecated; run 'mlreg "
				       "undeprecate %s@%ld' first", c->name, c->n, c->name, c->n);
	cJSON_AddStringToObject(body, "action", "alias-set");
	cJSON_AddStringToObject(body, "alias", c->alias);
	cJSON_AddNumberToObject(body, "version", (double)c->n);
	if (cJSON_IsNumber(old))
		cJSON_AddNumberToObject(body, "previous", old->valuedouble);
	else
		cJSON_AddNullToObject(body, "previous");
	cJSON_AddStringToObject(body, "message", c->message ? c->message : "");
	mlreg_doc_set(aliases, c->alias, cJSON_CreateNumber((double)c->n));
	return 0;
}

static int apply_alias_remove(cJSON *model, cJSON *body, void *arg)
{
	const struct change *c = arg;
	cJSON *aliases = state(model, "aliases", 0);
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(aliases, c->alias);

	if (!cJSON_IsNumber(old))
		return no_such_alias(model, c->name, c->alias);
	cJSON_AddStringToObject(body, "action", "alias-remove");
	cJSON_AddStringToObject(body, "alias", c->alias);
	cJSON_AddNumberToObject(body, "previous", old->valuedouble);
	cJSON_AddStringToObject(body, "message", c->message ? c->message : "");
	cJSON_DeleteItemFromObjectCaseSensitive(aliases, c->alias);
	return 0;
}

/* Sets (on) or clears version n in arr, an array of numbers kept ascending. */
static void set_member(cJSON *arr, long n, int on)
{
	long *v = xcalloc((size_t)cJSON_GetArraySize(arr) + 2, sizeof(*v));
	const cJSON *item;
	size_t k = 0, i;
	int placed = 0;

	cJSON_ArrayForEach(item, arr) {
		long x = (long)item->valuedouble;
		if (on && !placed && n <= x) {
			placed = 1;
			if (n < x)
				v[k++] = n;
		}
		if (x != n || on)
			v[k++] = x;
	}
	if (on && !placed)
		v[k++] = n;
	while (cJSON_GetArraySize(arr) > 0)
		cJSON_DeleteItemFromArray(arr, 0);
	for (i = 0; i < k; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)v[i]));
	free(v);
}

static int apply_deprecate(cJSON *model, cJSON *body, void *arg)
{
	const struct change *c = arg;
	int err;

	if ((err = need_version(model, c->name, c->n)) < 0)
		return err;
	if (mlreg_model_deprecated(model, c->n) == c->on)
		return 1;
	if (c->store && (err = mlreg_version_require_live(c->store, c->name, c->n)) < 0)
		return err;
	cJSON_AddStringToObject(body, "action", c->on ? "deprecate" : "undeprecate");
	cJSON_AddNumberToObject(body, "version", (double)c->n);
	cJSON_AddStringToObject(body, "message", c->message ? c->message : "");
	set_member(state(model, "deprecated", 1), c->n, c->on);
	return 0;
}

int mlreg_alias_set(cJSON **event, struct mlreg_store *store, const char *name, long n,
		    const char *alias, const char *user, const char *message)
{
	struct change c = { name, alias, n, 1, message, store };
	int err;

	if (event)
		*event = NULL;
	if ((err = mlreg_alias_validate(alias)) < 0)
		return err;
	return mlreg_event_append(event, store, name, user, apply_alias_set, &c);
}

int mlreg_alias_remove(cJSON **event, struct mlreg_store *store, const char *name,
		       const char *alias, const char *user, const char *message)
{
	struct change c = { name, alias, 0, 0, message, NULL };
	int err;

	if (event)
		*event = NULL;
	if ((err = mlreg_alias_validate(alias)) < 0)
		return err;
	return mlreg_event_append(event, store, name, user, apply_alias_remove, &c);
}

int mlreg_version_deprecate(cJSON **event, struct mlreg_store *store, const char *name,
			    long n, int on, const char *user, const char *message)
{
	struct change c = { name, NULL, n, on, message, store };

	return mlreg_event_append(event, store, name, user, apply_deprecate, &c);
}

/* Returns MLREG_ECORRUPT for event ev of model with why. */
static int bad_event(const cJSON *ev, const char *why)
{
	return mlreg_error_set(MLREG_ECORRUPT, "event %lld of model '%s' %s",
			       mlreg_doc_int(ev, "event", 0), mlreg_doc_str(ev, "model", "?"), why);
}

/* Returns the integer member key of ev (>= 1), or 0 when it is not one. */
static long version_member(const cJSON *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e15 ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return 0;
	return (long)v->valuedouble;
}

/* Returns 0 after applying event ev to aliases and deprecated. */
static int replay_one(cJSON *aliases, cJSON *deprecated, const cJSON *ev)
{
	const char *action = mlreg_doc_str(ev, "action", "");
	const char *alias = mlreg_doc_str(ev, "alias", "");
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(ev, "previous");
	const cJSON *cur;

	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "message")))
		return bad_event(ev, "has no message");
	if (!strcmp(action, "deprecate") || !strcmp(action, "undeprecate")) {
		if (!version_member(ev, "version"))
			return bad_event(ev, "has no valid version");
		set_member(deprecated, version_member(ev, "version"), action[0] == 'd');
		return 0;
	}
	if (!strcmp(action, "rename")) {	/* the model's name: no alias or deprecation */
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "from")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, "to")))
			return bad_event(ev, "has no valid 'from' and 'to'");
		return 0;
	}
	if (strcmp(action, "alias-set") != 0 && strcmp(action, "alias-remove") != 0)
		return bad_event(ev, "has an action mlreg does not know");
	if (mlreg_alias_validate(alias) < 0)
		return bad_event(ev, "names an invalid alias");
	cur = cJSON_GetObjectItemCaseSensitive(aliases, alias);
	if (cJSON_IsNull(prev) ? cur != NULL
	    : !(version_member(ev, "previous") && cJSON_IsNumber(cur) &&
		(long)cur->valuedouble == version_member(ev, "previous")))
		return bad_event(ev, "does not follow the state before it (its 'previous')");
	if (!strcmp(action, "alias-remove")) {
		if (!cur)
			return bad_event(ev, "removes an alias that is not set");
		cJSON_DeleteItemFromObjectCaseSensitive(aliases, alias);
		return 0;
	}
	if (!version_member(ev, "version"))
		return bad_event(ev, "has no valid version");
	mlreg_doc_set(aliases, alias, cJSON_CreateNumber((double)version_member(ev, "version")));
	return 0;
}

int mlreg_lifecycle_replay(cJSON **aliases, cJSON **deprecated, const cJSON *events,
			   const char *until)
{
	cJSON *a = cJSON_CreateObject(), *d = cJSON_CreateArray();
	const cJSON *ev;
	int err = 0;

	cJSON_ArrayForEach(ev, events) {
		if (until && strcmp(mlreg_doc_str(ev, "time", ""), until) > 0)
			break;
		if ((err = replay_one(a, d, ev)) < 0)
			break;
	}
	if (err < 0) {
		cJSON_Delete(a);
		cJSON_Delete(d);
		*aliases = *deprecated = NULL;
		return err;
	}
	*aliases = a;
	*deprecated = d;
	return 0;
}

int mlreg_lifecycle_replay_upto(cJSON *aliases, cJSON *deprecated, const cJSON *events,
				long have, long *applied)
{
	const cJSON *ev;
	int err;

	*applied = 0;
	cJSON_ArrayForEach(ev, events) {
		/* alias-remove names what an earlier event set: only "version" counts. */
		if (version_member(ev, "version") > have)
			break;
		if ((err = replay_one(aliases, deprecated, ev)) < 0)
			return err;
		(*applied)++;
	}
	return 0;
}

/* Returns 1 when the record's member key (absent: empty) equals want. */
static int same_state(const cJSON *model, const char *key, const cJSON *want)
{
	const cJSON *have = cJSON_GetObjectItemCaseSensitive(model, key);

	if (!have)
		return cJSON_GetArraySize(want) == 0;
	return cJSON_Compare(have, want, 1);
}

int mlreg_lifecycle_check(const struct mlreg_store *store, const cJSON *model)
{
	const char *name = mlreg_doc_str(model, "name", "");
	cJSON *events = NULL, *aliases = NULL, *deprecated = NULL;
	const cJSON *item;
	long latest = (long)mlreg_doc_int(model, "latest_version", 0);
	int err;

	if ((err = mlreg_event_list(&events, store, name, 0)) < 0)
		return err;	/* for fsck: no hint to run it */
	if ((err = mlreg_lifecycle_replay(&aliases, &deprecated, events, NULL)) < 0)
		goto done;
	if (!same_state(model, "aliases", aliases) || !same_state(model, "deprecated", deprecated)) {
		err = mlreg_error_set(MLREG_ECORRUPT, "the aliases or deprecated versions of model "
				      "'%s' are not what its events say", name);
		goto done;
	}
	cJSON_ArrayForEach(item, aliases)
		if ((long)item->valuedouble > latest) {
			err = mlreg_error_set(MLREG_ECORRUPT, "alias '%s' of model '%s' names "
					      "version %ld, which does not exist", item->string,
					      name, (long)item->valuedouble);
			goto done;
		} else if (mlreg_version_require_live(store, name, (long)item->valuedouble) < 0) {
			err = mlreg_error_set(MLREG_ECORRUPT, "alias '%s' of model '%s' names a "
					      "deleted version: %s", item->string, name,
					      mlreg_error_message());
			goto done;
		}
	cJSON_ArrayForEach(item, deprecated)
		if ((long)item->valuedouble > latest) {
			err = mlreg_error_set(MLREG_ECORRUPT, "model '%s' marks version %ld "
					      "deprecated, which does not exist", name,
					      (long)item->valuedouble);
			goto done;
		}
done:
	cJSON_Delete(events);
	cJSON_Delete(aliases);
	cJSON_Delete(deprecated);
	return err;
}

/* Deleting (store-format.md 6.7): the aliases first, then the tombstones. */

int mlreg_delete(cJSON **out, struct mlreg_store *store, const char *name, long n, int force,
		 const char *user, const char *message)
{
	cJSON *model = NULL, *names = NULL;
	const cJSON *a;
	char *why = NULL;
	int err;

	if (out)
		*out = NULL;
	if ((err = mlreg_model_load(&model, store, name)) < 0)
		return err;
	if (n > 0 && (err = need_version(model, name, n)) < 0)
		goto done;
	names = n > 0 ? mlreg_model_aliases_of(model, n)
		      : sorted_keys(cJSON_GetObjectItemCaseSensitive(model, "aliases"), 0);
	if (cJSON_GetArraySize(names) > 0 && !force) {
		struct mlreg_buf b = MLREG_BUF_INIT;
		cJSON_ArrayForEach(a, names) {
			mlreg_buf_addstr(&b, b.len ? ", " : "");
			mlreg_buf_addstr(&b, a->valuestring);
		}
		if (n > 0)
			err = mlreg_error_set(MLREG_ECONFLICT, "%s@%ld has aliases (%s): --force "
					      "removes them and deletes it", name, n, b.p);
		else
			err = mlreg_error_set(MLREG_ECONFLICT, "model '%s' has aliases (%s): --force "
					      "removes them and deletes it", name, b.p);
		mlreg_buf_release(&b);
		goto done;
	}
	why = n > 0 ? xasprintf("deleted %s@%ld", name, n) : xasprintf("deleted %s", name);
	cJSON_ArrayForEach(a, names)
		if ((err = mlreg_alias_remove(NULL, store, name, a->valuestring, user, why)) < 0 &&
		    err != MLREG_ENOTFOUND)	/* removed meanwhile: as well */
			goto done;
	err = mlreg_version_delete(out, store, name, &n, n > 0, n == 0, user, message);
done:
	cJSON_Delete(model);
	cJSON_Delete(names);
	free(why);
	return err;
}
