/*
 * Oracle ADS model artifacts (seed 003): the introspection checks of ADS's
 * model_artifact_validate.py (ads/model/model_artifact_boilerplate), under
 * the same keys and with the same messages, run on the files without
 * running any of them: score.py is read as text.
 *
 * Where the artifact is: ADS wants runtime.yaml and score.py at the top of
 * the artifact directory.  A directory that holds them one level down
 * (model/score.py) is refused by ADS (its _validate_artifact_dir raises
 * "The required artifact files placed in a nested folder", and its
 * introspection lists only the top level and reports them missing), so
 * mlreg reports the two mandatory checks failed, saying where the files
 * are, instead of passing files it does not recognise.  A zip archive is
 * read as ADS's introspection reads one: members up to one folder deep
 * count, so the same files inside "model/" of a .zip pass (the
 * introspection object then names that folder as its "root").
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

#define TEXT_MAX (16u << 20)	/* largest score.py, runtime.yaml or schema read */

/* Returns 1 when path is "DIR/runtime.yaml" or "DIR/score.py", one level down. */
static int nested_mandatory(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash && slash != path && !strchr(slash + 1, '/') &&
	       (!strcmp(slash + 1, "runtime.yaml") || !strcmp(slash + 1, "score.py"));
}

const char *mlreg_ads_root(const struct mlreg_entries *e, char *buf, size_t n)
{
	size_t i;

	if (mlreg_seed_entry(e, "", "runtime.yaml") || mlreg_seed_entry(e, "", "score.py"))
		return "";
	/*
	 * One folder down, both files must be there (ADS's nested layout): a
	 * lone scripts/score.py is somebody else's file, not an artifact.
	 */
	buf[0] = '\0';
	for (i = 0; i < e->n; i++) {
		const char *p = e->v[i].path, *slash = strchr(p, '/');
		size_t dl = slash ? (size_t)(slash - p) + 1 : 0;
		char dir[4096];
		if (!nested_mandatory(p) || dl >= sizeof(dir) || dl >= n)
			continue;
		memcpy(dir, p, dl);
		dir[dl] = '\0';
		if (!mlreg_seed_entry(e, dir, "runtime.yaml") || !mlreg_seed_entry(e, dir, "score.py"))
			continue;
		if (buf[0] && strcmp(buf, dir))
			return NULL;	/* two such folders: no one artifact */
		memcpy(buf, dir, dl + 1);
	}
	return buf[0] ? buf : NULL;
}

int mlreg_ads_recognise(const struct mlreg_entries *e)
{
	char buf[4096];

	return mlreg_ads_root(e, buf, sizeof(buf)) != NULL;
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

/*
 * Sets a mandatory file's check: passed when found, else ADS's message, and
 * where the file is when it sits in a folder apart from the other one
 * (ADS refuses that structure).
 */
static void missing(cJSON *c, const struct mlreg_entries *e, const struct mlreg_entry *found,
		    const char *name, const char *other)
{
	size_t i;

	if (found) {
		result(c, 1, "%s", "");
		return;
	}
	for (i = 0; i < e->n; i++) {
		const char *p = e->v[i].path, *slash = strchr(p, '/');
		if (nested_mandatory(p) && !strcmp(slash + 1, name)) {
			result(c, 0, "The file '%s' is missing. It is in '%.*s/', a folder apart "
			       "from %s: ADS refuses an artifact whose required files are in "
			       "different folders.", name, (int)(slash - p), p, other);
			return;
		}
	}
	result(c, 0, "The file '%s' is missing.", name);
}

cJSON *mlreg_ads_introspect(const struct mlreg_entries *e)
{
	return mlreg_ads_check(e, 0);
}

cJSON *mlreg_ads_check(const struct mlreg_entries *e, int archive)
{
	char rootbuf[4096];
	const char *root = mlreg_ads_root(e, rootbuf, sizeof(rootbuf));
	int nested = root && *root && !archive;
	cJSON *rep = cJSON_CreateObject(), *checks = cJSON_CreateArray();
	const struct mlreg_entry *score, *rt;
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

	if (!root)
		root = "";
	score = mlreg_seed_entry(e, root, "score.py");
	rt = mlreg_seed_entry(e, root, "runtime.yaml");
	if (nested) {
		/* ADS lists the top level only, and stops after this check */
		result(c_score, 0, "The file 'score.py' is missing.%s%s%s", score ? " It is in '" : "",
		       score ? root : "", score ? "', one level down: ADS wants it at the top "
		       "level of the artifact and refuses a nested folder." : "");
		result(c_rt, 0, "The file 'runtime.yaml' is missing.%s%s%s", rt ? " It is in '" : "",
		       rt ? root : "", rt ? "', one level down: ADS wants it at the top level of "
		       "the artifact and refuses a nested folder." : "");
		score = rt = NULL;
	} else {
		missing(c_score, e, score, "score.py", "runtime.yaml");
		missing(c_rt, e, rt, "runtime.yaml", "score.py");
	}
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
		char *buf = NULL;
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
			int set = mlreg_seed_present(envp);
			result(c_ver, vok, "%s", vok ? "" : "In runtime.yaml, the key "
			       "MODEL_ARTIFACT_VERSION must be set to 3.0.");
			result(c_py, python_version_ok(pyv), "%s", python_version_ok(pyv) ? "" :
			       "In runtime.yaml, the key MODEL_DEPLOYMENT.INFERENCE_PYTHON_VERSION "
			       "must be set to a value of 3.6 or higher.");
			result(c_path, set, "%s", set ? "" : "In runtime.yaml, the key "
			       "MODEL_DEPLOYMENT.INFERENCE_ENV_PATH must have a value.");
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
			const struct mlreg_entry *s = nested ? NULL : mlreg_seed_entry(e, root, names[k]);
			char *buf;
			size_t len;
			cJSON *doc = NULL;
			if (!s) {
				result(cs[k], -1, "%s", nested ? "not tested: the mandatory files "
				       "check failed" : "not present (optional)");
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
	cJSON_ArrayForEach(c, checks) {
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "success")))
			passed = 0;
		else if (nested && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "success")))
			result((cJSON *)c, -1, "not tested: the mandatory files check failed");
	}
	cJSON_AddStringToObject(rep, "artifact", "ads");
	if (*root)
		cJSON_AddStringToObject(rep, "root", root);
	cJSON_AddBoolToObject(rep, "passed", passed);
	cJSON_AddItemToObject(rep, "checks", checks);
	return rep;
}
