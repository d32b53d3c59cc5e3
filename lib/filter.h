/*
 * Filter expressions over version records, and the fields they name: the
 * small language of 'mlreg list-versions --filter' and 'mlreg search'
 * (man/mlreg-search.1 documents it for users), and the sort keys of
 * --sort-by.
 *
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | "has" FIELD | FIELD OP VALUE
 *   OP      := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~" (glob, fnmatch)
 *   FIELD   := version | created | size | framework | message | model
 *            | aliases | deprecated
 *            | (metrics|hparams|metadata) "." KEY ("." KEY)*
 *   VALUE   := number | 'string' | "string" | bare word
 *
 * aliases is an array (the version's aliases, lifecycle.h): a comparison
 * holds when one element does ("!=": when none is equal), "has" when it
 * is not empty; deprecated is a boolean.  A comparison whose field is missing,
 * or whose field and value are not of one kind (a number against a word),
 * is false; "not" makes it true.  created is compared as an RFC 3339 time.
 *
 * Threats: the expression comes from the command line or a script.  The
 * parser bounds what it reads: at most MLREG_FILTER_MAX_LEN bytes and
 * MLREG_FILTER_MAX_DEPTH nested "(" and "not" (the parser recurses, so
 * this bounds the stack), and allocates one node per operand.  It never
 * reads past len and accepts any bytes (a NUL ends nothing: it is an
 * error), so mlreg_filter_parse() is a fuzz target as it is.
 */
#ifndef MLREG_FILTER_H
#define MLREG_FILTER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define MLREG_FILTER_MAX_LEN 4096
#define MLREG_FILTER_MAX_DEPTH 64

struct mlreg_filter;

/*
 * Returns 0 and in *out the expression of the len bytes at text; else
 * MLREG_EUSAGE with the message "invalid filter at column N: why" (N
 * counted from 1) and *out NULL.
 */
int mlreg_filter_parse(struct mlreg_filter **out, const char *text, size_t len);

/* Returns 1 when version (a version record) matches f, else 0. */
int mlreg_filter_match(const struct mlreg_filter *f, const cJSON *version);

/* Frees f (NULL is allowed). */
void mlreg_filter_free(struct mlreg_filter *f);

/*
 * Returns 0 when name is a field the language knows (as FIELD above); else
 * MLREG_EUSAGE with a message naming it.
 */
int mlreg_field_check(const char *name);

/*
 * Returns the value of field name in version (not a copy), or NULL when
 * the record has no such field.  name must have passed mlreg_field_check().
 */
const cJSON *mlreg_field_get(const cJSON *version, const char *name);

/*
 * A sort key: a field's value reduced to a number or a copy of a string,
 * so that sorting keeps keys, not records.  Missing keys sort last in
 * either order; numbers sort before strings.
 */
struct mlreg_sort_key {
	int kind;	/* 0 missing, 1 number, 2 string */
	double num;	/* kind 1 */
	char *str;	/* kind 2, owned */
};

/* Returns the key of field name in version (fill *key; free key->str). */
void mlreg_sort_key_get(struct mlreg_sort_key *key, const cJSON *version, const char *name);

/*
 * Returns <0, 0 or >0 as a sorts before, with or after b in the order asked
 * (desc nonzero: largest first), missing keys last either way.
 */
int mlreg_sort_key_cmp(const struct mlreg_sort_key *a, const struct mlreg_sort_key *b, int desc);

#endif
