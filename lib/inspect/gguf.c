/*
 * GGUF, the file format of ggml and llama.cpp (spec: ggml's docs/gguf.md):
 *   "GGUF", u32 version (1 to 3), tensor count, metadata count,
 *   the metadata key/value pairs, the tensor infos, padding to the
 *   alignment (general.alignment, default 32), the tensor data.
 * Counts, string lengths, array lengths and dimensions are u64 from
 * version 2 on and u32 in version 1.  A string is a length and its bytes
 * (no NUL); a value is a u32 type and its bytes; an array value is the
 * element type, a count and the elements.  A tensor info is its name,
 * u32 n_dims, the dims (ggml order: the first is the fastest-varying one,
 * reported as stored), u32 ggml type and u64 offset from the data start.
 *
 * Everything is little-endian and read through a small buffered cursor
 * that checks each length against the file before skipping or reading it;
 * counts are capped and checked against what the rest of the file could
 * hold, arrays are summarized (type and count), never kept, and long
 * strings cut.  details.metadata keeps general.*, tokenizer.ggml.* and the
 * architecture's main hyperparameters (<arch>.context_length and so on).
 * Each tensor's data must lie inside the file, its size computed from the
 * ggml type's block size for the types known here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define GGUF_MAX_KV 1000000		/* metadata pairs */
#define GGUF_MAX_TENSORS 10000000	/* tensor infos */
#define GGUF_MAX_KEY 65535		/* bytes of a key (the spec's limit) */
#define GGUF_MAX_NAME 1024		/* bytes of a tensor name */
#define GGUF_MAX_DIMS 8			/* dimensions of a tensor */
#define GGUF_MAX_DEPTH 4		/* nesting of arrays */
#define GGUF_MAX_STRINGS (1u << 24)	/* strings in one array */
#define GGUF_MAX_KEPT 256		/* metadata keys kept in details */
#define GGUF_MAX_VALUE 1024		/* bytes of a string value kept */
#define GGUF_MAX_LISTED 1000		/* tensors listed in details.tensors */
#define BUF_SIZE 65536

/* Metadata value types. */
enum {
	T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32,
	T_BOOL, T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64, T_COUNT
};

/* Sizes of the fixed-size value types (0: not fixed). */
static const unsigned value_size[T_COUNT] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8
};

static const char *const value_name[T_COUNT] = {
	"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64"
};

/* ggml tensor types: name, our type (NULL: quantized), block size and bytes. */
static const struct {
	const char *name;
	const char *type;
	unsigned block, bytes;
} ggml_types[] = {
	/*  0 */ { "F32", "float", 1, 4 },
	/*  1 */ { "F16", "half", 1, 2 },
	/*  2 */ { "Q4_0", NULL, 32, 18 },
	/*  3 */ { "Q4_1", NULL, 32, 20 },
	/*  4 */ { "Q4_2", NULL, 0, 0 },	/* removed from ggml */
	/*  5 */ { "Q4_3", NULL, 0, 0 },	/* removed from ggml */
	/*  6 */ { "Q5_0", NULL, 32, 22 },
	/*  7 */ { "Q5_1", NULL, 32, 24 },
	/*  8 */ { "Q8_0", NULL, 32, 34 },
	/*  9 */ { "Q8_1", NULL, 32, 36 },
	/* 10 */ { "Q2_K", NULL, 256, 84 },
	/* 11 */ { "Q3_K", NULL, 256, 110 },
	/* 12 */ { "Q4_K", NULL, 256, 144 },
	/* 13 */ { "Q5_K", NULL, 256, 176 },
	/* 14 */ { "Q6_K", NULL, 256, 210 },
	/* 15 */ { "Q8_K", NULL, 256, 292 },
	/* 16 */ { "IQ2_XXS", NULL, 256, 66 },
	/* 17 */ { "IQ2_XS", NULL, 256, 74 },
	/* 18 */ { "IQ3_XXS", NULL, 256, 98 },
	/* 19 */ { "IQ1_S", NULL, 256, 50 },
	/* 20 */ { "IQ4_NL", NULL, 32, 18 },
	/* 21 */ { "IQ3_S", NULL, 256, 110 },
	/* 22 */ { "IQ2_S", NULL, 256, 82 },
	/* 23 */ { "IQ4_XS", NULL, 256, 136 },
	/* 24 */ { "I8", "int8", 1, 1 },
	/* 25 */ { "I16", "int16", 1, 2 },
	/* 26 */ { "I32", "int32", 1, 4 },
	/* 27 */ { "I64", "int64", 1, 8 },
	/* 28 */ { "F64", "double", 1, 8 },
	/* 29 */ { "IQ1_M", NULL, 256, 56 },
	/* 30 */ { "BF16", "bfloat16", 1, 2 },
	/* 31 */ { "Q4_0_4_4", NULL, 0, 0 },	/* removed from gguf files */
	/* 32 */ { "Q4_0_4_8", NULL, 0, 0 },
	/* 33 */ { "Q4_0_8_8", NULL, 0, 0 },
	/* 34 */ { "TQ1_0", NULL, 256, 54 },
	/* 35 */ { "TQ2_0", NULL, 256, 66 },
	/* 36 */ { "IQ4_NL_4_4", NULL, 0, 0 },	/* removed from gguf files */
	/* 37 */ { "IQ4_NL_4_8", NULL, 0, 0 },
	/* 38 */ { "IQ4_NL_8_8", NULL, 0, 0 },
	/* 39 */ { "MXFP4", NULL, 32, 17 },
};

/* general.file_type values, as the spec lists them. */
static const char *const file_types[] = {
	"ALL_F32", "MOSTLY_F16", "MOSTLY_Q4_0", "MOSTLY_Q4_1",
	"MOSTLY_Q4_1_SOME_F16", "MOSTLY_Q4_2", "MOSTLY_Q4_3", "MOSTLY_Q8_0",
	"MOSTLY_Q5_0", "MOSTLY_Q5_1", "MOSTLY_Q2_K", "MOSTLY_Q3_K_S",
	"MOSTLY_Q3_K_M", "MOSTLY_Q3_K_L", "MOSTLY_Q4_K_S", "MOSTLY_Q4_K_M",
	"MOSTLY_Q5_K_S", "MOSTLY_Q5_K_M", "MOSTLY_Q6_K",
};

/* Key suffixes kept for the file's architecture ("<arch>.<suffix>"). */
static const char *const arch_keys[] = {
	"context_length", "embedding_length", "block_count",
	"feed_forward_length", "attention.head_count",
	"attention.head_count_kv", "expert_count", "expert_used_count",
	"rope.dimension_count", "vocab_size",
};

/* A buffered cursor over the file. */
struct rd {
	const struct mlreg_src *src;
	uint64_t off;			/* next byte */
	int v1;				/* version 1: 32-bit counts, lengths */
	uint64_t buf_off;		/* file offset of buf[0] */
	size_t buf_len;			/* bytes held in buf */
	unsigned char buf[BUF_SIZE];
};

/* Returns 0 after reading n bytes at the cursor into dst. */
static int rd_bytes(struct rd *r, void *dst, size_t n)
{
	int err;

	if (r->off >= r->buf_off && r->off - r->buf_off <= r->buf_len &&
	    n <= r->buf_len - (r->off - r->buf_off)) {
		memcpy(dst, r->buf + (r->off - r->buf_off), n);
		r->off += n;
		return 0;
	}
	if (n > BUF_SIZE / 2 || r->src->size - r->off < n) {
		if ((err = mlreg_src_read(r->src, r->off, dst, n)) < 0)
			return err;
		r->off += n;
		return 0;
	}
	r->buf_off = r->off;
	r->buf_len = r->src->size - r->off < BUF_SIZE
			     ? (size_t)(r->src->size - r->off)
			     : BUF_SIZE;
	if ((err = mlreg_src_read(r->src, r->off, r->buf, r->buf_len)) < 0) {
		r->buf_len = 0;
		return err;
	}
	memcpy(dst, r->buf, n);
	r->off += n;
	return 0;
}

/* Returns 0 after moving the cursor n bytes on, MLREG_EINVALID past the end. */
static int rd_skip(struct rd *r, uint64_t n)
{
	if (n > r->src->size - r->off)
		return mlreg_error_set(
			MLREG_EINVALID,
			"'%s' is truncated (a GGUF field "
			"at offset %llu claims %llu bytes, the file has %llu)",
			r->src->name, (unsigned long long)r->off,
			(unsigned long long)n,
			(unsigned long long)r->src->size);
	r->off += n;
	return 0;
}

/* Returns 0 and the little-endian u32 at the cursor in *v. */
static int rd_u32(struct rd *r, uint32_t *v)
{
	unsigned char b[4];
	int err = rd_bytes(r, b, 4);

	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	     (uint32_t)b[3] << 24;
	return err;
}

/* Returns 0 and the little-endian u64 at the cursor in *v. */
static int rd_u64(struct rd *r, uint64_t *v)
{
	unsigned char b[8];
	int err = rd_bytes(r, b, 8), i;

	*v = 0;
	for (i = 0; i < 8; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return err;
}

/* Returns 0 and a count or length (u32 in version 1, u64 after) in *v. */
static int rd_len(struct rd *r, uint64_t *v)
{
	uint32_t v32;
	int err;

	if (!r->v1)
		return rd_u64(r, v);
	err = rd_u32(r, &v32);
	*v = v32;
	return err;
}

/* Returns MLREG_EINVALID with a message about src's GGUF structure. */
static int bad(const struct mlreg_src *src, const char *why)
{
	return mlreg_error_set(MLREG_EINVALID,
			       "'%s' is not a valid GGUF file: %s", src->name,
			       why);
}

/*
 * Returns 0 after reading a string: a newly allocated copy of its first
 * keep bytes in *out (NULL to skip it), its length in *len; MLREG_EINVALID
 * when it is longer than max or runs past the end.
 */
static int rd_string(struct rd *r, char **out, uint64_t *len, size_t keep,
		     uint64_t max)
{
	uint64_t n;
	int err;

	if (out)
		*out = NULL;
	if ((err = rd_len(r, &n)) < 0)
		return err;
	if (n > max)
		return bad(r->src, "string too long");
	if (n > r->src->size - r->off)
		return rd_skip(r, n);	/* says truncated */
	if (len)
		*len = n;
	if (!out)
		return rd_skip(r, n);
	if (keep > n)
		keep = (size_t)n;
	*out = xmalloc(keep + 1);
	if ((err = rd_bytes(r, *out, keep)) < 0 ||
	    (err = rd_skip(r, n - keep)) < 0) {
		free(*out);
		*out = NULL;
		return err;
	}
	(*out)[keep] = 0;
	return 0;
}

/*
 * Returns 0 after reading a value of type type, as JSON in *out when out is
 * not NULL (arrays as {"type", "count"}); MLREG_EINVALID when malformed.
 */
static int rd_value(struct rd *r, uint32_t type, cJSON **out, int depth)
{
	unsigned char b[8];
	int err, i;

	if (out)
		*out = NULL;
	if (type >= T_COUNT)
		return bad(r->src, "unknown metadata value type");
	if (type == T_STRING) {
		char *s;
		if ((err = rd_string(r, out ? &s : NULL, NULL, GGUF_MAX_VALUE,
				     UINT64_MAX)) < 0)
			return err;
		if (out) {
			*out = cJSON_CreateString(s);
			free(s);
		}
		return 0;
	}
	if (type == T_ARRAY) {
		uint32_t et;
		uint64_t count, k;
		if (depth >= GGUF_MAX_DEPTH)
			return bad(r->src, "arrays nested too deep");
		if ((err = rd_u32(r, &et)) < 0 || (err = rd_len(r, &count)) < 0)
			return err;
		if (et >= T_COUNT)
			return bad(r->src, "unknown array element type");
		if (out) {
			*out = cJSON_CreateObject();
			cJSON_AddStringToObject(*out, "type", value_name[et]);
			cJSON_AddNumberToObject(*out, "count", (double)count);
		}
		if (value_size[et]) {
			uint64_t bytes;
			if (__builtin_mul_overflow(
				    count, (uint64_t)value_size[et], &bytes))
				bytes = UINT64_MAX;
			return rd_skip(r, bytes);
		}
		/* strings and arrays: each takes at least 4 bytes */
		if (count > (r->src->size - r->off) / 4)
			return rd_skip(r, UINT64_MAX);	/* says truncated */
		if (count > GGUF_MAX_STRINGS)
			return mlreg_error_set(MLREG_EINVALID,
					       "'%s' has a GGUF array of %llu "
					       "elements (at most %u are read)",
					       r->src->name,
					       (unsigned long long)count,
					       GGUF_MAX_STRINGS);
		for (k = 0; k < count; k++)
			if ((err = rd_value(r, et, NULL, depth + 1)) < 0)
				return err;
		return 0;
	}
	if ((err = rd_bytes(r, b, value_size[type])) < 0)
		return err;
	if (!out)
		return 0;
	switch (type) {
	case T_UINT8:
		*out = cJSON_CreateNumber(b[0]);
		break;
	case T_INT8:
		*out = cJSON_CreateNumber((int8_t)b[0]);
		break;
	case T_BOOL:
		*out = cJSON_CreateBool(b[0] != 0);
		break;
	case T_UINT16:
		*out = cJSON_CreateNumber((uint16_t)(b[0] | b[1] << 8));
		break;
	case T_INT16:
		*out = cJSON_CreateNumber(
			(int16_t)(uint16_t)(b[0] | b[1] << 8));
		break;
	default: {
		uint64_t v = 0;
		for (i = 0; i < (int)value_size[type]; i++)
			v |= (uint64_t)b[i] << (8 * i);
		if (type == T_UINT32 || type == T_UINT64) {
			*out = cJSON_CreateNumber((double)v);
		} else if (type == T_INT32) {
			*out = cJSON_CreateNumber((int32_t)(uint32_t)v);
		} else if (type == T_INT64) {
			*out = cJSON_CreateNumber((double)(int64_t)v);
		} else if (type == T_FLOAT32) {
			uint32_t u = (uint32_t)v;
			float f;
			memcpy(&f, &u, 4);
			*out = f == f && f - f == 0 ? cJSON_CreateNumber(f)
						    : cJSON_CreateNull();
		} else {
			double d;
			memcpy(&d, &v, 8);
			*out = d == d && d - d == 0 ? cJSON_CreateNumber(d)
						    : cJSON_CreateNull();
		}
	}
	}
	return 0;
}

/* Returns 1 when key belongs in details.metadata whatever the architecture. */
static int kept_key(const char *key)
{
	size_t i, n = strlen(key);

	if (!strncmp(key, "general.", 8) ||
	    !strncmp(key, "tokenizer.ggml.", 15))
		return 1;
	for (i = 0; i < sizeof(arch_keys) / sizeof(arch_keys[0]); i++) {
		size_t k = strlen(arch_keys[i]);
		if (n > k + 1 && key[n - k - 1] == '.' &&
		    !strcmp(key + n - k, arch_keys[i]))
			return 2;	/* if the prefix is the architecture */
	}
	return 0;
}

/*
 * Returns 0 after reading count tensor infos into details and checking
 * that their data, from the aligned data start, lies inside the file.
 */
static int read_tensors(struct rd *r, uint64_t count, uint64_t alignment,
			cJSON *details)
{
	cJSON *types = cJSON_AddObjectToObject(details, "types");
	cJSON *list = cJSON_AddArrayToObject(details, "tensors");
	uint64_t params = 0, data_end = 0, i, start;
	size_t listed = 0;
	int err = 0;

	/* each info takes at least 20 bytes: count is bounded by the file */
	if (count > (r->src->size - r->off) / 20)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is truncated: it claims %llu "
				       "GGUF tensors",
				       r->src->name, (unsigned long long)count);
	for (i = 0; i < count; i++) {
		char *name = NULL, tn[24];
		const char *tname, *type;
		uint32_t nd, gt;
		int64_t dims[GGUF_MAX_DIMS];
		uint64_t numel = 1, d, j, off, size = 0, end;
		cJSON *h;
		if ((err = rd_string(r, &name, NULL, GGUF_MAX_NAME,
				     GGUF_MAX_NAME)) < 0)
			return err;
		if ((err = rd_u32(r, &nd)) < 0)
			goto next;
		if (nd > GGUF_MAX_DIMS) {
			err = bad(r->src, "a tensor has too many dimensions");
			goto next;
		}
		for (j = 0; j < nd; j++) {
			if ((err = rd_len(r, &d)) < 0)
				goto next;
			if (d > INT64_MAX ||
			    __builtin_mul_overflow(numel, d, &numel)) {
				err = bad(r->src, "a tensor's shape is too "
						  "large to exist");
				goto next;
			}
			dims[j] = (int64_t)d;
		}
		if ((err = rd_u32(r, &gt)) < 0 || (err = rd_u64(r, &off)) < 0)
			goto next;
		if (gt < sizeof(ggml_types) / sizeof(ggml_types[0])) {
			tname = ggml_types[gt].name;
			type = ggml_types[gt].type ? ggml_types[gt].type
						   : tname;
			if (ggml_types[gt].block) {
				if (numel % ggml_types[gt].block) {
					err = bad(r->src,
						  "a tensor's size is not a "
						  "multiple "
						  "of its type's block");
					goto next;
				}
				if (__builtin_mul_overflow(
					    numel / ggml_types[gt].block,
					    (uint64_t)ggml_types[gt].bytes,
					    &size)) {
					err = bad(r->src, "a tensor is too "
							  "large to exist");
					goto next;
				}
			}
		} else {
			snprintf(tn, sizeof(tn), "type_%u", gt);
			tname = type = tn;
		}
		if (__builtin_add_overflow(off, size, &end)) {
			err = bad(r->src, "a tensor's offset is too large");
			goto next;
		}
		if (end > data_end)
			data_end = end;
		if (__builtin_add_overflow(params, numel, &params)) {
			err = bad(r->src, "the parameter count overflows");
			goto next;
		}
		if ((h = cJSON_GetObjectItemCaseSensitive(types, tname)))
			cJSON_SetNumberValue(h, h->valuedouble + 1);
		else
			cJSON_AddNumberToObject(types, tname, 1);
		if (listed < GGUF_MAX_LISTED) {
			cJSON_AddItemToArray(
				list,
				mlreg_inspect_field(name, type, dims, nd));
			listed++;
		}
next:
		free(name);
		if (err < 0)
			return err;
	}
	cJSON_AddBoolToObject(details, "tensors_truncated", count > listed);
	cJSON_AddNumberToObject(details, "parameter_count", (double)params);
	/* the data starts at the next multiple of the alignment */
	start = r->off;
	if (start % alignment)
		start += alignment - start % alignment;
	if (count && (start > r->src->size || data_end > r->src->size - start))
		return mlreg_error_set(
			MLREG_EINVALID,
			"'%s' is truncated: its GGUF tensor "
			"data needs %llu bytes from offset %llu, the file has "
			"%llu",
			r->src->name, (unsigned long long)data_end,
			(unsigned long long)start,
			(unsigned long long)r->src->size);
	return 0;
}

int mlreg_inspect_gguf(cJSON **out, const struct mlreg_src *src)
{
	struct rd *r = xcalloc(1, sizeof(*r));
	uint32_t version;
	uint64_t tensors, kvs, i, alignment = 32;
	cJSON *res = NULL, *details, *meta, *pending, *kv, *arch = NULL;
	unsigned char magic[4];
	int err;

	*out = NULL;
	r->src = src;
	pending = cJSON_CreateObject();
	if ((err = rd_bytes(r, magic, 4)) < 0 ||
	    (err = rd_u32(r, &version)) < 0)
		goto done;
	if (memcmp(magic, "GGUF", 4)) {
		err = bad(src, "no GGUF magic");
		goto done;
	}
	if (version < 1 || version > 3) {
		char why[96];
		snprintf(why, sizeof(why), "unsupported version %u%s", version,
			 version >= 1 << 24 ? " (a big-endian file?)" : "");
		err = bad(src, why);
		goto done;
	}
	r->v1 = version == 1;
	if ((err = rd_len(r, &tensors)) < 0 || (err = rd_len(r, &kvs)) < 0)
		goto done;
	if (kvs > GGUF_MAX_KV || tensors > GGUF_MAX_TENSORS) {
		err = mlreg_error_set(
			MLREG_EINVALID,
			"'%s' claims %llu GGUF metadata "
			"entries and %llu tensors (at most %d and %d are read)",
			src->name, (unsigned long long)kvs,
			(unsigned long long)tensors, GGUF_MAX_KV,
			GGUF_MAX_TENSORS);
		goto done;
	}
	if (kvs > (src->size - r->off) / 9) {
		err = mlreg_error_set(MLREG_EINVALID,
				      "'%s' is truncated: it claims %llu "
				      "GGUF metadata entries",
				      src->name, (unsigned long long)kvs);
		goto done;
	}
	res = mlreg_inspect_result("gguf", "gguf");
	details = cJSON_GetObjectItemCaseSensitive(res, "details");
	cJSON_AddNumberToObject(details, "version", version);
	cJSON_AddNullToObject(details, "architecture");
	cJSON_AddNullToObject(details, "name");
	cJSON_AddNumberToObject(details, "tensor_count", (double)tensors);
	cJSON_AddNumberToObject(details, "metadata_count", (double)kvs);
	meta = cJSON_AddObjectToObject(details, "metadata");
	for (i = 0; i < kvs; i++) {
		char *key;
		uint32_t type;
		int keep;
		cJSON *v = NULL;
		if ((err = rd_string(r, &key, NULL, GGUF_MAX_KEY,
				     GGUF_MAX_KEY)) < 0)
			goto done;
		if ((err = rd_u32(r, &type)) < 0) {
			free(key);
			goto done;
		}
		keep = kept_key(key) &&
		       cJSON_GetArraySize(pending) < GGUF_MAX_KEPT;
		err = rd_value(r, type,
			       keep || !strcmp(key, "general.alignment") ? &v
									 : NULL,
			       0);
		if (err < 0) {
			cJSON_Delete(v); /* an array's summary, made early */
			free(key);
			goto done;
		}
		if (!strcmp(key, "general.alignment")) {
			double a = cJSON_IsNumber(v) && type != T_FLOAT32 &&
						   type != T_FLOAT64
					   ? v->valuedouble
					   : 0;
			if (a < 1 || a > (1u << 30) ||
			    ((uint64_t)a & ((uint64_t)a - 1))) {
				free(key);
				cJSON_Delete(v);
				err = bad(src, "general.alignment is not a "
					       "power of two");
				goto done;
			}
			alignment = (uint64_t)a;
		}
		if (v && keep &&
		    !cJSON_GetObjectItemCaseSensitive(pending, key))
			cJSON_AddItemToObject(pending, key, v);
		else
			cJSON_Delete(v);
		free(key);
	}
	/* general.* and tokenizer.ggml.*, then the architecture's own keys */
	arch = cJSON_GetObjectItemCaseSensitive(pending,
						"general.architecture");
	cJSON_ArrayForEach(kv, pending) {
		size_t al = cJSON_IsString(arch) ? strlen(arch->valuestring)
						 : 0;
		if (kept_key(kv->string) == 1 ||
		    (al && !strncmp(kv->string, arch->valuestring, al) &&
		     kv->string[al] == '.'))
			cJSON_AddItemToObject(meta, kv->string,
					      cJSON_Duplicate(kv, 1));
	}
	if (cJSON_IsString(arch))
		cJSON_ReplaceItemInObject(
			details, "architecture",
			cJSON_CreateString(arch->valuestring));
	kv = cJSON_GetObjectItemCaseSensitive(pending, "general.name");
	if (cJSON_IsString(kv))
		cJSON_ReplaceItemInObject(details, "name",
					  cJSON_CreateString(kv->valuestring));
	kv = cJSON_GetObjectItemCaseSensitive(pending, "general.file_type");
	if (cJSON_IsNumber(kv)) {
		cJSON_AddNumberToObject(details, "file_type", kv->valuedouble);
		double ft = kv->valuedouble;
		if (ft >= 0 && ft < sizeof(file_types) / sizeof(file_types[0]))
			cJSON_AddStringToObject(details, "file_type_name",
						file_types[(size_t)ft]);
	}
	cJSON_AddNumberToObject(details, "alignment", (double)alignment);
	err = read_tensors(r, tensors, alignment, details);
done:
	cJSON_Delete(pending);
	free(r);
	if (err < 0) {
		cJSON_Delete(res);
		return err;
	}
	*out = res;
	return 0;
}

/* Returns 1 when src starts with GGUF's magic "GGUF", else 0. */
static int sniff_gguf(const struct mlreg_src *src,
		      const unsigned char *head, size_t n)
{
	return !memcmp(head, "GGUF", 4);
}

const struct mlreg_inspector mlreg_inspector_gguf = {
	"gguf", sniff_gguf, mlreg_inspect_gguf
};
