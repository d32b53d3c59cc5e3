/*
 * The filter language of list-versions and search (filter.h has the
 * grammar and the bounds): a recursive-descent parser over a bounded
 * string into a small tree, an evaluator over version records, and the
 * sort keys of --sort-by, which keep a number or a string per version
 * instead of the record.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "filter.h"
#include "util.h"

enum { N_OR, N_AND, N_NOT, N_HAS, N_CMP };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_GLOB };

struct mlreg_filter {
	int type;			/* N_* */
	struct mlreg_filter *l, *r;	/* N_OR, N_AND: both; N_NOT: l */
	char *field;			/* N_HAS, N_CMP */
	int op;				/* N_CMP: OP_* */
	char *str;			/* N_CMP: the value as written */
	int isnum;			/* str is a number (unquoted) */
	double num;			/* its value */
	int istime;			/* field is created: time holds str's time */
	double time;
};

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
};

/* The fields that are not under metrics, hparams or metadata. */
static const char *const plain_fields[] = {
	"version", "created", "size", "framework", "message", "model", "aliases",
	"deprecated", NULL
};
static const char *const nested_fields[] = { "metrics", "hparams", "metadata", NULL };

/* Returns MLREG_EUSAGE after setting the message for column pos + 1. */
static int fail_at(const struct parser *p, size_t pos, const char *why)
{
	return mlreg_error_set(MLREG_EUSAGE, "invalid filter at column %zu: %s", pos + 1, why);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Returns 1 for the bytes a field name or a bare word may hold. */
static int is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '+' ||
	       c == '*' || c == '?' || c == '[' || c == ']' || c == '@' || c == ',';
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && is_space((unsigned char)p->s[p->pos]))
		p->pos++;
}

/* Returns the length of the word at p->pos (0 when there is none). */
static size_t word_len(const struct parser *p)
{
	size_t n = 0;

	while (p->pos + n < p->len && is_word((unsigned char)p->s[p->pos + n]))
		n++;
	return n;
}

/* Returns 1 when the word at p->pos is keyword kw (then skips it). */
static int keyword(struct parser *p, const char *kw)
{
	size_t n = word_len(p);

	if (n != strlen(kw) || memcmp(p->s + p->pos, kw, n))
		return 0;
	p->pos += n;
	return 1;
}

int mlreg_field_check(const char *name)
{
	size_t i, n;
	const char *dot = strchr(name, '.'), *s;

	for (i = 0; plain_fields[i]; i++)
		if (!strcmp(name, plain_fields[i]))
			return 0;
	n = dot ? (size_t)(dot - name) : 0;
	for (i = 0; dot && nested_fields[i]; i++) {
		if (strlen(nested_fields[i]) != n || memcmp(name, nested_fields[i], n))
			continue;
		for (s = dot; *s; s++)	/* no empty key: "metrics.", "metrics.a..b" */
			if (*s == '.' && (s[1] == '.' || s[1] == '\0'))
				goto bad;
		return 0;
	}
bad:
	return mlreg_error_set(MLREG_EUSAGE, "unknown field '%s' (want version, created, size, "
			       "framework, message, model or metrics.KEY, hparams.KEY, metadata.KEY)", name);
}

/* Returns the member of obj at the dotted path key (len bytes), or NULL. */
static const cJSON *get_path(const cJSON *obj, const char *key, size_t len)
{
	const cJSON *c;
	size_t i;

	if (!cJSON_IsObject(obj))
		return NULL;
	cJSON_ArrayForEach(c, obj) {	/* a key with dots in it, whole */
		if (c->string && strlen(c->string) == len && !memcmp(c->string, key, len))
			return c;
	}
	for (i = 0; i < len; i++) {	/* else a.b.c as nested objects */
		if (key[i] != '.')
			continue;
		cJSON_ArrayForEach(c, obj) {
			if (c->string && strlen(c->string) == i && !memcmp(c->string, key, i)) {
				const cJSON *v = get_path(c, key + i + 1, len - i - 1);
				if (v)
					return v;
			}
		}
	}
	return NULL;
}

const cJSON *mlreg_field_get(const cJSON *version, const char *name)
{
	const cJSON *v;

	if (!strcmp(name, "framework")) {
		v = cJSON_GetObjectItemCaseSensitive(version, "framework");
		if (cJSON_IsObject(v))	/* {name, version}: the name */
			v = cJSON_GetObjectItemCaseSensitive(v, "name");
	} else {
		v = get_path(version, name, strlen(name));
	}
	return cJSON_IsNull(v) ? NULL : v;
}

static int digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Returns 0 and in *t the seconds since 1970 of an RFC 3339 time
 * (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)) or date (YYYY-MM-DD, at
 * midnight UTC) of n bytes; -1 when it is neither.
 */
static int parse_time(double *t, const char *s, size_t n)
{
	int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
	double frac = 0;
	long long days;
	size_t i = 10;

	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (n > 10) {
		if (n < 20 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
		    s[13] != ':' || s[16] != ':')
			return -1;
		h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
			return -1;
		i = 19;
		if (s[i] == '.') {
			double scale = 0.1;
			if (++i >= n || s[i] < '0' || s[i] > '9')
				return -1;
			for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
				frac += (s[i] - '0') * scale;
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
			int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return -1;
			off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
			i += 6;
		} else {
			return -1;
		}
	}
	if (i != n)
		return -1;
	/* days from civil (Howard Hinnant's algorithm) */
	{
		int yy = y - (mo <= 2);
		int era = yy / 400;
		int yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = (long long)era * 146097 + doe - 719468;
	}
	*t = (double)(days * 86400 + h * 3600 + mi * 60 + se - off) + frac;
	return 0;
}

static void node_free(struct mlreg_filter *f)
{
	if (!f)
		return;
	node_free(f->l);
	node_free(f->r);
	free(f->field);
	free(f->str);
	free(f);
}

void mlreg_filter_free(struct mlreg_filter *f)
{
	node_free(f);
}

static int parse_or(struct parser *p, struct mlreg_filter **out);

/* Returns 0 and in *out a comparison or "has" term at p->pos. */
static int parse_term(struct parser *p, struct mlreg_filter **out)
{
	static const struct { const char *s; int op; } ops[] = {
		{ "<=", OP_LE }, { ">=", OP_GE }, { "!=", OP_NE }, { "=", OP_EQ },
		{ "<", OP_LT }, { ">", OP_GT }, { "~", OP_GLOB },
	};
	struct mlreg_filter *f = xcalloc(1, sizeof(*f));
	size_t i, n, at;
	int has = 0, err;

	*out = NULL;
	at = p->pos;
	if (keyword(p, "has")) {
		has = 1;
		skip_space(p);
		at = p->pos;
	}
	if (p->pos >= p->len) {
		err = fail_at(p, p->pos, "expected a field");
		goto fail;
	}
	if (!(n = word_len(p))) {
		err = fail_at(p, p->pos, "expected a field");
		goto fail;
	}
	f->field = xstrndup(p->s + p->pos, n);
	if (mlreg_field_check(f->field) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", mlreg_error_message());
		err = fail_at(p, at, why);
		goto fail;
	}
	p->pos += n;
	if (has) {
		f->type = N_HAS;
		*out = f;
		return 0;
	}
	f->type = N_CMP;
	skip_space(p);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t k = strlen(ops[i].s);
		if (p->pos + k <= p->len && !memcmp(p->s + p->pos, ops[i].s, k)) {
			f->op = ops[i].op;
			p->pos += k;
			break;
		}
	}
	if (i == sizeof(ops) / sizeof(ops[0])) {
		err = fail_at(p, p->pos, "expected an operator (= != < <= > >= ~)");
		goto fail;
	}
	skip_space(p);
	at = p->pos;
	if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"')) {
		char q = p->s[p->pos];
		const char *end = memchr(p->s + p->pos + 1, q, p->len - p->pos - 1);
		if (!end) {
			err = fail_at(p, at, "unterminated string");
			goto fail;
		}
		n = (size_t)(end - (p->s + p->pos + 1));
		if (memchr(p->s + p->pos + 1, '\0', n)) {
			err = fail_at(p, at, "a NUL byte in a string");
			goto fail;
		}
		f->str = xstrndup(p->s + p->pos + 1, n);
		p->pos += n + 2;
	} else {
		char *end;
		if (!(n = word_len(p))) {
			err = fail_at(p, at, "expected a value");
			goto fail;
		}
		f->str = xstrndup(p->s + p->pos, n);
		p->pos += n;
		f->num = strtod(f->str, &end);
		f->isnum = *end == '\0' && isfinite(f->num) &&
			   (f->str[0] == '-' || f->str[0] == '+' || f->str[0] == '.' ||
			    (f->str[0] >= '0' && f->str[0] <= '9'));
	}
	if (!strcmp(f->field, "created") && f->op != OP_GLOB) {
		if (parse_time(&f->time, f->str, strlen(f->str)) < 0) {
			err = fail_at(p, at, "created wants an RFC 3339 time or a date (YYYY-MM-DD)");
			goto fail;
		}
		f->istime = 1;
	}
	*out = f;
	return 0;
fail:
	node_free(f);
	return err;
}

/* Returns 0 and in *out a "not", a parenthesised expression or a term. */
static int parse_unary(struct parser *p, struct mlreg_filter **out)
{
	int err;

	*out = NULL;
	skip_space(p);
	if (++p->depth > MLREG_FILTER_MAX_DEPTH)
		return fail_at(p, p->pos, "nested too deeply");
	if (keyword(p, "not")) {
		struct mlreg_filter *f = xcalloc(1, sizeof(*f));
		f->type = N_NOT;
		if ((err = parse_unary(p, &f->l)) < 0) {
			node_free(f);
			return err;
		}
		*out = f;
	} else if (p->pos < p->len && p->s[p->pos] == '(') {
		size_t open = p->pos++;
		if ((err = parse_or(p, out)) < 0)
			return err;
		skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			node_free(*out);
			*out = NULL;
			return fail_at(p, p->pos >= p->len ? open : p->pos,
				       p->pos >= p->len ? "unclosed '('" : "expected ')'");
		}
		p->pos++;
	} else if ((err = parse_term(p, out)) < 0) {
		return err;
	}
	p->depth--;
	return 0;
}

/* Returns 0 and in *out the terms joined by kw ("and" or "or") at p->pos. */
static int parse_chain(struct parser *p, struct mlreg_filter **out, int type)
{
	struct mlreg_filter *l = NULL, *r, *f;
	int err;

	*out = NULL;
	if ((err = type == N_OR ? parse_chain(p, &l, N_AND) : parse_unary(p, &l)) < 0)
		return err;
	for (;;) {
		skip_space(p);
		if (!keyword(p, type == N_OR ? "or" : "and"))
			break;
		if ((err = type == N_OR ? parse_chain(p, &r, N_AND) : parse_unary(p, &r)) < 0) {
			node_free(l);
			return err;
		}
		f = xcalloc(1, sizeof(*f));
		f->type = type;
		f->l = l;
		f->r = r;
		l = f;
	}
	*out = l;
	return 0;
}

static int parse_or(struct parser *p, struct mlreg_filter **out)
{
	return parse_chain(p, out, N_OR);
}

int mlreg_filter_parse(struct mlreg_filter **out, const char *text, size_t len)
{
	struct parser p = { text, len, 0, 0 };
	int err;

	*out = NULL;
	if (len > MLREG_FILTER_MAX_LEN)
		return mlreg_error_set(MLREG_EUSAGE, "invalid filter: longer than %d bytes",
				       MLREG_FILTER_MAX_LEN);
	skip_space(&p);
	if (p.pos == len)
		return fail_at(&p, p.pos, "empty expression");
	if ((err = parse_or(&p, out)) < 0)
		return err;
	skip_space(&p);
	if (p.pos < len) {
		mlreg_filter_free(*out);
		*out = NULL;
		return fail_at(&p, p.pos, p.s[p.pos] == ')' ? "unmatched ')'" :
			       "expected 'and', 'or' or the end");
	}
	return 0;
}

/* Returns <0, 0, >0 comparing a with b, for op. */
static int op_holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

/* Returns 1 when comparison f holds for value v (not NULL). */
static int compare(const struct mlreg_filter *f, const cJSON *v)
{
	const char *s = NULL;

	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!f->isnum || f->op == OP_GLOB)
			return 0;
		return op_holds(f->op, d < f->num ? -1 : d > f->num);
	}
	if (cJSON_IsString(v))
		s = v->valuestring;
	else if (cJSON_IsTrue(v))
		s = "true";
	else if (cJSON_IsFalse(v))
		s = "false";
	if (!s)
		return 0;	/* objects and arrays: only "has" */
	if (f->op == OP_GLOB)
		return fnmatch(f->str, s, 0) == 0;
	if (f->istime) {
		double t;
		if (parse_time(&t, s, strlen(s)) < 0)
			return 0;
		return op_holds(f->op, t < f->time ? -1 : t > f->time);
	}
	if (f->isnum) {	/* "10" from -m epochs=10 against 9: as numbers */
		char *end;
		double d = strtod(s, &end);
		if (*s && *end == '\0' && isfinite(d))
			return op_holds(f->op, d < f->num ? -1 : d > f->num);
	}
	{
		int c = strcmp(s, f->str);
		return op_holds(f->op, c < 0 ? -1 : c > 0);
	}
}

int mlreg_filter_match(const struct mlreg_filter *f, const cJSON *version)
{
	const cJSON *v;

	switch (f->type) {
	case N_OR:
		return mlreg_filter_match(f->l, version) || mlreg_filter_match(f->r, version);
	case N_AND:
		return mlreg_filter_match(f->l, version) && mlreg_filter_match(f->r, version);
	case N_NOT:
		return !mlreg_filter_match(f->l, version);
	case N_HAS:
		v = mlreg_field_get(version, f->field);
		return cJSON_IsArray(v) ? cJSON_GetArraySize(v) > 0 : v != NULL;
	default:
		v = mlreg_field_get(version, f->field);
		if (cJSON_IsArray(v)) {	/* aliases: one of them matches; != none does */
			struct mlreg_filter eq = *f;
			const cJSON *e;
			if (f->op == OP_NE)
				eq.op = OP_EQ;
			cJSON_ArrayForEach(e, v)
				if (compare(&eq, e))
					return f->op != OP_NE;
			return f->op == OP_NE;
		}
		return v ? compare(f, v) : 0;
	}
}

void mlreg_sort_key_get(struct mlreg_sort_key *key, const cJSON *version, const char *name)
{
	const cJSON *v = mlreg_field_get(version, name);

	key->kind = 0;
	key->num = 0;
	key->str = NULL;
	if (cJSON_IsNumber(v)) {
		key->kind = 1;
		key->num = v->valuedouble;
	} else if (cJSON_IsString(v)) {
		key->kind = 2;
		key->str = xstrdup(v->valuestring);
	} else if (cJSON_IsBool(v)) {
		key->kind = 2;
		key->str = xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	}
}

int mlreg_sort_key_cmp(const struct mlreg_sort_key *a, const struct mlreg_sort_key *b, int desc)
{
	int c;

	if (!a->kind || !b->kind)	/* missing last, whatever the order */
		return (!a->kind) - (!b->kind);
	if (a->kind != b->kind)
		c = a->kind - b->kind;
	else if (a->kind == 1)
		c = a->num < b->num ? -1 : a->num > b->num;
	else
		c = strcmp(a->str, b->str);
	return desc ? -c : c;
}
