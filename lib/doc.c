/*
 * JSON and YAML into cJSON.  JSON goes through cJSON; YAML through libyaml's
 * event parser, building the tree ourselves so that nesting depth and node
 * count stay bounded and aliases (the "billion laughs" expansion) are
 * refused.  Plain YAML scalars are typed by the YAML 1.2 core schema (null,
 * booleans, integers, floats); quoted scalars are always strings.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "text.h"
#include "util.h"

static int json_line(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/*
 * Returns NULL when the JSON text can be read without cJSON changing it,
 * else why not, with *at where.  cJSON copies string bytes as they are and
 * ends each string at a NUL, so: the text must be UTF-8 without a NUL
 * byte, and no string may hold the escape \u0000 ("x\u0000a" would read as
 * "x", and two keys or file paths that differ after it as one).  The escape
 * is found in the raw text: JSON has no backslash outside strings (a text
 * that does is refused by cJSON anyway), and inside one each backslash
 * starts an escape whose next character is never the start of another, so
 * skipping that character finds every escape and no false one ("\\u0000"
 * is a backslash and the text "u0000").  Only \u0000 decodes to NUL.
 */
static const char *json_text_problem(const char *text, size_t len, const char **at)
{
	size_t i = mlreg_utf8_check(text, len);
	const char *p, *end = text + len;

	if (i < len) {
		*at = text + i;
		return text[i] ? "not valid UTF-8" : "a NUL byte";
	}
	for (p = text; (p = memchr(p, '\\', (size_t)(end - p))) != NULL; p += 2) {
		if (end - p >= 6 && !memcmp(p + 1, "u0000", 5)) {
			*at = p;
			return "a string holds a NUL character (\\u0000)";
		}
		if (end - p < 2)
			break;
	}
	return NULL;
}

/* Returns 1 when two members of object item have one name; *key gets it. */
static int repeats_key(const cJSON *item, const char **key)
{
	const cJSON *c, *d, **v;
	size_t n = 0, i;
	int found = 0;

	for (c = item->child; c && n <= 8; c = c->next)
		n++;
	if (n <= 8) {	/* small objects, the usual ones: compare every pair */
		for (c = item->child; c; c = c->next)
			for (d = c->next; d; d = d->next)
				if (!strcmp(c->string, d->string)) {
					*key = c->string;
					return 1;
				}
		return 0;
	}
	for (n = 0, c = item->child; c; c = c->next)
		n++;
	v = xmalloc(n * sizeof(*v));
	for (n = 0, c = item->child; c; c = c->next)
		v[n++] = c;
	qsort(v, n, sizeof(*v), cmp_member);
	for (i = 1; i < n && !found; i++)
		if (!strcmp(v[i - 1]->string, v[i]->string)) {
			*key = v[i]->string;
			found = 1;
		}
	free(v);
	return found;
}

/*
 * Returns NULL when item nests at most max_depth levels, no object repeats
 * a key and every number is finite (cJSON reads 1e999 as infinity, which
 * JSON cannot hold: it would be written back as null); else a reason, with
 * *key naming the key concerned (NULL for the depth, or a number at the
 * top level).  name is the key item is the value of.
 */
static const char *check_tree(const cJSON *item, int depth, int max_depth, const char *name,
			      const char **key)
{
	const cJSON *c;
	const char *why;

	if (depth > max_depth)
		return "nests too deeply";
	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble)) {
		*key = name;
		return "is out of range";
	}
	if (cJSON_IsObject(item) && repeats_key(item, key))
		return "repeats key";
	for (c = item->child; c; c = c->next)
		if ((why = check_tree(c, depth + 1, max_depth,
				      cJSON_IsObject(item) ? c->string : name, key)))
			return why;
	return NULL;
}

static int parse_json(cJSON **out, const char *text, size_t len, const char *what, int max_depth)
{
	const char *end = NULL, *at = NULL, *why = json_text_problem(text, len, &at);
	cJSON *doc;

	if (why)
		return mlreg_error_set(MLREG_EINVALID, "malformed JSON in '%s' at line %d: %s",
				       what, json_line(text, at), why);
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	/* cJSON's own trailing-garbage check fails whenever len is exact. */
	while (doc && end && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (doc && end && end < text + len) {
		cJSON_Delete(doc);
		return mlreg_error_set(MLREG_EINVALID, "malformed JSON in '%s' at line %d: "
				       "text after the end of the document", what,
				       json_line(text, end));
	}
	if (!doc) {
		at = cJSON_GetErrorPtr();
		if (!at || at < text || at > text + len)
			at = text + len;
		return mlreg_error_set(MLREG_EINVALID, "malformed JSON in '%s' at line %d",
				       what, json_line(text, at));
	}
	{
		const char *key = NULL;
		int err = 0;
		why = check_tree(doc, 0, max_depth, NULL, &key);
		if (why && !strcmp(why, "repeats key"))
			err = mlreg_error_set(MLREG_EINVALID, "malformed JSON in '%s': an object "
					      "repeats key '%s'", what, key);
		else if (why && key)
			err = mlreg_error_set(MLREG_EINVALID, "'%s': the number at key '%s' %s",
					      what, key, why);
		else if (why && !strcmp(why, "is out of range"))
			err = mlreg_error_set(MLREG_EINVALID, "'%s': the number %s", what, why);
		else if (why)
			err = mlreg_error_set(MLREG_EINVALID, "'%s' nests deeper than %d levels",
					      what, max_depth);
		if (err) {
			cJSON_Delete(doc);
			return err;
		}
	}
	*out = doc;
	return 0;
}

/*
 * Returns a cJSON for a plain scalar, typed by the YAML 1.2 core schema;
 * NULL for a number too large for a double (it would become infinity).
 */
static cJSON *plain_scalar(const char *v)
{
	char *end;

	if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"))
		return cJSON_CreateNull();
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return cJSON_CreateTrue();
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return cJSON_CreateFalse();
	if (strchr("+-0123456789.", v[0])) {
		errno = 0;
		long long ll = strtoll(v, &end, 0);
		if (!*end && !errno && !(v[0] == '0' && v[1] && v[1] != 'x' && v[1] != 'o'))
			return cJSON_CreateNumber((double)ll);
		if (!strncmp(v, "0o", 2)) {
			ll = strtoll(v + 2, &end, 8);
			if (!*end && v[2])
				return cJSON_CreateNumber((double)ll);
		}
		errno = 0;
		double d = strtod(v, &end);
		if (!*end && end != v && !strchr(v, 'x') && !strchr(v, 'X') && strcmp(v, ".") != 0) {
			if (isfinite(d))
				return cJSON_CreateNumber(d);
			if (errno == ERANGE)
				return NULL;	/* 1e999: a number, but not one JSON holds */
		}
	}
	return cJSON_CreateString(v);
}

struct yframe {
	cJSON *node;	/* mapping (object) or sequence (array) being filled */
	char *key;	/* pending mapping key, NULL when a key is expected */
};

static int yaml_err(const char *what, int line, const char *msg)
{
	return mlreg_error_set(MLREG_EINVALID, "malformed YAML in '%s' at line %d: %s",
			       what, line, msg);
}

/* Adds item to the innermost container (or makes it the root); returns 0 or an error. */
static int yadd(struct yframe *st, int depth, cJSON **root, cJSON *item,
		const char *what, int line)
{
	struct yframe *top;

	if (depth == 0) {
		*root = item;
		return 0;
	}
	top = &st[depth - 1];
	if (cJSON_IsArray(top->node)) {
		cJSON_AddItemToArray(top->node, item);
		return 0;
	}
	if (!top->key) {
		/* item is a key: only scalars may be keys */
		if (!cJSON_IsString(item) && !cJSON_IsNumber(item) && !cJSON_IsBool(item) &&
		    !cJSON_IsNull(item)) {
			cJSON_Delete(item);
			return yaml_err(what, line, "a mapping key must be a scalar");
		}
		if (cJSON_IsString(item))
			top->key = xstrdup(item->valuestring);
		else if (cJSON_IsNull(item))
			top->key = xstrdup("null");
		else
			top->key = cJSON_PrintUnformatted(item);
		cJSON_Delete(item);
		if (cJSON_GetObjectItemCaseSensitive(top->node, top->key))
			return yaml_err(what, line, "duplicate mapping key");
		return 0;
	}
	cJSON_AddItemToObject(top->node, top->key, item);
	free(top->key);
	top->key = NULL;
	return 0;
}

static int parse_yaml(cJSON **out, const char *text, size_t len, const char *what)
{
	struct yframe st[MLREG_DOC_MAX_DEPTH + 1];
	yaml_parser_t parser;
	yaml_event_t ev;
	cJSON *root = NULL;
	int depth = 0, err = 0, done = 0, docs = 0;
	long nodes = 0;

	memset(st, 0, sizeof(st));
	if (!yaml_parser_initialize(&parser))
		return mlreg_error_set(MLREG_ERROR, "cannot initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !err) {
		int line;
		cJSON *item = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = yaml_err(what, (int)parser.problem_mark.line + 1,
				       parser.problem ? parser.problem : "syntax error");
			break;
		}
		line = (int)ev.start_mark.line + 1;
		if (++nodes > MLREG_DOC_MAX_NODES) {
			err = yaml_err(what, line, "too many nodes");
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				err = yaml_err(what, line, "more than one document");
			break;
		case YAML_ALIAS_EVENT:
			err = yaml_err(what, line, "aliases are not supported");
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			if (strlen(v) != ev.data.scalar.length) {	/* "\0" in a quoted scalar */
				err = yaml_err(what, line, "a string holds a NUL character");
				break;
			}
			if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    !(ev.data.scalar.tag && !strcmp((char *)ev.data.scalar.tag,
							    "tag:yaml.org,2002:str")))
				item = plain_scalar(v);
			else
				item = cJSON_CreateString(v);
			if (!item) {
				char *msg = xasprintf("the number %.40s is out of range", v);
				err = yaml_err(what, line, msg);
				free(msg);
				break;
			}
			err = yadd(st, depth, &root, item, what, line);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= MLREG_DOC_MAX_DEPTH) {
				err = yaml_err(what, line, "nested too deeply");
				break;
			}
			item = ev.type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray()
								    : cJSON_CreateObject();
			if ((err = yadd(st, depth, &root, item, what, line)) < 0)
				break;
			st[depth].node = item;
			st[depth].key = NULL;
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			free(st[depth].key);
			st[depth].key = NULL;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (depth > 0) {
		depth--;
		free(st[depth].key);
	}
	yaml_parser_delete(&parser);
	if (err) {
		cJSON_Delete(root);
		return err;
	}
	*out = root ? root : cJSON_CreateNull();
	return 0;
}

int mlreg_doc_parse(cJSON **out, const char *text, size_t len, const char *what)
{
	size_t i = 0;

	*out = NULL;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	if (memchr(text, '\0', len))
		return mlreg_error_set(MLREG_EINVALID, "'%s' is not a text file (contains NUL bytes)",
				       what);
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	if (i < len && (text[i] == '{' || text[i] == '['))
		return parse_json(out, text + i, len - i, what, MLREG_DOC_MAX_DEPTH);
	return parse_yaml(out, text, len, what);
}

int mlreg_doc_parse_record(cJSON **out, const char *text, size_t len, const char *what)
{
	size_t i = 0;

	*out = NULL;
	while (i < len && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	if (i == len || text[i] != '{')
		return mlreg_error_set(MLREG_EINVALID, "'%s' is not a JSON object", what);
	return parse_json(out, text + i, len - i, what, MLREG_RECORD_MAX_DEPTH);
}

int mlreg_doc_parse_file(cJSON **out, const char *path)
{
	char *buf;
	size_t len;
	int err;

	*out = NULL;
	if ((err = mlreg_fs_read_file(&buf, &len, path, MLREG_DOC_MAX_BYTES, path)) < 0)
		return err == MLREG_ENOTFOUND ? mlreg_error_set(MLREG_EOS, "%s",
						mlreg_error_message()) : err;
	err = mlreg_doc_parse(out, buf, len, path);
	free(buf);
	return err;
}

int mlreg_doc_parse_object_file(cJSON **out, const char *path)
{
	int err = mlreg_doc_parse_file(out, path);

	if (err < 0)
		return err;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return mlreg_error_set(MLREG_EINVALID,
			"'%s' must hold a mapping of keys to values at its top level", path);
	}
	return 0;
}

struct member {
	cJSON *item;
	size_t at;	/* its position in the object */
};

/* Orders members by name, then by position. */
static int cmp_member_at(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int r = strcmp(x->item->string, y->item->string);

	return r ? r : (x->at > y->at) - (x->at < y->at);
}

size_t mlreg_doc_drop_repeated_keys(cJSON *item)
{
	cJSON *c, *next;
	struct member *v;
	size_t n = 0, i, dropped = 0;

	if (!item)
		return 0;
	if (cJSON_IsObject(item)) {
		for (c = item->child; c; c = c->next)
			n++;
		v = xmalloc((n + 1) * sizeof(*v));
		for (n = 0, c = item->child; c; c = c->next, n++) {
			v[n].item = c;
			v[n].at = n;
		}
		qsort(v, n, sizeof(*v), cmp_member_at);
		for (i = 1; i < n; i++)
			if (!strcmp(v[i - 1].item->string, v[i].item->string)) {
				cJSON_Delete(cJSON_DetachItemViaPointer(item, v[i].item));
				v[i].item = v[i - 1].item;	/* the first stays the one compared */
				dropped++;
			}
		free(v);
	}
	for (c = item->child; c; c = next) {
		next = c->next;
		dropped += mlreg_doc_drop_repeated_keys(c);
	}
	return dropped;
}

void mlreg_doc_set(cJSON *obj, const char *key, cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
	else
		cJSON_AddItemToObject(obj, key, item);
}

int mlreg_doc_set_kv(cJSON *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *key;
	cJSON *val;

	if (!eq)
		return mlreg_error_set(MLREG_EUSAGE, "malformed '%s': expected KEY=VALUE", arg);
	if (mlreg_utf8_check(arg, strlen(arg)) < strlen(arg))
		return mlreg_error_set(MLREG_EUSAGE, "malformed '%s': not valid UTF-8", arg);
	if (eq > arg && eq[-1] == ':') {
		const char *at, *why = json_text_problem(eq + 1, strlen(eq + 1), &at), *k = NULL;
		if (why)
			return mlreg_error_set(MLREG_EUSAGE, "malformed '%s': %s", arg, why);
		val = cJSON_ParseWithOpts(eq + 1, NULL, 1);	/* no trailing text */
		if (!val)
			return mlreg_error_set(MLREG_EUSAGE,
				"malformed '%s': the value after ':=' is not valid JSON", arg);
		if ((why = check_tree(val, 0, MLREG_DOC_MAX_DEPTH, NULL, &k)) != NULL) {
			int err;
			/* k points into val: the message is made before val is freed */
			if (!strcmp(why, "repeats key"))
				err = mlreg_error_set(MLREG_EUSAGE, "malformed '%s': an object "
						      "repeats key '%s'", arg, k);
			else if (!strcmp(why, "is out of range"))
				err = mlreg_error_set(MLREG_EUSAGE, "malformed '%s': a number is "
						      "out of range", arg);
			else
				err = mlreg_error_set(MLREG_EUSAGE, "malformed '%s': the value "
						      "nests deeper than %d levels", arg,
						      MLREG_DOC_MAX_DEPTH);
			cJSON_Delete(val);
			return err;
		}
		key = xstrndup(arg, (size_t)(eq - 1 - arg));
	} else {
		key = xstrndup(arg, (size_t)(eq - arg));
		val = cJSON_CreateString(eq + 1);
	}
	if (!*key) {
		free(key);
		cJSON_Delete(val);
		return mlreg_error_set(MLREG_EUSAGE, "malformed '%s': empty key", arg);
	}
	mlreg_doc_set(obj, key, val);
	free(key);
	return 0;
}

const char *mlreg_doc_str(const cJSON *obj, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

long long mlreg_doc_int(const cJSON *obj, const char *key, long long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

/* Starts a new line indented two spaces per level of depth. */
static void emit_indent(struct mlreg_buf *b, int depth)
{
	int i;

	mlreg_buf_addch(b, '\n');
	for (i = 0; i < depth; i++)
		mlreg_buf_addstr(b, "  ");
}

/*
 * Writes a number exactly: integers as integers, others with the fewest
 * digits that read back as the same double (cJSON keeps 15 digits and calls
 * close values equal, which would change 0.30000000000000004 into 0.3).
 */
static void emit_number(struct mlreg_buf *b, double d)
{
	char buf[64];
	int prec;

	if (!isfinite(d)) {
		mlreg_buf_addstr(b, "null");	/* JSON has no NaN or infinity */
		return;
	}
	if (d == floor(d) && fabs(d) < 9.2e18) {
		snprintf(buf, sizeof(buf), "%lld", (long long)d);
		mlreg_buf_addstr(b, buf);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	mlreg_buf_addstr(b, buf);
}

static void emit_string(struct mlreg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int k;

	mlreg_buf_addch(b, '"');
	for (; *p; p++) {
		char esc[7];
		switch (*p) {
		case '"': mlreg_buf_addstr(b, "\\\""); break;
		case '\\': mlreg_buf_addstr(b, "\\\\"); break;
		case '\n': mlreg_buf_addstr(b, "\\n"); break;
		case '\r': mlreg_buf_addstr(b, "\\r"); break;
		case '\t': mlreg_buf_addstr(b, "\\t"); break;
		case '\b': mlreg_buf_addstr(b, "\\b"); break;
		case '\f': mlreg_buf_addstr(b, "\\f"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 15];
				mlreg_buf_add(b, esc, 6);
			} else if (*p < 0x80) {
				mlreg_buf_addch(b, (char)*p);
			} else if ((k = mlreg_utf8_len(p, 4)) <= 0) {
				/* not UTF-8 (the NUL ends the check in time): see doc.h */
				mlreg_buf_addstr(b, "\\ufffd");
			} else if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
				memcpy(esc, "\\u00", 4);	/* a C1 control, for terminals */
				esc[4] = hex[p[1] >> 4];
				esc[5] = hex[p[1] & 15];
				mlreg_buf_add(b, esc, 6);
				p++;
			} else {
				mlreg_buf_add(b, (const char *)p, (size_t)k);
				p += k - 1;
			}
		}
	}
	mlreg_buf_addch(b, '"');
}

/* Writes item as JSON: indented by two spaces per level when pretty, else compact. */
static void emit(struct mlreg_buf *b, const cJSON *item, int depth, int pretty)
{
	const cJSON *c;
	int obj = cJSON_IsObject(item);

	if (cJSON_IsNumber(item)) {
		emit_number(b, item->valuedouble);
		return;
	}
	if (cJSON_IsString(item) || cJSON_IsRaw(item)) {
		emit_string(b, item->valuestring);
		return;
	}
	if (cJSON_IsTrue(item)) {
		mlreg_buf_addstr(b, "true");
		return;
	}
	if (cJSON_IsFalse(item)) {
		mlreg_buf_addstr(b, "false");
		return;
	}
	if (!obj && !cJSON_IsArray(item)) {
		mlreg_buf_addstr(b, "null");
		return;
	}
	if (!item->child) {
		mlreg_buf_addstr(b, obj ? "{}" : "[]");
		return;
	}
	mlreg_buf_addch(b, obj ? '{' : '[');
	for (c = item->child; c; c = c->next) {
		if (pretty)
			emit_indent(b, depth + 1);
		if (obj) {
			emit_string(b, c->string);
			mlreg_buf_addstr(b, pretty ? ": " : ":");
		}
		emit(b, c, depth + 1, pretty);
		if (c->next)
			mlreg_buf_addch(b, ',');
	}
	if (pretty)
		emit_indent(b, depth);
	mlreg_buf_addch(b, obj ? '}' : ']');
}

char *mlreg_doc_print(const cJSON *item)
{
	struct mlreg_buf b = MLREG_BUF_INIT;

	emit(&b, item, 0, 0);
	mlreg_buf_addch(&b, '\n');
	return mlreg_buf_detach(&b, NULL);
}

char *mlreg_doc_print_pretty(const cJSON *item)
{
	struct mlreg_buf b = MLREG_BUF_INIT;

	emit(&b, item, 0, 1);
	mlreg_buf_addch(&b, '\n');
	return mlreg_buf_detach(&b, NULL);
}
