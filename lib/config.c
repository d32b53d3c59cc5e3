/*
 * One key of a git-config file: read by a small parser of the subset that
 * config.h lists, and by libgit2 (loaded then, git-dl.h) for a file outside
 * it.  The parser never guesses: each construct it does not know sends the
 * whole file to libgit2.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "config.h"
#include "error.h"
#include "fs.h"
#include "util.h"

/* The largest file the parser reads; a larger one goes to libgit2. */
#define FAST_MAX (1024 * 1024)

/* What the parser found: the key's value, no value, or "ask libgit2". */
enum fast { FAST_SET, FAST_UNSET, FAST_SLOW };

/* A key split as git splits it: section[.subsection].name. */
struct key {
	const char *sec;	/* the section, compared without case */
	size_t seclen;
	const char *sub;	/* the subsection, exact; NULL when none */
	size_t sublen;
	const char *name;	/* the variable, compared without case */
};

/* Returns whether c may be in a section or variable name (git: alnum, '-'). */
static int name_char(int c)
{
	return isalnum(c) || c == '-';
}

/* Returns 0 with key split into k, or -1 for a key git would refuse. */
static int split_key(struct key *k, const char *key)
{
	const char *dot = strchr(key, '.'), *last = strrchr(key, '.'), *s;

	if (!dot || dot == key || !last[1] || !isalpha((unsigned char)last[1]))
		return -1;
	for (s = key; s < dot; s++)
		if (!name_char((unsigned char)*s))
			return -1;
	for (s = last + 1; *s; s++)
		if (!name_char((unsigned char)*s))
			return -1;
	k->sec = key;
	k->seclen = (size_t)(dot - key);
	k->sub = dot == last ? NULL : dot + 1;
	k->sublen = dot == last ? 0 : (size_t)(last - dot - 1);
	k->name = last + 1;
	return 0;
}

/*
 * Returns FAST_SET after reading a section header at *p (just after its
 * '['; up to the end of the line, *p then after it) into *in_key (whether
 * it is key's section), FAST_SLOW when it is outside the subset.
 */
static enum fast parse_section(const char **p, const char *end, const struct key *k,
			       int *in_key)
{
	const char *s = *p, *name = s;
	struct mlreg_buf sub = MLREG_BUF_INIT;
	size_t len;
	int has_sub = 0;
	enum fast ret = FAST_SLOW;

	while (s < end && name_char((unsigned char)*s))
		s++;
	len = (size_t)(s - name);
	if (!len || (len >= 7 && !strncasecmp(name, "include", 7)))
		goto done;	/* empty, or [include] / [includeIf ...] */
	if (s < end && *s == ' ' && s + 1 < end && s[1] == '"') {
		has_sub = 1;
		for (s += 2; s < end && *s != '"'; s++) {
			if (*s == '\\') {
				if (s + 1 >= end || (s[1] != '"' && s[1] != '\\'))
					goto done;
				s++;
			}
			mlreg_buf_addch(&sub, *s);
		}
		if (s >= end)
			goto done;	/* no closing quote on the line */
		s++;
	}
	if (s >= end || *s != ']')
		goto done;	/* [a.b], [a b], [ a], [a ]... */
	for (s++; s < end && (*s == ' ' || *s == '\t'); s++)
		;
	if (s < end && *s != '#' && *s != ';')
		goto done;	/* a key on the header's line */
	*in_key = len == k->seclen && !strncasecmp(name, k->sec, len) &&
		  has_sub == (k->sub != NULL) &&
		  (!has_sub || (sub.len == k->sublen && !memcmp(sub.p ? sub.p : "", k->sub,
								 sub.len)));
	*p = end;
	ret = FAST_SET;
done:
	mlreg_buf_release(&sub);
	return ret;
}

/*
 * Returns FAST_SET with the value at s (after '=', to end) decoded into v,
 * or FAST_SLOW for what is outside the subset (a continuation, an escape
 * other than \n \t \b \" \\, an unclosed quote, a blank other than a space
 * inside the value: git and libgit2 differ on those).
 */
static enum fast parse_value(struct mlreg_buf *v, const char *s, const char *end)
{
	size_t spaces = 0;
	int quote = 0;

	v->len = 0;
	if (v->p)
		v->p[0] = '\0';
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < end; s++) {
		char c = *s;

		if (!quote && (c == ';' || c == '#'))
			break;
		if (!quote && isspace((unsigned char)c)) {
			spaces++;
			continue;
		}
		if (spaces) {
			/* blanks inside: only spaces, kept */
			const char *b;
			for (b = s - spaces; b < s; b++)
				if (*b != ' ')
					return FAST_SLOW;
			for (; spaces; spaces--)
				mlreg_buf_addch(v, ' ');
		}
		if (c == '"') {
			quote = !quote;
			continue;
		}
		if (c == '\\') {
			if (++s >= end)
				return FAST_SLOW;	/* a continuation line */
			switch (*s) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case '"': case '\\': c = *s; break;
			default: return FAST_SLOW;
			}
		}
		mlreg_buf_addch(v, c);
	}
	if (quote)
		return FAST_SLOW;
	if (!v->p)
		mlreg_buf_addstr(v, "");
	return FAST_SET;
}

/*
 * Returns FAST_SET with key's last value in *out (malloc'd, NULL for a bare
 * name), FAST_UNSET, or FAST_SLOW when buf is outside the subset.
 */
static enum fast parse(char **out, const char *buf, size_t len, const struct key *k)
{
	const char *p = buf, *end = buf + len, *eol, *s;
	struct mlreg_buf v = MLREG_BUF_INIT;
	int have_section = 0, in_key = 0, found = 0, bare = 0;
	enum fast ret = FAST_SLOW;

	*out = NULL;
	if (memchr(buf, '\0', len) || memchr(buf, '\r', len) ||
	    (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)))
		goto done;
	for (; p < end; p = eol + (eol < end)) {
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			p++;
			if (parse_section(&p, eol, k, &in_key) != FAST_SET)
				goto done;
			have_section = 1;
			continue;
		}
		if (!have_section || !isalpha((unsigned char)*p))
			goto done;
		for (s = p; s < eol && name_char((unsigned char)*s); s++)
			;
		if (s < eol && *s != ' ' && *s != '\t' && *s != '=')
			goto done;
		if (!in_key || (size_t)(s - p) != strlen(k->name) ||
		    strncasecmp(p, k->name, (size_t)(s - p))) {
			/* another key: its value must still be in the subset */
			struct mlreg_buf skip = MLREG_BUF_INIT;
			enum fast r;
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
			r = s == eol ? FAST_SET : *s == '=' ? parse_value(&skip, s + 1, eol)
							   : FAST_SLOW;
			mlreg_buf_release(&skip);
			if (r != FAST_SET)
				goto done;
			continue;
		}
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		found = 1;
		if (s == eol) {
			bare = 1;
			continue;
		}
		if (*s != '=' || parse_value(&v, s + 1, eol) != FAST_SET)
			goto done;
		bare = 0;
	}
	ret = found ? FAST_SET : FAST_UNSET;
	if (found && !bare)
		*out = mlreg_buf_detach(&v, NULL);
done:
	mlreg_buf_release(&v);
	return ret;
}

/*
 * Returns FAST_SET/FAST_UNSET as parse() does for the file at path (a
 * missing file: FAST_UNSET), FAST_SLOW when it is outside the subset or
 * cannot be read here (libgit2 then says why).
 */
static enum fast fast_get(char **out, const char *path, const struct key *k)
{
	char *buf;
	size_t len;
	enum fast ret;
	int err;

	*out = NULL;
	err = mlreg_fs_read_file(&buf, &len, path, FAST_MAX, path);
	if (err == MLREG_ENOTFOUND)
		return FAST_UNSET;
	if (err < 0)
		return FAST_SLOW;
	ret = parse(out, buf, len, k);
	free(buf);
	return ret;
}

/* Returns MLREG_EOS naming path, with libgit2's message (or why it is missing). */
static int git_failed(const char *path)
{
	const git_error *e = git_error_last();

	return mlreg_error_set(MLREG_EOS, "cannot read '%s': %s", path,
			       e && e->message ? e->message : "libgit2 error");
}

/*
 * Returns 0 with libgit2's reading of key in *out (malloc'd, "" for a bare
 * name), MLREG_ENOTFOUND, or MLREG_EOS.
 */
static int slow_get(char **out, const char *path, const char *key)
{
	git_config *cfg = NULL;
	git_buf v = { 0 };
	int rc, err = 0;

	*out = NULL;
	git_libgit2_init();
	if (git_config_open_ondisk(&cfg, path) < 0) {
		err = git_failed(path);
		goto done;
	}
	rc = git_config_get_string_buf(&v, cfg, key);
	if (rc == 0)
		*out = xstrdup(v.ptr ? v.ptr : "");
	else if (rc == GIT_ENOTFOUND)
		err = mlreg_error_set(MLREG_ENOTFOUND, "'%s' is not set in '%s'", key, path);
	else
		err = git_failed(path);
done:
	git_buf_dispose(&v);
	git_error_clear();
	git_config_free(cfg);
	git_libgit2_shutdown();
	return err;
}

int mlreg_config_get_string(char **out, const char *path, const char *key)
{
	struct key k;

	*out = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return mlreg_error_set(MLREG_ENOTFOUND, "'%s' is not set in '%s'", key, path);
	if (split_key(&k, key) == 0) {
		switch (fast_get(out, path, &k)) {
		case FAST_SET:
			if (!*out)
				*out = xstrdup("");
			return 0;
		case FAST_UNSET:
			return mlreg_error_set(MLREG_ENOTFOUND, "'%s' is not set in '%s'",
					       key, path);
		case FAST_SLOW:
			break;
		}
	}
	return slow_get(out, path, key);
}

/*
 * Returns 1 or 0 for a value the subset reads as a boolean (NULL, a bare
 * name: true), -1 for one libgit2 must judge.
 */
static int fast_bool(const char *v)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	size_t i;

	if (!v)
		return 1;
	if (!*v)
		return 0;
	for (i = 0; i < 3; i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	s = v + (*v == '-');
	if (!*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return -1;	/* not a plain int32: 1k, 0x10, 2147483648... */
	return strspn(s, "0") != strlen(s);
}

/* Returns 0 with libgit2's reading of key as a boolean in *out (or dflt). */
static int slow_bool(int *out, const char *path, const char *key, int dflt)
{
	git_config *cfg = NULL;
	int b, rc, err = 0;

	*out = dflt;
	git_libgit2_init();
	if (git_config_open_ondisk(&cfg, path) < 0) {
		err = git_failed(path);
		goto done;
	}
	rc = git_config_get_bool(&b, cfg, key);
	if (rc == 0)
		*out = b != 0;
	else if (rc != GIT_ENOTFOUND) {	/* as git says it */
		git_buf v = { 0 };
		git_config_get_string_buf(&v, cfg, key);
		err = mlreg_error_set(MLREG_EINVALID, "bad boolean config value '%s' for '%s' "
				      "in '%s'", v.ptr ? v.ptr : "", key, path);
		git_buf_dispose(&v);
	}
done:
	git_error_clear();
	git_config_free(cfg);
	git_libgit2_shutdown();
	return err;
}

int mlreg_config_get_bool(int *out, const char *path, const char *key, int dflt)
{
	struct key k;
	char *v = NULL;
	int b = -1;
	enum fast r = FAST_SLOW;

	*out = dflt;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (split_key(&k, key) == 0)
		r = fast_get(&v, path, &k);
	if (r == FAST_SET)
		b = fast_bool(v);
	free(v);
	if (r == FAST_UNSET)
		return 0;
	if (b >= 0) {
		*out = b;
		return 0;
	}
	return slow_bool(out, path, key, dflt);
}
