/*
 * Hydrosphere contracts in protobuf text format (a ModelContract: the 0.0
 * layout's contract file, or --contract contract.prototxt), read without
 * the schema: the text becomes a generic tree, whose ModelField and
 * ModelContract messages then become signatures of FIELDs as
 * contract-fields.c makes them from YAML (see contract.c for the layouts).
 *
 * Hostile input: the text is read whole up to TEXT_MAX bytes, refused when
 * it holds NUL bytes, and its nesting and number of fields are bounded as
 * doc.h bounds a YAML document's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract-int.h"
#include "doc.h"
#include "docpos.h"
#include "error.h"
#include "fs.h"
#include "seed.h"
#include "util.h"

#define TEXT_MAX (16u << 20)	/* largest protobuf text contract */

/*
 * The protobuf text format, as a generic tree: a message becomes an object
 * whose members are arrays of the field's values (every field may repeat);
 * strings and enum names are strings, numbers numbers.
 */
struct ptx {
	const char *s, *end;
	int line, depth;
	long fields;
	struct mlreg_docpos *pos;
	char err[160];
};

static void ptx_space(struct ptx *t)
{
	while (t->s < t->end) {
		if (*t->s == '\n') {
			t->line++;
			t->s++;
		} else if (isspace((unsigned char)*t->s)) {
			t->s++;
		} else if (*t->s == '#') {
			while (t->s < t->end && *t->s != '\n')
				t->s++;
		} else {
			break;
		}
	}
}

static int ptx_fail(struct ptx *t, const char *what)
{
	if (!t->err[0])
		snprintf(t->err, sizeof(t->err), "line %d: %s", t->line, what);
	return -1;
}

/* Returns the bytes of the quoted string at s (up to its closing quote or the line's end). */
static size_t ptx_quoted_len(const char *s, const char *end)
{
	const char *p = s + 1;

	while (p < end && *p != *s && *p != '\n')
		p += (*p == '\\' && p + 1 < end) ? 2 : 1;
	return (size_t)(p - s);
}

/* Reads a quoted string (adjacent ones are joined) into a new cJSON string. */
static cJSON *ptx_string(struct ptx *t)
{
	struct ptx probe = *t;	/* walks ahead the way the loop below will */
	size_t n = 0, cap = 1;
	char *buf;
	cJSON *out;

	/* the room it needs: escapes only ever shorten what they stand for */
	while (probe.s < probe.end && (*probe.s == '"' || *probe.s == '\'')) {
		size_t len = ptx_quoted_len(probe.s, probe.end);
		cap += len;
		probe.s += len + 1;
		ptx_space(&probe);
	}
	buf = xmalloc(cap);

	while (t->s < t->end && (*t->s == '"' || *t->s == '\'')) {
		char q = *t->s++;
		while (t->s < t->end && *t->s != q && *t->s != '\n') {
			char c = *t->s++;
			if (c == '\\' && t->s < t->end) {
				c = *t->s++;
				switch (c) {
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				case '0': case '1': case '2': case '3': {
					int k;
					c = (char)(c - '0');
					for (k = 0; k < 2 && t->s < t->end && *t->s >= '0' &&
					     *t->s <= '7'; k++)
						c = (char)(c * 8 + (*t->s++ - '0'));
					break;
				}
				default: break;	/* \" \' \\ and the rest: the character */
				}
			}
			if (n + 1 < cap)	/* always so; a guard, not a limit */
				buf[n++] = c;
		}
		if (t->s >= t->end || *t->s != q) {
			free(buf);
			ptx_fail(t, "unterminated string");
			return NULL;
		}
		t->s++;
		ptx_space(t);
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		ptx_fail(t, "a string holds a NUL byte");
		return NULL;
	}
	out = cJSON_CreateString(buf);
	free(buf);
	return out;
}

/* Reads a scalar: a string, a number, or a name (an enum value, true, false). */
static cJSON *ptx_scalar(struct ptx *t)
{
	const char *start = t->s;
	char word[128];
	size_t n;

	if (t->s < t->end && (*t->s == '"' || *t->s == '\''))
		return ptx_string(t);
	while (t->s < t->end && (isalnum((unsigned char)*t->s) || strchr("_.+-", *t->s)))
		t->s++;
	n = (size_t)(t->s - start);
	if (!n || n >= sizeof(word)) {
		ptx_fail(t, n ? "a value is too long" : "a value was expected");
		return NULL;
	}
	memcpy(word, start, n);
	word[n] = '\0';
	ptx_space(t);
	if (isdigit((unsigned char)word[0]) || ((word[0] == '-' || word[0] == '+' ||
						 word[0] == '.') && n > 1)) {
		char *e;
		double d = strtod(word, &e);
		if (*e && *e != 'f' && *e != 'F')
			return cJSON_CreateString(word);
		return cJSON_CreateNumber(d);
	}
	if (!strcmp(word, "true") || !strcmp(word, "True"))
		return cJSON_CreateTrue();
	if (!strcmp(word, "false") || !strcmp(word, "False"))
		return cJSON_CreateFalse();
	return cJSON_CreateString(word);
}

static int ptx_message(struct ptx *t, cJSON *msg, char close);

/* Adds value under name to msg (each member an array). */
static void ptx_add(cJSON *msg, const char *name, cJSON *value)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(msg, name);

	if (!arr) {
		arr = cJSON_CreateArray();
		cJSON_AddItemToObject(msg, name, arr);
	}
	cJSON_AddItemToArray(arr, value);
}

/* Reads fields until close ('}', '>' or '\0' for the end); returns 0 or -1. */
static int ptx_message(struct ptx *t, cJSON *msg, char close)
{
	if (++t->depth > MLREG_DOC_MAX_DEPTH)
		return ptx_fail(t, "nested too deeply");
	for (;;) {
		char name[128];
		const char *start;
		int line, colon = 0;
		size_t n;

		ptx_space(t);
		if (t->s >= t->end) {
			if (close)
				return ptx_fail(t, "a message is not closed");
			break;
		}
		if (*t->s == close) {
			t->s++;
			break;
		}
		if (++t->fields > MLREG_DOC_MAX_NODES)
			return ptx_fail(t, "too many fields");
		line = t->line;
		start = t->s;
		if (*t->s == '[') {	/* an extension's [full.name] */
			while (t->s < t->end && *t->s != ']' && *t->s != '\n')
				t->s++;
			if (t->s < t->end && *t->s == ']')
				t->s++;
		} else {
			while (t->s < t->end && (isalnum((unsigned char)*t->s) || *t->s == '_'))
				t->s++;
		}
		n = (size_t)(t->s - start);
		if (!n || n >= sizeof(name))
			return ptx_fail(t, "a field name was expected");
		memcpy(name, start, n);
		name[n] = '\0';
		ptx_space(t);
		if (t->s < t->end && *t->s == ':') {
			colon = 1;
			t->s++;
			ptx_space(t);
		}
		if (t->s < t->end && (*t->s == '{' || *t->s == '<')) {
			char c = *t->s++ == '{' ? '}' : '>';
			cJSON *sub = cJSON_CreateObject();
			ptx_add(msg, name, sub);
			mlreg_docpos_add(t->pos, sub, line);
			if (ptx_message(t, sub, c) < 0)
				return -1;
		} else if (!colon) {
			return ptx_fail(t, "':' or '{' was expected after a field name");
		} else if (t->s < t->end && *t->s == '[') {
			t->s++;
			for (;;) {
				cJSON *v;
				ptx_space(t);
				if (t->s < t->end && *t->s == ']') {
					t->s++;
					break;
				}
				if (!(v = ptx_scalar(t)))
					return -1;
				ptx_add(msg, name, v);
				mlreg_docpos_add(t->pos, v, line);
				if (t->s < t->end && *t->s == ',')
					t->s++;
				else if (t->s >= t->end || *t->s != ']')
					return ptx_fail(t, "',' or ']' was expected in a list");
			}
		} else {
			cJSON *v = ptx_scalar(t);
			if (!v)
				return -1;
			ptx_add(msg, name, v);
			mlreg_docpos_add(t->pos, v, line);
		}
		ptx_space(t);
		if (t->s < t->end && (*t->s == ',' || *t->s == ';'))
			t->s++;
	}
	t->depth--;
	return 0;
}

/* Returns the first value of field name in a generic message, or NULL. */
static const cJSON *ptx_get(const cJSON *msg, const char *name)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, name), 0);
}

/* Returns a FIELD from a generic ModelField message, or NULL after a refusal. */
static cJSON *ptx_field(struct mlreg_contract_reader *r, const cJSON *m,
			const char *path)
{
	const cJSON *name = ptx_get(m, "name"), *info = ptx_get(m, "info");
	const cJSON *dtype, *shape, *sub, *prof, *d;
	cJSON *field, *dims = NULL, *subs = NULL, *pr = NULL;
	const char *canon = NULL;

	if (!name)
		name = ptx_get(m, "field_name");	/* the 0.0 layout: field_name, info */
	dtype = ptx_get(m, "dtype");
	shape = ptx_get(m, "shape");
	if (cJSON_IsObject(info)) {
		if (!dtype)
			dtype = ptx_get(info, "dtype");
		if (!shape)
			shape = ptx_get(info, "tensor_shape");
	}
	if (!shape)
		shape = ptx_get(m, "tensor_shape");
	sub = ptx_get(m, "subfields");
	prof = ptx_get(m, "profile");
	if (!cJSON_IsString(name)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, m, path, "a field without a name; "
				"Hydrosphere refuses it too");
		return NULL;
	}
	if (cJSON_IsString(dtype)) {
		if (!(canon = mlreg_contract_type(dtype->valuestring))) {
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, dtype, path, "dtype '%s' is not a "
					"type Hydrosphere knows (" MLREG_CONTRACT_TYPE_LIST "); it refuses it too",
					dtype->valuestring);
			return NULL;
		}
	} else if (cJSON_IsObject(sub)) {
		const cJSON *f;
		canon = "map";
		subs = cJSON_CreateArray();
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(sub, "data")) {
			cJSON *x = ptx_field(r, f, path);
			if (!x) {
				cJSON_Delete(subs);
				return NULL;
			}
			cJSON_AddItemToArray(subs, x);
		}
	} else {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, m, path, "field '%s' has neither a "
				"dtype nor subfields; Hydrosphere refuses it too", name->valuestring);
		return NULL;
	}
	if (cJSON_IsObject(shape) && !cJSON_IsTrue(ptx_get(shape, "unknown_rank"))) {
		dims = cJSON_CreateArray();
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(shape, "dim")) {
			const cJSON *size = ptx_get(d, "size");
			double v = cJSON_IsNumber(size) ? size->valuedouble : -1;
			cJSON_AddItemToArray(dims, cJSON_CreateNumber(v < -1 || v !=
				(double)(long long)v ? -1 : v));
		}
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(shape, "dims"))
			if (cJSON_IsNumber(d))	/* the 3.x TensorShape: repeated int64 dims */
				cJSON_AddItemToArray(dims, cJSON_CreateNumber(d->valuedouble < -1
									      ? -1 : d->valuedouble));
	}
	if (cJSON_IsString(prof))
		pr = mlreg_contract_profile(r, prof, name->valuestring, path);
	field = cJSON_CreateObject();
	cJSON_AddStringToObject(field, "name", name->valuestring);
	cJSON_AddStringToObject(field, "type", canon);
	cJSON_AddItemToObject(field, "shape", dims ? dims : cJSON_CreateNull());
	if (pr)
		cJSON_AddItemToObject(field, "profile", pr);
	if (subs)
		cJSON_AddItemToObject(field, "fields", subs);
	return field;
}

/* Returns the signatures of a generic ModelContract message, or NULL after a refusal. */
static cJSON *ptx_contract(struct mlreg_contract_reader *r, const cJSON *msg)
{
	cJSON *sigs = cJSON_CreateArray();
	const cJSON *list[2] = { cJSON_GetObjectItemCaseSensitive(msg, "signatures"),
				 cJSON_GetObjectItemCaseSensitive(msg, "predict") };
	const cJSON *s, *f;
	int k, i = 0;

	for (k = 0; k < 2; k++)
		cJSON_ArrayForEach(s, list[k]) {
			const cJSON *name = ptx_get(s, "signature_name");
			cJSON *sig = cJSON_CreateObject(), *in = cJSON_CreateArray(),
			      *out = cJSON_CreateArray();
			char path[64];
			snprintf(path, sizeof(path), "%s[%d]", k ? "predict" : "signatures", i++);
			cJSON_AddStringToObject(sig, "name", cJSON_IsString(name)
						? name->valuestring : "predict");
			cJSON_AddItemToObject(sig, "inputs", in);
			cJSON_AddItemToObject(sig, "outputs", out);
			cJSON_AddItemToArray(sigs, sig);
			cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "inputs")) {
				cJSON *x = ptx_field(r, f, path);
				if (!x)
					goto bad;
				cJSON_AddItemToArray(in, x);
			}
			cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "outputs")) {
				cJSON *x = ptx_field(r, f, path);
				if (!x)
					goto bad;
				cJSON_AddItemToArray(out, x);
			}
		}
	if (!sigs->child) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, msg, NULL, "holds no signatures; "
				"Hydrosphere refuses it too");
		goto bad;
	}
	return sigs;
bad:
	cJSON_Delete(sigs);
	return NULL;
}

/* Returns 1 when path names a contract in protobuf text format (by its extension). */
int mlreg_contract_textproto_name(const char *path)
{
	static const char *const ext[] = { ".prototxt", ".pbtxt", ".textproto", ".pb.txt",
					   NULL };
	size_t n = strlen(path), i;

	for (i = 0; ext[i]; i++)
		if (n > strlen(ext[i]) && !strcasecmp(path + n - strlen(ext[i]), ext[i]))
			return 1;
	return 0;
}

/* Returns 1 when path names a binary protobuf contract, which mlreg does not read. */
int mlreg_contract_binary_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 3 && !strcasecmp(path + n - 3, ".pb")) ||
	       (n > 9 && !strcasecmp(path + n - 9, ".protobin"));
}

/*
 * Reads the protobuf text contract at path (shown as shown); returns 0 and
 * its signatures, or MLREG_EINVALID after a refusal noted in r->n.
 */
int mlreg_contract_read_textproto(cJSON **sigs, struct mlreg_contract_reader *r,
				  const char *path, const char *shown)
{
	struct ptx t;
	cJSON *msg;
	char *buf;
	size_t len;
	int err;

	*sigs = NULL;
	if ((err = mlreg_fs_read_file(&buf, &len, path, TEXT_MAX, shown)) < 0) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, NULL, NULL, "%s", mlreg_error_message());
		return MLREG_EINVALID;
	}
	memset(&t, 0, sizeof(t));
	t.s = buf;
	t.end = buf + len;
	t.line = 1;
	t.pos = mlreg_docpos_new();
	msg = cJSON_CreateObject();
	mlreg_docpos_add(t.pos, msg, 1);
	if (memchr(buf, '\0', len))
		ptx_fail(&t, "not a text file (it holds NUL bytes)");
	else
		ptx_message(&t, msg, '\0');
	if (t.err[0]) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, NULL, NULL, "malformed protobuf text "
				"format at %s; Hydrosphere's CLI cannot read it either", t.err);
	} else {
		const struct mlreg_docpos *saved = r->n->pos;
		r->n->pos = t.pos;
		*sigs = ptx_contract(r, msg);
		r->n->pos = saved;
	}
	cJSON_Delete(msg);
	mlreg_docpos_free(t.pos);
	free(buf);
	return *sigs ? 0 : MLREG_EINVALID;
}
