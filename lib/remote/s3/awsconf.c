/*
 * The AWS shared files, read the way botocore reads them (Python's
 * configparser.RawConfigParser under botocore's configloader): "[section]"
 * headers, "key = value" or "key: value" lines split at the first '=' or
 * ':', key names case-insensitive, values trimmed, full-line comments
 * starting with '#' or ';' (there are no inline comments: "key = a # b" is
 * "a # b"), blank lines, CR LF or CR line ends, and lines indented deeper
 * than the key above continuing its value.  A value whose first line is
 * empty is a nested section ("s3 =\n  endpoint_url = ..."), whose lines
 * must each hold a '='.  As in botocore, a syntax error anywhere in a file
 * is an error; a section or key given twice is one where it is looked up
 * (configparser's strict mode).  Everything read from the files is wiped
 * before its memory is released, and messages name files, lines, sections
 * and the keys we know, never a value nor a line's text, which could be a
 * secret pasted in the wrong place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

#include <openssl/crypto.h>

#include "awsconf.h"
#include "creds-int.h"
#include "error.h"
#include "fs.h"
#include "util.h"

/* One "key = value" of a section. */
struct entry {
	char *key;	/* lowercased, as configparser's optionxform */
	struct mlreg_buf value;	/* trimmed lines joined with '\n'; starts with '\n'
				   when nested; wiped when left (value_add, ini_free) */
	int line;	/* of the key */
	int nested;	/* the key's own line had an empty value */
};

struct section {
	char *name;	/* trimmed; "profile  x " read as "profile x" */
	int line;
	struct entry *e;
	size_t n, cap;
};

/* One parsed file. */
struct ini {
	const char *what;	/* "AWS credentials file", "AWS config file" */
	const char *tilde;	/* the default path as users know it, "~/.aws/config" */
	char *path;		/* NULL when HOME is unset and no variable names it */
	int present;		/* the file exists and was read */
	struct section *s;
	size_t n, cap;
};

/* Frees a string that may hold a secret after wiping it. */
void mlreg_aws_wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}
#define wipe_free mlreg_aws_wipe_free

/* Returns 1 for what Python's str.strip() removes from ASCII text. */
static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Narrows *s, *n to the text between leading and trailing white space. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_ws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ws((*s)[*n - 1]))
		(*n)--;
}

/* Returns the value of environment variable name, NULL when unset or empty. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * Appends n bytes to e's value.  When it is full, the bytes move to a
 * bigger buffer made here and the old one is wiped: mlreg_buf_add()'s
 * realloc would leave the old bytes behind in freed memory.
 */
static void value_add(struct entry *e, const char *s, size_t n)
{
	struct mlreg_buf *v = &e->value;

	if (v->len + n + 1 > v->cap) {
		struct mlreg_buf bigger = MLREG_BUF_INIT;

		bigger.cap = (v->len + n + 1) * 2;
		bigger.p = xmalloc(bigger.cap);
		bigger.len = v->len;
		if (v->len)
			memcpy(bigger.p, v->p, v->len);
		mlreg_buf_wipe(v);
		*v = bigger;
	}
	mlreg_buf_add(v, s, n);
}

/* Returns MLREG_EINVALID after setting "malformed <file> '<path>' at line N: why". */
static int ini_fail(const struct ini *ini, int line, const char *why)
{
	return mlreg_error_set(MLREG_EINVALID, "malformed %s '%s' at line %d: %s", ini->what,
			       ini->path, line, why);
}

/*
 * Returns a section name as botocore matches it: "profile", "services" and
 * "sso-session" headers with one space.
 */
static char *section_name(const char *h, size_t n)
{
	static const char *const kinds[] = { "profile", "services", "sso-session" };
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t kl = strlen(kinds[k]), rn;
		const char *rest;

		if (n <= kl || memcmp(h, kinds[k], kl) || !is_ws(h[kl]))
			continue;
		rest = h + kl;
		rn = n - kl;
		trim(&rest, &rn);
		return xasprintf("%s %.*s", kinds[k], (int)rn, rest);
	}
	return xstrndup(h, n);
}

/* Returns a new section of ini, named by the header text h. */
static struct section *add_section(struct ini *ini, const char *h, size_t n, int line)
{
	struct section *s;

	MLREG_ALLOC_GROW(ini->s, ini->n + 1, ini->cap);
	s = &ini->s[ini->n++];
	memset(s, 0, sizeof(*s));
	s->name = section_name(h, n);
	s->line = line;
	return s;
}

/* Returns a new entry of s with key k (lowercased) and first value v. */
static struct entry *add_entry(struct section *s, const char *k, size_t kn, const char *v,
			       size_t vn, int line)
{
	struct entry *e;
	size_t i;

	MLREG_ALLOC_GROW(s->e, s->n + 1, s->cap);
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->key = xstrndup(k, kn);
	for (i = 0; i < kn; i++)
		if (e->key[i] >= 'A' && e->key[i] <= 'Z')
			e->key[i] += 'a' - 'A';
	e->line = line;
	e->nested = vn == 0;
	value_add(e, v, vn);
	return e;
}

/*
 * Returns 0 after parsing the text of a file into ini's sections, or
 * MLREG_EINVALID naming the line.
 */
static int ini_parse(struct ini *ini, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *nul = memchr(buf, '\0', len);
	struct section *sec = NULL;
	struct entry *opt = NULL;
	size_t indent_level = 0, i, k;
	int line = 0;

	while (s < end) {
		const char *e = s, *t, *d;
		size_t tn, indent;

		while (e < end && *e != '\n' && *e != '\r')
			e++;
		line++;
		if (nul && nul >= s && nul < e)
			return ini_fail(ini, line, "a NUL byte");
		t = s;
		tn = (size_t)(e - s);
		trim(&t, &tn);
		indent = (size_t)(t - s);
		if (e == end)
			s = end;
		else
			s = *e == '\r' && e + 1 < end && e[1] == '\n' ? e + 2 : e + 1;

		if (tn && (t[0] == '#' || t[0] == ';'))
			continue;
		if (!tn) {
			/* configparser keeps blank lines in values. */
			if (opt)
				value_add(opt, "\n", 1);
			continue;
		}
		if (opt && indent > indent_level) {
			if (opt->nested && !memchr(t, '=', tn))
				return ini_fail(ini, line,
						"a line of a nested section without '='");
			value_add(opt, "\n", 1);
			value_add(opt, t, tn);
			continue;
		}
		indent_level = indent;
		if (t[0] == '[') {
			const char *close = memrchr(t, ']', tn), *h = t + 1;
			size_t hn;

			if (!close)
				return ini_fail(ini, line, "a section header without ']'");
			hn = (size_t)(close - h);
			trim(&h, &hn);
			if (!hn)
				return ini_fail(ini, line, "an empty section name");
			sec = add_section(ini, h, hn, line);
			opt = NULL;
			continue;
		}
		for (d = t; d < t + tn && *d != '=' && *d != ':'; d++)
			;
		if (!sec)
			return ini_fail(ini, line, d < t + tn ? "a key outside any section"
							     : "a line outside any section");
		if (d == t + tn)
			return ini_fail(ini, line, "not a 'key = value' line");
		{
			const char *key = t, *v = d + 1;
			size_t kn = (size_t)(d - t), vn = (size_t)(t + tn - v);

			trim(&key, &kn);
			trim(&v, &vn);
			if (!kn)
				return ini_fail(ini, line, "a value without a key");
			opt = add_entry(sec, key, kn, v, vn, line);
		}
	}
	/* configparser strips what trailing blank lines left in a value. */
	for (i = 0; i < ini->n; i++)
		for (k = 0; k < ini->s[i].n; k++) {
			struct entry *en = &ini->s[i].e[k];
			struct mlreg_buf *v = &en->value;
			while (v->len && is_ws(v->p[v->len - 1]))
				v->p[--v->len] = '\0';
			en->nested = en->nested && v->p[0] == '\n';
		}
	return 0;
}

/* Frees ini, wiping every value. */
static void ini_free(struct ini *ini)
{
	size_t i, k;

	for (i = 0; i < ini->n; i++) {
		for (k = 0; k < ini->s[i].n; k++) {
			struct entry *e = &ini->s[i].e[k];
			mlreg_buf_wipe(&e->value);
			wipe_free(e->key);
		}
		free(ini->s[i].e);
		free(ini->s[i].name);
	}
	free(ini->s);
	free(ini->path);
	memset(ini, 0, sizeof(*ini));
}

/*
 * Returns the file's path: $env (a leading ~ expanded), else ~/.aws/name; NULL
 * when HOME is needed and unset.
 */
static char *aws_path(const char *env, const char *name)
{
	const char *v = env_value(env), *home = env_value("HOME");
	size_t hl = home ? strlen(home) : 0;

	if (v && !(v[0] == '~' && (v[1] == '/' || !v[1])))
		return xstrdup(v);
	if (!home)
		return NULL;
	if (hl > 1 && home[hl - 1] == '/')
		hl--;
	if (v)
		return xasprintf("%.*s%s", (int)hl, home, v + 1);
	return xasprintf("%.*s/.aws/%s", (int)hl, home, name);
}

/*
 * Returns 0 after reading the file named by $env or ~/.aws/name into ini
 * (left empty when it does not exist), MLREG_EINVALID when it is
 * malformed or too large, MLREG_EOS when it cannot be read.
 */
static int ini_load(struct ini *ini, const char *what, const char *env, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	memset(ini, 0, sizeof(*ini));
	ini->what = what;
	ini->tilde = !strcmp(name, "config") ? "~/.aws/config" : "~/.aws/credentials";
	if (!(ini->path = aws_path(env, name)))
		return 0;
	err = mlreg_fs_read_file(&buf, &len, ini->path, MLREG_AWSCONF_MAX_FILE, ini->path);
	if (err == MLREG_ENOTFOUND) {
		mlreg_error_clear();
		return 0;
	}
	if (err < 0)
		return err;
	ini->present = 1;
	err = ini_parse(ini, buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return err;
}

/*
 * Returns how a file is named in messages, malloc'd: "'/path'" or
 * "~/.aws/config (HOME is not set)".
 */
static char *describe(const struct ini *ini)
{
	if (!ini->path)
		return xasprintf("%s (HOME is not set)", ini->tilde);
	return xasprintf("'%s'", ini->path);
}

/*
 * Returns 0 and the section named name in *out (NULL when absent), or
 * MLREG_EINVALID when it appears twice.
 */
static int find_section(const struct section **out, const struct ini *ini, const char *name)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < ini->n; i++) {
		if (strcmp(ini->s[i].name, name))
			continue;
		if (*out)
			return mlreg_error_set(MLREG_EINVALID, "malformed %s '%s' at line %d: "
					       "section '[%s]' repeats line %d", ini->what,
					       ini->path, ini->s[i].line, name, (*out)->line);
		*out = &ini->s[i];
	}
	return 0;
}

/*
 * Returns 0 and the entry for key in *out (NULL when absent), or
 * MLREG_EINVALID when it appears twice.
 */
static int find_key(const struct entry **out, const struct ini *ini, const struct section *s,
		    const char *key)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->e[i].key, key))
			continue;
		if (*out)
			return mlreg_error_set(MLREG_EINVALID, "malformed %s '%s' at line %d: '%s' "
					       "repeats line %d in section '[%s]'", ini->what,
					       ini->path, s->e[i].line, key, (*out)->line, s->name);
		*out = &s->e[i];
	}
	return 0;
}

/*
 * Returns 0 and a malloc'd copy of key's one-line value in *out (NULL when
 * the key is absent) with its line in *line, or MLREG_EINVALID.
 */
static int get_value(char **out, int *line, const struct ini *ini, const struct section *s,
		     const char *key)
{
	const struct entry *e;
	int err;

	*out = NULL;
	if ((err = find_key(&e, ini, s, key)) < 0 || !e)
		return err;
	if (strchr(e->value.p, '\n'))
		return mlreg_error_set(MLREG_EINVALID, "malformed %s '%s' at line %d: '%s' spans "
				       "several lines", ini->what, ini->path, e->line, key);
	*out = xstrdup(e->value.p);
	if (line)
		*line = e->line;
	return 0;
}

/* Returns the value (malloc'd) of key in the nested section that e holds, or NULL. */
static char *nested_get(const struct entry *e, const char *key)
{
	const char *s = e->value.p, *end = e->value.p + e->value.len;
	char *found = NULL;

	if (!e->nested)
		return NULL;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end;
		const char *t = s, *eq;
		size_t tn = (size_t)(le - s);

		trim(&t, &tn);
		if (tn && (eq = memchr(t, '=', tn))) {
			const char *k = t, *v = eq + 1;
			size_t kn = (size_t)(eq - t), vn = (size_t)(t + tn - v);

			trim(&k, &kn);
			trim(&v, &vn);
			if (kn == strlen(key) && !memcmp(k, key, kn)) {
				wipe_free(found);	/* botocore keeps the last */
				found = xstrndup(v, vn);
			}
		}
		s = nl ? nl + 1 : end;
	}
	return found;
}

/*
 * Returns the profile to read: explicit, $AWS_PROFILE, $AWS_DEFAULT_PROFILE or
 * "default"; *named is 1 unless the last.
 */
static const char *profile_name(const char *explicit, int *named)
{
	const char *p = explicit && *explicit ? explicit : env_value("AWS_PROFILE");

	if (!p)
		p = env_value("AWS_DEFAULT_PROFILE");
	*named = p != NULL;
	return p ? p : "default";
}

/*
 * Returns 0 and the config file's section for profile in *out (NULL when
 * absent), or MLREG_EINVALID.
 */
static int config_profile(const struct section **out, const struct ini *conf, const char *profile)
{
	char *name;
	int err;

	if (!strcmp(profile, "default")) {
		/* botocore takes [default], and [profile default] too. */
		if ((err = find_section(out, conf, "default")) < 0 || *out)
			return err;
		return find_section(out, conf, "profile default");
	}
	name = xasprintf("profile %s", profile);
	err = find_section(out, conf, name);
	free(name);
	return err;
}

/*
 * Returns 0 with out filled from the environment, 1 when neither key is set
 * there, or MLREG_EINVALID when one is.
 */
static int creds_from_env(struct mlreg_aws_creds *out)
{
	const char *id = env_value("AWS_ACCESS_KEY_ID");
	const char *secret = env_value("AWS_SECRET_ACCESS_KEY");
	const char *token = env_value("AWS_SESSION_TOKEN");

	if (!token)
		token = env_value("AWS_SECURITY_TOKEN");	/* botocore's older name */
	if (!id && !secret)
		return 1;
	if (!id)
		return mlreg_error_set(MLREG_EINVALID, "AWS_SECRET_ACCESS_KEY is set but "
				       "AWS_ACCESS_KEY_ID is not");
	if (!secret)
		return mlreg_error_set(MLREG_EINVALID, "AWS_ACCESS_KEY_ID is set but "
				       "AWS_SECRET_ACCESS_KEY is not");
	out->access_key = xstrdup(id);
	out->secret_key = xstrdup(secret);
	out->session_token = token ? xstrdup(token) : NULL;
	out->source = xstrdup("environment");
	return 0;
}

/*
 * Returns 0 with out filled from a profile's section, 1 when it has neither
 * key, or MLREG_EINVALID.
 */
static int creds_from_section(struct mlreg_aws_creds *out, const struct ini *ini,
			      const struct section *s, const char *profile)
{
	char *id = NULL, *secret = NULL, *token = NULL;
	int id_line = 0, secret_line = 0, err;

	if ((err = get_value(&id, &id_line, ini, s, "aws_access_key_id")) < 0 ||
	    (err = get_value(&secret, &secret_line, ini, s, "aws_secret_access_key")) < 0 ||
	    (err = get_value(&token, NULL, ini, s, "aws_session_token")) < 0)
		goto done;
	if (!token && (err = get_value(&token, NULL, ini, s, "aws_security_token")) < 0)
		goto done;
	if (!id && !secret) {
		err = 1;
		goto done;
	}
	if (!id || !secret) {
		err = mlreg_error_set(MLREG_EINVALID, "profile '%s' in '%s' sets %s at line %d but "
				      "not %s", profile, ini->path,
				      id ? "aws_access_key_id" : "aws_secret_access_key",
				      id ? id_line : secret_line,
				      id ? "aws_secret_access_key" : "aws_access_key_id");
		goto done;
	}
	if (!*id || !*secret) {
		err = mlreg_error_set(MLREG_EINVALID, "profile '%s' in '%s': %s at line %d is "
				      "empty", profile, ini->path,
				      *id ? "aws_secret_access_key" : "aws_access_key_id",
				      *id ? secret_line : id_line);
		goto done;
	}
	if (token && !*token) {
		free(token);
		token = NULL;
	}
	out->access_key = id;
	out->secret_key = secret;
	out->session_token = token;
	out->source = xasprintf("profile '%s' in %s", profile, ini->path);
	id = secret = token = NULL;
	err = 0;
done:
	wipe_free(id);
	wipe_free(secret);
	wipe_free(token);
	return err;
}

/*
 * Returns the first key of s naming a way to get credentials that is not
 * supported here, or NULL.
 */
static const char *unsupported(const struct section *s)
{
	static const char *const keys[] = { "credential_source", "sso_session", "sso_start_url",
					    "role_arn" };
	size_t i, k;

	if (s)
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			for (i = 0; i < s->n; i++)
				if (!strcmp(s->e[i].key, keys[k]))
					return keys[k];
	return NULL;
}

static int no_credentials(const struct ini *creds, const struct section *cs,
			  const struct ini *conf, const struct section *fs, const char *profile,
			  int named);

/*
 * What the providers of the chain share: the profile and the two files,
 * each read when a provider first needs it.
 */
struct chain {
	const char *explicit;	/* the profile the caller named, or NULL */
	const char *name;	/* the profile read */
	int named;		/* name came from the caller or the environment */
	struct ini creds, conf;
	int creds_loaded, conf_loaded;
	const struct section *cs;	/* [name] in the credentials file, or NULL */
	const struct section *fs;	/* [profile name] in the config file, or NULL */
};

/* Returns 0 once the credentials file is read and cs found, or MLREG_EINVALID / MLREG_EOS. */
static int need_creds(struct chain *c)
{
	int err;

	if (c->creds_loaded)
		return 0;
	c->creds_loaded = 1;
	if ((err = ini_load(&c->creds, "AWS credentials file", "AWS_SHARED_CREDENTIALS_FILE",
			    "credentials")) < 0)
		return err;
	return find_section(&c->cs, &c->creds, c->name);
}

/* Returns 0 once the config file is read and fs found, or MLREG_EINVALID / MLREG_EOS. */
static int need_conf(struct chain *c)
{
	int err;

	if (c->conf_loaded)
		return 0;
	c->conf_loaded = 1;
	if ((err = ini_load(&c->conf, "AWS config file", "AWS_CONFIG_FILE", "config")) < 0)
		return err;
	return config_profile(&c->fs, &c->conf, c->name);
}

/* Provider: the environment's keys, unless the caller named a profile (as botocore). */
static int prov_env(struct mlreg_aws_creds *out, struct chain *c)
{
	return c->explicit ? 1 : creds_from_env(out);
}

/*
 * Returns 0 and the value of key in the profile (the credentials file's
 * section first, then the config file's, as botocore merges them) in *out,
 * NULL when absent or empty; or MLREG_EINVALID.
 */
static int profile_value(char **out, struct chain *c, const char *key)
{
	int err;

	*out = NULL;
	if ((err = need_creds(c)) < 0 || (err = need_conf(c)) < 0)
		return err;
	if (c->cs && (err = get_value(out, NULL, &c->creds, c->cs, key)) < 0)
		return err;
	if (!*out && c->fs && (err = get_value(out, NULL, &c->conf, c->fs, key)) < 0)
		return err;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/*
 * Provider: STS AssumeRoleWithWebIdentity (sts.c) with
 * AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, each
 * else the profile's web_identity_token_file, role_arn, role_session_name.
 */
static int prov_web_identity(struct mlreg_aws_creds *out, struct chain *c)
{
	const char *tf = env_value("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *arn = env_value("AWS_ROLE_ARN"), *sess = env_value("AWS_ROLE_SESSION_NAME");
	char *ptf = NULL, *parn = NULL, *psess = NULL, *var = NULL;
	int err;

	if (!tf) {
		if ((err = profile_value(&ptf, c, "web_identity_token_file")) < 0 || !ptf)
			return err < 0 ? err : 1;
		tf = ptf;
		var = xasprintf("web_identity_token_file of profile '%s'", c->name);
	} else {
		var = xstrdup("AWS_WEB_IDENTITY_TOKEN_FILE");
	}
	if (!arn && (err = profile_value(&parn, c, "role_arn")) < 0)
		goto done;
	if (!arn && !(arn = parn)) {
		err = mlreg_error_set(MLREG_EINVALID, "web identity (%s): no role to assume: set "
				      "AWS_ROLE_ARN or role_arn in profile '%s'", var, c->name);
		goto done;
	}
	if (!sess && (err = profile_value(&psess, c, "role_session_name")) < 0)
		goto done;
	if (!sess)
		sess = psess;
	err = mlreg_aws_web_identity(out, tf, arn, sess, c->explicit, var);
done:
	free(ptf);
	free(parn);
	free(psess);
	free(var);
	return err;
}

/*
 * Provider: a profile's role_arn with source_profile, assumed (STS
 * AssumeRole, sts.c) with the credentials of the source profile, found by
 * the whole chain with that profile named (so it may assume a role in turn,
 * up to 5 deep).  A profile with web_identity_token_file is the next
 * provider's; one with credential_source is not supported.
 */
static int prov_assume_role(struct mlreg_aws_creds *out, struct chain *c)
{
	static int depth;
	char *arn = NULL, *src_name = NULL, *wit = NULL, *sess = NULL, *ext = NULL;
	struct mlreg_aws_creds src;
	int err;

	memset(&src, 0, sizeof(src));
	if ((err = profile_value(&arn, c, "role_arn")) < 0 || !arn ||
	    (err = profile_value(&wit, c, "web_identity_token_file")) < 0 || wit ||
	    (err = profile_value(&src_name, c, "source_profile")) < 0 || !src_name) {
		err = err < 0 ? err : 1;
		goto done;
	}
	if ((err = profile_value(&sess, c, "role_session_name")) < 0 ||
	    (err = profile_value(&ext, c, "external_id")) < 0)
		goto done;
	if (depth >= 5) {
		err = mlreg_error_set(MLREG_EINVALID, "profile '%s': role_arn with source_profile "
				      "chains more than 5 profiles (a loop?)", c->name);
		goto done;
	}
	depth++;
	err = mlreg_aws_credentials(&src, src_name);
	depth--;
	if (err < 0) {
		err = mlreg_error_set(err, "profile '%s': source_profile '%s': %s", c->name,
				      src_name, mlreg_error_message());
		goto done;
	}
	err = mlreg_aws_assume_role(out, &src, arn, sess, ext, c->name);
done:
	mlreg_aws_creds_free(&src);
	free(arn);
	free(src_name);
	free(wit);
	free(sess);
	free(ext);
	return err;
}

/* Provider: static keys of the profile in the shared credentials file. */
static int prov_shared_file(struct mlreg_aws_creds *out, struct chain *c)
{
	int err;

	if ((err = need_creds(c)) < 0)
		return err;
	return c->cs ? creds_from_section(out, &c->creds, c->cs, c->name) : 1;
}

/*
 * Provider: the profile's credential_process, from the credentials file or
 * else the config file (botocore merges the two, the first winning).
 */
static int prov_process(struct mlreg_aws_creds *out, struct chain *c)
{
	char *cmd = NULL;
	int err;

	if ((err = need_creds(c)) < 0 || (err = need_conf(c)) < 0)
		return err;
	if (c->cs && (err = get_value(&cmd, NULL, &c->creds, c->cs, "credential_process")) < 0)
		return err;
	if (!cmd && c->fs &&
	    (err = get_value(&cmd, NULL, &c->conf, c->fs, "credential_process")) < 0)
		return err;
	if (!cmd || !*cmd) {
		free(cmd);
		return 1;
	}
	err = mlreg_aws_credproc(out, cmd, c->name);
	free(cmd);
	return err;
}

/* Provider: static keys of the profile in the config file. */
static int prov_config_file(struct mlreg_aws_creds *out, struct chain *c)
{
	int err;

	if ((err = need_conf(c)) < 0)
		return err;
	return c->fs ? creds_from_section(out, &c->conf, c->fs, c->name) : 1;
}

/*
 * Not a provider: a profile named (by the remote or the environment) but
 * in neither file is an error before the providers that need no profile,
 * as botocore's ProfileNotFound.
 */
static int named_profile_exists(struct mlreg_aws_creds *out, struct chain *c)
{
	int err;

	if ((err = need_creds(c)) < 0 || (err = need_conf(c)) < 0)
		return err;
	if (c->named && !c->cs && !c->fs)
		return no_credentials(&c->creds, c->cs, &c->conf, c->fs, c->name, c->named);
	return 1;
}

/* Provider: ECS container credentials (container.c). */
static int prov_container(struct mlreg_aws_creds *out, struct chain *c)
{
	return mlreg_aws_container(out);
}

/* Provider: EC2 instance metadata (imds.c). */
static int prov_imds(struct mlreg_aws_creds *out, struct chain *c)
{
	return mlreg_aws_imds(out);
}

/*
 * The chain, in botocore's order (botocore/credentials.py,
 * create_credential_resolver); each returns 0 with *out filled, 1 when it
 * has nothing, or an error that ends the search.
 */
static const struct provider {
	const char *name;
	int (*get)(struct mlreg_aws_creds *out, struct chain *c);
} providers[] = {
	{ "env", prov_env },
	{ "assume-role", prov_assume_role },
	{ "assume-role-with-web-identity", prov_web_identity },
	{ "shared-credentials-file", prov_shared_file },
	{ "custom-process", prov_process },
	{ "config-file", prov_config_file },
	{ "(profile check)", named_profile_exists },
	{ "container-role", prov_container },
	{ "iam-role", prov_imds },
};

/*
 * Returns MLREG_ENOTFOUND or MLREG_EINVALID after saying what was looked at
 * when no credentials were found.
 */
static int no_credentials(const struct ini *creds, const struct section *cs,
			  const struct ini *conf, const struct section *fs, const char *profile,
			  int named)
{
	char *a = describe(creds), *b = describe(conf);
	const char *how = unsupported(cs) ? unsupported(cs) : unsupported(fs);
	int err;

	if (cs || fs)
		err = mlreg_error_set(MLREG_ENOTFOUND, "no AWS credentials in profile '%s': "
				      "no aws_access_key_id in %s or %s, nor credential_process%s%s%s",
				      profile, a, b, how ? " (its " : "", how ? how : "",
				      how ? " is not supported)" : "");
	else if (named)
		err = mlreg_error_set(MLREG_EINVALID, "AWS profile '%s' not found in %s or %s",
				      profile, a, b);
	else
		err = mlreg_error_set(MLREG_ENOTFOUND, "no AWS credentials: set AWS_ACCESS_KEY_ID "
				      "and AWS_SECRET_ACCESS_KEY, or configure profile 'default' "
				      "in %s or %s", a, b);
	free(a);
	free(b);
	return err;
}

/* Wipes and frees the strings of c, leaving it empty. */
void mlreg_aws_creds_free(struct mlreg_aws_creds *c)
{
	if (!c)
		return;
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->source);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}

/* Returns 0 and credentials in *out, found as botocore finds them (see awsconf.h). */
int mlreg_aws_credentials(struct mlreg_aws_creds *out, const char *profile)
{
	struct chain c;
	size_t i;
	int err = 1;

	/* From here on the process holds secrets, also in memory that libcurl and
	 * OpenSSL own and we cannot wipe: no core dump, no ptrace by the same user,
	 * /proc/PID/mem and environ readable by root only, until the process ends. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.explicit = profile && *profile ? profile : NULL;
	c.name = profile_name(profile, &c.named);
	for (i = 0; i < sizeof(providers) / sizeof(providers[0]) && err > 0; i++)
		err = providers[i].get(out, &c);
	if (err > 0 && (err = need_creds(&c)) == 0 && (err = need_conf(&c)) == 0)
		err = no_credentials(&c.creds, c.cs, &c.conf, c.fs, c.name, c.named);
	ini_free(&c.creds);
	ini_free(&c.conf);
	if (err < 0) {
		mlreg_aws_creds_free(out);
		return err;
	}
	out->profile = c.explicit ? xstrdup(c.explicit) : NULL;
	return 0;
}

/* Returns 0 with c valid for more than the refresh window (see awsconf.h). */
int mlreg_aws_creds_refresh(struct mlreg_aws_creds *c, time_t now)
{
	struct mlreg_aws_creds fresh;
	int err;

	if (!c->expires || c->expires - now > MLREG_AWS_REFRESH_ADVISORY)
		return 0;
	if ((err = mlreg_aws_credentials(&fresh, c->profile)) == 0) {
		mlreg_aws_creds_free(c);
		*c = fresh;
		return 0;
	}
	if (c->expires - now > MLREG_AWS_REFRESH_MANDATORY) {
		mlreg_error_clear();	/* still good for a while: try again later */
		return 0;
	}
	return mlreg_error_set(err, "cannot refresh the AWS credentials from %s, which expire "
			       "within %d minutes: %s", c->source, MLREG_AWS_REFRESH_MANDATORY / 60,
			       mlreg_error_message());
}

/*
 * Returns 0 and the region in *out from the environment or the profile's
 * "region", or MLREG_ENOTFOUND.
 */
int mlreg_aws_region(char **out, const char *profile)
{
	const char *v = env_value("AWS_REGION"), *name;
	const struct section *s = NULL;
	struct ini conf;
	int named, err;

	*out = NULL;
	memset(&conf, 0, sizeof(conf));
	if (v || (v = env_value("AWS_DEFAULT_REGION"))) {
		*out = xstrdup(v);
		return 0;
	}
	name = profile_name(profile, &named);
	if ((err = ini_load(&conf, "AWS config file", "AWS_CONFIG_FILE", "config")) < 0 ||
	    (err = config_profile(&s, &conf, name)) < 0)
		goto done;
	if (s && (err = get_value(out, NULL, &conf, s, "region")) < 0)
		goto done;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	if (!*out) {
		char *where = describe(&conf);
		err = mlreg_error_set(MLREG_ENOTFOUND, "no AWS region: set AWS_REGION, or 'region' "
				      "in profile '%s' in %s", name, where);
		free(where);
	}
done:
	ini_free(&conf);
	return err;
}

/*
 * Returns 0 and the configured S3 endpoint of profile section s in *out
 * (NULL when none), or MLREG_EINVALID: the services section's s3
 * endpoint_url, the profile's own "s3 =" nested endpoint_url, then its
 * endpoint_url.
 */
static int config_endpoint(char **out, const struct ini *conf, const struct section *s)
{
	const struct entry *e;
	char *svc = NULL;
	int err;

	*out = NULL;
	if ((err = get_value(&svc, NULL, conf, s, "services")) < 0)
		return err;
	if (svc && *svc) {
		const struct section *ss;
		char *name = xasprintf("services %s", svc);

		err = find_section(&ss, conf, name);
		free(name);
		if (!err && ss && !(err = find_key(&e, conf, ss, "s3")) && e)
			*out = nested_get(e, "endpoint_url");
	}
	free(svc);
	if (err < 0)
		return err;
	if (!*out && !(err = find_key(&e, conf, s, "s3")) && e)
		*out = nested_get(e, "endpoint_url");
	if (err < 0)
		return err;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	if (!*out && (err = get_value(out, NULL, conf, s, "endpoint_url")) < 0)
		return err;
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/*
 * Returns 0 and the S3 endpoint in *out from the environment or the config
 * file, or MLREG_ENOTFOUND.
 */
int mlreg_aws_endpoint(char **out, const char *profile)
{
	const char *ignore = env_value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), *v, *name;
	const struct section *s = NULL;
	struct ini conf;
	int named, err;

	*out = NULL;
	memset(&conf, 0, sizeof(conf));
	if (ignore && !strcasecmp(ignore, "true"))
		return mlreg_error_set(MLREG_ENOTFOUND, "configured endpoint URLs are ignored: "
				       "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is 'true'");
	if ((v = env_value("AWS_ENDPOINT_URL_S3")) || (v = env_value("AWS_ENDPOINT_URL"))) {
		*out = xstrdup(v);
		return 0;
	}
	name = profile_name(profile, &named);
	if ((err = ini_load(&conf, "AWS config file", "AWS_CONFIG_FILE", "config")) < 0 ||
	    (err = config_profile(&s, &conf, name)) < 0)
		goto done;
	if (s && !ignore) {
		char *flag = NULL;

		if ((err = get_value(&flag, NULL, &conf, s, "ignore_configured_endpoint_urls")) < 0)
			goto done;
		if (flag && !strcasecmp(flag, "true")) {
			err = mlreg_error_set(MLREG_ENOTFOUND, "configured endpoint URLs are "
					      "ignored: profile '%s' sets "
					      "ignore_configured_endpoint_urls", name);
			free(flag);
			goto done;
		}
		free(flag);
	}
	if (s && (err = config_endpoint(out, &conf, s)) < 0)
		goto done;
	if (!*out) {
		char *where = describe(&conf);
		err = mlreg_error_set(MLREG_ENOTFOUND, "no S3 endpoint configured: "
				      "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and endpoint_url "
				      "in profile '%s' in %s are unset", name, where);
		free(where);
	}
done:
	ini_free(&conf);
	return err;
}
