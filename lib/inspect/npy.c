/*
 * NumPy's .npy format: the magic "\x93NUMPY", a major and a minor version
 * byte, the header's length (u16 little-endian in version 1, u32 in
 * versions 2 and 3), the header, then the array's raw bytes.  The header is
 * a Python dict literal padded with spaces and ended by a newline:
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * It is read by a small bounded parser that knows only what numpy writes
 * there: strings, True and False, tuples of integers, and for structured
 * dtypes lists of (name, descr[, shape]) tuples.  Nothing is evaluated.
 * The data must fit in the file: its size is the product of the shape and
 * the item size, computed with overflow checks.  An object array ('|O')
 * holds a pickle instead of raw bytes; it is reported, never read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inspect-int.h"
#include "util.h"

#define NPY_MAX_HEADER 65535	/* header bytes read (numpy writes far fewer) */
#define NPY_MAX_DIMS 64		/* dimensions in a shape */
#define NPY_MAX_DEPTH 8		/* nesting of structured dtypes */
#define NPY_MAX_FIELDS 4096	/* fields of one structured dtype */
#define NPY_MAX_STR 256		/* bytes of a string in the header */

/* A cursor over the header text. */
struct lit {
	const char *p, *end;	/* the text not read yet */
	const char *name;	/* file name for messages */
};

/* The parsed header. */
struct npy {
	char descr[NPY_MAX_STR];	/* as written (structured: "[...]") */
	const char *type;		/* our type, or numpy's own name */
	uint64_t itemsize;		/* bytes per element */
	int object;			/* of objects: the data is a pickle */
	int fortran_order;		/* -1 until read */
	int64_t shape[NPY_MAX_DIMS];
	size_t ndim;
	int have_shape;
};

/* Returns MLREG_EINVALID with a message naming the header's problem. */
static int lit_err(const struct lit *l, const char *what)
{
	return mlreg_error_set(MLREG_EINVALID,
			       "'%s' has a malformed .npy header: %s", l->name,
			       what);
}

/* Skips white space; returns the next character, or 0 at the end. */
static int peek(struct lit *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' ||
				 *l->p == '\n' || *l->p == '\r'))
		l->p++;
	return l->p < l->end ? (unsigned char)*l->p : 0;
}

/* Returns 0 after consuming c (after spaces), else MLREG_EINVALID. */
static int expect(struct lit *l, int c, const char *what)
{
	if (peek(l) != c)
		return lit_err(l, what);
	l->p++;
	return 0;
}

/*
 * Returns 0 after reading a quoted string (' or ") into out (cap bytes with
 * its NUL); MLREG_EINVALID when it is unterminated or too long.
 */
static int parse_string(struct lit *l, char *out, size_t cap)
{
	int q = peek(l);
	size_t n = 0;

	if (q != '\'' && q != '"')
		return lit_err(l, "expected a string");
	l->p++;
	while (l->p < l->end && *l->p != q) {
		char c = *l->p++;
		if (c == '\\') {
			if (l->p >= l->end)
				break;
			c = *l->p++;
		}
		if (n + 1 >= cap)
			return lit_err(l, "string too long");
		out[n++] = c;
	}
	if (l->p >= l->end)
		return lit_err(l, "unterminated string");
	l->p++;
	out[n] = 0;
	return 0;
}

/* Returns 0 after reading a non-negative integer (a Python 2 'L' allowed). */
static int parse_uint(struct lit *l, int64_t *v)
{
	uint64_t x = 0;

	if (peek(l) < '0' || peek(l) > '9')
		return lit_err(l, "expected an integer");
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (x > ((uint64_t)INT64_MAX - (uint64_t)(*l->p - '0')) / 10)
			return lit_err(l, "integer too large");
		x = x * 10 + (uint64_t)(*l->p++ - '0');
	}
	if (l->p < l->end && *l->p == 'L')
		l->p++;
	*v = (int64_t)x;
	return 0;
}

/*
 * Returns 0 after reading a tuple of integers into dims (at most max, their
 * count in *n); MLREG_EINVALID when it is anything else.
 */
static int parse_tuple(struct lit *l, int64_t *dims, size_t max, size_t *n)
{
	int err;

	*n = 0;
	if ((err = expect(l, '(', "expected a tuple")) < 0)
		return err;
	while (peek(l) != ')') {
		if (*n >= max)
			return lit_err(l, "too many dimensions");
		if ((err = parse_uint(l, &dims[*n])) < 0)
			return err;
		(*n)++;
		if (peek(l) == ',')
			l->p++;
		else if (peek(l) != ')')
			return lit_err(l, "expected ',' or ')' in a tuple");
	}
	l->p++;
	return 0;
}

/* Returns 0 and a * b in *r, or MLREG_EINVALID naming the overflow. */
static int mul(uint64_t *r, uint64_t a, uint64_t b, const char *name)
{
	if (__builtin_mul_overflow(a, b, r))
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' describes an array too large "
				       "to exist",
				       name);
	return 0;
}

/*
 * Returns 0 after mapping the typestring s ('<f4', '|b1', '<M8[ns]'...) to
 * its type and item size in n; MLREG_EINVALID for one numpy does not write.
 */
static int typestr(struct npy *n, const char *s, const struct lit *l)
{
	const char *p = s;
	unsigned long size = 0;
	char kind;

	if (*p == '<' || *p == '>' || *p == '|' || *p == '=')
		p++;
	kind = *p++;
	if (!kind)
		return lit_err(l, "empty descr");
	while (*p >= '0' && *p <= '9' && size < 1000000)
		size = size * 10 + (unsigned long)(*p++ - '0');
	if ((kind == 'M' || kind == 'm') && *p == '[') {
		p = strchr(p, ']');
		p = p ? p + 1 : "?";
	}
	if (*p)
		return lit_err(l, "unknown descr");
	n->itemsize = size;
	n->type = NULL;
	switch (kind) {
	case 'b':
		n->type = size == 1 ? "bool" : NULL;
		break;
	case 'i':
		n->type = size == 1   ? "int8"
			  : size == 2 ? "int16"
			  : size == 4 ? "int32"
			  : size == 8 ? "int64"
				      : NULL;
		break;
	case 'u':
		n->type = size == 1   ? "uint8"
			  : size == 2 ? "uint16"
			  : size == 4 ? "uint32"
			  : size == 8 ? "uint64"
				      : NULL;
		break;
	case 'f':
		n->type = size == 2    ? "half"
			  : size == 4  ? "float"
			  : size == 8  ? "double"
			  : size == 12 ? "float96"
			  : size == 16 ? "float128"
				       : NULL;
		break;
	case 'c':
		n->type = size == 8    ? "complex64"
			  : size == 16 ? "complex128"
			  : size == 24 ? "complex192"
			  : size == 32 ? "complex256"
				       : NULL;
		break;
	case 'S':
	case 'a':
		n->type = "string";
		break;
	case 'U':
		n->type = "string";
		n->itemsize = (uint64_t)size * 4;
		break;
	case 'V':
		n->type = "void";
		break;
	case 'M':
		n->type = size == 8 ? "datetime64" : NULL;
		break;
	case 'm':
		n->type = size == 8 ? "timedelta64" : NULL;
		break;
	case 'O':
		n->type = size == 8 || size == 4 || size == 0 ? "variant"
							      : NULL;
		n->object = 1;
		n->itemsize = size ? size : 8;
		break;
	}
	if (!n->type)
		return lit_err(l, "unsupported descr");
	return 0;
}

static int parse_fields(struct lit *l, uint64_t *size, int depth,
			struct npy *n);

/*
 * Returns 0 after reading one descr (a typestring, or a list of fields)
 * and its item size into *size; sets n's type for a typestring at the top.
 */
static int parse_descr(struct lit *l, uint64_t *size, int depth, struct npy *n)
{
	char s[NPY_MAX_STR];
	struct npy tmp;
	int err;

	if (peek(l) == '[') {
		if (depth >= NPY_MAX_DEPTH)
			return lit_err(l, "structured dtype nested too deep");
		return parse_fields(l, size, depth + 1, n);
	}
	if ((err = parse_string(l, s, sizeof(s))) < 0)
		return err;
	memset(&tmp, 0, sizeof(tmp));
	if ((err = typestr(&tmp, s, l)) < 0)
		return err;
	*size = tmp.itemsize;
	if (tmp.object)
		n->object = 1;	/* a field of objects makes the data a pickle */
	if (depth == 0) {
		n->type = tmp.type;
		snprintf(n->descr, sizeof(n->descr), "%s", s);
	}
	return 0;
}

/*
 * Returns 0 after reading a structured dtype's list of fields, each
 * (name, descr) or (name, descr, shape), with the sum of their sizes in
 * *size; MLREG_EINVALID for anything else.
 */
static int parse_fields(struct lit *l, uint64_t *size, int depth, struct npy *n)
{
	size_t count = 0;
	int err;

	*size = 0;
	l->p++;	/* '[' */
	while (peek(l) != ']') {
		char name[NPY_MAX_STR];
		uint64_t fsize = 0, k;
		int64_t dims[NPY_MAX_DIMS];
		size_t nd, i;
		if (++count > NPY_MAX_FIELDS)
			return lit_err(l, "too many fields");
		if ((err = expect(l, '(', "expected a field tuple")) < 0)
			return err;
		if (peek(l) == '(') {	/* (title, name) */
			l->p++;
			if ((err = parse_string(l, name, sizeof(name))) < 0 ||
			    (err = expect(l, ',', "expected ','")) < 0 ||
			    (err = parse_string(l, name, sizeof(name))) < 0 ||
			    (err = expect(l, ')', "expected ')'")) < 0)
				return err;
		} else if ((err = parse_string(l, name, sizeof(name))) < 0) {
			return err;
		}
		if ((err = expect(l, ',', "expected ',' in a field")) < 0 ||
		    (err = parse_descr(l, &fsize, depth, n)) < 0)
			return err;
		if (peek(l) == ',') {
			l->p++;
			if (peek(l) == '(') {
				if ((err = parse_tuple(l, dims, NPY_MAX_DIMS,
						       &nd)) < 0)
					return err;
				for (i = 0; i < nd; i++)
					if ((err = mul(&fsize, fsize,
						       (uint64_t)dims[i],
						       l->name)) < 0)
						return err;
			}
		}
		if ((err = expect(l, ')', "expected ')' after a field")) < 0)
			return err;
		if (__builtin_add_overflow(*size, fsize, &k))
			return lit_err(l, "structured dtype too large");
		*size = k;
		if (peek(l) == ',')
			l->p++;
		else if (peek(l) != ']')
			return lit_err(l,
				       "expected ',' or ']' in a field list");
	}
	l->p++;
	return 0;
}

/* Returns 0 after reading the header dict into n; MLREG_EINVALID otherwise. */
static int parse_header(struct npy *n, struct lit *l)
{
	int have_descr = 0, err;

	n->fortran_order = -1;
	if ((err = expect(l, '{', "expected '{'")) < 0)
		return err;
	while (peek(l) != '}') {
		char key[32];
		if ((err = parse_string(l, key, sizeof(key))) < 0 ||
		    (err = expect(l, ':', "expected ':'")) < 0)
			return err;
		if (!strcmp(key, "descr") && !have_descr) {
			const char *start = l->p;
			if ((err = parse_descr(l, &n->itemsize, 0, n)) < 0)
				return err;
			if (!n->type) {	/* structured */
				size_t len = (size_t)(l->p - start);
				while (len && (*start == ' '))
					start++, len--;
				if (len >= sizeof(n->descr))
					len = sizeof(n->descr) - 1;
				memcpy(n->descr, start, len);
				n->descr[len] = 0;
				n->type = "void";
			}
			have_descr = 1;
		} else if (!strcmp(key, "fortran_order") &&
			   n->fortran_order < 0) {
			peek(l);
			if ((size_t)(l->end - l->p) >= 4 &&
			    !memcmp(l->p, "True", 4)) {
				n->fortran_order = 1;
				l->p += 4;
			} else if ((size_t)(l->end - l->p) >= 5 &&
				   !memcmp(l->p, "False", 5)) {
				n->fortran_order = 0;
				l->p += 5;
			} else {
				return lit_err(
					l,
					"fortran_order is not True or False");
			}
		} else if (!strcmp(key, "shape") && !n->have_shape) {
			if ((err = parse_tuple(l, n->shape, NPY_MAX_DIMS,
					       &n->ndim)) < 0)
				return err;
			n->have_shape = 1;
		} else {
			return lit_err(l, "unexpected or repeated key");
		}
		if (peek(l) == ',')
			l->p++;
		else if (peek(l) != '}')
			return lit_err(l, "expected ',' or '}'");
	}
	l->p++;
	if (peek(l))
		return lit_err(l, "trailing bytes after the dict");
	if (!have_descr || n->fortran_order < 0 || !n->have_shape)
		return lit_err(l, "descr, fortran_order or shape missing");
	return 0;
}

int mlreg_npy_describe(cJSON **details, int *object_array,
		       const unsigned char *buf, size_t len, uint64_t size,
		       const char *name)
{
	struct npy n;
	struct lit l;
	uint64_t hlen, start, count = 1, data;
	cJSON *d, *shape;
	size_t i;
	int err;

	*details = NULL;
	*object_array = 0;
	if (len < 10 || len > size || memcmp(buf, "\x93NUMPY", 6))
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is not a .npy array", name);
	if (buf[6] < 1 || buf[6] > 3)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is a .npy array of unknown "
				       "version %u.%u",
				       name, buf[6], buf[7]);
	if (buf[6] == 1) {
		hlen = (uint64_t)buf[8] | (uint64_t)buf[9] << 8;
		start = 10;
	} else {
		if (len < 12)
			return mlreg_error_set(MLREG_EINVALID,
					       "'%s' is truncated", name);
		hlen = (uint64_t)buf[8] | (uint64_t)buf[9] << 8 |
		       (uint64_t)buf[10] << 16 | (uint64_t)buf[11] << 24;
		start = 12;
	}
	if (hlen > size - start)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is truncated: its .npy header "
				       "claims %llu bytes, the file has %llu",
				       name, (unsigned long long)hlen,
				       (unsigned long long)size);
	if (hlen > NPY_MAX_HEADER || hlen > len - start)
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' has a .npy header of %llu bytes "
				       "(at most %d are read)",
				       name, (unsigned long long)hlen,
				       NPY_MAX_HEADER);
	memset(&n, 0, sizeof(n));
	l.p = (const char *)buf + start;
	l.end = l.p + hlen;
	l.name = name;
	if ((err = parse_header(&n, &l)) < 0)
		return err;
	for (i = 0; i < n.ndim; i++)
		if ((err = mul(&count, count, (uint64_t)n.shape[i], name)) < 0)
			return err;
	if ((err = mul(&data, count, n.itemsize, name)) < 0)
		return err;
	if (!n.object && data > size - start - hlen)
		return mlreg_error_set(
			MLREG_EINVALID,
			"'%s' is truncated: its array needs "
			"%llu bytes of data, the file has %llu",
			name, (unsigned long long)data,
			(unsigned long long)(size - start - hlen));
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "descr", n.descr);
	cJSON_AddStringToObject(d, "type", n.type);
	cJSON_AddBoolToObject(d, "fortran_order", n.fortran_order);
	shape = cJSON_AddArrayToObject(d, "shape");
	for (i = 0; i < n.ndim; i++)
		cJSON_AddItemToArray(shape,
				     cJSON_CreateNumber((double)n.shape[i]));
	cJSON_AddNumberToObject(d, "itemsize", (double)n.itemsize);
	if (n.object)
		cJSON_AddNullToObject(d, "data_bytes");
	else
		cJSON_AddNumberToObject(d, "data_bytes", (double)data);
	{
		char v[16];
		snprintf(v, sizeof(v), "%u.%u", buf[6], buf[7]);
		cJSON_AddStringToObject(d, "version", v);
	}
	*details = d;
	*object_array = n.object;
	return 0;
}

int mlreg_inspect_npy(cJSON **out, const struct mlreg_src *src)
{
	unsigned char pre[12], *buf;
	uint64_t hlen, start;
	cJSON *r, *details;
	int object, err;

	*out = NULL;
	if ((err = mlreg_src_read(src, 0, pre,
				  src->size < 12 ? (size_t)src->size : 12)) < 0)
		return err;
	if (src->size < 10 || memcmp(pre, "\x93NUMPY", 6))
		return mlreg_error_set(MLREG_EINVALID,
				       "'%s' is not a .npy array", src->name);
	start = pre[6] == 1 ? 10 : 12;
	if (src->size < start)
		return mlreg_error_set(MLREG_EINVALID, "'%s' is truncated",
				       src->name);
	hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
	if (pre[6] != 1)
		hlen |= (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
	if (hlen > src->size - start)	/* let mlreg_npy_describe() say so */
		hlen = 0;
	if (hlen > NPY_MAX_HEADER)
		hlen = NPY_MAX_HEADER;
	buf = xmalloc((size_t)(start + hlen));
	err = mlreg_src_read(src, 0, buf, (size_t)(start + hlen));
	if (!err)
		err = mlreg_npy_describe(&details, &object, buf,
					 (size_t)(start + hlen), src->size,
					 src->name);
	free(buf);
	if (err < 0)
		return err;
	r = mlreg_inspect_result("npy", "numpy");
	cJSON_ReplaceItemInObject(r, "details", details);
	if (object) {
		cJSON *w = cJSON_AddArrayToObject(r, "warnings");
		cJSON_AddItemToArray(
			w,
			cJSON_CreateString("this array holds Python objects: "
					   "numpy.load needs allow_pickle=True "
					   "for it, which runs pickle code; "
					   "mlreg did not read them"));
	}
	*out = r;
	return 0;
}

/* Returns 1 when src starts with the .npy magic "\x93NUMPY", else 0. */
static int sniff_npy(const struct mlreg_src *src,
		     const unsigned char *head, size_t n)
{
	return n >= 6 && !memcmp(head, "\x93NUMPY", 6);
}

const struct mlreg_inspector mlreg_inspector_npy = {
	"npy", sniff_npy, mlreg_inspect_npy
};
