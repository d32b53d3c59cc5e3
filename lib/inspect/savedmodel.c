/*
 * TensorFlow SavedModels: the saved_model.pb of a SavedModel directory, a
 * SavedModel message (tensorflow/core/protobuf/saved_model.proto and
 * meta_graph.proto) read with the bounded wire reader of protobuf.h.
 * What a model takes and returns is in the signature_def map of each
 * MetaGraphDef; the GraphDef beside it, which can be most of the file, is
 * stepped over by its length, as are the saver, collections, assets and
 * the object graph.
 *
 * Protobuf writes a map in no promised order, so signatures (but
 * serving_default, the one TensorFlow Serving uses unless told otherwise,
 * first), and the inputs and outputs of each, are sorted by key, and a key
 * given twice keeps its last value (as protobuf's own parser does).  The
 * "__saved_model_init_op" entry TensorFlow 2 adds holds the initializer,
 * not a signature a caller can use, and is left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "protobuf.h"
#include "util.h"

#define MAX_DIMS 256		/* TensorFlow allows 254 */
#define MAX_META_GRAPHS 64	/* meta graphs kept */
#define MAX_SIGNATURES 4096	/* signatures of one meta graph kept */
#define MAX_TENSORS 65536	/* inputs, or outputs, of a signature kept */
#define MAX_TAGS 256		/* tags of one meta graph kept */
#define INIT_OP "__saved_model_init_op"
#define DEFAULT_KEY "serving_default"	/* DEFAULT_SERVING_SIGNATURE_DEF_KEY */

/* Field numbers of saved_model.proto, meta_graph.proto, tensor_shape.proto. */
enum {
	SAVED_MODEL_SCHEMA_VERSION = 1, SAVED_MODEL_META_GRAPHS = 2,
	META_GRAPH_INFO = 1, META_GRAPH_SIGNATURE_DEF = 5,
	INFO_TAGS = 4, INFO_TF_VERSION = 5, INFO_TF_GIT_VERSION = 6,
	MAP_KEY = 1, MAP_VALUE = 2,
	SIG_INPUTS = 1, SIG_OUTPUTS = 2, SIG_METHOD_NAME = 3,
	INFO_NAME = 1, INFO_DTYPE = 2, INFO_SHAPE = 3, INFO_COO_SPARSE = 4,
	INFO_COMPOSITE = 5,
	SHAPE_DIM = 2, SHAPE_UNKNOWN_RANK = 3, DIM_SIZE = 1,
};

/* DataType (types.proto) in Hydrosphere's words, or TensorFlow's own. */
static const char *const dtypes[] = {
	"invalid", "float", "double", "int32", "uint8", "int16", "int8",
	"string", "complex64", "int64", "bool", "qint8", "quint8", "qint32",
	"bfloat16", "qint16", "quint16", "uint16", "complex128", "half",
	"resource", "variant", "uint32", "uint64", "float8_e5m2",
	"float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz",
	"float8_e5m2fnuz", "int4", "uint4", "int2", "uint2",
};

/* One map entry kept for sorting: a tensor of a signature, or a signature. */
struct entry {
	char *key;		/* the map key */
	cJSON *obj;		/* a FIELD, or a signature object */
	char *method;		/* a signature's method_name */
	size_t seq;		/* order in the file: the last key wins */
};

/* A list of entries, up to a limit. */
struct entries {
	struct entry *v;
	size_t n, alloc;
	int dropped;		/* more were left out */
};

/* Everything one inspection holds. */
struct savedmodel {
	struct mlreg_pb pb;		/* the reader */
	cJSON *metas;			/* details.meta_graphs */
	cJSON *sigs;			/* the result's signatures */
	cJSON *warnings;		/* what was left out, or NULL */
	char str[MLREG_PB_STRING_MAX + 1];	/* scratch for strings */
};

/* Returns MLREG_EINVALID for field f of message msg with a wrong wire type. */
static int bad_wire(struct savedmodel *s, const struct mlreg_pb_field *f,
		    const char *msg)
{
	return mlreg_pb_error(&s->pb, f->tag_off, "%s field %u has wire type "
			      "%d", msg, (unsigned)f->num, f->wire);
}

/* Returns 0 after replacing *out with a copy of the string in LEN field f. */
static int dup_string(struct savedmodel *s, const struct mlreg_pb_field *f,
		      char **out)
{
	int r;

	if ((r = mlreg_pb_string(&s->pb, f, s->str, sizeof(s->str))) < 0)
		return r;
	free(*out);
	*out = xstrdup(s->str);
	return 0;
}

/* Adds a warning to the result's list, once. */
static void warn(struct savedmodel *s, const char *msg)
{
	const cJSON *w;

	if (!s->warnings)
		s->warnings = cJSON_CreateArray();
	cJSON_ArrayForEach(w, s->warnings)
		if (!strcmp(w->valuestring, msg))
			return;
	cJSON_AddItemToArray(s->warnings, cJSON_CreateString(msg));
}

/* Writes the name of DataType t into buf; returns buf. */
static const char *dtype_name(uint64_t t, char *buf, size_t len)
{
	size_t n = sizeof(dtypes) / sizeof(dtypes[0]);

	if (t > 100 && t - 100 < n)
		t -= 100;	/* DT_FLOAT_REF and the other reference types */
	if (t < n)
		snprintf(buf, len, "%s", dtypes[t]);
	else
		snprintf(buf, len, "tf_type_%llu", (unsigned long long)t);
	return buf;
}

/* Appends an entry to l; returns it, or NULL when l is full. */
static struct entry *add_entry(struct entries *l, size_t max)
{
	if (l->n == max) {
		l->dropped = 1;
		return NULL;
	}
	MLREG_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n].seq = l->n;
	return &l->v[l->n++];
}

/* Orders entries by key, then by their order in the file. */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Orders signatures as cmp_entry() does, but serving_default first. */
static int cmp_signature(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int dx = !strcmp(x->key, DEFAULT_KEY);
	int dy = !strcmp(y->key, DEFAULT_KEY);

	return dx != dy ? dy - dx : cmp_entry(a, b);
}

/*
 * Sorts l with cmp and keeps, of entries with the same key, the last one
 * only; frees the others.
 */
static void sort_entries(struct entries *l,
			 int (*cmp)(const void *, const void *))
{
	size_t i, n = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp);
	for (i = 0; i < l->n; i++) {
		if (i + 1 < l->n && !strcmp(l->v[i].key, l->v[i + 1].key)) {
			free(l->v[i].key);
			free(l->v[i].method);
			cJSON_Delete(l->v[i].obj);
			continue;
		}
		l->v[n++] = l->v[i];
	}
	l->n = n;
}

/* Frees the entries of l. */
static void free_entries(struct entries *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].method);
		cJSON_Delete(l->v[i].obj);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/*
 * Returns 0 after reading TensorShapeProto f into dims (*ndims of them),
 * with *known 0 when its rank is unknown.
 */
static int parse_shape(struct savedmodel *s, const struct mlreg_pb_field *f,
		       int64_t *dims, size_t *ndims, int *known)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	*ndims = 0;
	*known = 1;
	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		if (g.num == SHAPE_UNKNOWN_RANK) {
			if (g.wire != MLREG_PB_VARINT)
				return bad_wire(s, &g, "TensorShapeProto");
			*known = g.value == 0;
		} else if (g.num == SHAPE_DIM) {
			uint64_t p = g.off, e = g.off + g.len;
			struct mlreg_pb_field d;
			int64_t size = -1;
			if (g.wire != MLREG_PB_LEN)
				return bad_wire(s, &g, "TensorShapeProto");
			if (*ndims == MAX_DIMS)
				return mlreg_pb_error(&s->pb, g.tag_off,
						      "a shape has more than "
						      "%d dimensions",
						      MAX_DIMS);
			while ((r = mlreg_pb_next(&s->pb, &p, e, &d)) > 0) {
				if (d.num != DIM_SIZE)
					continue;
				if (d.wire != MLREG_PB_VARINT)
					return bad_wire(s, &d,
							"TensorShapeProto.Dim");
				size = (int64_t)d.value;
			}
			if (r < 0)
				return r;
			dims[(*ndims)++] = size < 0 ? -1 : size;
		}
	}
	return r;
}

/*
 * Returns 0 after making in *field the FIELD named key for TensorInfo f:
 * its dtype, or "variant" for a composite tensor without one, and its
 * shape unless the rank is unknown or no shape is given.
 */
static int parse_tensor_info(struct savedmodel *s, uint64_t off, uint64_t len,
			     const char *key, cJSON **field)
{
	uint64_t pos = off, end = off + len, dtype = 0;
	struct mlreg_pb_field g;
	int64_t *dims = xmalloc(MAX_DIMS * sizeof(*dims));
	size_t ndims = 0;
	int r, has_shape = 0, known = 1, composite = 0;
	char type[32];

	*field = NULL;
	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		switch (g.num) {
		case INFO_DTYPE:
			if (g.wire != MLREG_PB_VARINT) {
				r = bad_wire(s, &g, "TensorInfo");
				goto done;
			}
			dtype = g.value;
			break;
		case INFO_SHAPE:
			if (g.wire != MLREG_PB_LEN) {
				r = bad_wire(s, &g, "TensorInfo");
				goto done;
			}
			has_shape = 1;
			if ((r = parse_shape(s, &g, dims, &ndims, &known)) < 0)
				goto done;
			break;
		case INFO_COMPOSITE:
			composite = 1;
			break;
		}
	}
	if (r < 0)
		goto done;
	if (composite && dtype == 0)
		snprintf(type, sizeof(type), "variant");
	else
		dtype_name(dtype, type, sizeof(type));
	*field = mlreg_inspect_field(key, type, dims, ndims);
	if (!has_shape || !known)
		cJSON_DeleteItemFromObjectCaseSensitive(*field, "shape");
done:
	free(dims);
	return r;
}

/*
 * Returns 0 after reading a map entry f (key 1, value 2) into *key and the
 * span of its value (*vlen 0 when it has none).
 */
static int parse_map_entry(struct savedmodel *s, const struct mlreg_pb_field *f,
			   const char *msg, char **key, uint64_t *voff,
			   uint64_t *vlen)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	*key = NULL;
	*voff = *vlen = 0;
	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		if (g.num != MAP_KEY && g.num != MAP_VALUE)
			continue;
		if (g.wire != MLREG_PB_LEN) {
			r = bad_wire(s, &g, msg);
			break;
		}
		if (g.num == MAP_KEY) {
			if ((r = dup_string(s, &g, key)) < 0)
				break;
		} else {
			*voff = g.off;
			*vlen = g.len;
		}
	}
	if (r < 0) {
		free(*key);
		*key = NULL;
		return r;
	}
	if (!*key)
		*key = xstrdup("");
	return 0;
}

/* Returns 0 after adding the tensor of map entry f to l. */
static int parse_tensor_entry(struct savedmodel *s,
			      const struct mlreg_pb_field *f,
			      struct entries *l)
{
	uint64_t voff, vlen;
	struct entry *e;
	cJSON *field;
	char *key;
	int r;

	if ((r = parse_map_entry(s, f, "SignatureDef map entry", &key, &voff,
				 &vlen)) < 0)
		return r;
	if ((r = parse_tensor_info(s, voff, vlen, key, &field)) < 0) {
		free(key);
		return r;
	}
	if (!(e = add_entry(l, MAX_TENSORS))) {
		free(key);
		cJSON_Delete(field);
		return 0;
	}
	e->key = key;
	e->obj = field;
	return 0;
}

/* Returns an array of the FIELDs of l, sorted by key; empties l. */
static cJSON *tensor_array(struct entries *l)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	sort_entries(l, cmp_entry);
	for (i = 0; i < l->n; i++) {
		cJSON_AddItemToArray(a, l->v[i].obj);
		l->v[i].obj = NULL;
	}
	free_entries(l);
	return a;
}

/*
 * Returns 0 after making in *sig the signature named name from the
 * SignatureDef at [off, off + len), and its method_name in *method.
 */
static int parse_signature(struct savedmodel *s, uint64_t off, uint64_t len,
			   const char *name, cJSON **sig, char **method)
{
	uint64_t pos = off, end = off + len;
	struct entries in = { 0 }, out = { 0 };
	struct mlreg_pb_field g;
	int r;

	*sig = NULL;
	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		if (g.num != SIG_INPUTS && g.num != SIG_OUTPUTS &&
		    g.num != SIG_METHOD_NAME)
			continue;
		if (g.wire != MLREG_PB_LEN) {
			r = bad_wire(s, &g, "SignatureDef");
			break;
		}
		if (g.num == SIG_METHOD_NAME)
			r = dup_string(s, &g, method);
		else
			r = parse_tensor_entry(s, &g, g.num == SIG_INPUTS ?
					       &in : &out);
		if (r < 0)
			break;
	}
	if (r < 0)
		goto done;
	if (in.dropped || out.dropped)
		warn(s, "a signature has more than 65536 inputs or outputs: "
		     "the rest are left out");
	*sig = cJSON_CreateObject();
	cJSON_AddStringToObject(*sig, "name", name);
	cJSON_AddItemToObject(*sig, "inputs", tensor_array(&in));
	cJSON_AddItemToObject(*sig, "outputs", tensor_array(&out));
done:
	free_entries(&in);
	free_entries(&out);
	return r;
}

/* Returns 0 after adding the signature of map entry f to l. */
static int parse_signature_entry(struct savedmodel *s,
				 const struct mlreg_pb_field *f,
				 struct entries *l)
{
	uint64_t voff, vlen;
	struct entry *e;
	char *key, *method = NULL;
	cJSON *sig;
	int r;

	if ((r = parse_map_entry(s, f, "MetaGraphDef.signature_def entry",
				 &key, &voff, &vlen)) < 0)
		return r;
	if ((r = parse_signature(s, voff, vlen, key, &sig, &method)) < 0) {
		free(key);
		free(method);
		return r;
	}
	if (!(e = add_entry(l, MAX_SIGNATURES))) {
		warn(s, "a meta graph has more than 4096 signatures: the rest "
		     "are left out");
		free(key);
		free(method);
		cJSON_Delete(sig);
		return 0;
	}
	e->key = key;
	e->obj = sig;
	e->method = method;
	return 0;
}

/* Returns 0 after reading MetaInfoDef f into the meta graph object meta. */
static int parse_meta_info(struct savedmodel *s, const struct mlreg_pb_field *f,
			   cJSON *meta)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	cJSON *tags = cJSON_GetObjectItemCaseSensitive(meta, "tags");
	int r;

	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		const char *k;
		if (g.num == INFO_TAGS)
			k = "tags";
		else if (g.num == INFO_TF_VERSION)
			k = "tensorflow_version";
		else if (g.num == INFO_TF_GIT_VERSION)
			k = "tensorflow_git_version";
		else
			continue;
		if (g.wire != MLREG_PB_LEN)
			return bad_wire(s, &g, "MetaInfoDef");
		if (g.num == INFO_TAGS &&
		    cJSON_GetArraySize(tags) == MAX_TAGS) {
			warn(s, "a meta graph has more than 256 tags: the rest "
			     "are left out");
			continue;
		}
		if ((r = mlreg_pb_string(&s->pb, &g, s->str,
					 sizeof(s->str))) < 0)
			return r;
		if (g.num == INFO_TAGS)
			cJSON_AddItemToArray(tags, cJSON_CreateString(s->str));
		else
			cJSON_ReplaceItemInObjectCaseSensitive(meta, k,
				cJSON_CreateString(s->str));
	}
	return r;
}

/*
 * Returns 0 after reading MetaGraphDef f: its tags and versions into
 * details.meta_graphs, its signatures into the result's.
 */
static int parse_meta_graph(struct savedmodel *s,
			    const struct mlreg_pb_field *f)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct entries sigs = { 0 };
	struct mlreg_pb_field g;
	cJSON *meta = cJSON_CreateObject(), *methods;
	size_t i;
	int r;

	cJSON_AddArrayToObject(meta, "tags");
	cJSON_AddStringToObject(meta, "tensorflow_version", "");
	cJSON_AddStringToObject(meta, "tensorflow_git_version", "");
	while ((r = mlreg_pb_next(&s->pb, &pos, end, &g)) > 0) {
		if (g.num != META_GRAPH_INFO &&
		    g.num != META_GRAPH_SIGNATURE_DEF)
			continue;	/* graph_def, saver_def, ...: skipped */
		if (g.wire != MLREG_PB_LEN) {
			r = bad_wire(s, &g, "MetaGraphDef");
			break;
		}
		if (g.num == META_GRAPH_INFO)
			r = parse_meta_info(s, &g, meta);
		else
			r = parse_signature_entry(s, &g, &sigs);
		if (r < 0)
			break;
	}
	if (r < 0) {
		cJSON_Delete(meta);
		free_entries(&sigs);
		return r;
	}
	sort_entries(&sigs, cmp_signature);
	methods = cJSON_AddObjectToObject(meta, "signature_methods");
	for (i = 0; i < sigs.n; i++) {
		struct entry *e = &sigs.v[i];
		if (!strcmp(e->key, INIT_OP))
			continue;
		cJSON_AddStringToObject(methods, e->key,
					e->method ? e->method : "");
		cJSON_AddItemToArray(s->sigs, e->obj);
		e->obj = NULL;
	}
	free_entries(&sigs);
	cJSON_AddItemToArray(s->metas, meta);
	return 0;
}

int mlreg_inspect_savedmodel(cJSON **out, const struct mlreg_src *src)
{
	struct savedmodel *s = xcalloc(1, sizeof(*s));
	struct mlreg_pb_field f;
	uint64_t pos = 0, schema_version = 0;
	cJSON *res, *details;
	size_t nmetas = 0;
	int r;

	*out = NULL;
	mlreg_pb_init(&s->pb, src, "savedmodel");
	s->metas = cJSON_CreateArray();
	s->sigs = cJSON_CreateArray();
	while ((r = mlreg_pb_next(&s->pb, &pos, src->size, &f)) > 0) {
		if (f.num == SAVED_MODEL_SCHEMA_VERSION) {
			if (f.wire != MLREG_PB_VARINT) {
				r = bad_wire(s, &f, "SavedModel");
				goto done;
			}
			schema_version = f.value;
		} else if (f.num == SAVED_MODEL_META_GRAPHS) {
			if (f.wire != MLREG_PB_LEN) {
				r = bad_wire(s, &f, "SavedModel");
				goto done;
			}
			if (nmetas++ == MAX_META_GRAPHS) {
				warn(s, "more than 64 meta graphs: the rest "
				     "are left out");
				continue;
			}
			if (nmetas > MAX_META_GRAPHS)
				continue;
			if ((r = parse_meta_graph(s, &f)) < 0)
				goto done;
		}
	}
	if (r < 0)
		goto done;
	if (nmetas == 0) {
		r = mlreg_error_set(MLREG_EINVALID, "'%s' is not a valid "
				    "savedmodel: it has no meta graph",
				    src->name);
		goto done;
	}
	res = mlreg_inspect_result("savedmodel", "tensorflow");
	details = cJSON_GetObjectItemCaseSensitive(res, "details");
	cJSON_AddNumberToObject(details, "schema_version",
				(double)(int64_t)schema_version);
	cJSON_AddItemToObject(details, "meta_graphs", s->metas);
	s->metas = NULL;
	cJSON_AddItemToObject(res, "signatures", s->sigs);
	s->sigs = NULL;
	if (s->warnings) {
		cJSON_AddItemToObject(res, "warnings", s->warnings);
		s->warnings = NULL;
	}
	*out = res;
done:
	cJSON_Delete(s->metas);
	cJSON_Delete(s->sigs);
	cJSON_Delete(s->warnings);
	free(s);
	return r;
}

/*
 * Returns 1 when src is named saved_model.pb, the file of a SavedModel
 * directory that holds its signatures, else 0: its protobuf carries no
 * magic number, so the name decides (before ONNX's sniffer could).
 */
static int sniff_savedmodel(const struct mlreg_src *src,
			    const unsigned char *head, size_t n)
{
	return !strcmp(mlreg_src_base(src), "saved_model.pb");
}

const struct mlreg_inspector mlreg_inspector_savedmodel = {
	"savedmodel", sniff_savedmodel, mlreg_inspect_savedmodel
};
