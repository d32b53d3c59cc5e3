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
 * This file reads the definitions (the layouts above); the signatures in
 * them are read by contract-fields.c, which holds Hydrosphere's type and
 * profile vocabulary, and a contract in protobuf text format by
 * contract-prototxt.c (their shared reader: contract-int.h).
 *
 * Hostile input: the YAML/JSON reader bounds size, depth and nodes
 * (doc.h); the protobuf text reader (contract-prototxt.c) bounds size,
 * depth and fields the same way; paths named by the file are only
 * compared with the version's file list or looked up below the contract's
 * own directory, never followed outside it.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "contract-int.h"
#include "doc.h"
#include "error.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

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
static void check_payload(struct mlreg_contract_reader *r, const cJSON *payload,
			  const char *field)
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
static int want_string(struct mlreg_contract_reader *r, const cJSON *doc,
		       const char *key)
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
static int read_doc(cJSON **sigs, cJSON **info, const cJSON *doc,
		    struct mlreg_contract_reader *r)
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
		layout = contract && cJSON_IsObject(contract) && !mlreg_contract_single_signature(contract)
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
		if (mlreg_contract_binary_name(contract->valuestring)) {
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
			if (mlreg_contract_read_textproto(sigs, r, src, contract->valuestring) < 0)
				bad = 1;
			r->n->file = saved;
		}
		free(src);
	} else if (contract && !cJSON_IsNull(contract)) {
		if (!(*sigs = mlreg_contract_map(r, contract, contract == doc ? "" : model
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

const struct mlreg_entry *mlreg_contract_find(const struct mlreg_entries *e)
{
	const struct mlreg_entry *serving = mlreg_seed_entry(e, "", "serving.yaml");

	return serving ? serving : mlreg_seed_entry(e, "", "serving.yml");
}

int mlreg_contract_read(cJSON **sigs, cJSON **info, const char *path,
			struct mlreg_seed_notes *n, const struct mlreg_contract_files *files)
{
	struct mlreg_contract_reader r = { n, files, NULL };
	struct mlreg_docpos *pos = NULL;
	const struct mlreg_docpos *saved = n->pos;
	cJSON *doc;
	int err;

	*sigs = NULL;
	*info = NULL;
	if (mlreg_contract_binary_name(path)) {
		mlreg_seed_note(n, MLREG_SEED_REFUSE, NULL, NULL, "a binary protobuf contract, "
				"which mlreg does not read: give it in protobuf text format "
				"(.prototxt), YAML or JSON");
		return MLREG_EINVALID;
	}
	if (mlreg_contract_textproto_name(path)) {
		if ((err = mlreg_contract_read_textproto(sigs, &r, path, n->file)) < 0)
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
	struct mlreg_contract_reader r;
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
