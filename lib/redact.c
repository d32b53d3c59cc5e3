/*
 * Redaction (see redact.h for the rule, stated once).  Names are judged
 * word by word; strings are scanned once, left to right, for URL user
 * information, NAME=VALUE assignments and NAME: VALUE lines; documents are
 * walked, each scalar judged by its name.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "util.h"

#define WORD_MAX 32		/* longer words are never secret words */
#define WORDS_MAX 64		/* words judged in one name */

/* Returns 1 when w (lower case) is a secret word by redact.h's list. */
static int secret_word(const char *w, size_t n)
{
	static const char *const is[] = {
		"auth", "authorization", "cookie", "credential", "credentials", "creds", "passphrase",
		"pwd", "sig", "signature", "secrets", "passwords", "apikey", "accesskey",
		"privatekey", "secretkey",
	};
	static const char *const ends[] = { "password", "passwd", "secret", "token" };
	size_t i, k;

	for (i = 0; i < sizeof(is) / sizeof(is[0]); i++)
		if (strlen(is[i]) == n && !memcmp(w, is[i], n))
			return 1;
	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if ((k = strlen(ends[i])) <= n && !memcmp(w + n - k, ends[i], k))
			return 1;
	return 0;
}

/* Returns 1 when the name (len bytes) says "secret". */
static int secret_name(const char *name, size_t len)
{
	char words[WORDS_MAX][WORD_MAX + 1];
	size_t nw = 0, i = 0;

	while (i < len && nw < WORDS_MAX) {
		size_t start, n = 0;
		while (i < len && !isalpha((unsigned char)name[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		for (i++; i < len && isalpha((unsigned char)name[i]); i++) {
			unsigned char a = (unsigned char)name[i - 1], b = (unsigned char)name[i];
			if (islower(a) && isupper(b))
				break;
			if (isupper(a) && isupper(b) && i + 1 < len &&
			    islower((unsigned char)name[i + 1]))
				break;
		}
		if (i - start > WORD_MAX) {
			words[nw++][0] = '\0';	/* too long to be a secret word */
			continue;
		}
		for (; start < i; start++)
			words[nw][n++] = (char)tolower((unsigned char)name[start]);
		words[nw++][n] = '\0';
	}
	for (i = 0; i < nw; i++) {
		char pair[2 * WORD_MAX + 1];
		size_t a = strlen(words[i]);
		if (a && secret_word(words[i], a))
			return 1;
		if (i + 1 < nw && a) {
			size_t b = strlen(words[i + 1]);
			memcpy(pair, words[i], a);
			memcpy(pair + a, words[i + 1], b);
			if (b && secret_word(pair, a + b))
				return 1;
		}
	}
	return 0;
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

static int scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '.' || c == '-';
}

/* Returns 1 when a NAME may start at s[i]: the start, or after a space or separator. */
static int name_may_start(const char *s, size_t i)
{
	return i == 0 || isspace((unsigned char)s[i - 1]) || strchr("?&;#,'\"", s[i - 1]);
}

/* Returns 1 when the scheme ending at s + end keeps the user name of its URLs. */
static int keeps_user(const char *s, size_t end)
{
	static const char *const keep[] = { "ssh", "git+ssh", "ssh+git", "sftp", "oci" };
	size_t start = end, i;

	while (start > 0 && scheme_char(s[start - 1]))
		start--;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (strlen(keep[i]) == end - start && !strncasecmp(s + start, keep[i], end - start))
			return 1;
	return 0;
}

/*
 * Returns the length of the authority after "://" at s + i (up to '/', '?',
 * '#', white space or a quote) after writing it to o without its secret
 * user information; counts a removal in *n.
 */
static size_t url_authority(struct mlreg_buf *o, const char *s, size_t i, int *n)
{
	size_t end = i, at = 0, k;
	const char *colon;
	int has_at = 0;

	while (s[end] && !strchr("/?#'\"", s[end]) && !isspace((unsigned char)s[end]))
		end++;
	for (k = i; k < end; k++)
		if (s[k] == '@') {
			at = k;
			has_at = 1;
		}
	if (!has_at) {
		mlreg_buf_add(o, s + i, end - i);
		return end - i;
	}
	colon = memchr(s + i, ':', at - i);
	if (keeps_user(s, i - 3)) {
		mlreg_buf_add(o, s + i, (size_t)((colon ? colon : s + at) - (s + i)));
		mlreg_buf_add(o, s + at, end - at);
		*n += colon != NULL;
	} else {
		mlreg_buf_add(o, s + at + 1, end - at - 1);
		(*n)++;
	}
	return end - i;
}

/*
 * Returns how many bytes of s from i are the VALUE of an assignment: to white
 * space, '&' or a quote, or, when it starts with a quote (*q, else 0), to
 * that quote; for a header line (line set), to the end of the line or to
 * stop (the quote before its NAME, or 0).
 */
static size_t value_len(const char *s, size_t i, int line, char stop, char *q)
{
	size_t k = i;

	*q = 0;
	if (s[k] == '"' || s[k] == '\'') {
		*q = s[k++];
		while (s[k] && s[k] != *q && s[k] != '\n')
			k++;
		return k - i - 1;
	}
	if (line) {
		while (s[k] && s[k] != '\n' && (!stop || s[k] != stop))
			k++;
		return k - i;
	}
	while (s[k] && !isspace((unsigned char)s[k]) && !strchr("&'\"", s[k]))
		k++;
	return k - i;
}

char *mlreg_redact_str(const char *s, int *n)
{
	struct mlreg_buf o = MLREG_BUF_INIT;
	int count = 0;
	size_t i = 0;

	while (s[i]) {
		if (!strncmp(s + i, "://", 3)) {
			mlreg_buf_addstr(&o, "://");
			i += 3;
			i += url_authority(&o, s, i, &count);
			continue;
		}
		if (name_char(s[i]) && name_may_start(s, i)) {
			size_t start = i, sep, vlen;
			int line;
			char q, stop;
			while (name_char(s[i]))
				i++;
			stop = start && (s[start - 1] == '\'' || s[start - 1] == '"') ? s[start - 1] : 0;
			line = s[i] == ':' && s[i + 1] == ' ' &&
			       (start == 0 || s[start - 1] == '\n' || stop);
			if (!(s[i] == '=' || line) || !secret_name(s + start, i - start)) {
				mlreg_buf_add(&o, s + start, i - start);
				continue;
			}
			sep = line ? i + 1 + strspn(s + i + 1, " ") : i + 1;
			mlreg_buf_add(&o, s + start, sep - start);
			vlen = value_len(s, sep, line, stop, &q);
			if (q)
				mlreg_buf_addch(&o, q);
			if (vlen && (vlen != strlen(MLREG_REDACTED) ||
				     strncmp(s + sep + !!q, MLREG_REDACTED, vlen)))
				count++;
			if (vlen)
				mlreg_buf_addstr(&o, MLREG_REDACTED);
			i = sep + !!q + vlen;
			continue;
		}
		mlreg_buf_addch(&o, s[i]);
		i++;
	}
	if (n)
		*n += count;
	return mlreg_buf_detach(&o, NULL);
}

/* Returns 1 when v is a scalar that says something (a number, a non-empty string). */
static int telling(const cJSON *v)
{
	return cJSON_IsNumber(v) || (cJSON_IsString(v) && v->valuestring[0]);
}

/* Returns the string naming the "value" member of a name/value mapping, or NULL. */
static const char *pair_name(const cJSON *map)
{
	static const char *const keys[] = { "name", "key", "Name", "Key" };
	size_t i;

	if (!cJSON_GetObjectItemCaseSensitive(map, "value") &&
	    !cJSON_GetObjectItemCaseSensitive(map, "Value"))
		return NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(map, keys[i]);
		if (cJSON_IsString(k))
			return k->valuestring;
	}
	return NULL;
}

/* Turns the scalar v into the string MLREG_REDACTED, in place (it keeps its key and place). */
static void set_redacted(cJSON *v)
{
	if (cJSON_IsString(v)) {
		cJSON_SetValuestring(v, MLREG_REDACTED);
		return;
	}
	v->type = cJSON_String | (v->type & cJSON_StringIsConst);
	v->valuestring = xstrdup(MLREG_REDACTED);	/* freed by cJSON_Delete (malloc) */
	v->valueint = 0;
	v->valuedouble = 0;
}

/* Returns the secrets redacted in v, whose names (NULL when none) are a and b. */
static int redact_value(cJSON *v, const char *a, const char *b)
{
	int n = 0;

	if (telling(v) && ((a && secret_name(a, strlen(a))) || (b && secret_name(b, strlen(b))))) {
		if (cJSON_IsString(v) && !strcmp(v->valuestring, MLREG_REDACTED))
			return 0;
		set_redacted(v);
		return 1;
	}
	if (cJSON_IsString(v)) {
		char *clean = mlreg_redact_str(v->valuestring, &n);
		if (strcmp(clean, v->valuestring))
			cJSON_SetValuestring(v, clean);
		free(clean);
		return n;
	}
	if (cJSON_IsObject(v)) {
		const char *pn = pair_name(v);
		cJSON *c;
		cJSON_ArrayForEach(c, v)
			n += redact_value(c, c->string, pn && (!strcmp(c->string, "value") ||
						       !strcmp(c->string, "Value")) ? pn : NULL);
	} else if (cJSON_IsArray(v)) {
		cJSON *c;
		cJSON_ArrayForEach(c, v)
			n += redact_value(c, a, b);
	}
	return n;
}

int mlreg_redact_doc(cJSON *doc)
{
	return doc ? redact_value(doc, NULL, NULL) : 0;
}
