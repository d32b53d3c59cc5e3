/*
 * The seed systems' descriptions of a model (see spec.h): validating them
 * against the rules their documents give, and gathering what a set of files
 * says about the version into one object.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "inspect.h"
#include "redact.h"
#include "spec.h"
#include "util.h"

#define TEXT_MAX (16u << 20)	/* largest score.py, runtime.yaml, schema, contract */

/* Returns the first problem's code after recording a formatted problem. */
static int problem(cJSON *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int problem(cJSON *problems, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (problems)
		cJSON_AddItemToArray(problems, cJSON_CreateString(msg));
	return MLREG_EINVALID;
}

/* Returns the node at a dotted path ("serve.serving_container_image"), or NULL. */
static const cJSON *at(const cJSON *doc, const char *path)
{
	char key[128];
	const char *s = path;

	while (doc && *s) {
		size_t n = strcspn(s, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, s, n);
		key[n] = '\0';
		doc = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, key) : NULL;
		s += n;
		if (*s == '.')
			s++;
	}
	return doc;
}

static int present(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	return 1;
}

/* Counts a problem when the dotted path is missing or empty. */
static void need(const cJSON *doc, const char *path, const char *why, cJSON *problems,
		 int *count)
{
	if (!present(at(doc, path))) {
		problem(problems, "'%s' is required%s%s", path, why ? " " : "", why ? why : "");
		(*count)++;
	}
}

static int is_true(const cJSON *v)
{
	return cJSON_IsTrue(v) || (cJSON_IsString(v) && !strcasecmp(v->valuestring, "true"));
}

cJSON *mlreg_mlx_kinds(const cJSON *doc)
{
	cJSON *k = cJSON_CreateArray();

	if (is_true(at(doc, "train.trainable")))
		cJSON_AddItemToArray(k, cJSON_CreateString("trainable"));
	if (is_true(at(doc, "serve.servable")))
		cJSON_AddItemToArray(k, cJSON_CreateString("servable"));
	return k;
}

int mlreg_mlx_validate(const cJSON *doc, const char *what, cJSON *problems)
{
	static const char *const trainable_fields[] = {
		"author.name", "author.email", "framework.runtimes.name",
		"framework.runtimes.version", "train.model_source.initial_model.data_store",
		"train.model_source.initial_model.bucket", "train.model_source.initial_model.path",
		"train.model_training_results.trained_model.data_store",
		"train.model_training_results.trained_model.bucket",
		"train.data_source.training_data.data_store",
		"train.data_source.training_data.bucket", "train.data_source.training_data.path",
		"train.mount_type", "train.execution.command",
		"train.execution.compute_configuration.name",
		"train.execution.compute_configuration.nodes", "data_stores",
	};
	cJSON *local = problems ? NULL : cJSON_CreateArray();
	cJSON *list = problems ? problems : local;
	int before = cJSON_GetArraySize(list), count = 0;
	const cJSON *v;
	size_t i;

	if (!cJSON_IsObject(doc)) {
		problem(list, "the top level must be a mapping");
		count++;
		goto done;
	}
	need(doc, "name", NULL, list, &count);
	if ((v = at(doc, "name")) && !cJSON_IsString(v)) {
		problem(list, "'name' must be a string");
		count++;
	}
	need(doc, "framework.name", NULL, list, &count);
	if ((v = at(doc, "train.trainable")) && !cJSON_IsBool(v)) {
		problem(list, "'train.trainable' must be true or false");
		count++;
	}
	if ((v = at(doc, "serve.servable")) && !cJSON_IsBool(v)) {
		problem(list, "'serve.servable' must be true or false");
		count++;
	}
	if (is_true(at(doc, "train.trainable"))) {
		const cJSON *stores = at(doc, "data_stores"), *s;
		for (i = 0; i < sizeof(trainable_fields) / sizeof(trainable_fields[0]); i++)
			need(doc, trainable_fields[i], "for a trainable model", list, &count);
		if (stores && !cJSON_IsArray(stores)) {
			problem(list, "'data_stores' must be a list");
			count++;
		} else if (stores) {
			static const char *const refs[] = {
				"train.model_source.initial_model.data_store",
				"train.model_training_results.trained_model.data_store",
				"train.data_source.training_data.data_store",
			};
			for (i = 0; i < 3; i++) {
				const cJSON *r = at(doc, refs[i]);
				int found = 0;
				if (!cJSON_IsString(r))
					continue;
				cJSON_ArrayForEach(s, stores)
					if (!strcmp(mlreg_doc_str(s, "name", ""), r->valuestring))
						found = 1;
				if (!found) {
					problem(list, "'%s' names data store '%s', which 'data_stores' "
						"does not define", refs[i], r->valuestring);
					count++;
				}
			}
		}
	}
	if (is_true(at(doc, "serve.servable"))) {
		need(doc, "serve.serving_container_image.container_image_url",
		     "for a servable model", list, &count);
		v = at(doc, "serve.serving_container_image.container_port");
		if (v && !(cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 65535 &&
			   v->valuedouble == (double)(int)v->valuedouble)) {
			problem(list, "'serve.serving_container_image.container_port' must be a "
				"port number (1-65535)");
			count++;
		}
	}
done:
	if (count) {
		const char *first = cJSON_GetArrayItem(list, before)->valuestring;
		mlreg_error_set(MLREG_EINVALID, "invalid MLX model spec '%s': %s%s", what, first,
				count > 1 ? " (and more: run 'mlreg validate')" : "");
	}
	cJSON_Delete(local);
	return count ? MLREG_EINVALID : 0;
}

static const char *const dtypes[] = {
	"half", "float", "double", "bfloat16", "complex64", "complex128", "uint8", "uint16",
	"uint32", "uint64", "int8", "int16", "int32", "int64", "bool", "string", "qint8",
	"quint8", "qint16", "quint16", "resource", "variant", NULL
};
static const char *const profiles[] = { "text", "image", "numerical", NULL };

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static char *join(const char *const *list)
{
	size_t n = 1;
	const char *const *l;
	char *s;

	for (l = list; *l; l++)
		n += strlen(*l) + 2;
	s = xcalloc(1, n);
	for (l = list; *l; l++) {
		if (l != list)
			strcat(s, ", ");
		strcat(s, *l);
	}
	return s;
}

/* Returns a FIELD array for an inputs/outputs mapping, or NULL after recording problems. */
static cJSON *contract_fields(const cJSON *map, const char *sig, const char *dir, cJSON *list)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *f;
	int bad = 0;

	if (!cJSON_IsObject(map) || !map->child) {
		problem(list, "signature '%s': '%s' must map field names to fields", sig, dir);
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(f, map) {
		const cJSON *shape = cJSON_GetObjectItemCaseSensitive(f, "shape");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "type");
		const cJSON *prof = cJSON_GetObjectItemCaseSensitive(f, "profile");
		const cJSON *k, *d;
		cJSON *field, *dims;
		const char *where = dir[0] == 'i' ? "input" : "output";

		if (!cJSON_IsObject(f)) {
			problem(list, "signature '%s' %s '%s': must be a mapping with shape, type "
				"and profile", sig, where, f->string);
			bad = 1;
			continue;
		}
		cJSON_ArrayForEach(k, f)
			if (strcmp(k->string, "shape") && strcmp(k->string, "type") &&
			    strcmp(k->string, "profile")) {
				problem(list, "signature '%s' %s '%s': unknown key '%s' (allowed: "
					"shape, type, profile)", sig, where, f->string, k->string);
				bad = 1;
			}
		if (!cJSON_IsString(type) || !in_list(type->valuestring, dtypes)) {
			char *all = join(dtypes);
			problem(list, "signature '%s' %s '%s': type '%s' is not one of %s", sig,
				where, f->string, cJSON_IsString(type) ? type->valuestring : "(none)",
				all);
			free(all);
			bad = 1;
		}
		dims = cJSON_CreateArray();
		if (cJSON_IsString(shape) && !strcmp(shape->valuestring, "scalar")) {
			/* a scalar: no dimensions */
		} else if (!cJSON_IsArray(shape)) {
			problem(list, "signature '%s' %s '%s': shape must be a list of -1 or "
				"positive integers, or 'scalar'", sig, where, f->string);
			bad = 1;
		} else {
			cJSON_ArrayForEach(d, shape) {
				if (!cJSON_IsNumber(d) || d->valuedouble != (double)(long long)d->valuedouble ||
				    (d->valuedouble < 1 && d->valuedouble != -1)) {
					char *s = cJSON_PrintUnformatted(d);
					problem(list, "signature '%s' %s '%s': shape dimension %s is not "
						"-1 or a positive integer", sig, where, f->string, s);
					cJSON_free(s);
					bad = 1;
					break;
				}
				cJSON_AddItemToArray(dims, cJSON_CreateNumber(d->valuedouble));
			}
		}
		if (prof && (!cJSON_IsString(prof) || !in_list(prof->valuestring, profiles))) {
			problem(list, "signature '%s' %s '%s': profile '%s' is not one of text, "
				"image, numerical", sig, where, f->string,
				cJSON_IsString(prof) ? prof->valuestring : "(not a string)");
			bad = 1;
		}
		field = cJSON_CreateObject();
		cJSON_AddStringToObject(field, "name", f->string);
		cJSON_AddStringToObject(field, "type", cJSON_IsString(type) ? type->valuestring : "");
		cJSON_AddItemToObject(field, "shape", dims);
		if (cJSON_IsString(prof))
			cJSON_AddStringToObject(field, "profile", prof->valuestring);
		cJSON_AddItemToArray(out, field);
	}
	if (bad) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

int mlreg_contract_parse(cJSON **out, cJSON **info, const cJSON *doc, const char *what,
			 cJSON *problems)
{
	cJSON *local = problems ? NULL : cJSON_CreateArray();
	cJSON *list = problems ? problems : local, *sigs = cJSON_CreateArray(), *inf;
	int before = cJSON_GetArraySize(list);
	const cJSON *v, *sig, *p;

	*out = NULL;
	*info = NULL;
	if (!cJSON_IsObject(doc)) {
		problem(list, "the top level must be a mapping");
		goto done;
	}
	cJSON_ArrayForEach(v, doc)
		if (strcmp(v->string, "kind") && strcmp(v->string, "name") &&
		    strcmp(v->string, "model-type") && strcmp(v->string, "payload") &&
		    strcmp(v->string, "contract") && strcmp(v->string, "runtime") &&
		    strcmp(v->string, "install-command") && strcmp(v->string, "training-data") &&
		    strcmp(v->string, "metadata"))
			problem(list, "unknown key '%s' (allowed: kind, name, model-type, payload, "
				"contract, runtime, install-command, training-data, metadata)",
				v->string);
	v = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if (v && !(cJSON_IsString(v) && !strcmp(v->valuestring, "Model")))
		problem(list, "kind must be 'Model'");
	v = cJSON_GetObjectItemCaseSensitive(doc, "name");
	if (v && !cJSON_IsString(v))
		problem(list, "name must be a string");
	v = cJSON_GetObjectItemCaseSensitive(doc, "model-type");
	if (v) {
		const char *s = cJSON_IsString(v) ? v->valuestring : "";
		const char *colon = strchr(s, ':');
		if (!colon || colon == s || !colon[1] || strchr(colon + 1, ':'))
			problem(list, "model-type '%s' must be framework:version (e.g. "
				"tensorflow:1.8.0)", s);
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "payload");
	if (v) {
		int ok = cJSON_IsArray(v);
		cJSON_ArrayForEach(p, v)
			ok = ok && cJSON_IsString(p);
		if (!ok)
			problem(list, "payload must be a list of paths");
	}
	v = cJSON_GetObjectItemCaseSensitive(doc, "contract");
	if (!cJSON_IsObject(v) || !v->child) {
		problem(list, "contract must map signature names to signatures");
		goto done;
	}
	cJSON_ArrayForEach(sig, v) {
		cJSON *s, *in, *outs;
		const cJSON *k;
		if (!cJSON_IsObject(sig)) {
			problem(list, "signature '%s' must be a mapping with inputs and outputs",
				sig->string);
			continue;
		}
		cJSON_ArrayForEach(k, sig)
			if (strcmp(k->string, "inputs") && strcmp(k->string, "outputs"))
				problem(list, "signature '%s': unknown key '%s' (allowed: inputs, "
					"outputs)", sig->string, k->string);
		in = contract_fields(cJSON_GetObjectItemCaseSensitive(sig, "inputs"), sig->string,
				     "inputs", list);
		outs = contract_fields(cJSON_GetObjectItemCaseSensitive(sig, "outputs"),
				       sig->string, "outputs", list);
		if (!in || !outs) {
			cJSON_Delete(in);
			cJSON_Delete(outs);
			continue;
		}
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", sig->string);
		cJSON_AddItemToObject(s, "inputs", in);
		cJSON_AddItemToObject(s, "outputs", outs);
		cJSON_AddItemToArray(sigs, s);
	}
done:
	if (cJSON_GetArraySize(list) > before) {
		const char *first = cJSON_GetArrayItem(list, before)->valuestring;
		mlreg_error_set(MLREG_EINVALID, "invalid contract '%s': %s", what, first);
		cJSON_Delete(sigs);
		cJSON_Delete(local);
		return MLREG_EINVALID;
	}
	inf = cJSON_CreateObject();
	cJSON_AddStringToObject(inf, "kind", mlreg_doc_str(doc, "kind", "Model"));
	if (mlreg_doc_str(doc, "name", NULL))
		cJSON_AddStringToObject(inf, "name", mlreg_doc_str(doc, "name", ""));
	if (mlreg_doc_str(doc, "model-type", NULL))
		cJSON_AddStringToObject(inf, "model_type", mlreg_doc_str(doc, "model-type", ""));
	if ((v = cJSON_GetObjectItemCaseSensitive(doc, "payload")))
		cJSON_AddItemToObject(inf, "payload", cJSON_Duplicate(v, 1));
	*out = sigs;
	*info = inf;
	cJSON_Delete(local);
	return 0;
}

/* Returns the entry at relative path rel, or NULL. */
static const struct mlreg_entry *entry(const struct mlreg_entries *e, const char *rel)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].path, rel))
			return &e->v[i];
	return NULL;
}

int mlreg_ads_recognise(const struct mlreg_entries *e)
{
	return entry(e, "runtime.yaml") || entry(e, "score.py");
}

static cJSON *check(cJSON *checks, const char *key, const char *category, const char *desc)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "key", key);
	cJSON_AddStringToObject(c, "category", category);
	cJSON_AddStringToObject(c, "description", desc);
	cJSON_AddNullToObject(c, "success");
	cJSON_AddStringToObject(c, "message", "");
	cJSON_AddItemToArray(checks, c);
	return c;
}

/* Sets a check's result: 1 passed, 0 failed, -1 not tested; msg explains. */
static void result(cJSON *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void result(cJSON *c, int ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_ReplaceItemInObjectCaseSensitive(c, "success", ok < 0 ? cJSON_CreateNull()
							       : cJSON_CreateBool(ok));
	cJSON_ReplaceItemInObjectCaseSensitive(c, "message", cJSON_CreateString(msg));
}

/* What reading score.py as text found. */
struct pyscan {
	int syntax_ok;		/* strings and brackets balance */
	char syntax_msg[160];
	int has_load_model, has_predict;
	char predict_first[64];	/* first positional parameter of predict() */
	int predict_args, predict_defaults;
};

/*
 * Scans Python source without running it: strings, comments and brackets
 * are tracked so that only top-level "def NAME(" lines count, and
 * predict()'s positional parameters and defaults are counted as ADS's
 * ast-based check does (parameters after '*' or '*args' are keyword-only).
 */
static void scan_python(const char *s, size_t len, struct pyscan *r)
{
	char stack[256];
	int depth = 0, line = 1, bol = 1;
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	r->syntax_ok = 1;
	while (i < len) {
		char c = s[i];
		if (bol && depth == 0 && (c != ' ' && c != '\t' && c != '\n' && c != '#')) {
			const char *p = s + i;
			size_t left = len - i;
			if (left > 6 && !strncmp(p, "async ", 6)) {
				p += 6;
				left -= 6;
			}
			if (left > 4 && !strncmp(p, "def ", 4)) {
				const char *n = p + 4;
				size_t k = 0;
				while (n + k < s + len && (isalnum((unsigned char)n[k]) || n[k] == '_'))
					k++;
				if (k == 10 && !strncmp(n, "load_model", 10))
					r->has_load_model = 1;
				if (k == 7 && !strncmp(n, "predict", 7)) {
					/* count its parameters up to the matching ')' */
					const char *q = n + k, *end = s + len;
					int d = 0, kwonly = 0, param_chars = 0, has_default = 0, idx = 0;
					while (q < end && *q == ' ')
						q++;
					r->has_predict = 1;
					if (q < end && *q == '(') {
						const char *ps = ++q;
						for (; q <= end; q++) {
							char ch = q < end ? *q : ')';
							if (d == 0 && (ch == ',' || ch == ')')) {
								char name[64];
								size_t nl = 0;
								const char *t = ps;
								while (t < q && isspace((unsigned char)*t))
									t++;
								while (t < q && nl < sizeof(name) - 1 &&
								       (isalnum((unsigned char)*t) || *t == '_' || *t == '*' || *t == '/'))
									name[nl++] = *t++;
								name[nl] = '\0';
								if (param_chars && nl) {
									if (name[0] == '*') {
										kwonly = 1;
									} else if (strcmp(name, "/") && !kwonly) {
										if (idx++ == 0)
											snprintf(r->predict_first, sizeof(r->predict_first), "%s", name);
										r->predict_args++;
										r->predict_defaults += has_default;
									}
								}
								param_chars = has_default = 0;
								ps = q + 1;
								if (ch == ')')
									break;
								continue;
							}
							if (ch == '(' || ch == '[' || ch == '{')
								d++;
							else if (ch == ')' || ch == ']' || ch == '}')
								d--;
							else if (ch == '=' && d == 0 && q + 1 < end && q[1] != '=' &&
								 q > ps && q[-1] != '=' && q[-1] != '!' && q[-1] != '<' && q[-1] != '>')
								has_default = 1;
							if (!isspace((unsigned char)ch))
								param_chars = 1;
						}
					}
				}
			}
		}
		bol = 0;
		if (c == '\n') {
			line++;
			bol = 1;
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < len) {	/* line continuation or escape outside strings */
			if (s[i + 1] == '\n')
				line++;
			i += 2;
			continue;
		}
		if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '"' || c == '\'') {
			int triple = i + 2 < len && s[i + 1] == c && s[i + 2] == c;
			int start = line;
			size_t j = i + (triple ? 3 : 1);
			int closed = 0;
			while (j < len) {
				if (s[j] == '\\' && j + 1 < len) {
					if (s[j + 1] == '\n')
						line++;
					j += 2;
					continue;
				}
				if (s[j] == '\n') {
					if (!triple)
						break;
					line++;
				}
				if (s[j] == c && (!triple || (j + 2 < len && s[j + 1] == c && s[j + 2] == c))) {
					j += triple ? 3 : 1;
					closed = 1;
					break;
				}
				j++;
			}
			if (!closed && r->syntax_ok) {
				r->syntax_ok = 0;
				snprintf(r->syntax_msg, sizeof(r->syntax_msg),
					 "unterminated string starting at line %d", start);
			}
			i = j;
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			if (depth >= (int)sizeof(stack)) {
				if (r->syntax_ok) {
					r->syntax_ok = 0;
					snprintf(r->syntax_msg, sizeof(r->syntax_msg),
						 "brackets nested too deeply at line %d", line);
				}
			} else {
				stack[depth] = c;
			}
			depth++;
		} else if (c == ')' || c == ']' || c == '}') {
			char want = c == ')' ? '(' : c == ']' ? '[' : '{';
			if (depth == 0 || (depth <= (int)sizeof(stack) && stack[depth - 1] != want)) {
				if (r->syntax_ok) {
					r->syntax_ok = 0;
					snprintf(r->syntax_msg, sizeof(r->syntax_msg),
						 "unmatched '%c' at line %d", c, line);
				}
			}
			if (depth > 0)
				depth--;
		}
		i++;
	}
	if (depth > 0 && r->syntax_ok) {
		r->syntax_ok = 0;
		snprintf(r->syntax_msg, sizeof(r->syntax_msg), "%d bracket(s) never closed", depth);
	}
}

/* Finds a key anywhere below doc (ADS searches MODEL_DEPLOYMENT recursively). */
static const cJSON *find_key(const cJSON *doc, const char *key, int depth)
{
	const cJSON *c, *r;

	if (depth > 16 || !cJSON_IsObject(doc))
		return NULL;
	cJSON_ArrayForEach(c, doc) {
		if (!strcmp(c->string, key))
			return c;
		if ((r = find_key(c, key, depth + 1)))
			return r;
	}
	return NULL;
}

static int python_version_ok(const cJSON *v)
{
	char buf[32];
	int major = 0, minor = 0, n = 0;

	if (cJSON_IsNumber(v))
		snprintf(buf, sizeof(buf), "%g", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else
		return 0;
	if (sscanf(buf, "%d.%d%n", &major, &minor, &n) < 2)
		return 0;
	if (buf[n] && !(buf[n] == '.' && isdigit((unsigned char)buf[n + 1])))
		return 0;
	return major == 3 && minor >= 6;
}

cJSON *mlreg_ads_introspect(const struct mlreg_entries *e)
{
	cJSON *rep = cJSON_CreateObject(), *checks = cJSON_CreateArray();
	const struct mlreg_entry *score = entry(e, "score.py"), *rt = entry(e, "runtime.yaml");
	cJSON *c_score = check(checks, "score_py", "Mandatory Files Check",
		"Check that the file \"score.py\" exists and is in the top level directory of the artifact directory");
	cJSON *c_rt = check(checks, "runtime_yaml", "Mandatory Files Check",
		"Check that the file \"runtime.yaml\" exists and is in the top level directory of the artifact directory");
	cJSON *c_syn = check(checks, "score_syntax", "score.py",
		"Check for Python syntax errors (strings and brackets, read as text)");
	cJSON *c_load = check(checks, "score_load_model", "score.py", "Check that load_model() is defined");
	cJSON *c_pred = check(checks, "score_predict", "score.py", "Check that predict() is defined");
	cJSON *c_data = check(checks, "score_predict_data", "score.py",
		"Check that the only required argument for predict() is named \"data\"");
	cJSON *c_arg = check(checks, "score_predict_arg", "score.py",
		"Check that all other arguments in predict() are optional and have default values");
	cJSON *c_ver = check(checks, "runtime_version", "runtime.yaml",
		"Check that field MODEL_ARTIFACT_VERSION is set to 3.0");
	cJSON *c_py = check(checks, "runtime_env_python", "conda_env",
		"Check that field MODEL_DEPLOYMENT.INFERENCE_PYTHON_VERSION is set to a value of 3.6 or higher");
	cJSON *c_path = check(checks, "runtime_env_path", "conda_env",
		"Check that field MODEL_DEPLOYMENT.INFERENCE_ENV_PATH is set");
	cJSON *c_exist = check(checks, "runtime_path_exist", "conda_env",
		"Check that the file path in MODEL_DEPLOYMENT.INFERENCE_ENV_PATH is correct");
	cJSON *c_in = check(checks, "input_schema", "schema", "Check that input_schema.json is valid JSON");
	cJSON *c_out = check(checks, "output_schema", "schema", "Check that output_schema.json is valid JSON");
	const cJSON *c;
	int passed = 1;

	result(c_score, score != NULL, "%s", score ? "" : "The file 'score.py' is missing.");
	result(c_rt, rt != NULL, "%s", rt ? "" : "The file 'runtime.yaml' is missing.");
	if (score) {
		char *buf;
		size_t len;
		struct pyscan ps;
		if (mlreg_fs_read_file(&buf, &len, score->src, TEXT_MAX, "score.py") < 0) {
			result(c_syn, 0, "cannot read score.py: %s", mlreg_error_message());
		} else {
			scan_python(buf, len, &ps);
			free(buf);
			result(c_syn, ps.syntax_ok, "%s%s", ps.syntax_ok ? "" :
			       "There is Syntax error in score.py: ", ps.syntax_msg);
			result(c_load, ps.has_load_model, "%s", ps.has_load_model ? "" :
			       "Function load_model is not present in score.py.");
			result(c_pred, ps.has_predict, "%s", ps.has_predict ? "" :
			       "Function predict is not present in score.py.");
			if (ps.has_predict) {
				int data = !strcmp(ps.predict_first, "data");
				result(c_data, data, "%s", data ? "" : "The predict function in score.py "
				       "must have a formal argument named 'data'.");
				if (data)
					result(c_arg, ps.predict_defaults == ps.predict_args - 1, "%s",
					       ps.predict_defaults == ps.predict_args - 1 ? "" :
					       "All formal arguments in the predict function must have "
					       "default values, except that 'data' argument.");
			}
		}
	}
	if (rt) {
		char *buf;
		size_t len;
		cJSON *doc = NULL;
		if (mlreg_fs_read_file(&buf, &len, rt->src, TEXT_MAX, "runtime.yaml") < 0 ||
		    mlreg_doc_parse(&doc, buf, len, "runtime.yaml") < 0 || !cJSON_IsObject(doc)) {
			result(c_ver, 0, "runtime.yaml is not valid: %s", mlreg_error_message());
		} else {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "MODEL_ARTIFACT_VERSION");
			const cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "MODEL_DEPLOYMENT");
			const cJSON *pyv = find_key(md, "INFERENCE_PYTHON_VERSION", 0);
			const cJSON *envp = find_key(md, "INFERENCE_ENV_PATH", 0);
			int vok = (cJSON_IsString(v) && !strcmp(v->valuestring, "3.0")) ||
				  (cJSON_IsNumber(v) && v->valuedouble == 3.0);
			result(c_ver, vok, "%s", vok ? "" : "In runtime.yaml, the key "
			       "MODEL_ARTIFACT_VERSION must be set to 3.0.");
			result(c_py, python_version_ok(pyv), "%s", python_version_ok(pyv) ? "" :
			       "In runtime.yaml, the key MODEL_DEPLOYMENT.INFERENCE_PYTHON_VERSION "
			       "must be set to a value of 3.6 or higher.");
			result(c_path, present(envp), "%s", present(envp) ? "" : "In runtime.yaml, "
			       "the key MODEL_DEPLOYMENT.INFERENCE_ENV_PATH must have a value.");
			result(c_exist, -1, "not tested: mlreg works offline and does not reach "
			       "the object storage that INFERENCE_ENV_PATH names");
		}
		if (buf)
			free(buf);
		cJSON_Delete(doc);
	}
	{
		const char *names[2] = { "input_schema.json", "output_schema.json" };
		cJSON *cs[2] = { c_in, c_out };
		int k;
		for (k = 0; k < 2; k++) {
			const struct mlreg_entry *s = entry(e, names[k]);
			char *buf;
			size_t len;
			cJSON *doc = NULL;
			if (!s) {
				result(cs[k], -1, "not present (optional)");
				continue;
			}
			if (mlreg_fs_read_file(&buf, &len, s->src, TEXT_MAX, names[k]) < 0) {
				result(cs[k], 0, "%s", mlreg_error_message());
				continue;
			}
			if (mlreg_doc_parse(&doc, buf, len, names[k]) < 0 || !cJSON_IsObject(doc) ||
			    buf[strspn(buf, " \t\r\n")] != '{')
				result(cs[k], 0, "%s is not a valid JSON object", names[k]);
			else
				result(cs[k], 1, "%s", "");
			cJSON_Delete(doc);
			free(buf);
		}
	}
	cJSON_ArrayForEach(c, checks)
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "success")))
			passed = 0;
	cJSON_AddStringToObject(rep, "artifact", "ads");
	cJSON_AddBoolToObject(rep, "passed", passed);
	cJSON_AddItemToObject(rep, "checks", checks);
	return rep;
}

cJSON *mlreg_framework_from_string(const char *s, int dash_version)
{
	cJSON *f = cJSON_CreateObject();
	const char *sep = strchr(s, ':');
	size_t i;

	if (!sep && dash_version) {
		/* Determined writes "tensorflow-1.14.0", "torch-1.7.1" */
		for (i = strlen(s); i > 0; i--)
			if (s[i - 1] == '-' && isdigit((unsigned char)s[i])) {
				sep = s + i - 1;
				break;
			}
	}
	if (sep) {
		char *n = xstrndup(s, (size_t)(sep - s));
		cJSON_AddStringToObject(f, "name", n);
		free(n);
		if (sep[1])
			cJSON_AddStringToObject(f, "version", sep + 1);
		else
			cJSON_AddNullToObject(f, "version");
	} else {
		cJSON_AddStringToObject(f, "name", s);
		cJSON_AddNullToObject(f, "version");
	}
	return f;
}

/* Returns the Determined checkpoint object of metadata.json, or NULL when it is not one. */
static cJSON *checkpoint(const struct mlreg_entry *m, void (*warn)(void *, const char *),
			 void *ctx)
{
	static const char *const map[][2] = {
		{ "uuid", "uuid" }, { "batchNumber", "batch_number" },
		{ "batch_number", "batch_number" }, { "steps_completed", "batch_number" },
		{ "format", "format" }, { "experimentId", "experiment_id" },
		{ "experiment_id", "experiment_id" }, { "trialId", "trial_id" },
		{ "trial_id", "trial_id" }, { "determined_version", "determined_version" },
		{ "hparams", "hparams" }, { "metrics", "metrics" },
		{ "validation_metrics", "metrics" }, { "framework", "framework" },
	};
	cJSON *doc = NULL, *out = NULL;
	char *buf;
	size_t len, i;
	int hits = 0;

	if (mlreg_fs_read_file(&buf, &len, m->src, TEXT_MAX, "metadata.json") < 0)
		return NULL;
	if (mlreg_doc_parse(&doc, buf, len, "metadata.json") < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "metadata.json is not a Determined checkpoint: %s",
			 mlreg_error_message());
		if (warn)
			warn(ctx, msg);
		free(buf);
		return NULL;
	}
	free(buf);
	if (cJSON_IsObject(doc)) {
		out = cJSON_CreateObject();
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, map[i][0]);
			if (!v || cJSON_GetObjectItemCaseSensitive(out, map[i][1]))
				continue;
			if ((!strcmp(map[i][1], "hparams") || !strcmp(map[i][1], "metrics")) &&
			    !cJSON_IsObject(v))
				continue;
			if (!strcmp(map[i][1], "framework") && cJSON_IsString(v)) {
				cJSON_AddItemToObject(out, "framework",
						      mlreg_framework_from_string(v->valuestring, 1));
				cJSON_AddStringToObject(out, "framework_string", v->valuestring);
			} else {
				cJSON_AddItemToObject(out, map[i][1], cJSON_Duplicate(v, 1));
			}
			hits++;
		}
	}
	cJSON_Delete(doc);
	/* A checkpoint names itself (uuid, batch, Determined's version), or
	 * gives both a framework and a format: a metadata.json with only
	 * "format" or "metrics" is somebody else's file. */
	if (!out || !(cJSON_GetObjectItemCaseSensitive(out, "uuid") ||
		      cJSON_GetObjectItemCaseSensitive(out, "batch_number") ||
		      cJSON_GetObjectItemCaseSensitive(out, "determined_version") ||
		      (cJSON_GetObjectItemCaseSensitive(out, "framework") &&
		       cJSON_GetObjectItemCaseSensitive(out, "format")))) {
		cJSON_Delete(out);
		return NULL;
	}
	(void)hits;
	return out;
}

static void warnf(const struct mlreg_understand_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(const struct mlreg_understand_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o || !o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->ctx, msg);
}

/* Returns 0 and the parsed contract (signatures + info) of a file, or an error. */
static int read_contract(cJSON **sigs, cJSON **info, const char *path, const char *shown,
			 cJSON *problems)
{
	cJSON *doc;
	int err = mlreg_doc_parse_file(&doc, path);

	*sigs = *info = NULL;
	if (err < 0) {
		if (problems)
			problem(problems, "%s", mlreg_error_message());
		return err;
	}
	err = mlreg_contract_parse(sigs, info, doc, shown, problems);
	cJSON_Delete(doc);
	if (!err)
		cJSON_AddStringToObject(*info, "file", shown);
	return err;
}

/* Returns 0 and the stored form of an MLX spec file, or an error. */
static int read_spec(cJSON **out, const char *path, const struct mlreg_understand_opts *o,
		     cJSON *problems)
{
	cJSON *doc;
	const char *base = strrchr(path, '/');
	int err = mlreg_doc_parse_file(&doc, path), n;

	*out = NULL;
	if (err < 0) {
		if (problems)
			problem(problems, "%s", mlreg_error_message());
		return err;
	}
	if ((err = mlreg_mlx_validate(doc, path, problems)) < 0) {
		cJSON_Delete(doc);
		return err;
	}
	if ((n = mlreg_redact_doc(doc)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, path);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "kind", "mlx");
	cJSON_AddItemToObject(*out, "types", mlreg_mlx_kinds(doc));
	cJSON_AddStringToObject(*out, "file", base ? base + 1 : path);
	cJSON_AddItemToObject(*out, "document", doc);
	return 0;
}

/* Returns the array of inspections of the files (warnings go to o). */
static cJSON *inspect_all(const struct mlreg_entries *e, const struct mlreg_understand_opts *o,
			  cJSON *problems)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < e->n; i++) {
		cJSON *r = NULL, *w, *out;
		const cJSON *item;
		if (mlreg_inspect_path(&r, e->v[i].src, e->v[i].path) < 0) {
			warnf(o, "'%s' was not inspected: %s", e->v[i].path, mlreg_error_message());
			if (problems)
				problem(problems, "'%s': %s", e->v[i].path, mlreg_error_message());
			continue;
		}
		if (!r)
			continue;
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "path", e->v[i].path);
		cJSON_ArrayForEach(item, r)
			cJSON_AddItemToObject(out, item->string, cJSON_Duplicate(item, 1));
		cJSON_Delete(r);
		w = cJSON_GetObjectItemCaseSensitive(out, "warnings");
		cJSON_ArrayForEach(item, w)
			if (cJSON_IsString(item))
				warnf(o, "'%s': %s", e->v[i].path, item->valuestring);
		cJSON_AddItemToArray(arr, out);
	}
	return arr;
}

int mlreg_understand(cJSON **out, const struct mlreg_entries *e,
		     const struct mlreg_understand_opts *o)
{
	const struct mlreg_entry *serving = entry(e, "serving.yaml"), *meta = entry(e, "metadata.json");
	cJSON *u = cJSON_CreateObject(), *arts, *sigs = NULL, *info = NULL, *spec = NULL, *cp;
	cJSON *framework = NULL;
	const cJSON *a;
	int err, n;

	*out = NULL;
	if (o->spec_file && (err = read_spec(&spec, o->spec_file, o, NULL)) < 0)
		goto fail;
	if (o->contract_file) {
		const char *base = strrchr(o->contract_file, '/');
		if ((err = read_contract(&sigs, &info, o->contract_file,
					 base ? base + 1 : o->contract_file, NULL)) < 0)
			goto fail;
		cJSON_AddStringToObject(info, "source", "contract");
	} else if (serving) {
		if ((err = read_contract(&sigs, &info, serving->src, "serving.yaml", NULL)) < 0)
			goto fail;
		cJSON_AddStringToObject(info, "source", "contract");
	}
	arts = inspect_all(e, o, NULL);
	cJSON_AddItemToObject(u, "artifacts", arts);
	if (!sigs) {
		cJSON_ArrayForEach(a, arts) {
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(a, "signatures"), *x;
			if (cJSON_GetArraySize(s) > 0) {
				sigs = cJSON_Duplicate(s, 1);
				cJSON_ArrayForEach(x, sigs)
					cJSON_AddBoolToObject((cJSON *)x, "inferred", 1);
				info = cJSON_CreateObject();
				cJSON_AddStringToObject(info, "source", "inferred");
				cJSON_AddStringToObject(info, "file", mlreg_doc_str(a, "path", ""));
				break;
			}
		}
	}
	cJSON_AddItemToObject(u, "signatures", sigs ? sigs : cJSON_CreateArray());
	cJSON_AddItemToObject(u, "contract", info ? info : cJSON_CreateNull());
	cJSON_AddItemToObject(u, "spec", spec ? spec : cJSON_CreateNull());
	if (mlreg_ads_recognise(e)) {
		cJSON *rep = mlreg_ads_introspect(e);
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "passed"))) {
			int failed = 0;
			cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(rep, "checks"))
				failed += cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "success"));
			warnf(o, "ADS artifact introspection: %d check(s) failed "
			      "(see 'mlreg validate')", failed);
		}
		cJSON_AddItemToObject(u, "introspection", rep);
	} else {
		cJSON_AddNullToObject(u, "introspection");
	}
	cp = meta ? checkpoint(meta, o->warn, o->ctx) : NULL;
	/* What the contract and checkpoint keep is redacted as a spec is (redact.h). */
	if ((n = mlreg_redact_doc(info)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, mlreg_doc_str(info, "file", ""));
	if ((n = mlreg_redact_doc(cp)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, "metadata.json");
	cJSON_AddItemToObject(u, "checkpoint", cp ? cp : cJSON_CreateNull());

	/* The framework, most explicit source first (--framework is the caller's). */
	if (info && mlreg_doc_str(info, "model_type", NULL))
		framework = mlreg_framework_from_string(mlreg_doc_str(info, "model_type", ""), 0);
	else if (spec && mlreg_doc_str(at(cJSON_GetObjectItemCaseSensitive(spec, "document"),
					  "framework"), "name", NULL)) {
		const cJSON *fw = at(cJSON_GetObjectItemCaseSensitive(spec, "document"), "framework");
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(fw, "version");
		framework = cJSON_CreateObject();
		cJSON_AddStringToObject(framework, "name", mlreg_doc_str(fw, "name", ""));
		if (cJSON_IsString(ver))
			cJSON_AddStringToObject(framework, "version", ver->valuestring);
		else if (cJSON_IsNumber(ver)) {
			char b[32];
			snprintf(b, sizeof(b), "%g", ver->valuedouble);
			cJSON_AddStringToObject(framework, "version", b);
		} else
			cJSON_AddNullToObject(framework, "version");
	} else if (cp && cJSON_GetObjectItemCaseSensitive(cp, "framework"))
		framework = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cp, "framework"), 1);
	else
		cJSON_ArrayForEach(a, arts) {
			const char *fw = mlreg_doc_str(a, "framework", NULL);
			const cJSON *det = cJSON_GetObjectItemCaseSensitive(a, "details");
			const char *ver = NULL;
			if (!fw)
				continue;
			/* the version, where the file records the framework's */
			if (!strcmp(fw, "tensorflow"))
				ver = mlreg_doc_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
					det, "meta_graphs"), 0), "tensorflow_version", NULL);
			else if (!strcmp(fw, "keras"))
				ver = mlreg_doc_str(det, "keras_version", NULL);
			framework = mlreg_framework_from_string(fw, 0);
			if (ver && *ver)
				cJSON_ReplaceItemInObjectCaseSensitive(framework, "version",
								       cJSON_CreateString(ver));
			break;
		}
	cJSON_AddItemToObject(u, "framework", framework ? framework : cJSON_CreateNull());
	*out = u;
	return 0;
fail:
	cJSON_Delete(u);
	cJSON_Delete(sigs);
	cJSON_Delete(info);
	cJSON_Delete(spec);
	return err;
}

cJSON *mlreg_validate_files(const struct mlreg_entries *e, const char *spec_file,
			    const char *contract_file)
{
	cJSON *rep = cJSON_CreateObject(), *problems = cJSON_CreateArray(), *x, *y;
	const struct mlreg_entry *serving = entry(e, "serving.yaml");
	struct mlreg_understand_opts o = { 0 };
	const cJSON *c;

	if (spec_file && read_spec(&x, spec_file, &o, problems) == 0) {
		cJSON_AddItemToObject(rep, "spec", x);
	}
	if (contract_file || serving) {
		const char *shown = contract_file ? contract_file : "serving.yaml";
		if (read_contract(&x, &y, contract_file ? contract_file : serving->src, shown,
				  problems) == 0) {
			cJSON_AddItemToObject(rep, "signatures", x);
			cJSON_AddItemToObject(rep, "contract", y);
		}
	}
	cJSON_AddItemToObject(rep, "artifacts", inspect_all(e, NULL, problems));
	if (mlreg_ads_recognise(e)) {
		x = mlreg_ads_introspect(e);
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(x, "checks"))
			if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "success")))
				problem(problems, "ADS check %s failed: %s", mlreg_doc_str(c, "key", ""),
					mlreg_doc_str(c, "message", ""));
		cJSON_AddItemToObject(rep, "introspection", x);
	}
	cJSON_AddBoolToObject(rep, "ok", cJSON_GetArraySize(problems) == 0);
	cJSON_AddItemToObject(rep, "problems", problems);
	return rep;
}
