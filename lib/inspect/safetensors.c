/*
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON,
 * then the data section holding every tensor's bytes.  The JSON maps each
 * tensor name to {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}
 * (offsets relative to the data section) and may hold "__metadata__", a
 * map of strings.  The header is read whole, as safetensors itself does,
 * but only after N is checked against the file and against safetensors' own
 * limit of 100 MB, and its JSON values are counted before cJSON builds a
 * tree of them.  Each tensor is checked: offsets inside the data section,
 * end >= begin, and end - begin equal to the element count times the
 * dtype's size, all with overflow checks.  The data itself is never read,
 * so a file of any size is inspected in constant memory beyond its header.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define ST_MAX_HEADER 100000000ull	/* header bytes (safetensors' limit) */
#define ST_MAX_VALUES 2000000		/* JSON values in the header */
#define ST_MAX_LISTED 1000		/* tensors listed in details.tensors */
#define ST_MAX_DIMS 64			/* dimensions of a tensor */
#define ST_MAX_META 1000		/* __metadata__ entries kept */
#define ST_MAX_META_LEN 4096		/* bytes of a __metadata__ value kept */

/* A safetensors dtype: its name in the file, our type, its size in bits. */
static const struct {
	const char *name;
	const char *type;
	unsigned bits;
} dtypes[] = {
	{ "BOOL", "bool", 8 },
	{ "U8", "uint8", 8 },
	{ "I8", "int8", 8 },
	{ "U16", "uint16", 16 },
	{ "I16", "int16", 16 },
	{ "F16", "half", 16 },
	{ "BF16", "bfloat16", 16 },
	{ "U32", "uint32", 32 },
	{ "I32", "int32", 32 },
	{ "F32", "float", 32 },
	{ "U64", "uint64", 64 },
	{ "I64", "int64", 64 },
	{ "F64", "double", 64 },
	{ "C64", "complex64", 64 },
	{ "F8_E5M2", "f8_e5m2", 8 },
	{ "F8_E4M3", "f8_e4m3", 8 },
	{ "F8_E8M0", "f8_e8m0", 8 },
	{ "F8_E4M3FNUZ", "f8_e4m3fnuz", 8 },
	{ "F8_E5M2FNUZ", "f8_e5m2fnuz", 8 },
	{ "F6_E2M3", "f6_e2m3", 6 },
	{ "F6_E3M2", "f6_e3m2", 6 },
	{ "F4", "f4", 4 },
};

/* __metadata__ "format" values and the frameworks they name. */
static const struct {
	const char *format;
	const char *framework;
} formats[] = {
	{ "pt", "pytorch" },
	{ "torch", "pytorch" },
	{ "tf", "tensorflow" },
	{ "flax", "flax" },
	{ "jax", "jax" },
	{ "np", "numpy" },
	{ "numpy", "numpy" },
	{ "mlx", "mlx" },
	{ "paddle", "paddlepaddle" },
};

/*
 * Returns s made fit for a one-line message in buf: at most 64 bytes,
 * control characters replaced by '?'.
 */
static const char *shown(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len && i < 64; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?'
								    : s[i];
	buf[i] = 0;
	return buf;
}

/* Returns MLREG_EINVALID with a message about tensor name of src. */
static int bad_tensor(const struct mlreg_src *src, const char *name,
		      const char *why)
{
	char b[80];

	return mlreg_error_set(MLREG_EINVALID,
			       "'%s' has a malformed safetensors header: "
			       "tensor '%s' %s",
			       src->name, shown(b, sizeof(b), name), why);
}

/* Returns 1 and the value in *v when item is an integer in [0, 2^53]. */
static int get_uint(const cJSON *item, uint64_t *v)
{
	double d;

	if (!cJSON_IsNumber(item))
		return 0;
	d = item->valuedouble;
	if (!isfinite(d) || d < 0 || d > 9007199254740992.0 ||
	    (double)(uint64_t)d != d)
		return 0;
	*v = (uint64_t)d;
	return 1;
}

/*
 * Returns the number of JSON values (roughly: separators and openings
 * outside strings) in the len bytes of text, stopping past max.
 */
static size_t count_values(const char *text, size_t len, size_t max)
{
	size_t i, n = 0;
	int in_str = 0;

	for (i = 0; i < len && n <= max; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == ',' || c == ':' || c == '[' || c == '{') {
			n++;
		}
	}
	return n;
}

/*
 * Returns 0 after checking tensor t (named name) against the data section
 * of data_size bytes, with its type in *type and element count in *numel;
 * MLREG_EINVALID naming what is wrong.
 */
static int check_tensor(const struct mlreg_src *src, const char *name,
			const cJSON *t, uint64_t data_size, const char **type,
			uint64_t *numel, int64_t *dims, size_t *ndims)
{
	const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
	const cJSON *d;
	uint64_t begin, end, n = 1, bits;
	unsigned elem_bits = 0;
	size_t i;

	if (!cJSON_IsObject(t))
		return bad_tensor(src, name, "is not an object");
	if (!cJSON_IsString(dtype))
		return bad_tensor(src, name, "has no dtype string");
	if (!cJSON_IsArray(shape))
		return bad_tensor(src, name, "has no shape array");
	if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
	    !get_uint(cJSON_GetArrayItem(offs, 0), &begin) ||
	    !get_uint(cJSON_GetArrayItem(offs, 1), &end))
		return bad_tensor(src, name,
				  "has no data_offsets pair of integers "
				  "from 0 to 2^53");
	*type = NULL;
	for (i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (!strcmp(dtype->valuestring, dtypes[i].name)) {
			*type = dtypes[i].type;
			elem_bits = dtypes[i].bits;
		}
	if (!*type)
		return bad_tensor(src, name, "has an unknown dtype");
	*ndims = 0;
	cJSON_ArrayForEach(d, shape) {
		uint64_t v;
		if (*ndims >= ST_MAX_DIMS)
			return bad_tensor(src, name, "has too many dimensions");
		if (!get_uint(d, &v))
			return bad_tensor(src, name,
					  "has a dimension that is not an "
					  "integer from 0 to 2^53");
		if (__builtin_mul_overflow(n, v, &n))
			return bad_tensor(src, name,
					  "has a shape too large to exist");
		dims[(*ndims)++] = (int64_t)v;
	}
	if (end < begin)
		return bad_tensor(src, name, "ends before it begins");
	if (end > data_size)
		return bad_tensor(src, name, "lies past the end of the data");
	if (__builtin_mul_overflow(n, (uint64_t)elem_bits, &bits) || bits % 8 ||
	    bits / 8 != end - begin)
		return bad_tensor(src, name,
				  "has a size that does not match its shape "
				  "and dtype");
	*numel = n;
	return 0;
}

/* Returns 0 after copying the __metadata__ map m into details.metadata. */
static int add_metadata(cJSON *details, const cJSON *m,
			const struct mlreg_src *src, const char **framework)
{
	cJSON *md = cJSON_AddObjectToObject(details, "metadata");
	const cJSON *kv;
	size_t n = 0, i;

	*framework = NULL;
	if (!cJSON_IsObject(m))
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' has a malformed safetensors "
				       "header: __metadata__ is not an object",
				       src->name);
	cJSON_ArrayForEach(kv, m) {
		char *v;
		if (!cJSON_IsString(kv))
			return mlreg_error_set(
				MLREG_EINVALID,
				"'%s' has a malformed "
				"safetensors header: __metadata__ values "
				"must be strings",
				src->name);
		if (!strcmp(kv->string, "format"))
			for (i = 0; i < sizeof(formats) / sizeof(formats[0]);
			     i++)
				if (!strcmp(kv->valuestring, formats[i].format))
					*framework = formats[i].framework;
		if (n++ >= ST_MAX_META) {
			cJSON_AddTrueToObject(details, "metadata_truncated");
			break;
		}
		v = xstrndup(kv->valuestring, ST_MAX_META_LEN);
		cJSON_AddStringToObject(md, kv->string, v);
		free(v);
	}
	return 0;
}

int mlreg_inspect_safetensors(cJSON **out, const struct mlreg_src *src)
{
	unsigned char lenbuf[8];
	uint64_t hlen = 0, data_size, count = 0, params = 0;
	char *text = NULL;
	cJSON *root = NULL, *r = NULL, *details, *tensors, *hist;
	const cJSON *t, *meta = NULL;
	const char *framework = NULL;
	int i, truncated = 0, err;

	*out = NULL;
	if ((err = mlreg_src_read(src, 0, lenbuf, 8)) < 0)
		return err;
	for (i = 0; i < 8; i++)
		hlen |= (uint64_t)lenbuf[i] << (8 * i);
	if (hlen > src->size - 8)
		return mlreg_error_set(
			MLREG_EINVALID,
			"'%s' is truncated: its safetensors "
			"header claims %llu bytes, the file has %llu",
			src->name, (unsigned long long)hlen,
			(unsigned long long)src->size);
	if (hlen > ST_MAX_HEADER)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' has a safetensors header of "
				       "%llu bytes (at most %llu are read)",
				       src->name, (unsigned long long)hlen,
				       ST_MAX_HEADER);
	data_size = src->size - 8 - hlen;
	text = xmalloc((size_t)hlen + 1);
	if ((err = mlreg_src_read(src, 8, text, (size_t)hlen)) < 0)
		goto done;
	text[hlen] = 0;
	if (count_values(text, (size_t)hlen, ST_MAX_VALUES) > ST_MAX_VALUES) {
		err = mlreg_error_set(MLREG_EINVALID,
				      "'%s' has a safetensors header of "
				      "more than %d JSON values",
				      src->name, ST_MAX_VALUES);
		goto done;
	}
	root = cJSON_ParseWithLength(text, (size_t)hlen);
	if (!cJSON_IsObject(root)) {
		err = mlreg_error_set(MLREG_EINVALID,
				      "'%s' has a malformed safetensors "
				      "header: not a JSON object",
				      src->name);
		goto done;
	}
	r = mlreg_inspect_result("safetensors", NULL);
	details = cJSON_GetObjectItemCaseSensitive(r, "details");
	cJSON_AddNumberToObject(details, "tensor_count", 0);
	cJSON_AddNumberToObject(details, "parameter_count", 0);
	hist = cJSON_AddObjectToObject(details, "dtypes");
	meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
	if (meta && (err = add_metadata(details, meta, src, &framework)) < 0)
		goto done;
	if (!meta)
		cJSON_AddObjectToObject(details, "metadata");
	tensors = cJSON_AddArrayToObject(details, "tensors");
	cJSON_ArrayForEach(t, root) {
		int64_t dims[ST_MAX_DIMS];
		size_t ndims = 0;
		const char *type = NULL;
		uint64_t numel = 0;
		cJSON *h;
		if (!strcmp(t->string, "__metadata__"))
			continue;
		if ((err = check_tensor(src, t->string, t, data_size, &type,
					&numel, dims, &ndims)) < 0)
			goto done;
		if (__builtin_add_overflow(params, numel, &params)) {
			err = bad_tensor(src, t->string,
					 "overflows the parameter count");
			goto done;
		}
		if ((h = cJSON_GetObjectItemCaseSensitive(hist, type)))
			cJSON_SetNumberValue(h, h->valuedouble + 1);
		else
			cJSON_AddNumberToObject(hist, type, 1);
		if (count++ < ST_MAX_LISTED)
			cJSON_AddItemToArray(
				tensors, mlreg_inspect_field(t->string, type,
							     dims, ndims));
		else
			truncated = 1;
	}
	cJSON_SetNumberValue(
		cJSON_GetObjectItemCaseSensitive(details, "tensor_count"),
		(double)count);
	cJSON_SetNumberValue(
		cJSON_GetObjectItemCaseSensitive(details, "parameter_count"),
		(double)params);
	cJSON_AddBoolToObject(details, "tensors_truncated", truncated);
	cJSON_AddNumberToObject(details, "header_bytes", (double)hlen);
	if (framework)
		cJSON_ReplaceItemInObject(r, "framework",
					  cJSON_CreateString(framework));
	*out = r;
	r = NULL;
done:
	cJSON_Delete(r);
	cJSON_Delete(root);
	free(text);
	return err;
}

/*
 * Returns 1 when src starts as safetensors does, a u64 little-endian
 * header length that fits the file and then a JSON object, else 0.
 */
static int sniff_safetensors(const struct mlreg_src *src,
			     const unsigned char *head, size_t n)
{
	uint64_t hl = 0;
	size_t i;

	if (n < 9)
		return 0;
	for (i = 0; i < 8; i++)
		hl |= (uint64_t)head[i] << (8 * i);
	return head[8] == '{' && hl >= 2 && hl <= src->size - 8;
}

const struct mlreg_inspector mlreg_inspector_safetensors = {
	"safetensors", sniff_safetensors, mlreg_inspect_safetensors
};
