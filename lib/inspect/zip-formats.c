/*
 * Zip-based model formats, told apart by their members (lib/inspect/zip.c reads
 * the archive), tried in this order (zip_formats[] at the end):
 *   Keras 3 .keras     config.json, metadata.json, model.weights.h5
 *   PyTorch zip        <dir>/data.pkl beside <dir>/version (or .data/version,
 *                      or byteorder), tensors under <dir>/data/, TorchScript
 *                      code under <dir>/code/
 *   NumPy .npz         only *.npy members
 * Any other zip is not a model: *out is NULL.
 *
 * For Keras, config.json (the model's get_config(), as JSON) gives the
 * signature: the input layers' batch shapes and dtypes and, where the
 * output layers' shapes follow from what the config says (a Dense layer's
 * units, shape-keeping layers, Flatten, Reshape), the outputs; when they
 * do not, outputs is [].  For PyTorch, data.pkl's opcodes are walked as
 * lib/inspect/pickle.c walks any pickle, never loaded.  For npz, only each
 * member's .npy header is read (a deflated member is inflated just that
 * far).  Members read whole are capped (16 MiB for a config).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"
#include "zip.h"

#define MAX_CONFIG (16u << 20)		/* config.json bytes */
#define MAX_METADATA (1u << 20)		/* metadata.json bytes */
#define MAX_PICKLE (16u << 20)		/* data.pkl bytes walked */
#define NPY_HEAD (65536 + 16)		/* bytes read of an npz member */
#define MAX_ARRAYS 1000			/* npz arrays listed */
#define MAX_DIMS 64			/* dimensions of a Keras shape */
#define MAX_LAYERS 100000		/* Keras layers looked at */
#define MAX_ENDPOINTS 1000		/* Keras model inputs and outputs */

/* A Keras shape: dims, -1 unknown; n < 0 when the shape itself is unknown. */
struct shape {
	int64_t d[MAX_DIMS];
	int n;
};

/* Returns 1 when s ends with suffix. */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Returns 1 when s starts with prefix. */
static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Returns the string member key of object o, or NULL. */
static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * Returns 0 and member name of zip parsed as JSON in *json (NULL when the
 * archive has no such member); MLREG_EINVALID when it is too large or not
 * JSON.
 */
static int read_json(cJSON **json, const struct mlreg_zip *zip,
		     const char *name, size_t max)
{
	const struct mlreg_zip_entry *e = mlreg_zip_find(zip, name);
	unsigned char *buf;
	size_t len;
	int err;

	*json = NULL;
	if (!e)
		return 0;
	if ((err = mlreg_zip_read(&buf, &len, zip, e, max)) < 0)
		return err;
	*json = cJSON_ParseWithLength((const char *)buf, len);
	free(buf);
	if (!*json)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s': zip member '%s' is not JSON",
				       zip->src->name, name);
	return 0;
}

/* Returns our type for a Keras dtype or dtype policy (string or object). */
static const char *keras_type(const cJSON *dtype)
{
	static const struct {
		const char *keras, *type;
	} table[] = {
		{ "float16", "half" },	      { "float32", "float" },
		{ "float64", "double" },      { "bfloat16", "bfloat16" },
		{ "int8", "int8" },	      { "int16", "int16" },
		{ "int32", "int32" },	      { "int64", "int64" },
		{ "uint8", "uint8" },	      { "uint16", "uint16" },
		{ "uint32", "uint32" },	      { "uint64", "uint64" },
		{ "bool", "bool" },	      { "string", "string" },
		{ "complex64", "complex64" }, { "complex128", "complex128" },
		{ "mixed_float16", "half" },  { "mixed_bfloat16", "bfloat16" },
	};
	const char *name = NULL;
	size_t i;

	if (cJSON_IsString(dtype))
		name = dtype->valuestring;
	else if (cJSON_IsObject(
			 dtype)) /* a DTypePolicy: {"config": {"name"}} */
		name = get_str(
			cJSON_GetObjectItemCaseSensitive(dtype, "config"),
			"name");
	if (!name)
		return "float";	/* Keras's default */
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(name, table[i].keras))
			return table[i].type;
	return name;
}

/* Reads a JSON shape (null: unknown dim) into *s; s->n = -1 if none. */
static void read_shape(struct shape *s, const cJSON *a)
{
	const cJSON *d;

	s->n = -1;
	if (!cJSON_IsArray(a))
		return;
	s->n = 0;
	cJSON_ArrayForEach(d, a) {
		if (s->n >= MAX_DIMS) {
			s->n = -1;
			return;
		}
		s->d[s->n++] = cJSON_IsNumber(d) && d->valuedouble >= 0 &&
					       d->valuedouble < 9.0e15
				       ? (int64_t)d->valuedouble
				       : -1;
	}
}

/* Returns the name of Keras layer l (its "name", or its config's). */
static const char *layer_name(const cJSON *l)
{
	const char *n = get_str(l, "name");

	return n ? n
		 : get_str(cJSON_GetObjectItemCaseSensitive(l, "config"),
			   "name");
}

/* Returns the layer named name in the array layers, or NULL. */
static const cJSON *find_layer(const cJSON *layers, const char *name)
{
	const cJSON *l;
	int n = 0;

	cJSON_ArrayForEach(l, layers) {
		const char *ln = layer_name(l);
		if (++n > MAX_LAYERS)
			break;
		if (ln && !strcmp(ln, name))
			return l;
	}
	return NULL;
}

/*
 * Returns 1 after applying layer l to the input shape s (in place) when
 * its output shape follows from its config; 0 when it does not.
 */
static int apply_layer(struct shape *s, const cJSON *l)
{
	static const char *const same[] = {
		"Dropout",
		"Activation",
		"BatchNormalization",
		"LayerNormalization",
		"ReLU",
		"LeakyReLU",
		"PReLU",
		"ELU",
		"Softmax",
		"GaussianNoise",
		"GaussianDropout",
		"AlphaDropout",
		"SpatialDropout1D",
		"SpatialDropout2D",
		"SpatialDropout3D",
		"ActivityRegularization",
		"UnitNormalization",
		"Rescaling",
		"Normalization",
		"Identity",
		"Masking",
		"InputLayer",
		"GroupNormalization",
	};
	const char *cls = get_str(l, "class_name");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(l, "config");
	size_t i;

	if (!cls || s->n < 0)
		return 0;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!strcmp(cls, same[i]))
			return 1;
	if (!strcmp(cls, "Dense")) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(cfg, "units");
		if (!cJSON_IsNumber(u) || u->valuedouble < 1 || s->n < 1)
			return 0;
		s->d[s->n - 1] = (int64_t)u->valuedouble;
		return 1;
	}
	if (!strcmp(cls, "Flatten")) {
		int64_t p = 1;
		int k;
		if (s->n < 1)
			return 0;
		for (k = 1; k < s->n; k++) {
			if (s->d[k] < 0 ||
			    (s->d[k] && p > INT64_MAX / s->d[k])) {
				p = -1;
				break;
			}
			p *= s->d[k];
		}
		s->d[1] = p;
		s->n = 2;
		return 1;
	}
	if (!strcmp(cls, "Reshape")) {
		struct shape t;
		int k;
		read_shape(&t, cJSON_GetObjectItemCaseSensitive(
				       cfg, "target_shape"));
		if (t.n < 0 || t.n + 1 > MAX_DIMS || s->n < 1)
			return 0;
		for (k = 0; k < t.n; k++)
			s->d[k + 1] = t.d[k];
		s->n = t.n + 1;
		return 1;
	}
	return 0;
}

/*
 * Reads into *s the shape an InputLayer's (or first layer's) config declares.
 */
static void declared_shape(struct shape *s, const cJSON *cfg)
{
	read_shape(s, cJSON_GetObjectItemCaseSensitive(cfg, "batch_shape"));
	if (s->n < 0)
		read_shape(s, cJSON_GetObjectItemCaseSensitive(
				      cfg, "batch_input_shape"));
}

/* Adds FIELD name/type/s to the array a. */
static void add_field(cJSON *a, const char *name, const char *type,
		      const struct shape *s)
{
	cJSON_AddItemToArray(a,
			     mlreg_inspect_field(name, type, s->d,
						 s->n < 0 ? 0 : (size_t)s->n));
}

/*
 * Returns the name of the layer a Keras functional input_layers or
 * output_layers entry e ([name, node, tensor], or a dict value) names.
 */
static const char *endpoint_name(const cJSON *e)
{
	if (cJSON_IsArray(e) && cJSON_IsString(cJSON_GetArrayItem(e, 0)))
		return cJSON_GetArrayItem(e, 0)->valuestring;
	return NULL;
}

/*
 * Returns the array of endpoints of a functional config's input_layers or
 * output_layers value v, as a new array of names.
 */
static cJSON *endpoints(const cJSON *v)
{
	cJSON *names = cJSON_CreateArray();
	const cJSON *e;

	if (endpoint_name(v)) {	/* a single [name, 0, 0] */
		cJSON_AddItemToArray(names,
				     cJSON_CreateString(endpoint_name(v)));
		return names;
	}
	cJSON_ArrayForEach(e, v) /* a list, or a dict of them */
		if (endpoint_name(e) &&
		    cJSON_GetArraySize(names) < MAX_ENDPOINTS)
			cJSON_AddItemToArray(
				names, cJSON_CreateString(endpoint_name(e)));
	return names;
}

/* Fills sig's inputs and outputs for a functional model's config cfg. */
static void functional_signature(cJSON *inputs, cJSON *outputs,
				 const cJSON *cfg)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
	cJSON *in = endpoints(
		cJSON_GetObjectItemCaseSensitive(cfg, "input_layers"));
	cJSON *out = endpoints(
		cJSON_GetObjectItemCaseSensitive(cfg, "output_layers"));
	cJSON *fields = cJSON_CreateArray();
	const cJSON *e, *l;
	int n = 0, ok = 1;

	if (cJSON_GetArraySize(in) == 0) /* no input_layers: every InputLayer */
		cJSON_ArrayForEach(l, layers) {
			const char *cls = get_str(l, "class_name");
			if (++n > MAX_LAYERS)
				break;
			if (cls && !strcmp(cls, "InputLayer") &&
			    layer_name(l) &&
			    cJSON_GetArraySize(in) < MAX_ENDPOINTS)
				cJSON_AddItemToArray(
					in, cJSON_CreateString(layer_name(l)));
		}
	cJSON_ArrayForEach(e, in) {
		const cJSON *il = find_layer(layers, e->valuestring);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(il, "config");
		struct shape s;
		declared_shape(&s, c);
		add_field(inputs, e->valuestring,
			  keras_type(
				  cJSON_GetObjectItemCaseSensitive(c, "dtype")),
			  &s);
	}
	/* an output: its layer applied to the input shape Keras 3 recorded */
	cJSON_ArrayForEach(e, out) {
		const cJSON *ol = find_layer(layers, e->valuestring), *node,
			    *arg;
		struct shape s;
		node = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(ol, "inbound_nodes"),
			0);
		arg = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(node, "args"), 0);
		read_shape(&s, cJSON_GetObjectItemCaseSensitive(
				       cJSON_GetObjectItemCaseSensitive(
					       arg, "config"),
				       "shape"));
		if (!ol || !apply_layer(&s, ol)) {
			ok = 0;
			break;
		}
		add_field(
			fields, e->valuestring,
			keras_type(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(ol, "config"),
				"dtype")),
			&s);
	}
	if (ok)
		while (cJSON_GetArraySize(fields) > 0)
			cJSON_AddItemToArray(
				outputs, cJSON_DetachItemFromArray(fields, 0));
	cJSON_Delete(fields);
	cJSON_Delete(in);
	cJSON_Delete(out);
}

/* Fills inputs and outputs for a Sequential model's config cfg. */
static void sequential_signature(cJSON *inputs, cJSON *outputs,
				 const cJSON *cfg, const cJSON *top)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
	const cJSON *first = cJSON_GetArrayItem(layers, 0), *fc, *l,
		    *last = NULL;
	const char *in_name = "input", *cls = get_str(first, "class_name");
	struct shape s;
	int n = 0;

	if (!first)
		return;
	fc = cJSON_GetObjectItemCaseSensitive(first, "config");
	declared_shape(&s, fc);
	if (s.n < 0)
		read_shape(&s, cJSON_GetObjectItemCaseSensitive(
				       cfg, "build_input_shape"));
	if (s.n < 0)
		read_shape(&s, cJSON_GetObjectItemCaseSensitive(
				       cJSON_GetObjectItemCaseSensitive(
					       top, "build_config"),
				       "input_shape"));
	if (cls && !strcmp(cls, "InputLayer") && layer_name(first))
		in_name = layer_name(first);
	add_field(inputs, in_name,
		  keras_type(cJSON_GetObjectItemCaseSensitive(fc, "dtype")),
		  &s);
	cJSON_ArrayForEach(l, layers) {
		if (++n > MAX_LAYERS || !apply_layer(&s, l))
			return;	/* not determinable: outputs stay [] */
		last = l;
	}
	if (last && s.n >= 0)
		add_field(outputs,
			  layer_name(last) ? layer_name(last) : "output",
			  keras_type(cJSON_GetObjectItemCaseSensitive(
				  cJSON_GetObjectItemCaseSensitive(last,
								   "config"),
				  "dtype")),
			  &s);
}

/* Returns 0 and the Keras 3 inspection of zip in *out. */
static int inspect_keras(cJSON **out, const struct mlreg_zip *zip,
			 const char *arg)
{
	cJSON *config = NULL, *meta = NULL, *r, *d, *sig, *inputs, *outputs;
	const cJSON *cfg;
	const char *cls;
	int err;

	if ((err = read_json(&config, zip, "config.json", MAX_CONFIG)) < 0 ||
	    (err = read_json(&meta, zip, "metadata.json", MAX_METADATA)) < 0) {
		cJSON_Delete(config);
		return err;
	}
	r = mlreg_inspect_result("keras", "keras");
	d = cJSON_GetObjectItemCaseSensitive(r, "details");
	cfg = cJSON_GetObjectItemCaseSensitive(config, "config");
	cls = get_str(config, "class_name");
	if (get_str(meta, "keras_version"))
		cJSON_AddStringToObject(d, "keras_version",
					get_str(meta, "keras_version"));
	else
		cJSON_AddNullToObject(d, "keras_version");
	if (cls)
		cJSON_AddStringToObject(d, "class_name", cls);
	else
		cJSON_AddNullToObject(d, "class_name");
	if (get_str(cfg, "name"))
		cJSON_AddStringToObject(d, "name", get_str(cfg, "name"));
	else
		cJSON_AddNullToObject(d, "name");
	if (get_str(meta, "date_saved"))
		cJSON_AddStringToObject(d, "date_saved",
					get_str(meta, "date_saved"));
	cJSON_AddNumberToObject(
		d, "layer_count",
		cJSON_GetArraySize(
			cJSON_GetObjectItemCaseSensitive(cfg, "layers")));
	cJSON_AddBoolToObject(d, "has_weights",
			      mlreg_zip_find(zip, "model.weights.h5") != NULL);
	cJSON_AddNumberToObject(d, "member_count", (double)zip->count);
	sig = cJSON_CreateObject();
	cJSON_AddStringToObject(sig, "name", "serving_default");
	inputs = cJSON_AddArrayToObject(sig, "inputs");
	outputs = cJSON_AddArrayToObject(sig, "outputs");
	if (cls && !strcmp(cls, "Sequential"))
		sequential_signature(inputs, outputs, cfg, config);
	else if (cJSON_IsObject(cfg) &&
		 cJSON_GetObjectItemCaseSensitive(cfg, "layers"))
		functional_signature(inputs, outputs, cfg);
	if (cJSON_GetArraySize(inputs) > 0)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "signatures"),
				     sig);
	else
		cJSON_Delete(
			sig); /* a subclassed model: nothing in the config */
	cJSON_Delete(config);
	cJSON_Delete(meta);
	*out = r;
	return 0;
}

/* Returns the short text content of member name (trimmed), or NULL. */
static char *small_member(const struct mlreg_zip *zip, const char *name)
{
	const struct mlreg_zip_entry *e = mlreg_zip_find(zip, name);
	unsigned char *buf;
	size_t len, i;

	if (!e || e->usize > 64 || mlreg_zip_read(&buf, &len, zip, e, 64) < 0)
		return NULL;
	for (i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] >= 0x7f)
			break;
	buf[i] = 0;
	return (char *)buf;
}

/*
 * Returns 0 and the inspection of PyTorch archive zip (top dir prefix) in *out.
 */
static int inspect_torch(cJSON **out, const struct mlreg_zip *zip,
			 const char *prefix)
{
	struct mlreg_pickle_scan scan;
	const struct mlreg_zip_entry *pkl;
	struct mlreg_src mem = { -1, NULL, 0, NULL };
	unsigned char *buf = NULL;
	size_t storages = 0, i, plen = strlen(prefix), got;
	int code = 0, err;
	char *path, *v;
	cJSON *r, *d, *w;

	for (i = 0; i < zip->count; i++) {
		const char *n = zip->entries[i].name;
		if (!strncmp(n, prefix, plen) && n[plen] == '/') {
			if (starts_with(n + plen + 1, "data/") &&
			    !ends_with(n, "/"))
				storages++;
			if (starts_with(n + plen + 1, "code/"))
				code = 1;
		}
	}
	path = xasprintf("%s/data.pkl", prefix);
	pkl = mlreg_zip_find(zip, path);
	free(path);
	/* walk data.pkl, or its first MAX_PICKLE bytes */
	got = pkl->usize < MAX_PICKLE ? (size_t)pkl->usize : MAX_PICKLE;
	buf = xmalloc(got ? got : 1);
	if ((err = mlreg_zip_read_head(buf, got, &got, zip, pkl)) < 0) {
		free(buf);
		return err;
	}
	mem.buf = buf;
	mem.size = got;
	mem.name = path = xasprintf("%s: %s", zip->src->name, pkl->name);
	err = mlreg_pickle_scan(&scan, &mem, got < pkl->usize);
	free(buf);
	free(path);
	if (err < 0)
		return err;
	r = mlreg_inspect_result("pytorch-zip", "pytorch");
	d = cJSON_GetObjectItemCaseSensitive(r, "details");
	cJSON_AddStringToObject(d, "archive_name", prefix);
	cJSON_AddNumberToObject(d, "member_count", (double)zip->count);
	cJSON_AddNumberToObject(d, "tensor_storage_count", (double)storages);
	cJSON_AddBoolToObject(d, "has_code", code);
	path = xasprintf("%s/byteorder", prefix);
	if ((v = small_member(zip, path)))
		cJSON_AddStringToObject(d, "byteorder", v);
	free(v);
	free(path);
	cJSON_AddNumberToObject(d, "pickle_protocol", scan.protocol);
	cJSON_AddItemToObject(d, "globals", scan.globals);
	cJSON_AddItemToObject(d, "dangerous_globals", scan.dangerous);
	cJSON_AddBoolToObject(d, "scan_complete", scan.complete);
	w = cJSON_AddArrayToObject(r, "warnings");
	if (!code)
		cJSON_AddItemToArray(
			w, cJSON_CreateString(
				   "loading this file with torch.load "
				   "runs pickle code; mlreg never does"));
	if (cJSON_GetArraySize(scan.dangerous) > 0)
		cJSON_AddItemToArray(
			w,
			cJSON_CreateString("its data.pkl references functions "
					   "that run commands or code (see "
					   "details.dangerous_globals)"));
	if (scan.unresolved)
		cJSON_AddItemToArray(
			w,
			cJSON_CreateString("its data.pkl names globals in "
					   "ways the scan cannot follow"));
	if (cJSON_GetArraySize(w) == 0)
		cJSON_DeleteItemFromObject(r, "warnings");
	*out = r;
	return 0;
}

/* Returns 0 and the npz inspection of zip in *out. */
static int inspect_npz(cJSON **out, const struct mlreg_zip *zip,
		       const char *arg)
{
	unsigned char *buf = xmalloc(NPY_HEAD);
	cJSON *r, *d, *arrays, *w = NULL;
	size_t i, listed = 0;
	int compressed = 0, err = 0;

	r = mlreg_inspect_result("npz", "numpy");
	d = cJSON_GetObjectItemCaseSensitive(r, "details");
	cJSON_AddNumberToObject(d, "array_count", (double)zip->count);
	arrays = cJSON_AddArrayToObject(d, "arrays");
	for (i = 0; i < zip->count; i++) {
		const struct mlreg_zip_entry *e = &zip->entries[i];
		cJSON *nd = NULL, *f;
		char *name, *label;
		size_t got, k;
		int object;
		if (e->method == 8)
			compressed = 1;
		if (listed >= MAX_ARRAYS)
			continue;
		label = xasprintf("%s: %s", zip->src->name, e->name);
		err = mlreg_zip_read_head(buf, NPY_HEAD, &got, zip, e);
		if (!err)
			err = mlreg_npy_describe(&nd, &object, buf, got,
						 e->usize, label);
		free(label);
		if (err < 0)
			break;
		/* the array's name: the member's without .npy */
		name = xstrndup(e->name, strlen(e->name) - 4);
		{
			struct shape s;
			const cJSON *dim;
			s.n = 0;
			cJSON_ArrayForEach(
				dim, cJSON_GetObjectItemCaseSensitive(
					     nd, "shape")) if (s.n < MAX_DIMS)
				s.d[s.n++] = (int64_t)dim->valuedouble;
			f = mlreg_inspect_field(name, get_str(nd, "type"), s.d,
						(size_t)s.n);
		}
		for (k = 0; k < 4; k++) {
			static const char *const keys[] = { "descr",
							    "fortran_order",
							    "itemsize",
							    "data_bytes" };
			cJSON_AddItemToObject(
				f, keys[k],
				cJSON_DetachItemFromObjectCaseSensitive(
					nd, keys[k]));
		}
		cJSON_AddItemToArray(arrays, f);
		listed++;
		if (object) {
			char *msg = xasprintf(
				"array '%s' holds Python objects: numpy.load "
				"needs allow_pickle=True for it, which runs "
				"pickle code",
				name);
			if (!w)
				w = cJSON_AddArrayToObject(r, "warnings");
			cJSON_AddItemToArray(w, cJSON_CreateString(msg));
			free(msg);
		}
		free(name);
		cJSON_Delete(nd);
	}
	free(buf);
	if (err < 0) {
		cJSON_Delete(r);
		return err;
	}
	cJSON_AddBoolToObject(d, "arrays_truncated", listed < zip->count);
	cJSON_AddBoolToObject(d, "compressed", compressed);
	*out = r;
	return 0;
}

/* Returns 1 when zip holds Keras 3's config.json and metadata or weights. */
static int is_keras(const struct mlreg_zip *zip, char **arg)
{
	return mlreg_zip_find(zip, "config.json") &&
	       (mlreg_zip_find(zip, "metadata.json") ||
		mlreg_zip_find(zip, "model.weights.h5"));
}

/*
 * Returns 1 when zip is a PyTorch archive, with its top directory in *arg
 * (allocated), else 0.
 */
static int is_torch(const struct mlreg_zip *zip, char **arg)
{
	static const char *const markers[] = { "/version", "/.data/version",
					       "/byteorder" };
	size_t i, k;

	for (i = 0; i < zip->count; i++) {
		const char *n = zip->entries[i].name;
		size_t len = strlen(n);
		char *prefix;
		if (len <= 9 || !ends_with(n, "/data.pkl"))
			continue;
		prefix = xstrndup(n, len - 9);
		if (strchr(prefix, '/')) {	/* a top directory only */
			free(prefix);
			continue;
		}
		for (k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
			char *m = xasprintf("%s%s", prefix, markers[k]);
			int found = mlreg_zip_find(zip, m) != NULL;
			free(m);
			if (found) {
				*arg = prefix;
				return 1;
			}
		}
		free(prefix);
	}
	return 0;
}

/* Returns 1 when every member of zip is a .npy file (and there is one). */
static int is_npz(const struct mlreg_zip *zip, char **arg)
{
	size_t i;

	for (i = 0; i < zip->count; i++)
		if (!ends_with(zip->entries[i].name, ".npy") ||
		    strlen(zip->entries[i].name) < 5)
			return 0;
	return zip->count > 0;
}

/*
 * The zip-based formats, told apart by their members, in the order they
 * are tried: the first whose match() takes the archive inspects it.
 */
static const struct zip_format {
	const char *format;	/* the "format" of its results */
	/*
	 * Returns 1 when zip's members are this format's, else 0; may leave
	 * in *arg an allocated string for inspect() (PyTorch's top directory).
	 */
	int (*match)(const struct mlreg_zip *zip, char **arg);
	/* Returns 0 and the inspection of zip in *out, or an error. */
	int (*inspect)(cJSON **out, const struct mlreg_zip *zip,
		       const char *arg);
} zip_formats[] = {
	{ "keras", is_keras, inspect_keras },
	{ "pytorch-zip", is_torch, inspect_torch },
	{ "npz", is_npz, inspect_npz },
};

int mlreg_inspect_zip(cJSON **out, const struct mlreg_src *src)
{
	struct mlreg_zip zip;
	char *arg = NULL;
	size_t i;
	int err;

	*out = NULL;
	if ((err = mlreg_zip_open(&zip, src)) < 0)
		goto done;
	for (i = 0; i < sizeof(zip_formats) / sizeof(zip_formats[0]); i++)
		if (zip_formats[i].match(&zip, &arg)) {
			err = zip_formats[i].inspect(out, &zip, arg);
			break;
		}
done:
	free(arg);
	mlreg_zip_close(&zip);
	return err;
}

/*
 * Returns 1 when src starts with a zip local file header or, for an
 * archive with no members, the end-of-central-directory record, else 0.
 */
static int sniff_zip(const struct mlreg_src *src,
		     const unsigned char *head, size_t n)
{
	return !memcmp(head, "PK\x03\x04", 4) || !memcmp(head, "PK\x05\x06", 4);
}

const struct mlreg_inspector mlreg_inspector_zip = {
	"zip", sniff_zip, mlreg_inspect_zip
};
