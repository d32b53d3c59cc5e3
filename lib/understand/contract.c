/*
 * Hydrosphere model definitions and contracts (seed 001), in every layout
 * Hydrosphere has read, as its CLI and SDK read them (hydro-serving-cli
 * 0.0.x to 3.0.3, hydro-serving-sdk 2.x and 3.x, the example repository
 * across its history, the docs):
 *
 *   layout          what the file looks like                      since
 *   kind-model      kind: Model, name, runtime, install-command,  2.0 (the
 *                   payload, training-data, metadata, monitoring, current one)
 *                   contract: {name, inputs, outputs}
 *   signature-map   kind: Model, name, model-type, payload,       0.1
 *                   contract: {SIGNATURE: {inputs, outputs}, ...}
 *   model-section   model: {name, type, contract: FILE, payload}, 0.0
 *                   the contract in protobuf text format in FILE
 *   contract        a contract alone: {name, inputs, outputs}, or (the docs'
 *                   {SIGNATURE: {inputs, outputs}, ...}           "contract
 *                                                                  object")
 *   prototxt        a ModelContract in protobuf text format        0.0
 *                   (--contract contract.prototxt)
 *
 * All of them become the same record: signatures of FIELDs whose type is
 * the canonical dtype (inspect.h's vocabulary) whatever spelling was used,
 * whose shape is null when none was given (unknown, as the CLI reads it),
 * [] for "scalar", and whose profile, when given, is one of Hydrosphere's
 * profiles in lower case; and a contract object with the definition's
 * other members (store-format.md, section 6.2).
 *
 * Levels (seed.h): a contract Hydrosphere's CLI would refuse (an unknown
 * type, a shape that is not a list of integers, missing inputs or
 * outputs, a field that is not a mapping) is REFUSE; a model it would not
 * deploy (no runtime, a payload path that is not among the version's
 * files, a placeholder) is FAIL; an unknown profile, which Hydrosphere
 * records as NONE with a warning, is WARN; keys it ignores are HINT.
 *
 * Hostile input: the YAML/JSON reader bounds size, depth and nodes
 * (doc.h); the protobuf text reader here bounds size, depth and fields the
 * same way; paths named by the file are only compared with the version's
 * file list or looked up below the contract's own directory, never
 * followed outside it.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

#define TEXT_MAX (16u << 20)	/* largest protobuf text contract */

/* The spellings of a type Hydrosphere reads, and the canonical dtype of each. */
static const struct {
	const char *alias, *type;
} types[] = {
	{ "half", "half" },		{ "float16", "half" },
	{ "float", "float" },		{ "float32", "float" },		{ "single", "float" },
	{ "double", "double" },		{ "float64", "double" },
	{ "bfloat16", "bfloat16" },
	{ "complex64", "complex64" },	{ "complex128", "complex128" },	{ "complex", "complex128" },
	{ "int8", "int8" },		{ "byte", "int8" },
	{ "int16", "int16" },		{ "short", "int16" },
	{ "int32", "int32" },
	{ "int64", "int64" },		{ "int", "int64" },
	{ "uint8", "uint8" },		{ "ubyte", "uint8" },
	{ "uint16", "uint16" },		{ "ushort", "uint16" },
	{ "uint32", "uint32" },		{ "uint64", "uint64" },
	{ "bool", "bool" },
	{ "string", "string" },		{ "str", "string" },		{ "bytes", "string" },
	{ "qint8", "qint8" },		{ "qint16", "qint16" },		{ "qint32", "qint32" },
	{ "quint8", "quint8" },		{ "quint16", "quint16" },
	{ "resource", "resource" },	{ "variant", "variant" },
	{ "any", "any" },		{ "map", "map" },
};

/* Hydrosphere's DataProfileType, in lower case. */
static const char *const profiles[] = {
	"none", "categorical", "nominal", "ordinal", "numerical", "continuous", "interval",
	"ratio", "image", "video", "audio", "text", NULL
};

#define TYPE_LIST "half, float16, float, float32, double, float64, bfloat16, complex64, " \
	"complex128, int8..int64, uint8..uint64, bool, string, bytes, qint8, qint16, qint32, " \
	"quint8, quint16, resource, variant, any, map, or their DT_ names"

/* Returns the canonical dtype of a spelling (any case, DT_ prefix or not), or NULL. */
static const char *canonical_type(const char *s)
{
	size_t i;

	if (!strncasecmp(s, "DT_", 3))
		s += 3;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].alias))
			return types[i].type;
	return NULL;
}

/* What a contract is read with. */
struct reader {
	struct mlreg_seed_notes *n;
	const struct mlreg_contract_files *files;
	const cJSON *profile_types;	/* the definition's profileTypes mapping, or NULL */
};

/* Returns a FIELD's shape: a new array, null for unknown; NULL after a refusal. */
static cJSON *read_shape(struct reader *r, const cJSON *shape, const char *path)
{
	const cJSON *dims = shape, *d;
	cJSON *out;

	if (!shape || cJSON_IsNull(shape))
		return cJSON_CreateNull();	/* the CLI reads no shape as unknown */
	if (cJSON_IsString(shape) && !strcasecmp(shape->valuestring, "scalar"))
		return cJSON_CreateArray();
	if (cJSON_IsObject(shape))	/* the 3.x SDK's {dims: [...]} */
		dims = cJSON_GetObjectItemCaseSensitive(shape, "dims");
	if (!cJSON_IsArray(dims)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, shape, path, "must be a list of "
				"dimensions or 'scalar'; Hydrosphere's CLI refuses it too");
		return NULL;
	}
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(d, dims) {
		double v = cJSON_IsNumber(d) ? d->valuedouble : 0;
		if (!cJSON_IsNumber(d) || v != (double)(long long)v || v > 9007199254740992.0 ||
		    v < -9007199254740992.0) {
			char *s = cJSON_PrintUnformatted(d);
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, d, path, "dimension %s is not an "
					"integer; Hydrosphere's CLI refuses it too", s);
			cJSON_free(s);
			cJSON_Delete(out);
			return NULL;
		}
		if (v < -1) {
			mlreg_seed_note(r->n, MLREG_SEED_WARN, d, path, "dimension %lld is recorded "
					"as -1 (any size); Hydrosphere passes it on unchecked",
					(long long)v);
			v = -1;
		}
		cJSON_AddItemToArray(out, cJSON_CreateNumber(v));
	}
	return out;
}

/* Returns the profile to record for a field (a new string), or NULL for none given. */
static cJSON *read_profile(struct reader *r, const cJSON *prof, const char *field,
			   const char *path)
{
	char low[64];
	size_t i;

	if (!prof && r->profile_types) {
		/* the profileTypes mapping of 2019's examples names fields */
		const cJSON *c;
		cJSON_ArrayForEach(c, r->profile_types)
			if (!strcasecmp(c->string, field))
				prof = c;
	}
	if (!prof || cJSON_IsNull(prof))
		return NULL;
	if (!cJSON_IsString(prof)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, prof, path, "must be a string; "
				"Hydrosphere's CLI fails on anything else");
		return NULL;
	}
	for (i = 0; prof->valuestring[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)prof->valuestring[i]);
	low[i] = '\0';
	for (i = 0; profiles[i]; i++)
		if (!strcmp(low, profiles[i]) && !prof->valuestring[strlen(low)])
			return cJSON_CreateString(profiles[i]);
	mlreg_seed_note(r->n, MLREG_SEED_WARN, prof, path, "'%s' is not a Hydrosphere profile "
			"(none, categorical, nominal, ordinal, numerical, continuous, interval, "
			"ratio, image, video, audio, text): recorded as 'none', as Hydrosphere "
			"records it", prof->valuestring);
	return cJSON_CreateString("none");
}

static cJSON *read_fields(struct reader *r, const cJSON *map, const char *path);

/* Returns a FIELD for a field's mapping, or NULL after a refusal. */
static cJSON *read_field(struct reader *r, const cJSON *f, const char *path)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "type"), *k;
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(f, "fields");
	cJSON *field, *shape, *prof, *subs = NULL;
	const char *canon = NULL;
	char *p;
	int bad = 0;

	if (!cJSON_IsObject(f)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, f, path, "must be a mapping with shape, "
				"type and profile; Hydrosphere's CLI fails on it too");
		return NULL;
	}
	if (!type)
		type = cJSON_GetObjectItemCaseSensitive(f, "dtype");	/* the 3.x SDK's name */
	if (!sub)
		sub = cJSON_GetObjectItemCaseSensitive(f, "subfields");
	cJSON_ArrayForEach(k, f)
		if (strcmp(k->string, "shape") && strcmp(k->string, "type") &&
		    strcmp(k->string, "dtype") && strcmp(k->string, "profile") &&
		    strcmp(k->string, "fields") && strcmp(k->string, "subfields")) {
			p = mlreg_seed_path(path, k->string);
			mlreg_seed_note(r->n, MLREG_SEED_HINT, k, p, "not a field key (shape, "
					"type, profile, fields): ignored, as Hydrosphere ignores it");
			free(p);
		}
	p = mlreg_seed_path(path, type == cJSON_GetObjectItemCaseSensitive(f, "dtype") && type
			    ? "dtype" : "type");
	if (type && !cJSON_IsNull(type)) {
		if (!cJSON_IsString(type) || !(canon = canonical_type(type->valuestring))) {
			char *s = cJSON_IsString(type) ? NULL : cJSON_PrintUnformatted(type);
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, type, p, "'%s' is not a type "
					"Hydrosphere knows (" TYPE_LIST "); its CLI refuses it too",
					s ? s : type->valuestring);
			cJSON_free(s);
			bad = 1;
		} else if (!strcasecmp(type->valuestring, "float")) {
			mlreg_seed_note(r->n, MLREG_SEED_HINT, type, p, "'float' is recorded as "
					"the 32-bit float of Hydrosphere's 0.1 documentation; its "
					"3.x SDK reads it as float64: write float32 or float64");
		}
	} else if (!cJSON_IsObject(sub)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, f, p, "missing: a field needs a type "
				"(or fields of its own); Hydrosphere's CLI refuses it too");
		bad = 1;
	} else {
		char *sp = mlreg_seed_path(path, sub->string);
		canon = "map";	/* Hydrosphere's DT_MAP: a structure of named fields */
		if (!(subs = read_fields(r, sub, sp)))
			bad = 1;
		free(sp);
	}
	free(p);
	p = mlreg_seed_path(path, "shape");
	shape = read_shape(r, cJSON_GetObjectItemCaseSensitive(f, "shape"), p);
	free(p);
	p = mlreg_seed_path(path, "profile");
	prof = read_profile(r, cJSON_GetObjectItemCaseSensitive(f, "profile"), f->string
			    ? f->string : "", p);
	free(p);
	if (bad || !shape) {
		cJSON_Delete(shape);
		cJSON_Delete(prof);
		cJSON_Delete(subs);
		return NULL;
	}
	field = cJSON_CreateObject();
	cJSON_AddStringToObject(field, "name", f->string ? f->string : "");
	cJSON_AddStringToObject(field, "type", canon);
	cJSON_AddItemToObject(field, "shape", shape);
	if (prof)
		cJSON_AddItemToObject(field, "profile", prof);
	if (subs)
		cJSON_AddItemToObject(field, "fields", subs);
	return field;
}

/* Returns the FIELDs of an inputs/outputs mapping, or NULL after a refusal. */
static cJSON *read_fields(struct reader *r, const cJSON *map, const char *path)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *f;
	int bad = 0;

	if (!cJSON_IsObject(map)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, map, path, "must map field names to "
				"fields; Hydrosphere's CLI fails on anything else");
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(f, map) {
		char *p = mlreg_seed_path(path, f->string);
		cJSON *field = read_field(r, f, p);
		free(p);
		if (field)
			cJSON_AddItemToArray(out, field);
		else
			bad = 1;
	}
	if (bad) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

/*
 * Returns a signature {name, inputs, outputs} for a signature's mapping
 * (name: its name; named_inside: the name may also be a "name" member), or
 * NULL after a refusal.
 */
static cJSON *read_signature(struct reader *r, const cJSON *sig, const char *name,
			     int named_inside, const char *path)
{
	const cJSON *k, *in, *outs;
	cJSON *s, *fin, *fout;
	char *p;

	if (!cJSON_IsObject(sig)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, sig, path, "must be a mapping with inputs "
				"and outputs; Hydrosphere's CLI fails on anything else");
		return NULL;
	}
	cJSON_ArrayForEach(k, sig)
		if (strcmp(k->string, "inputs") && strcmp(k->string, "outputs") &&
		    !(named_inside && !strcmp(k->string, "name"))) {
			p = mlreg_seed_path(path, k->string);
			mlreg_seed_note(r->n, MLREG_SEED_HINT, k, p, "not a contract key (%sinputs, "
					"outputs): ignored, as Hydrosphere ignores it",
					named_inside ? "name, " : "");
			free(p);
		}
	if (named_inside && (k = cJSON_GetObjectItemCaseSensitive(sig, "name")) &&
	    !cJSON_IsNull(k)) {
		if (cJSON_IsString(k)) {
			name = k->valuestring;
		} else {
			p = mlreg_seed_path(path, "name");
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, k, p, "must be a string; "
					"Hydrosphere's CLI refuses anything else");
			free(p);
			return NULL;
		}
	}
	in = cJSON_GetObjectItemCaseSensitive(sig, "inputs");
	outs = cJSON_GetObjectItemCaseSensitive(sig, "outputs");
	if (!in || !outs) {
		p = mlreg_seed_path(path, in ? "outputs" : "inputs");
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, sig, p, "missing: a signature needs "
				"inputs and outputs; Hydrosphere's CLI refuses it too");
		free(p);
		return NULL;
	}
	p = mlreg_seed_path(path, "inputs");
	fin = read_fields(r, in, p);
	free(p);
	p = mlreg_seed_path(path, "outputs");
	fout = read_fields(r, outs, p);
	free(p);
	if (!fin || !fout) {
		cJSON_Delete(fin);
		cJSON_Delete(fout);
		return NULL;
	}
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddItemToObject(s, "inputs", fin);
	cJSON_AddItemToObject(s, "outputs", fout);
	return s;
}

/* Returns 1 when a contract mapping holds one signature (2.x), 0 for a map of them (0.1). */
static int single_signature(const cJSON *c)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");

	return cJSON_GetObjectItemCaseSensitive(c, "inputs") ||
	       cJSON_GetObjectItemCaseSensitive(c, "outputs") ||
	       (name && !cJSON_IsObject(name));
}

/* Returns the signatures of a contract mapping (either form), or NULL after a refusal. */
static cJSON *read_contract_map(struct reader *r, const cJSON *c, const char *path)
{
	cJSON *sigs = cJSON_CreateArray(), *s;
	const cJSON *sig;
	int bad = 0;

	if (!cJSON_IsObject(c)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, c, path, "must be a mapping (a "
				"signature, or signature names to signatures); Hydrosphere's CLI "
				"refuses it too");
		cJSON_Delete(sigs);
		return NULL;
	}
	if (single_signature(c)) {
		/* the 3.x CLI names it "predict" when it has no name (2.x: "Predict") */
		if ((s = read_signature(r, c, "predict", 1, path)))
			cJSON_AddItemToArray(sigs, s);
		else
			bad = 1;
	} else {
		if (!c->child) {
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, c, path, "holds no signature; "
					"Hydrosphere's CLI refuses it too");
			bad = 1;
		}
		cJSON_ArrayForEach(sig, c) {
			char *p = mlreg_seed_path(path, sig->string);
			if ((s = read_signature(r, sig, sig->string, 0, p)))
				cJSON_AddItemToArray(sigs, s);
			else
				bad = 1;
			free(p);
		}
	}
	if (bad) {
		cJSON_Delete(sigs);
		return NULL;
	}
	return sigs;
}

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
static cJSON *ptx_field(struct reader *r, const cJSON *m, const char *path)
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
		if (!(canon = canonical_type(dtype->valuestring))) {
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, dtype, path, "dtype '%s' is not a "
					"type Hydrosphere knows (" TYPE_LIST "); it refuses it too",
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
		pr = read_profile(r, prof, name->valuestring, path);
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
static cJSON *ptx_contract(struct reader *r, const cJSON *msg)
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
static int textproto_name(const char *path)
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
static int binary_name(const char *path)
{
	size_t n = strlen(path);

	return (n > 3 && !strcasecmp(path + n - 3, ".pb")) ||
	       (n > 9 && !strcasecmp(path + n - 9, ".protobin"));
}

/*
 * Reads the protobuf text contract at path (shown as shown); returns 0 and
 * its signatures, or MLREG_EINVALID after a refusal noted in r->n.
 */
static int read_textproto(cJSON **sigs, struct reader *r, const char *path, const char *shown)
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

/*
 * Returns a normalised copy of a relative path ("./src/" -> "src"), "" for
 * the top, or NULL when it is absolute or climbs out of the top.
 */
static char *normalise(const char *base, const char *p)
{
	char *joined, *out, *seg, *save;
	size_t n = 0;

	if (p[0] == '/' || p[0] == '~' || p[0] == '$')
		return NULL;
	joined = xasprintf("%s%s%s", base ? base : "", base && *base ? "/" : "", p);
	out = xcalloc(1, strlen(joined) + 1);
	for (seg = strtok_r(joined, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			char *slash;
			if (!n) {
				free(joined);
				free(out);
				return NULL;
			}
			slash = strrchr(out, '/');
			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
			continue;
		}
		if (n)
			out[n++] = '/';
		memcpy(out + n, seg, strlen(seg) + 1);
		n += strlen(seg);
	}
	free(joined);
	return out;
}

/*
 * Returns the source on disk of the file a contract names (rel), or NULL:
 * below the contract's own directory on disk when it has one, else among
 * the version's files.
 */
static char *find_file(const struct mlreg_contract_files *f, const char *rel)
{
	char *norm, *p = NULL;

	if (!f)
		return NULL;
	if (f->disk_dir && (norm = normalise(NULL, rel))) {
		struct stat st;
		if (*norm) {
			p = xasprintf("%s/%s", f->disk_dir, norm);
			if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
				free(p);
				p = NULL;
			}
		}
		free(norm);
	}
	if (!p && f->e && (norm = normalise(f->base, rel))) {
		const struct mlreg_entry *hit = mlreg_seed_entry(f->e, "", norm);
		if (hit)
			p = xstrdup(hit->src);
		free(norm);
	}
	return p;
}

/* Returns 1 when a glob matches path or one of its leading directories. */
static int glob_hit(const char *pattern, const char *path)
{
	char *p = xstrdup(path), *slash;
	int hit = fnmatch(pattern, p, FNM_PATHNAME) == 0;

	while (!hit && (slash = strrchr(p, '/'))) {
		*slash = '\0';
		hit = fnmatch(pattern, p, FNM_PATHNAME) == 0;
	}
	free(p);
	return hit;
}

/* Notes FAIL for each payload entry that is not among the version's files. */
static void check_payload(struct reader *r, const cJSON *payload, const char *field)
{
	const struct mlreg_entries *e = r->files ? r->files->e : NULL;
	const cJSON *p;
	size_t i;

	if (!e)
		return;
	cJSON_ArrayForEach(p, payload) {
		char *norm, ph[128];
		int found = 0;

		if (!cJSON_IsString(p) || mlreg_seed_placeholder(p->valuestring, ph, sizeof(ph)))
			continue;
		if (!(norm = normalise(r->files->base, p->valuestring))) {
			mlreg_seed_note(r->n, MLREG_SEED_FAIL, p, field, "'%s' is outside the "
					"version's files: Hydrosphere would pack it from the disk, "
					"and mlreg has not stored it", p->valuestring);
			continue;
		}
		for (i = 0; i < e->n && !found; i++) {
			const char *path = e->v[i].path;
			size_t n = strlen(norm);
			found = !*norm || !strcmp(path, norm) ||
				(!strncmp(path, norm, n) && path[n] == '/') ||
				(strpbrk(norm, "*?[") && glob_hit(norm, path));
		}
		if (!found)
			mlreg_seed_note(r->n, MLREG_SEED_FAIL, p, field, "'%s' is not among the "
					"version's files: Hydrosphere's CLI would fail to pack it",
					p->valuestring);
		free(norm);
	}
}

/* Notes a key of a definition that must hold a string (or be absent). */
static int want_string(struct reader *r, const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!v || cJSON_IsNull(v) || cJSON_IsString(v))
		return 0;
	mlreg_seed_note(r->n, MLREG_SEED_REFUSE, v, key, "must be a string; Hydrosphere's CLI "
			"refuses anything else");
	return -1;
}

/* Copies a string member key of doc to info as name, when it is one. */
static void copy_string(cJSON *info, const cJSON *doc, const char *key, const char *name)
{
	const char *s = mlreg_doc_str(doc, key, NULL);

	if (s)
		cJSON_AddStringToObject(info, name, s);
}

/*
 * Reads a model definition (kind-model, signature-map, model-section) or a
 * contract alone; returns 0 with *sigs (NULL when it has no contract) and
 * *info, or MLREG_EINVALID after a refusal.
 */
static int read_doc(cJSON **sigs, cJSON **info, const cJSON *doc, struct reader *r)
{
	static const char *const known[] = {
		"kind", "name", "model-type", "runtime", "install-command", "payload",
		"training-data", "metadata", "monitoring", "monitoring-configuration",
		"host-selector", "description", "contract", "profileTypes", "version", NULL
	};
	const cJSON *v, *contract = NULL, *model = NULL, *payload;
	const char *layout;
	cJSON *inf;
	int bad = 0, i;

	*sigs = NULL;
	*info = NULL;
	if (!cJSON_IsObject(doc)) {
		mlreg_seed_note(r->n, MLREG_SEED_REFUSE, doc, NULL, "the top level must be a "
				"mapping; Hydrosphere's CLI refuses anything else too");
		return MLREG_EINVALID;
	}
	mlreg_seed_placeholders(r->n, doc, NULL);
	inf = cJSON_CreateObject();
	v = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || strcmp(v->valuestring, "Model")) {
			char *s = cJSON_PrintUnformatted(v);
			int given = r->files && r->files->given;
			cJSON_AddItemToObject(inf, "kind", cJSON_Duplicate(v, 1));
			mlreg_seed_note(r->n, given ? MLREG_SEED_REFUSE : MLREG_SEED_WARN, v, "kind",
					"%s is not a model (Hydrosphere applies it as such)%s", s,
					given ? ", and has no contract" : ": no contract read");
			cJSON_free(s);
			if (given) {
				cJSON_Delete(inf);
				return MLREG_EINVALID;
			}
			*info = inf;
			return 0;
		}
	}
	cJSON_AddStringToObject(inf, "kind", "Model");
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(doc, "model")) &&
	    !cJSON_GetObjectItemCaseSensitive(doc, "contract")) {
		/* the 0.0 layout: model: {name, type, contract: FILE, payload} */
		model = v;
		layout = "model-section";
		cJSON_ArrayForEach(v, doc)
			if (strcmp(v->string, "model") && strcmp(v->string, "local_deploy") &&
			    strcmp(v->string, "kind"))
				mlreg_seed_note(r->n, MLREG_SEED_HINT, v, v->string, "not a key of "
						"Hydrosphere's model file (model, local_deploy): "
						"ignored, as its CLI ignores it");
		bad |= want_string(r, model, "name") | want_string(r, model, "type");
		copy_string(inf, model, "name", "name");
		copy_string(inf, model, "type", "model_type");
		contract = cJSON_GetObjectItemCaseSensitive(model, "contract");
		payload = cJSON_GetObjectItemCaseSensitive(model, "payload");
	} else if (cJSON_GetObjectItemCaseSensitive(doc, "contract") ||
		   cJSON_GetObjectItemCaseSensitive(doc, "kind") ||
		   cJSON_GetObjectItemCaseSensitive(doc, "runtime") ||
		   cJSON_GetObjectItemCaseSensitive(doc, "model-type") ||
		   cJSON_GetObjectItemCaseSensitive(doc, "payload")) {
		contract = cJSON_GetObjectItemCaseSensitive(doc, "contract");
		layout = contract && cJSON_IsObject(contract) && !single_signature(contract)
			 ? "signature-map" : "kind-model";
		cJSON_ArrayForEach(v, doc) {
			for (i = 0; known[i] && strcmp(known[i], v->string); i++)
				;
			if (!known[i])
				mlreg_seed_note(r->n, MLREG_SEED_HINT, v, v->string, "not a key of "
						"a Hydrosphere model definition: ignored, as its "
						"CLI ignores it");
		}
		bad |= want_string(r, doc, "name") | want_string(r, doc, "model-type") |
		       want_string(r, doc, "runtime") | want_string(r, doc, "install-command") |
		       want_string(r, doc, "training-data");
		copy_string(inf, doc, "name", "name");
		copy_string(inf, doc, "model-type", "model_type");
		copy_string(inf, doc, "runtime", "runtime");
		copy_string(inf, doc, "install-command", "install_command");
		copy_string(inf, doc, "training-data", "training_data");
		if ((v = cJSON_GetObjectItemCaseSensitive(doc, "metadata")) && !cJSON_IsNull(v)) {
			if (!cJSON_IsObject(v)) {
				mlreg_seed_note(r->n, MLREG_SEED_REFUSE, v, "metadata", "must be a "
						"mapping; Hydrosphere's CLI refuses anything else");
				bad = 1;
			} else {
				cJSON_AddItemToObject(inf, "metadata", cJSON_Duplicate(v, 1));
			}
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(doc, "monitoring")) && !cJSON_IsNull(v))
			cJSON_AddItemToObject(inf, "monitoring", cJSON_Duplicate(v, 1));
		v = cJSON_GetObjectItemCaseSensitive(doc, "profileTypes");
		if (cJSON_IsObject(v))
			r->profile_types = v;
		else if (v && !cJSON_IsNull(v))
			mlreg_seed_note(r->n, MLREG_SEED_HINT, v, "profileTypes", "not a mapping "
					"of field names to profiles: ignored");
		if (!cJSON_GetObjectItemCaseSensitive(doc, "runtime") &&
		    !cJSON_GetObjectItemCaseSensitive(doc, "model-type"))
			mlreg_seed_note(r->n, MLREG_SEED_FAIL, doc, "runtime", "missing: "
					"Hydrosphere's CLI refuses a model without the Docker "
					"image it runs in");
		if (!mlreg_seed_present(cJSON_GetObjectItemCaseSensitive(doc, "name")))
			mlreg_seed_note(r->n, MLREG_SEED_FAIL, doc, "name", "missing: "
					"Hydrosphere's CLI refuses a model without a name");
		if (!mlreg_seed_present(contract))
			mlreg_seed_note(r->n, MLREG_SEED_HINT, contract ? contract : doc,
					"contract", "%s: Hydrosphere 2.x infers the signatures "
					"from the model files, as mlreg does; its 3.x CLI refuses "
					"a model without a contract", contract ? "empty" : "missing");
		payload = cJSON_GetObjectItemCaseSensitive(doc, "payload");
	} else {
		/* a contract alone, as the docs' "contract object" */
		contract = doc;
		layout = "contract";
		payload = NULL;
	}
	cJSON_AddStringToObject(inf, "layout", layout);
	if (payload && !cJSON_IsNull(payload)) {
		const char *field = model ? "model.payload" : "payload";
		int ok = cJSON_IsArray(payload);
		cJSON_ArrayForEach(v, payload)
			ok = ok && cJSON_IsString(v);
		if (!ok) {
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, payload, field, "must be a list "
					"of paths; Hydrosphere's CLI refuses anything else");
			bad = 1;
		} else {
			cJSON_AddItemToObject(inf, "payload", cJSON_Duplicate(payload, 1));
			check_payload(r, payload, field);
		}
	}
	if (model && cJSON_IsString(contract)) {
		/* the 0.0 layout names a file holding the contract in protobuf text format */
		char *src = find_file(r->files, contract->valuestring);
		cJSON_AddStringToObject(inf, "contract_file", contract->valuestring);
		if (binary_name(contract->valuestring)) {
			mlreg_seed_note(r->n, MLREG_SEED_WARN, contract, "model.contract", "'%s' is "
					"a binary protobuf contract, which mlreg does not read: no "
					"signatures from it", contract->valuestring);
		} else if (!src) {
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, contract, "model.contract", "'%s' is "
					"not among the files; Hydrosphere's CLI reads the contract "
					"from it and fails too", contract->valuestring);
			bad = 1;
		} else {
			const char *saved = r->n->file;
			r->n->file = contract->valuestring;
			if (read_textproto(sigs, r, src, contract->valuestring) < 0)
				bad = 1;
			r->n->file = saved;
		}
		free(src);
	} else if (contract && !cJSON_IsNull(contract)) {
		if (!(*sigs = read_contract_map(r, contract, contract == doc ? "" : model
						? "model.contract" : "contract")))
			bad = 1;
	}
	if (bad) {
		cJSON_Delete(*sigs);
		*sigs = NULL;
		cJSON_Delete(inf);
		return MLREG_EINVALID;
	}
	*info = inf;
	return 0;
}

int mlreg_contract_read(cJSON **sigs, cJSON **info, const char *path,
			struct mlreg_seed_notes *n, const struct mlreg_contract_files *files)
{
	struct reader r = { n, files, NULL };
	struct mlreg_docpos *pos = NULL;
	const struct mlreg_docpos *saved = n->pos;
	cJSON *doc;
	int err;

	*sigs = NULL;
	*info = NULL;
	if (binary_name(path)) {
		mlreg_seed_note(n, MLREG_SEED_REFUSE, NULL, NULL, "a binary protobuf contract, "
				"which mlreg does not read: give it in protobuf text format "
				"(.prototxt), YAML or JSON");
		return MLREG_EINVALID;
	}
	if (textproto_name(path)) {
		if ((err = read_textproto(sigs, &r, path, n->file)) < 0)
			return mlreg_seed_refusal(n, "contract");
		*info = cJSON_CreateObject();
		cJSON_AddStringToObject(*info, "kind", "Model");
		cJSON_AddStringToObject(*info, "layout", "prototxt");
		return 0;
	}
	if ((err = mlreg_docpos_parse_file(&doc, &pos, path, n->file)) < 0) {
		mlreg_seed_note(n, MLREG_SEED_REFUSE, NULL, NULL, "%s", mlreg_error_message());
		return MLREG_EINVALID;
	}
	n->pos = pos;
	err = read_doc(sigs, info, doc, &r);
	n->pos = saved;
	mlreg_docpos_free(pos);
	cJSON_Delete(doc);
	if (err < 0 || mlreg_seed_count(n, MLREG_SEED_REFUSE)) {
		/* a refusal anywhere, even one that let the reading go on */
		cJSON_Delete(*sigs);
		cJSON_Delete(*info);
		*sigs = *info = NULL;
		err = mlreg_seed_refusal(n, "contract");
	}
	return err;
}

int mlreg_contract_parse(cJSON **out, cJSON **info, const cJSON *doc, const char *what,
			 cJSON *problems)
{
	struct mlreg_seed_notes n;
	struct reader r;
	int err;

	mlreg_seed_notes_init(&n, what, NULL);
	r.n = &n;
	r.files = NULL;
	r.profile_types = NULL;
	err = read_doc(out, info, doc, &r);
	if (problems)
		mlreg_seed_copy(problems, &n, MLREG_SEED_REFUSE);
	if (err < 0 || mlreg_seed_count(&n, MLREG_SEED_REFUSE))
		err = mlreg_seed_refusal(&n, "contract");
	if (!err && !*out)
		*out = cJSON_CreateArray();
	mlreg_seed_notes_free(&n);
	return err;
}

/*
 * Returns the framework {name, version} a definition's runtime image names
 * (hydrosphere/serving-runtime-python-3.6:2.4.0, ...-tensorflow:1.7.0-latest),
 * or NULL.
 */
static cJSON *runtime_framework(const char *image)
{
	const char *slash = strrchr(image, '/'), *base = slash ? slash + 1 : image;
	const char *colon = strchr(base, ':'), *tag = colon ? colon + 1 : "";
	char name[128], *dash;
	cJSON *f;
	size_t n;

	if (strncmp(base, "serving-runtime-", 16))
		return NULL;
	n = colon ? (size_t)(colon - base) - 16 : strlen(base) - 16;
	if (!n || n >= sizeof(name))
		return NULL;
	memcpy(name, base + 16, n);
	name[n] = '\0';
	f = cJSON_CreateObject();
	for (dash = strchr(name, '-'); dash && !isdigit((unsigned char)dash[1]);
	     dash = strchr(dash + 1, '-'))
		;
	if (dash) {
		*dash = '\0';
		cJSON_AddStringToObject(f, "name", name);
		cJSON_AddStringToObject(f, "version", dash + 1);
	} else {
		size_t vl = strspn(tag, "0123456789.");
		char *ver = xstrndup(tag, vl);
		cJSON_AddStringToObject(f, "name", name);
		if (vl && isdigit((unsigned char)tag[0]))
			cJSON_AddStringToObject(f, "version", ver);
		else
			cJSON_AddNullToObject(f, "version");
		free(ver);
	}
	return f;
}

cJSON *mlreg_contract_framework(const cJSON *info)
{
	const char *mt = mlreg_doc_str(info, "model_type", NULL);
	const char *rt = mlreg_doc_str(info, "runtime", NULL);

	if (mt && *mt)
		return mlreg_framework_from_string(mt, 0);
	return rt ? runtime_framework(rt) : NULL;
}
