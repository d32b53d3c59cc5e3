/*
 * mlreg diff's comparison of two version records (compare.h): what changed
 * between them as one JSON document, and whether B's signatures can
 * replace A's.  Records only, so partial versions compare as any other.
 * Built from the records' JSON as they are loaded (mlreg_version_load()
 * has checked them); a member a record lacks (mlreg 0.1) reads as empty.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "doc.h"
#include "util.h"

/* Returns the member key of obj, NULL when absent. */
static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Returns the first element of array arr whose "name" is name, or NULL. */
static const cJSON *by_name(const cJSON *arr, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
		if (!strcmp(mlreg_doc_str(e, "name", ""), name))
			return e;
	return NULL;
}

/* Returns 1 after appending one change to changes (reason formatted). */
static int add_change(cJSON *changes, const char *sig, const char *kind,
		      const char *name, int breaking, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int add_change(cJSON *changes, const char *sig, const char *kind,
		      const char *name, int breaking, const char *fmt, ...)
{
	cJSON *c = cJSON_CreateObject();
	va_list ap;
	char *reason;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	reason = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(reason, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(c, "signature", sig);
	cJSON_AddStringToObject(c, "kind", kind);
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddBoolToObject(c, "breaking", breaking);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddItemToArray(changes, c);
	free(reason);
	return 1;
}

/* Returns a field's shape when it is known (an array), else NULL. */
static const cJSON *shape_of(const cJSON *field)
{
	const cJSON *s = get(field, "shape");

	return cJSON_IsArray(s) ? s : NULL;
}

/* Returns shape for people: "[-1,3]", "[]" (a scalar), "unknown"; malloc'd. */
static char *shape_text(const cJSON *shape)
{
	struct mlreg_buf b = MLREG_BUF_INIT;
	const cJSON *d;
	char num[32];

	if (!shape)
		return xstrdup("unknown");
	mlreg_buf_addch(&b, '[');
	cJSON_ArrayForEach(d, shape) {
		snprintf(num, sizeof(num), "%s%lld",
			 d == shape->child ? "" : ",",
			 (long long)d->valuedouble);
		mlreg_buf_addstr(&b, num);
	}
	mlreg_buf_addch(&b, ']');
	return mlreg_buf_detach(&b, NULL);
}

/* Returns a dimension's size, -1 for any. */
static long long dim(const cJSON *d)
{
	return d && d->valuedouble >= 0 ? (long long)d->valuedouble : -1;
}

/*
 * Returns the number of breaking changes appended for the shapes of one
 * field: wide must accept every shape narrow allows (an input: wide is B,
 * narrow A; an output: wide is A, narrow B).
 */
static int compare_shapes(cJSON *changes, const char *sig, const char *kind,
			  const char *name, const cJSON *fa, const cJSON *fb,
			  int input)
{
	const cJSON *sa = shape_of(fa), *sb = shape_of(fb);
	const cJSON *wide = input ? sb : sa, *narrow = input ? sa : sb;
	char *ta, *tb;
	int breaking = 0, i, n;
	const char *why = NULL;
	char buf[96];

	if ((!sa && !sb) || (sa && sb && cJSON_Compare(sa, sb, 1)))
		return 0;
	ta = shape_text(sa);
	tb = shape_text(sb);
	if (!wide) {
		why = input ? "any shape is accepted" : "A promised no shape";
	} else if (!narrow) {
		breaking = 1;
		why = input ? "any shape was accepted"
			    : "the shape is no longer known";
	} else if ((n = cJSON_GetArraySize(wide)) !=
		   cJSON_GetArraySize(narrow)) {
		breaking = 1;
		why = "the rank changed";
	} else {
		for (i = 0; i < n && !breaking; i++) {
			long long w = dim(cJSON_GetArrayItem(wide, i));
			long long s = dim(cJSON_GetArrayItem(narrow, i));
			if (w == -1 || w == s)
				continue;
			breaking = 1;
			if (input && s == -1)
				snprintf(buf, sizeof(buf), "dimension %d took "
					 "any size, now only %lld", i, w);
			else if (input)
				snprintf(buf, sizeof(buf), "dimension %d took "
					 "%lld, now only %lld", i, s, w);
			else if (s == -1)
				snprintf(buf, sizeof(buf),
					 "dimension %d was %lld, now any size",
					 i, w);
			else
				snprintf(buf, sizeof(buf),
					 "dimension %d was %lld, now %lld", i,
					 w, s);
			why = buf;
		}
		if (!breaking)
			why = input ? "wider" : "narrower";
	}
	add_change(changes, sig, kind, name, breaking, "shape %s became %s: %s",
		   ta, tb, why);
	free(ta);
	free(tb);
	return breaking;
}

static int compare_fields(cJSON *changes, const char *sig, const char *kind,
			  const char *prefix, const cJSON *fa, const cJSON *fb,
			  int input);

/* Returns the number of breaking changes appended for field a becoming b. */
static int compare_field(cJSON *changes, const char *sig, const char *kind,
			 const char *name, const cJSON *a, const cJSON *b,
			 int input)
{
	const char *ta = mlreg_doc_str(a, "type", ""),
		   *tb = mlreg_doc_str(b, "type", "");
	const char *pa = mlreg_doc_str(a, "profile", NULL),
		   *pb = mlreg_doc_str(b, "profile", NULL);
	int breaking;

	if (strcmp(ta, tb))
		return add_change(changes, sig, kind, name, 1,
				  "type %s became %s", ta, tb);
	if ((pa || pb) && (!pa || !pb || strcmp(pa, pb)))
		add_change(changes, sig, kind, name, 0, "profile %s became %s",
			   pa ? pa : "(none)", pb ? pb : "(none)");
	breaking = compare_shapes(changes, sig, kind, name, a, b, input);
	if (!strcmp(ta, "map"))
		breaking += compare_fields(changes, sig, kind, name,
					   get(a, "fields"), get(b, "fields"),
					   input);
	return breaking;
}

/*
 * Returns the number of breaking changes appended for field lists fa
 * (A's) and fb (B's); a nested field's name is "prefix.name".
 */
static int compare_fields(cJSON *changes, const char *sig, const char *kind,
			  const char *prefix, const cJSON *fa, const cJSON *fb,
			  int input)
{
	const cJSON *f, *g;
	int breaking = 0;

	cJSON_ArrayForEach(f, fa) {
		const char *n = mlreg_doc_str(f, "name", "");
		char *full =
			prefix ? xasprintf("%s.%s", prefix, n) : xstrdup(n);
		if (!(g = by_name(fb, n)))
			breaking += add_change(changes, sig, kind, full, 1,
					       input ? "no longer accepted"
						     : "no longer given");
		else
			breaking += compare_field(changes, sig, kind, full, f,
						  g, input);
		free(full);
	}
	cJSON_ArrayForEach(g, fb) {
		const char *n = mlreg_doc_str(g, "name", "");
		char *full;
		if (by_name(fa, n))
			continue;
		full = prefix ? xasprintf("%s.%s", prefix, n) : xstrdup(n);
		if (input)
			breaking += add_change(changes, sig, kind, full, 1,
					       "new required input");
		else
			add_change(changes, sig, kind, full, 0, "new output");
		free(full);
	}
	return breaking;
}

cJSON *mlreg_compare_signatures(const cJSON *a, const cJSON *b)
{
	cJSON *out = cJSON_CreateObject(), *changes = cJSON_CreateArray();
	const cJSON *s, *t;
	int breaking = 0;
	const char *verdict;

	cJSON_ArrayForEach(s, a) {
		const char *n = mlreg_doc_str(s, "name", "");
		if (!(t = by_name(b, n))) {
			breaking += add_change(changes, n, "signature", n, 1,
					       "no longer offered");
			continue;
		}
		breaking +=
			compare_fields(changes, n, "input", NULL,
				       get(s, "inputs"), get(t, "inputs"), 1);
		breaking +=
			compare_fields(changes, n, "output", NULL,
				       get(s, "outputs"), get(t, "outputs"), 0);
	}
	cJSON_ArrayForEach(t, b) {
		const char *n = mlreg_doc_str(t, "name", "");
		if (!by_name(a, n))
			add_change(changes, n, "signature", n, 0,
				   "new signature");
	}
	if (breaking)
		verdict = "breaking";
	else if (cJSON_GetArraySize(changes))
		verdict = "compatible";
	else if (cJSON_GetArraySize(a) || cJSON_GetArraySize(b))
		verdict = "identical";
	else
		verdict = "none";
	cJSON_AddStringToObject(out, "verdict", verdict);
	cJSON_AddItemToObject(out, "changes", changes);
	return out;
}

/* Returns a new {size, sha256, mode} of a file entry. */
static cJSON *file_state(const cJSON *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "size", (double)mlreg_doc_int(f, "size", 0));
	cJSON_AddStringToObject(o, "sha256", mlreg_doc_str(f, "sha256", ""));
	cJSON_AddStringToObject(o, "mode", mlreg_doc_str(f, "mode", ""));
	return o;
}

/*
 * Returns a new {added, removed, changed} of two file lists sorted by path;
 * *n counts them.
 */
static cJSON *compare_files(const cJSON *fa, const cJSON *fb, int *n)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *added = cJSON_AddArrayToObject(out, "added");
	cJSON *removed = cJSON_AddArrayToObject(out, "removed");
	cJSON *changed = cJSON_AddArrayToObject(out, "changed");
	const cJSON *x = fa ? fa->child : NULL, *y = fb ? fb->child : NULL;

	while (x || y) {
		int c = !x   ? 1
			: !y ? -1
			     : strcmp(mlreg_doc_str(x, "path", ""),
				      mlreg_doc_str(y, "path", ""));
		if (c < 0) {
			cJSON_AddItemToArray(removed, cJSON_Duplicate(x, 1));
			x = x->next;
		} else if (c > 0) {
			cJSON_AddItemToArray(added, cJSON_Duplicate(y, 1));
			y = y->next;
		} else {
			cJSON *sa = file_state(x), *sb = file_state(y), *e;
			if (cJSON_Compare(sa, sb, 1)) {
				cJSON_Delete(sa);
				cJSON_Delete(sb);
			} else {
				e = cJSON_CreateObject();
				cJSON_AddStringToObject(
					e, "path",
					mlreg_doc_str(x, "path", ""));
				cJSON_AddItemToObject(e, "a", sa);
				cJSON_AddItemToObject(e, "b", sb);
				cJSON_AddItemToArray(changed, e);
			}
			x = x->next;
			y = y->next;
		}
	}
	*n = cJSON_GetArraySize(added) + cJSON_GetArraySize(removed) +
	     cJSON_GetArraySize(changed);
	return out;
}

/*
 * Returns a new {added, removed, changed} of two objects' top-level keys;
 * *n counts them.
 */
static cJSON *compare_keys(const cJSON *a, const cJSON *b, int *n)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *added = cJSON_AddObjectToObject(out, "added");
	cJSON *removed = cJSON_AddObjectToObject(out, "removed");
	cJSON *changed = cJSON_AddObjectToObject(out, "changed");
	const cJSON *k, *v;

	*n = 0;
	cJSON_ArrayForEach(k, a) {
		if (!(v = get(b, k->string))) {
			cJSON_AddItemToObject(removed, k->string,
					      cJSON_Duplicate(k, 1));
			++*n;
		} else if (!cJSON_Compare(k, v, 1)) {
			cJSON *e = cJSON_AddObjectToObject(changed, k->string);
			cJSON_AddItemToObject(e, "a", cJSON_Duplicate(k, 1));
			cJSON_AddItemToObject(e, "b", cJSON_Duplicate(v, 1));
			++*n;
		}
	}
	cJSON_ArrayForEach(v, b) {
		if (get(a, v->string))
			continue;
		cJSON_AddItemToObject(added, v->string, cJSON_Duplicate(v, 1));
		++*n;
	}
	return out;
}

/* Returns a metric's {key, a, b, status, delta}; *n counts a difference. */
static cJSON *metric(const char *key, const cJSON *va, const cJSON *vb, int *n)
{
	cJSON *e = cJSON_CreateObject();
	const char *status = !va			? "added"
			     : !vb			? "removed"
			     : cJSON_Compare(va, vb, 1) ? "same"
							: "changed";

	cJSON_AddStringToObject(e, "key", key);
	if (va)
		cJSON_AddItemToObject(e, "a", cJSON_Duplicate(va, 1));
	if (vb)
		cJSON_AddItemToObject(e, "b", cJSON_Duplicate(vb, 1));
	cJSON_AddStringToObject(e, "status", status);
	if (cJSON_IsNumber(va) && cJSON_IsNumber(vb))
		cJSON_AddNumberToObject(e, "delta",
					vb->valuedouble - va->valuedouble);
	*n += strcmp(status, "same") != 0;
	return e;
}

/* Returns a new {model, version, id} naming record v. */
static cJSON *identity(const cJSON *v)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "model", mlreg_doc_str(v, "model", ""));
	cJSON_AddNumberToObject(o, "version",
				(double)mlreg_doc_int(v, "version", 0));
	cJSON_AddStringToObject(o, "id", mlreg_doc_str(v, "id", ""));
	return o;
}

cJSON *mlreg_compare_versions(const cJSON *a, const cJSON *b)
{
	cJSON *out = cJSON_CreateObject(), *metrics, *sig, *fw, *e;
	const cJSON *ma = get(a, "metrics"), *mb = get(b, "metrics"), *k;
	const cJSON *fa = get(a, "framework"), *fb = get(b, "framework");
	int n = 0, differ = 0;
	const char *verdict;

	cJSON_AddItemToObject(out, "a", identity(a));
	cJSON_AddItemToObject(out, "b", identity(b));
	cJSON_AddItemToObject(
		out, "files",
		compare_files(get(a, "files"), get(b, "files"), &n));
	differ += n;
	if ((cJSON_IsObject(fa) || cJSON_IsObject(fb)) &&
	    !(fa && fb && cJSON_Compare(fa, fb, 1))) {
		fw = cJSON_AddObjectToObject(out, "framework");
		cJSON_AddItemToObject(fw, "a", cJSON_IsObject(fa) ?
			cJSON_Duplicate(fa, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(fw, "b", cJSON_IsObject(fb) ?
			cJSON_Duplicate(fb, 1) : cJSON_CreateNull());
		differ++;
	} else {
		cJSON_AddNullToObject(out, "framework");
	}
	metrics = cJSON_AddArrayToObject(out, "metrics");
	cJSON_ArrayForEach(k, ma) {
		e = metric(k->string, k, get(mb, k->string), &differ);
		cJSON_AddItemToArray(metrics, e);
	}
	cJSON_ArrayForEach(k, mb) {
		if (get(ma, k->string))
			continue;
		e = metric(k->string, NULL, k, &differ);
		cJSON_AddItemToArray(metrics, e);
	}
	cJSON_AddItemToObject(
		out, "hparams",
		compare_keys(get(a, "hparams"), get(b, "hparams"), &n));
	differ += n;
	cJSON_AddItemToObject(
		out, "metadata",
		compare_keys(get(a, "metadata"), get(b, "metadata"), &n));
	differ += n;
	sig = mlreg_compare_signatures(get(a, "signatures"),
				       get(b, "signatures"));
	verdict = mlreg_doc_str(sig, "verdict", "");
	differ += strcmp(verdict, "identical") && strcmp(verdict, "none");
	cJSON_AddItemToObject(out, "signature", sig);
	cJSON_AddBoolToObject(out, "differ", differ > 0);
	return out;
}
