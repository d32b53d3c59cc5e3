/*
 * Validation and encoding of model names (rules in name.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "name.h"
#include "util.h"

static int bad(const char *name, const char *why)
{
	return mlreg_error_set(MLREG_EINVALID, "invalid model name '%s': %s", name, why);
}

int mlreg_name_validate(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0)
		return mlreg_error_set(MLREG_EINVALID, "invalid model name '': empty");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return mlreg_error_set(MLREG_EINVALID,
				"invalid model name: contains control character 0x%02x", c);
		if (isspace(c))
			return bad(name, "contains whitespace");
	}
	if (len > MLREG_NAME_MAX)
		return mlreg_error_set(MLREG_EINVALID,
			"invalid model name: %zu bytes long (at most %d)", len, MLREG_NAME_MAX);
	if (name[0] == '/' || name[len - 1] == '/')
		return bad(name, "starts or ends with '/'");
	if (name[0] == '.')
		return bad(name, "starts with '.'");
	if (name[0] == '-')
		return bad(name, "starts with '-'");
	if (strstr(name, ".."))
		return bad(name, "contains '..'");
	if (strstr(name, "//"))
		return bad(name, "contains an empty segment '//'");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' && (name[i + 1] == '.' || name[i + 1] == '-'))
			return bad(name, "a segment starts with '.' or '-'");
		if (!(isalnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '/')) {
			if (c >= 0x80)
				return bad(name, "contains a non-ASCII byte");
			char msg[64];
			snprintf(msg, sizeof(msg), "contains '%c' (allowed: letters, digits, . _ - + /)", c);
			return bad(name, msg);
		}
	}
	return 0;
}

char *mlreg_name_encode(const char *name)
{
	size_t n = 0;
	const char *s;
	char *out, *o;

	for (s = name; *s; s++)
		n += *s == '/' ? 3 : 1;
	o = out = xmalloc(n + 1);
	for (s = name; *s; s++) {
		if (*s == '/') {
			memcpy(o, "%2F", 3);
			o += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

char *mlreg_name_decode(const char *enc)
{
	char *out = xmalloc(strlen(enc) + 1), *o = out;
	const char *s;

	for (s = enc; *s; s++) {
		if (*s == '%') {
			if (strncmp(s, "%2F", 3) != 0)
				goto bad;
			*o++ = '/';
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	if (mlreg_name_validate(out) == 0) {
		mlreg_error_clear();
		return out;
	}
	mlreg_error_clear();
bad:
	free(out);
	return NULL;
}

int mlreg_ref_parse(const char *spec, char **name, long *version)
{
	const char *at = strrchr(spec, '@');
	char *n;
	int err;

	*name = NULL;
	*version = 0;
	if (at) {
		const char *v = at + 1;
		char *end;
		long num;

		if (!*v || !isdigit((unsigned char)*v) || *v == '0')
			return mlreg_error_set(MLREG_EINVALID,
				"invalid version in '%s': expected NAME@N with N >= 1", spec);
		errno = 0;
		num = strtol(v, &end, 10);
		if (*end || errno || num < 1)
			return mlreg_error_set(MLREG_EINVALID,
				"invalid version in '%s': expected NAME@N with N >= 1", spec);
		n = xstrndup(spec, (size_t)(at - spec));
		*version = num;
	} else {
		n = xstrdup(spec);
	}
	if ((err = mlreg_name_validate(n)) < 0) {
		free(n);
		return err;
	}
	*name = n;
	return 0;
}
