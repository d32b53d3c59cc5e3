/*
 * ONNX models: a ModelProto (onnx.proto, checked against the copy Debian's
 * python3-onnx ships) read with the bounded wire reader of protobuf.h.
 * Only what describes the model is decoded: the producer, opsets and
 * metadata from the top level, then the graph's inputs and outputs
 * (ValueInfoProto) for the signature.  Nodes and initializers are counted
 * and stepped over by their length, so the weights of a model of many
 * gigabytes are never read.
 *
 * Older exporters list every initializer among the graph's inputs as well
 * (they were inputs with a default value before IR version 4); such a
 * name is not something a caller feeds, so it is left out of the
 * signature.  The graph is walked twice for that: once for its inputs,
 * once for the names of its initializers, so that only the inputs are
 * held in memory however many initializers there are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "protobuf.h"
#include "util.h"

#define MAX_DIMS 256		/* dimensions of one tensor */
#define MAX_VALUES 65536	/* graph inputs, or outputs, kept */
#define MAX_ENTRIES 1024	/* opset_import, metadata_props entries kept */
#define MAX_TOP_FIELDS 65536	/* top-level fields the sniffer reads */
#define MAX_IR_VERSION 100	/* IR version 11 in 2025: room to grow */
#define DOC_MAX 1024		/* doc_string bytes kept */
#define MAX_NESTING 8		/* TypeProto.optional_type in one another */

/* Field numbers of onnx.proto. */
enum {
	MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2,
	MODEL_PRODUCER_VERSION = 3, MODEL_DOMAIN = 4, MODEL_VERSION = 5,
	MODEL_DOC_STRING = 6, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
	MODEL_METADATA_PROPS = 14, MODEL_TRAINING_INFO = 20,
	MODEL_FUNCTIONS = 25, MODEL_CONFIGURATION = 26,
	GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5,
	GRAPH_INPUT = 11, GRAPH_OUTPUT = 12, GRAPH_SPARSE_INITIALIZER = 15,
	VALUE_NAME = 1, VALUE_TYPE = 2,
	TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5,
	TYPE_SPARSE_TENSOR = 8, TYPE_OPTIONAL = 9,
	TENSOR_TYPE_ELEM_TYPE = 1, TENSOR_TYPE_SHAPE = 2,
	OPTIONAL_ELEM_TYPE = 1,
	SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2,
	OPSET_DOMAIN = 1, OPSET_VERSION = 2,
	ENTRY_KEY = 1, ENTRY_VALUE = 2,
	TENSOR_NAME = 8, SPARSE_VALUES = 1,
};

/* The top-level fields of ModelProto and their wire types. */
static const struct {
	uint32_t num;
	int wire;
} model_fields[] = {
	{ MODEL_IR_VERSION, MLREG_PB_VARINT },
	{ MODEL_PRODUCER_NAME, MLREG_PB_LEN },
	{ MODEL_PRODUCER_VERSION, MLREG_PB_LEN },
	{ MODEL_DOMAIN, MLREG_PB_LEN },
	{ MODEL_VERSION, MLREG_PB_VARINT },
	{ MODEL_DOC_STRING, MLREG_PB_LEN },
	{ MODEL_GRAPH, MLREG_PB_LEN },
	{ MODEL_OPSET_IMPORT, MLREG_PB_LEN },
	{ MODEL_METADATA_PROPS, MLREG_PB_LEN },
	{ MODEL_TRAINING_INFO, MLREG_PB_LEN },
	{ MODEL_FUNCTIONS, MLREG_PB_LEN },
	{ MODEL_CONFIGURATION, MLREG_PB_LEN },	/* onnx 1.19 */
};

/* Returns the wire type of ModelProto's field num, or -1 for another. */
static int model_wire(uint32_t num)
{
	size_t i;

	for (i = 0; i < sizeof(model_fields) / sizeof(model_fields[0]); i++)
		if (model_fields[i].num == num)
			return model_fields[i].wire;
	return -1;
}

/* TensorProto.DataType in Hydrosphere's words, or onnx's own in lowercase. */
static const char *const dtypes[] = {
	"undefined", "float", "uint8", "int8", "uint16", "int16", "int32",
	"int64", "string", "bool", "half", "double", "uint32", "uint64",
	"complex64", "complex128", "bfloat16", "float8e4m3fn",
	"float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4",
	"float4e2m1", "float8e8m0", "uint2", "int2",
};

/* The type and shape of one value, as TypeProto gives them. */
struct tinfo {
	char type[32];			/* a dtype name, or "variant" */
	int has_shape;			/* 0: the shape is unknown */
	size_t ndims;			/* dimensions in dims */
	int64_t dims[MAX_DIMS];		/* -1 for symbolic or unknown */
};

/* A graph input or output. */
struct value {
	char *name;		/* ValueInfoProto.name */
	cJSON *field;		/* its FIELD, until moved into the result */
	int constant;		/* an initializer too: not a real input */
};

/* The inputs (or outputs) of the graph, up to MAX_VALUES. */
struct values {
	struct value *v;
	size_t n, alloc;
	int dropped;		/* more were left out */
};

/* Everything one inspection holds. */
struct onnx {
	struct mlreg_pb pb;		/* the reader */
	uint64_t graph_off, graph_len;	/* ModelProto.graph, when found */
	int has_graph;
	uint64_t nodes, initializers;	/* counted in the graph */
	char *graph_name;		/* GraphProto.name */
	struct values in, out;		/* the graph's inputs and outputs */
	cJSON *opsets, *props;		/* details.opset, .metadata_props */
	size_t nprops;
	cJSON *warnings;		/* what was left out, or NULL */
	char str[MLREG_PB_STRING_MAX + 1];	/* scratch for strings */
};

/* Returns 1 when f has the wire type the schema gives it, else 0. */
static int wire_is(const struct mlreg_pb_field *f, int wire)
{
	return f->wire == wire;
}

/* Returns MLREG_EINVALID for field f of message msg with a wrong wire type. */
static int bad_wire(struct onnx *o, const struct mlreg_pb_field *f,
		    const char *msg)
{
	return mlreg_pb_error(&o->pb, f->tag_off, "%s field %u has wire type "
			      "%d", msg, (unsigned)f->num, f->wire);
}

/* Returns 0 after replacing *out with a copy of the string in LEN field f. */
static int dup_string(struct onnx *o, const struct mlreg_pb_field *f,
		      size_t cap, char **out)
{
	int r;

	if (cap > sizeof(o->str))
		cap = sizeof(o->str);
	if ((r = mlreg_pb_string(&o->pb, f, o->str, cap)) < 0)
		return r;
	free(*out);
	*out = xstrdup(o->str);
	return 0;
}

/* Adds a warning to the result's list. */
static void warn(struct onnx *o, const char *msg)
{
	if (!o->warnings)
		o->warnings = cJSON_CreateArray();
	cJSON_AddItemToArray(o->warnings, cJSON_CreateString(msg));
}

/* Writes the name of TensorProto.DataType t into buf; returns buf. */
static const char *dtype_name(uint64_t t, char *buf, size_t len)
{
	if (t < sizeof(dtypes) / sizeof(dtypes[0]))
		snprintf(buf, len, "%s", dtypes[t]);
	else
		snprintf(buf, len, "onnx_type_%llu", (unsigned long long)t);
	return buf;
}

/* Returns 0 after reading TensorShapeProto.Dimension f into *dim. */
static int parse_dim(struct onnx *o, const struct mlreg_pb_field *f,
		     int64_t *dim)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	*dim = -1;
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != DIM_VALUE && g.num != DIM_PARAM)
			continue;
		if (!wire_is(&g, g.num == DIM_VALUE ? MLREG_PB_VARINT :
			     MLREG_PB_LEN))
			return bad_wire(o, &g, "Dimension");
		if (g.num == DIM_VALUE)
			*dim = (int64_t)g.value < 0 ? -1 : (int64_t)g.value;
		else
			*dim = -1;	/* symbolic: "batch", "N" */
	}
	return r;
}

/* Returns 0 after reading TensorShapeProto f into t, or an error. */
static int parse_shape(struct onnx *o, const struct mlreg_pb_field *f,
		       struct tinfo *t)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	t->has_shape = 1;
	t->ndims = 0;
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != SHAPE_DIM)
			continue;
		if (!wire_is(&g, MLREG_PB_LEN))
			return bad_wire(o, &g, "TensorShapeProto");
		if (t->ndims == MAX_DIMS)
			return mlreg_pb_error(&o->pb, g.tag_off, "a shape has "
					      "more than %d dimensions",
					      MAX_DIMS);
		if ((r = parse_dim(o, &g, &t->dims[t->ndims])) < 0)
			return r;
		t->ndims++;
	}
	return r;
}

/* Returns 0 after reading TypeProto.Tensor (or SparseTensor) f into t. */
static int parse_tensor_type(struct onnx *o, const struct mlreg_pb_field *f,
			     struct tinfo *t)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	dtype_name(0, t->type, sizeof(t->type));
	t->has_shape = 0;
	t->ndims = 0;
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num == TENSOR_TYPE_ELEM_TYPE) {
			if (!wire_is(&g, MLREG_PB_VARINT))
				return bad_wire(o, &g, "TypeProto.Tensor");
			dtype_name(g.value, t->type, sizeof(t->type));
		} else if (g.num == TENSOR_TYPE_SHAPE) {
			if (!wire_is(&g, MLREG_PB_LEN))
				return bad_wire(o, &g, "TypeProto.Tensor");
			if ((r = parse_shape(o, &g, t)) < 0)
				return r;
		}
	}
	return r;
}

static int parse_type(struct onnx *o, const struct mlreg_pb_field *f,
		      struct tinfo *t, int depth);

/* Returns 0 after reading TypeProto.Optional f into t: its element's type. */
static int parse_optional(struct onnx *o, const struct mlreg_pb_field *f,
			  struct tinfo *t, int depth)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != OPTIONAL_ELEM_TYPE)
			continue;
		if (!wire_is(&g, MLREG_PB_LEN))
			return bad_wire(o, &g, "TypeProto.Optional");
		if ((r = parse_type(o, &g, t, depth + 1)) < 0)
			return r;
	}
	return r;
}

/*
 * Returns 0 after reading TypeProto f into t: a tensor's element type and
 * shape; "variant" with no shape for sequences, maps and a missing type;
 * an optional value as the value it holds.
 */
static int parse_type(struct onnx *o, const struct mlreg_pb_field *f,
		      struct tinfo *t, int depth)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	if (depth > MAX_NESTING)
		return mlreg_pb_error(&o->pb, f->tag_off, "optional types nest "
				      "deeper than %d", MAX_NESTING);
	snprintf(t->type, sizeof(t->type), "variant");
	t->has_shape = 0;
	t->ndims = 0;
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		switch (g.num) {
		case TYPE_TENSOR:
		case TYPE_SPARSE_TENSOR:
		case TYPE_SEQUENCE:
		case TYPE_MAP:
		case TYPE_OPTIONAL:
			if (!wire_is(&g, MLREG_PB_LEN))
				return bad_wire(o, &g, "TypeProto");
			break;
		default:
			continue;
		}
		if (g.num == TYPE_TENSOR || g.num == TYPE_SPARSE_TENSOR) {
			r = parse_tensor_type(o, &g, t);
		} else if (g.num == TYPE_OPTIONAL) {
			r = parse_optional(o, &g, t, depth);
		} else {
			snprintf(t->type, sizeof(t->type), "variant");
			t->has_shape = 0;
			t->ndims = 0;
		}
		if (r < 0)
			return r;
	}
	return r;
}

/* Returns 0 after appending ValueInfoProto f to vs, or an error. */
static int parse_value(struct onnx *o, const struct mlreg_pb_field *f,
		       struct values *vs)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	struct tinfo *t = xmalloc(sizeof(*t));
	char *name = NULL;
	int r;

	snprintf(t->type, sizeof(t->type), "variant");
	t->has_shape = 0;
	t->ndims = 0;
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num == VALUE_NAME) {
			if (!wire_is(&g, MLREG_PB_LEN)) {
				r = bad_wire(o, &g, "ValueInfoProto");
				goto done;
			}
			if ((r = dup_string(o, &g, sizeof(o->str), &name)) < 0)
				goto done;
		} else if (g.num == VALUE_TYPE) {
			if (!wire_is(&g, MLREG_PB_LEN)) {
				r = bad_wire(o, &g, "ValueInfoProto");
				goto done;
			}
			if ((r = parse_type(o, &g, t, 0)) < 0)
				goto done;
		}
	}
	if (r < 0)
		goto done;
	if (vs->n == MAX_VALUES) {
		vs->dropped = 1;
		goto done;
	}
	MLREG_ALLOC_GROW(vs->v, vs->n + 1, vs->alloc);
	vs->v[vs->n].field = mlreg_inspect_field(name ? name : "", t->type,
						 t->dims, t->ndims);
	if (!t->has_shape)
		cJSON_DeleteItemFromObjectCaseSensitive(vs->v[vs->n].field,
							"shape");
	vs->v[vs->n].name = name ? name : xstrdup("");
	vs->v[vs->n].constant = 0;
	vs->n++;
	name = NULL;
done:
	free(name);
	free(t);
	return r;
}

/* Returns 0 after adding OperatorSetIdProto f to details.opset. */
static int parse_opset(struct onnx *o, const struct mlreg_pb_field *f)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	char *domain = NULL;
	int64_t version = 0;
	cJSON *e;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num == OPSET_DOMAIN) {
			if (!wire_is(&g, MLREG_PB_LEN)) {
				r = bad_wire(o, &g, "OperatorSetIdProto");
				break;
			}
			r = dup_string(o, &g, sizeof(o->str), &domain);
			if (r < 0)
				break;
		} else if (g.num == OPSET_VERSION) {
			if (!wire_is(&g, MLREG_PB_VARINT)) {
				r = bad_wire(o, &g, "OperatorSetIdProto");
				break;
			}
			version = (int64_t)g.value;
		}
	}
	if (r == 0) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "domain", domain ? domain : "");
		cJSON_AddNumberToObject(e, "version", (double)version);
		cJSON_AddItemToArray(o->opsets, e);
	}
	free(domain);
	return r;
}

/* Returns 0 after setting StringStringEntryProto f in metadata_props. */
static int parse_prop(struct onnx *o, const struct mlreg_pb_field *f)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	char *key = NULL, *value = NULL;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != ENTRY_KEY && g.num != ENTRY_VALUE)
			continue;
		if (!wire_is(&g, MLREG_PB_LEN)) {
			r = bad_wire(o, &g, "StringStringEntryProto");
			break;
		}
		r = dup_string(o, &g, sizeof(o->str),
			       g.num == ENTRY_KEY ? &key : &value);
		if (r < 0)
			break;
	}
	if (r == 0) {
		/* a repeated key: the last one wins, as in onnx.helper */
		const char *k = key ? key : "";
		cJSON_DeleteItemFromObjectCaseSensitive(o->props, k);
		cJSON_AddStringToObject(o->props, k, value ? value : "");
	}
	free(key);
	free(value);
	return r;
}

/*
 * Returns 0 after the first walk of the graph: its name, the number of
 * nodes and initializers, its inputs and outputs.
 */
static int parse_graph(struct onnx *o)
{
	uint64_t pos = o->graph_off, end = o->graph_off + o->graph_len;
	struct mlreg_pb_field g;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		switch (g.num) {
		case GRAPH_NODE:
		case GRAPH_NAME:
		case GRAPH_INITIALIZER:
		case GRAPH_SPARSE_INITIALIZER:
		case GRAPH_INPUT:
		case GRAPH_OUTPUT:
			if (!wire_is(&g, MLREG_PB_LEN))
				return bad_wire(o, &g, "GraphProto");
			break;
		default:
			continue;
		}
		if (g.num == GRAPH_NODE)
			o->nodes++;
		else if (g.num == GRAPH_INITIALIZER ||
			 g.num == GRAPH_SPARSE_INITIALIZER)
			o->initializers++;
		else if (g.num == GRAPH_NAME)
			r = dup_string(o, &g, sizeof(o->str), &o->graph_name);
		else if (g.num == GRAPH_INPUT)
			r = parse_value(o, &g, &o->in);
		else
			r = parse_value(o, &g, &o->out);
		if (r < 0)
			return r;
	}
	return r;
}

/* Orders pointers to values by name. */
static int cmp_value(const void *a, const void *b)
{
	const struct value *x = *(struct value *const *)a;
	const struct value *y = *(struct value *const *)b;

	return strcmp(x->name, y->name);
}

/* Compares a name with a pointer to a value. */
static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, (*(struct value *const *)elem)->name);
}

/* Marks the inputs in sorted (n of them) named like the tensor f. */
static int mark_tensor(struct onnx *o, const struct mlreg_pb_field *f,
		       struct value **sorted, size_t n)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	struct value **hit;
	size_t i;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != TENSOR_NAME)
			continue;
		if (!wire_is(&g, MLREG_PB_LEN))
			return bad_wire(o, &g, "TensorProto");
		if ((r = mlreg_pb_string(&o->pb, &g, o->str,
					 sizeof(o->str))) < 0)
			return r;
		hit = bsearch(o->str, sorted, n, sizeof(*sorted), cmp_name);
		if (!hit)
			continue;
		i = (size_t)(hit - sorted);
		while (i > 0 && !strcmp(sorted[i - 1]->name, o->str))
			i--;
		for (; i < n && !strcmp(sorted[i]->name, o->str); i++)
			sorted[i]->constant = 1;
	}
	return r;
}

/* Marks the inputs in sorted named like the values of sparse tensor f. */
static int mark_sparse(struct onnx *o, const struct mlreg_pb_field *f,
		       struct value **sorted, size_t n)
{
	uint64_t pos = f->off, end = f->off + f->len;
	struct mlreg_pb_field g;
	int r;

	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num != SPARSE_VALUES)
			continue;
		if (!wire_is(&g, MLREG_PB_LEN))
			return bad_wire(o, &g, "SparseTensorProto");
		if ((r = mark_tensor(o, &g, sorted, n)) < 0)
			return r;
	}
	return r;
}

/*
 * Returns 0 after the second walk of the graph, which marks the inputs
 * that are initializers too.
 */
static int mark_constants(struct onnx *o)
{
	uint64_t pos = o->graph_off, end = o->graph_off + o->graph_len;
	struct mlreg_pb_field g;
	struct value **sorted;
	size_t i;
	int r;

	if (o->in.n == 0 || o->initializers == 0)
		return 0;
	sorted = xmalloc(o->in.n * sizeof(*sorted));
	for (i = 0; i < o->in.n; i++)
		sorted[i] = &o->in.v[i];
	qsort(sorted, o->in.n, sizeof(*sorted), cmp_value);
	while ((r = mlreg_pb_next(&o->pb, &pos, end, &g)) > 0) {
		if (g.num == GRAPH_INITIALIZER)
			r = mark_tensor(o, &g, sorted, o->in.n);
		else if (g.num == GRAPH_SPARSE_INITIALIZER)
			r = mark_sparse(o, &g, sorted, o->in.n);
		if (r < 0)
			break;
	}
	free(sorted);
	return r;
}

/* Returns the signature object, moving the inputs' and outputs' FIELDs in. */
static cJSON *signature(struct onnx *o)
{
	cJSON *sig = cJSON_CreateObject(), *in, *out;
	size_t i;

	cJSON_AddStringToObject(sig, "name", "default");
	in = cJSON_AddArrayToObject(sig, "inputs");
	out = cJSON_AddArrayToObject(sig, "outputs");
	for (i = 0; i < o->in.n; i++) {
		if (o->in.v[i].constant)
			continue;
		cJSON_AddItemToArray(in, o->in.v[i].field);
		o->in.v[i].field = NULL;
	}
	for (i = 0; i < o->out.n; i++) {
		cJSON_AddItemToArray(out, o->out.v[i].field);
		o->out.v[i].field = NULL;
	}
	if (o->in.dropped)
		warn(o, "more than 65536 graph inputs: the rest are left out");
	if (o->out.dropped)
		warn(o, "more than 65536 graph outputs: the rest are left out");
	return sig;
}

/* Frees a list of values. */
static void free_values(struct values *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		cJSON_Delete(vs->v[i].field);
	}
	free(vs->v);
}

int mlreg_inspect_onnx(cJSON **out, const struct mlreg_src *src)
{
	struct onnx *o = xcalloc(1, sizeof(*o));
	struct mlreg_pb_field f;
	char *producer = NULL, *producer_version = NULL, *domain = NULL;
	char *doc = NULL;
	uint64_t pos = 0, ir_version = 0, model_version = 0;
	cJSON *res = NULL, *details, *sigs;
	size_t nopsets = 0;
	int r;

	*out = NULL;
	mlreg_pb_init(&o->pb, src, "onnx model");
	o->opsets = cJSON_CreateArray();
	o->props = cJSON_CreateObject();
	while ((r = mlreg_pb_next(&o->pb, &pos, src->size, &f)) > 0) {
		int wire = model_wire(f.num);
		if (wire < 0)
			continue;	/* a field of a later onnx */
		if (f.wire != wire) {
			r = bad_wire(o, &f, "ModelProto");
			goto done;
		}
		switch (f.num) {
		case MODEL_IR_VERSION:
			ir_version = f.value;
			break;
		case MODEL_PRODUCER_NAME:
			r = dup_string(o, &f, sizeof(o->str), &producer);
			break;
		case MODEL_PRODUCER_VERSION:
			r = dup_string(o, &f, sizeof(o->str),
				       &producer_version);
			break;
		case MODEL_DOMAIN:
			r = dup_string(o, &f, sizeof(o->str), &domain);
			break;
		case MODEL_VERSION:
			model_version = f.value;
			break;
		case MODEL_DOC_STRING:
			r = dup_string(o, &f, DOC_MAX + 1, &doc);
			break;
		case MODEL_GRAPH:
			/* protobuf would merge a repeated graph: last wins */
			o->graph_off = f.off;
			o->graph_len = f.len;
			o->has_graph = 1;
			break;
		case MODEL_OPSET_IMPORT:
			if (nopsets++ < MAX_ENTRIES)
				r = parse_opset(o, &f);
			else if (nopsets == MAX_ENTRIES + 1)
				warn(o, "more than 1024 opset imports: "
				     "the rest are left out");
			break;
		case MODEL_METADATA_PROPS:
			if (o->nprops++ < MAX_ENTRIES)
				r = parse_prop(o, &f);
			else if (o->nprops == MAX_ENTRIES + 1)
				warn(o, "more than 1024 metadata_props: "
				     "the rest are left out");
			break;
		}
		if (r < 0)
			goto done;
	}
	if (r < 0)
		goto done;
	if (!o->has_graph) {
		r = mlreg_error_set(MLREG_EINVALID, "'%s' is not a valid onnx "
				    "model: it has no graph", src->name);
		goto done;
	}
	if ((r = parse_graph(o)) < 0 || (r = mark_constants(o)) < 0)
		goto done;

	res = mlreg_inspect_result("onnx", "onnx");
	details = cJSON_GetObjectItemCaseSensitive(res, "details");
	cJSON_AddNumberToObject(details, "ir_version",
				(double)(int64_t)ir_version);
	cJSON_AddStringToObject(details, "producer_name",
				producer ? producer : "");
	cJSON_AddStringToObject(details, "producer_version",
				producer_version ? producer_version : "");
	cJSON_AddStringToObject(details, "domain", domain ? domain : "");
	cJSON_AddNumberToObject(details, "model_version",
				(double)(int64_t)model_version);
	cJSON_AddItemToObject(details, "opset", o->opsets);
	o->opsets = NULL;
	cJSON_AddStringToObject(details, "graph_name",
				o->graph_name ? o->graph_name : "");
	cJSON_AddStringToObject(details, "doc_string", doc ? doc : "");
	cJSON_AddItemToObject(details, "metadata_props", o->props);
	o->props = NULL;
	cJSON_AddNumberToObject(details, "node_count", (double)o->nodes);
	cJSON_AddNumberToObject(details, "initializer_count",
				(double)o->initializers);
	sigs = cJSON_AddArrayToObject(res, "signatures");
	cJSON_AddItemToArray(sigs, signature(o));
	if (o->warnings) {
		cJSON_AddItemToObject(res, "warnings", o->warnings);
		o->warnings = NULL;
	}
	*out = res;
	r = 0;
done:
	free(producer);
	free(producer_version);
	free(domain);
	free(doc);
	free(o->graph_name);
	free_values(&o->in);
	free_values(&o->out);
	cJSON_Delete(o->opsets);
	cJSON_Delete(o->props);
	cJSON_Delete(o->warnings);
	free(o);
	return r;
}

/*
 * The sniffer reads only the top-level tags, stepping over the graph by
 * its length: every field must have the number and wire type ModelProto
 * gives it, ir_version must be plausible, and a graph must be there.  A
 * file whose name ends in .onnx that reads so until its bytes run out is
 * taken as a truncated model, for the parser to say so.  Returns 1 when
 * src's top level parses as an ONNX ModelProto so, else 0.
 */
static int sniff_onnx(const struct mlreg_src *src,
		      const unsigned char *head, size_t n)
{
	struct mlreg_pb *pb = xmalloc(sizeof(*pb));
	struct mlreg_pb_field f;
	uint64_t pos = 0;
	int r, fields = 0, ir_version = 0, graph = 0, truncated;

	mlreg_pb_init(pb, src, "onnx model");
	while ((r = mlreg_pb_next(pb, &pos, src->size, &f)) > 0) {
		if (++fields > MAX_TOP_FIELDS || model_wire(f.num) != f.wire)
			break;
		if (f.num == MODEL_IR_VERSION)
			ir_version = f.value >= 1 && f.value <= MAX_IR_VERSION;
		else if (f.num == MODEL_GRAPH)
			graph = 1;
	}
	truncated = r < 0 && pb->truncated && ir_version &&
		mlreg_src_has_ext(src->name, ".onnx");
	free(pb);
	return (r == 0 && ir_version && graph) || truncated;
}

const struct mlreg_inspector mlreg_inspector_onnx = {
	"onnx", sniff_onnx, mlreg_inspect_onnx
};
