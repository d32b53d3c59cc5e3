/*
 * UTF-8 checking and quoting for the terminal (see text.h for what is
 * escaped and how).
 */
#include <string.h>

#include "text.h"
#include "util.h"

int mlreg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int len, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* NUL, continuation, 0xc0, 0xc1, 0xf5.. */
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

size_t mlreg_utf8_check(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int k;

	while (i < len) {
		if (u[i] >= 0x01 && u[i] < 0x80) {	/* the common case, quickly */
			i++;
			continue;
		}
		if ((k = mlreg_utf8_len(u + i, len - i)) <= 0)
			return i;
		i += (size_t)k;
	}
	return len;
}

/*
 * Returns the length of the character at s (n bytes available, n > 0) and
 * sets *unsafe when it must be escaped: a C0 control or DEL, a UTF-8
 * encoded C1 control, or a byte that is not valid UTF-8 (taken alone).
 */
static size_t next_char(const unsigned char *s, size_t n, int *unsafe)
{
	int k = mlreg_utf8_len(s, n);

	if (k <= 0) {
		*unsafe = 1;
		return 1;
	}
	if (k == 1)
		*unsafe = s[0] < 0x20 || s[0] == 0x7f;
	else
		*unsafe = k == 2 && s[0] == 0xc2 && s[1] < 0xa0;
	return (size_t)k;
}

const char *mlreg_text_problem(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i, k;
	int unsafe;

	for (i = 0; i < n; i += k) {
		k = next_char(u + i, n - i, &unsafe);
		if (unsafe)
			return mlreg_utf8_len(u + i, n - i) <= 0 ? "is not valid UTF-8"
								 : "holds a control character";
	}
	return NULL;
}

/* Writes the C escape of byte c at p; returns the end. */
static char *escape_byte(char *p, unsigned char c)
{
	static const char letters[] = "abtnvfr";	/* \a (7) to \r (13) */

	*p++ = '\\';
	if (c >= 7 && c <= 13) {
		*p++ = letters[c - 7];
		return p;
	}
	*p++ = (char)('0' + (c >> 6));
	*p++ = (char)('0' + ((c >> 3) & 7));
	*p++ = (char)('0' + (c & 7));
	return p;
}

char *mlreg_quote(const char *str, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	int wrap = (flags & MLREG_QUOTE_WRAP) != 0, unsafe, need = 0;
	size_t i, j, k;
	char *buf, *p;

	for (i = 0; i < len && !need; i += k) {
		k = next_char(s + i, len - i, &unsafe);
		need = unsafe;
	}
	if (!need) {
		buf = xmalloc(len + 1);
		memcpy(buf, str, len);
		buf[len] = '\0';
		return buf;
	}
	/* Each byte takes at most 4 ("\ooo"), plus the quotes. */
	buf = p = xmalloc(4 * len + 3);
	if (wrap)
		*p++ = '"';
	for (i = 0; i < len; i += k) {
		k = next_char(s + i, len - i, &unsafe);
		for (j = i; j < i + k; j++) {
			if (unsafe) {
				p = escape_byte(p, s[j]);
				continue;
			}
			if (wrap && (s[j] == '"' || s[j] == '\\'))
				*p++ = '\\';
			*p++ = (char)s[j];
		}
	}
	if (wrap)
		*p++ = '"';
	*p = '\0';
	return buf;
}
