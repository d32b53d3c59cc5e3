/*
 * Pack index parsing and writing (see pack.h).  An index comes from a
 * server, so nothing in it is believed before it is checked: every number
 * is parsed strictly, the entries must tile the pack exactly, and counts
 * are bounded before anything is allocated from them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pack.h"

#define HEADER "mlreg pack index 1\n"

/* Returns 0 and the decimal number at *p (advanced past it) in *v, or -1. */
static int parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s >= end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end && s[1] >= '0' &&
						  s[1] <= '9'))
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	*p = s;
	return 0;
}

/* Returns 0 after reading 64 lowercase hex digits at *p into hex, or -1. */
static int parse_hex(const char **p, const char *end, char *hex)
{
	if (end - *p < MLREG_HEX_LEN)
		return -1;
	memcpy(hex, *p, MLREG_HEX_LEN);
	hex[MLREG_HEX_LEN] = '\0';
	if (!mlreg_is_hex64(hex))
		return -1;
	*p += MLREG_HEX_LEN;
	return 0;
}

/* Returns 0 after consuming the character c at *p, or -1. */
static int expect_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

int mlreg_pack_index_parse(struct mlreg_pack_index *out, const char *buf, size_t len,
			   const char *expect)
{
	const char *p = buf, *end = buf + len;
	uint64_t count, sum = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len < strlen(HEADER) || memcmp(buf, HEADER, strlen(HEADER)) != 0)
		return mlreg_error_set(MLREG_ECORRUPT, "not an mlreg pack index (bad first line)");
	p += strlen(HEADER);
	if (end - p < 5 || memcmp(p, "pack ", 5) != 0 || (p += 5, parse_hex(&p, end, out->pack)) ||
	    expect_char(&p, end, ' ') || parse_u64(&p, end, &out->size) ||
	    expect_char(&p, end, ' ') || parse_u64(&p, end, &count) ||
	    expect_char(&p, end, '\n'))
		return mlreg_error_set(MLREG_ECORRUPT, "malformed pack index header");
	if (expect && strcmp(expect, out->pack) != 0)
		return mlreg_error_set(MLREG_ECORRUPT, "the pack index describes pack %s, not %s",
				       out->pack, expect);
	/* Each line takes at least 69 bytes: bound count before allocating. */
	if (count == 0 || count > MLREG_PACK_MAX_COUNT || count > (uint64_t)(end - p) / 69)
		return mlreg_error_set(MLREG_ECORRUPT, "pack index with an impossible object "
				       "count %llu", (unsigned long long)count);
	out->v = xcalloc((size_t)count, sizeof(*out->v));
	for (i = 0; i < count; i++) {
		struct mlreg_pack_entry *e = &out->v[i];
		if (parse_hex(&p, end, e->hex) || expect_char(&p, end, ' ') ||
		    parse_u64(&p, end, &e->off) || expect_char(&p, end, ' ') ||
		    parse_u64(&p, end, &e->size) || expect_char(&p, end, '\n')) {
			mlreg_pack_index_free(out);
			return mlreg_error_set(MLREG_ECORRUPT, "malformed pack index line %zu",
					       i + 3);
		}
		if (e->off != sum || e->size > out->size - sum ||
		    (i > 0 && strcmp(out->v[i - 1].hex, e->hex) >= 0)) {
			mlreg_pack_index_free(out);
			return mlreg_error_set(MLREG_ECORRUPT, "pack index line %zu is out of order "
					       "or outside the pack", i + 3);
		}
		sum += e->size;
	}
	out->n = (size_t)count;
	if (p != end || sum != out->size) {
		mlreg_pack_index_free(out);
		return mlreg_error_set(MLREG_ECORRUPT, "the pack index does not cover its pack "
				       "exactly");
	}
	return 0;
}

char *mlreg_pack_index_format(const struct mlreg_pack_index *idx, size_t *len)
{
	size_t cap = 128 + idx->n * (MLREG_HEX_LEN + 44), used;
	char *s = xmalloc(cap);

	used = (size_t)snprintf(s, cap, HEADER "pack %s %llu %zu\n", idx->pack,
				(unsigned long long)idx->size, idx->n);
	for (size_t i = 0; i < idx->n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s %llu %llu\n", idx->v[i].hex,
					 (unsigned long long)idx->v[i].off,
					 (unsigned long long)idx->v[i].size);
	*len = used;
	return s;
}

static int cmp_entry(const void *key, const void *elt)
{
	return strcmp(key, ((const struct mlreg_pack_entry *)elt)->hex);
}

const struct mlreg_pack_entry *mlreg_pack_index_find(const struct mlreg_pack_index *idx,
						     const char *hex)
{
	return bsearch(hex, idx->v, idx->n, sizeof(*idx->v), cmp_entry);
}

void mlreg_pack_index_free(struct mlreg_pack_index *idx)
{
	free(idx->v);
	idx->v = NULL;
	idx->n = 0;
}
