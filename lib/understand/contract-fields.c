/*
 * Hydrosphere's vocabulary and its contracts' signatures (see contract.c
 * for the layouts a contract comes in, and the levels of its notes): the
 * spellings of a type Hydrosphere reads and the canonical dtype of each
 * (inspect.h's vocabulary), its profiles, and the reader of a contract
 * mapping, in either of its forms (one signature, 2.x; signature names to
 * signatures, 0.1), into signatures of FIELDs {name, type, shape, profile,
 * fields}: shape null when none was given (unknown, as the CLI reads it),
 * [] for "scalar"; profile, when given, in lower case.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract-int.h"
#include "seed.h"
#include "util.h"

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

/* Returns the canonical dtype of a spelling (any case, DT_ prefix or not), or NULL. */
const char *mlreg_contract_type(const char *s)
{
	size_t i;

	if (!strncasecmp(s, "DT_", 3))
		s += 3;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(s, types[i].alias))
			return types[i].type;
	return NULL;
}

/* Returns a FIELD's shape: a new array, null for unknown; NULL after a refusal. */
static cJSON *read_shape(struct mlreg_contract_reader *r, const cJSON *shape,
			 const char *path)
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
cJSON *mlreg_contract_profile(struct mlreg_contract_reader *r, const cJSON *prof,
			      const char *field, const char *path)
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

static cJSON *read_fields(struct mlreg_contract_reader *r, const cJSON *map,
			  const char *path);

/* Returns a FIELD for a field's mapping, or NULL after a refusal. */
static cJSON *read_field(struct mlreg_contract_reader *r, const cJSON *f,
			 const char *path)
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
		if (!cJSON_IsString(type) || !(canon = mlreg_contract_type(type->valuestring))) {
			char *s = cJSON_IsString(type) ? NULL : cJSON_PrintUnformatted(type);
			mlreg_seed_note(r->n, MLREG_SEED_REFUSE, type, p, "'%s' is not a type "
					"Hydrosphere knows (" MLREG_CONTRACT_TYPE_LIST "); its CLI refuses it too",
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
	prof = mlreg_contract_profile(r, cJSON_GetObjectItemCaseSensitive(f, "profile"), f->string
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
static cJSON *read_fields(struct mlreg_contract_reader *r, const cJSON *map,
			  const char *path)
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
static cJSON *read_signature(struct mlreg_contract_reader *r, const cJSON *sig,
			     const char *name, int named_inside, const char *path)
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
int mlreg_contract_single_signature(const cJSON *c)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");

	return cJSON_GetObjectItemCaseSensitive(c, "inputs") ||
	       cJSON_GetObjectItemCaseSensitive(c, "outputs") ||
	       (name && !cJSON_IsObject(name));
}

/* Returns the signatures of a contract mapping (either form), or NULL after a refusal. */
cJSON *mlreg_contract_map(struct mlreg_contract_reader *r, const cJSON *c,
			  const char *path)
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
	if (mlreg_contract_single_signature(c)) {
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
