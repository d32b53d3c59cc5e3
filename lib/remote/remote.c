/*
 * Remote configuration (see remote.h): names and URLs checked before they
 * are written, and the [remote "NAME"] sections of the store's config file
 * read and written through libgit2, which locks the file (config.lock) and
 * renames the new content into place as git does.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "error.h"
#include "fs.h"
#include "remote.h"
#include "util.h"

int mlreg_remote_name_validate(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0)
		return mlreg_error_set(MLREG_EINVALID, "invalid remote name '': it is empty");
	if (len > MLREG_REMOTE_NAME_MAX)
		return mlreg_error_set(MLREG_EINVALID, "invalid remote name '%.64s...': longer "
				       "than %d bytes", name, MLREG_REMOTE_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return mlreg_error_set(MLREG_EINVALID, "invalid remote name '%s': it starts "
				       "with '%c'", name, name[0]);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return mlreg_error_set(MLREG_EINVALID, "invalid remote name '%s': only "
					       "letters, digits, '.', '_' and '-' are allowed", name);
	}
	return 0;
}

/* Returns 1 when s has a control character (or DEL), else 0. */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Returns 0 when bucket is a usable S3 bucket name. */
static int check_bucket(const char *url, const char *b, size_t len)
{
	size_t i;

	if (len < 3 || len > 255)
		return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': a bucket name "
				       "has 3 to 255 characters", url);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];
		if (!isalnum(c) && c != '.' && c != '-' && c != '_')
			return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': the bucket "
					       "name may only hold letters, digits, '.', '-' and '_'",
					       url);
	}
	if (!isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[len - 1]))
		return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': the bucket "
				       "name must start and end with a letter or digit", url);
	return 0;
}

/* Returns 0 when prefix (already without leading and trailing '/') is safe. */
static int check_prefix(const char *url, const char *p)
{
	const char *seg = p, *s;

	if (!*p)
		return 0;
	for (s = p;; s++) {
		if (*s == '/' || *s == '\0') {
			size_t len = (size_t)(s - seg);
			if (len == 0 || (len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': "
						       "empty, '.' or '..' segment in the prefix", url);
			if (!*s)
				return 0;
			seg = s + 1;
			continue;
		}
		if (!isalnum((unsigned char)*s) && !strchr("._-+=,:~!$()*'", *s))
			return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': the prefix "
					       "may only hold letters, digits, '/' and ._-+=,:~!$()*'",
					       url);
	}
}

/* Returns a malloc'd copy of s with %XX escapes decoded, or NULL on a bad or NUL escape. */
static char *percent_decode(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], 0 };
			long v = strtol(hex, NULL, 16);
			if (v == 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

int mlreg_remote_parse_url(struct mlreg_remote *r, const char *url)
{
	int err;

	if (has_control(url))
		return mlreg_error_set(MLREG_EINVALID, "invalid remote URL: it holds a control "
				       "character");
	if (!strncmp(url, "s3://", 5) && strchr(url, '@'))
		/* Not quoted back: "KEY:SECRET@bucket", and secrets may hold '/'. */
		return mlreg_error_set(MLREG_EINVALID, "invalid remote URL: '@' is not allowed "
				       "in an s3:// URL (credentials do not belong in a URL: use "
				       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)");
	if (!strncmp(url, "s3://", 5)) {
		const char *b = url + 5, *slash = strchr(b, '/');
		size_t blen = slash ? (size_t)(slash - b) : strlen(b);
		char *prefix;
		size_t plen;

		if (memchr(b, ':', blen))
			/* Not quoted back: "KEY:SECRET/..." may be a secret. */
			return mlreg_error_set(MLREG_EINVALID, "invalid remote URL: ':' is not "
					       "allowed in a bucket name (credentials do not belong in "
					       "a URL: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
					       "or a profile)");
		if ((err = check_bucket(url, b, blen)) < 0)
			return err;
		prefix = xstrdup(slash ? slash + 1 : "");
		plen = strlen(prefix);
		while (plen > 0 && prefix[plen - 1] == '/')
			prefix[--plen] = '\0';
		if ((err = check_prefix(url, prefix)) < 0) {
			free(prefix);
			return err;
		}
		r->kind = MLREG_REMOTE_S3;
		free(r->bucket);
		free(r->prefix);
		r->bucket = xstrndup(b, blen);
		r->prefix = prefix;
		return 0;
	}
	if (!strncmp(url, "file://", 7)) {
		const char *p = url + 7;
		char *path;
		size_t len;

		if (!strncmp(p, "localhost/", 10))
			p += 9;
		if (*p != '/')
			return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': a file URL "
					       "names an absolute path (file:///PATH)", url);
		if (!(path = percent_decode(p)))
			return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': bad %% "
					       "escape", url);
		len = strlen(path);
		while (len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		r->kind = MLREG_REMOTE_FILE;
		free(r->path);
		r->path = path;
		return 0;
	}
	return mlreg_error_set(MLREG_EINVALID, "invalid remote URL '%s': expected "
			       "s3://BUCKET[/PREFIX] or file:///PATH", url);
}

int mlreg_remote_check_endpoint(const char *url)
{
	const char *host, *end;

	if (has_control(url))
		return mlreg_error_set(MLREG_EINVALID, "invalid endpoint: it holds a control "
				       "character");
	if (strchr(url, '@'))
		/* Not quoted back: an endpoint has no path, so '@' means credentials. */
		return mlreg_error_set(MLREG_EINVALID, "invalid endpoint: credentials do not "
				       "belong in a URL (use AWS_ACCESS_KEY_ID and "
				       "AWS_SECRET_ACCESS_KEY, or a profile)");
	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		return mlreg_error_set(MLREG_EINVALID, "invalid endpoint '%s': expected "
				       "http://HOST[:PORT] or https://HOST[:PORT]", url);
	end = host + strcspn(host, "/?#");
	if (end == host)
		return mlreg_error_set(MLREG_EINVALID, "invalid endpoint '%s': no host", url);
	if (*end && strcmp(end, "/"))
		return mlreg_error_set(MLREG_EINVALID, "invalid endpoint '%s': an endpoint has "
				       "no path, query or fragment", url);
	return 0;
}

/* Returns 0 with the store's config file open in *cfg, or an error. */
static int open_config(git_config **cfg, const struct mlreg_store *store)
{
	char *path = mlreg_store_path(store, "config");
	int rc;

	git_libgit2_init();
	rc = git_config_open_ondisk(cfg, path);
	if (rc < 0) {
		const git_error *e = git_error_last();
		rc = mlreg_error_set(MLREG_EOS, "cannot read '%s': %s", path,
				     e ? e->message : "libgit2 error");
	}
	free(path);
	return rc;
}

/* Returns the error for a failed libgit2 config call on key. */
static int config_error(const char *what, const char *key)
{
	const git_error *e = git_error_last();

	return mlreg_error_set(MLREG_EOS, "cannot %s '%s' in the store's config: %s", what, key,
			       e ? e->message : "libgit2 error");
}

/* Returns a malloc'd copy of the string at key, or NULL when unset. */
static char *get_string(git_config *cfg, const char *key)
{
	git_buf buf = { 0 };
	char *s = NULL;

	if (git_config_get_string_buf(&buf, cfg, key) == 0)
		s = xstrdup(buf.ptr ? buf.ptr : "");
	git_buf_dispose(&buf);
	git_error_clear();
	return s;
}

int mlreg_remote_exists(const struct mlreg_store *store, const char *name)
{
	git_config *cfg;
	char *key, *url;

	if (mlreg_remote_name_validate(name) < 0) {
		mlreg_error_clear();
		return 0;
	}
	if (open_config(&cfg, store) < 0) {
		mlreg_error_clear();
		return 0;
	}
	key = xasprintf("remote.%s.url", name);
	url = get_string(cfg, key);
	free(key);
	git_config_free(cfg);
	free(url);
	return url != NULL;
}

int mlreg_remote_add(struct mlreg_store *store, const char *name, const char *url,
		     const char *endpoint, const char *region, const char *profile,
		     int path_style)
{
	struct mlreg_remote probe = { 0 };
	git_config *cfg = NULL;
	char *key = NULL, *old;
	int err;

	if ((err = mlreg_remote_name_validate(name)) < 0)
		return err;
	err = mlreg_remote_parse_url(&probe, url);
	free(probe.bucket);
	free(probe.prefix);
	free(probe.path);
	if (err < 0)
		return err;
	if (endpoint && (err = mlreg_remote_check_endpoint(endpoint)) < 0)
		return err;
	if (region && (!*region || has_control(region) || strchr(region, '/')))
		return mlreg_error_set(MLREG_EINVALID, "invalid region '%s'", region);
	if (profile && (!*profile || has_control(profile)))
		return mlreg_error_set(MLREG_EINVALID, "invalid profile name '%s'", profile);
	if (probe.kind == MLREG_REMOTE_FILE && (endpoint || region || profile || path_style >= 0))
		return mlreg_error_set(MLREG_EINVALID, "a file:// remote takes no --endpoint, "
				       "--region, --profile or --path-style");
	if ((err = open_config(&cfg, store)) < 0)
		return err;
	key = xasprintf("remote.%s.url", name);
	if ((old = get_string(cfg, key)) != NULL) {
		free(old);
		err = mlreg_error_set(MLREG_EEXISTS, "remote '%s' already exists", name);
		goto done;
	}
	if (git_config_set_string(cfg, key, url) < 0) {
		err = config_error("set", key);
		goto done;
	}
#define SET(field, value) do { \
		free(key); \
		key = xasprintf("remote.%s." field, name); \
		if (git_config_set_string(cfg, key, value) < 0) { \
			err = config_error("set", key); \
			goto done; \
		} \
	} while (0)
	if (endpoint)
		SET("endpoint", endpoint);
	if (region)
		SET("region", region);
	if (profile)
		SET("profile", profile);
	if (path_style >= 0)
		SET("pathstyle", path_style ? "true" : "false");
#undef SET
done:
	free(key);
	git_config_free(cfg);
	return err;
}

/* Removes dir and everything below it (no symlink is followed); best effort. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

struct collect {
	char **keys;
	size_t n;
};

static int collect_key(const git_config_entry *e, void *ctx)
{
	struct collect *c = ctx;

	c->keys = xrealloc(c->keys, (c->n + 1) * sizeof(*c->keys));
	c->keys[c->n++] = xstrdup(e->name);
	return 0;
}

/*
 * Calls fn for every entry of cfg whose name starts with prefix, "remote."
 * and maybe a subsection (the section compared without case, the
 * subsection with it, as git does), and ends with suffix; returns 0 or a
 * libgit2 error.  A plain iterator: libgit2 1.5's regex matching
 * (git_config_foreach_match) leaks its PCRE2 match data.
 */
static int foreach_key(git_config *cfg, const char *prefix, const char *suffix,
		       int (*fn)(const git_config_entry *e, void *ctx), void *ctx)
{
	git_config_iterator *it;
	git_config_entry *e;
	size_t plen = strlen(prefix), slen = strlen(suffix);
	int rc;

	if ((rc = git_config_iterator_new(&it, cfg)) < 0)
		return rc;
	while ((rc = git_config_next(&e, it)) == 0) {
		size_t len = strlen(e->name);
		if (len >= plen + slen && !strncasecmp(e->name, prefix, 7) &&
		    !strncmp(e->name + 7, prefix + 7, plen - 7) &&
		    !strcasecmp(e->name + len - slen, suffix) && (rc = fn(e, ctx)) != 0)
			break;
	}
	git_config_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : rc;
}

/*
 * Returns 0 after removing the header of section [remote "NAME"] when no key
 * is left under it (libgit2 deletes keys, not sections), under the config
 * file's lock as git takes it: config.lock created exclusively, renamed over.
 */
static int drop_empty_section(struct mlreg_store *store, const char *name)
{
	char *path = mlreg_store_path(store, "config"), *buf = NULL, *header, *out, *p;
	struct mlreg_lock lk = { 0 };
	size_t len, used = 0;
	int err;

	header = xasprintf("[remote \"%s\"]", name);
	if ((err = mlreg_lock_acquire(&lk, path, mlreg_lock_timeout())) < 0)
		goto done;
	if ((err = mlreg_fs_read_file(&buf, &len, path, 1u << 20, path)) < 0)
		goto done;
	out = xmalloc(len + 1);
	for (p = buf; *p;) {
		char *eol = strchr(p, '\n'), *next = eol ? eol + 1 : p + strlen(p), *q;
		size_t n = (size_t)(next - p), skip = strspn(p, " \t");
		int empty = 0;

		if (!strncmp(p + skip, header, strlen(header))) {
			/* Empty when only blank lines come before the next section or the end. */
			for (q = next; *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'; q++)
				;
			empty = *q == '\0' || *q == '[';
		}
		if (!empty) {
			memcpy(out + used, p, n);
			used += n;
		}
		p = next;
	}
	if (used != len && (err = mlreg_lock_write(&lk, out, used)) == 0)
		err = mlreg_lock_commit(&lk);
	free(out);
done:
	mlreg_lock_release(&lk);
	free(buf);
	free(header);
	free(path);
	return err;
}

int mlreg_remote_remove(struct mlreg_store *store, const char *name)
{
	struct collect c = { NULL, 0 };
	git_config *cfg;
	char *key, *url, *pattern, *dir;
	size_t i;
	int err = 0;

	if ((err = mlreg_remote_name_validate(name)) < 0)
		return err;
	if ((err = open_config(&cfg, store)) < 0)
		return err;
	key = xasprintf("remote.%s.url", name);
	url = get_string(cfg, key);
	free(key);
	if (!url) {
		git_config_free(cfg);
		return mlreg_error_set(MLREG_ENOTFOUND, "no such remote '%s'", name);
	}
	free(url);
	/* Every key of the section. */
	pattern = xasprintf("remote.%s.", name);
	foreach_key(cfg, pattern, "", collect_key, &c);
	free(pattern);
	for (i = 0; i < c.n && !err; i++)
		if (git_config_delete_multivar(cfg, c.keys[i], ".*") < 0)
			err = config_error("remove", c.keys[i]);
	for (i = 0; i < c.n; i++)
		free(c.keys[i]);
	free(c.keys);
	git_config_free(cfg);
	if (!err)
		err = drop_empty_section(store, name);
	if (err)
		return err;
	dir = mlreg_store_path(store, "remotes/%s", name);
	remove_tree(dir);
	free(dir);
	return 0;
}

/* Returns 0 and remote name read from cfg in *out, or MLREG_ENOTFOUND. */
static int load(struct mlreg_remote **out, const struct mlreg_store *store, git_config *cfg,
		const char *name)
{
	struct mlreg_remote *r;
	char *key = xasprintf("remote.%s.url", name);
	char *url = get_string(cfg, key);
	int err, b;

	*out = NULL;
	free(key);
	if (!url)
		return mlreg_error_set(MLREG_ENOTFOUND, "no such remote '%s' (see 'mlreg remote "
				       "list')", name);
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->url = url;
	r->path_style = -1;
	if ((err = mlreg_remote_parse_url(r, url)) < 0) {
		err = mlreg_error_set(MLREG_EINVALID, "remote '%s': %s", name,
				      mlreg_error_message());
		mlreg_remote_free(r);
		return err;
	}
#define GET(field, member) do { \
		key = xasprintf("remote.%s." field, name); \
		r->member = get_string(cfg, key); \
		free(key); \
	} while (0)
	GET("endpoint", endpoint);
	GET("region", region);
	GET("profile", profile);
#undef GET
	if (r->endpoint && (err = mlreg_remote_check_endpoint(r->endpoint)) < 0) {
		err = mlreg_error_set(MLREG_EINVALID, "remote '%s': %s", name,
				      mlreg_error_message());
		mlreg_remote_free(r);
		return err;
	}
	key = xasprintf("remote.%s.pathstyle", name);
	if (git_config_get_bool(&b, cfg, key) == 0)
		r->path_style = b != 0;
	git_error_clear();
	free(key);
	r->cache = mlreg_store_path(store, "remotes/%s", name);
	*out = r;
	return 0;
}

struct names {
	char **v;
	size_t n;
};

static int collect_name(const git_config_entry *e, void *ctx)
{
	struct names *ns = ctx;
	const char *start = e->name + 7;	/* after "remote." */
	const char *end = strrchr(e->name, '.');

	if (end <= start)
		return 0;
	ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] = xstrndup(start, (size_t)(end - start));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns 0 and the sorted names of every remote with a url in *ns. */
static int remote_names(struct names *ns, git_config *cfg)
{
	ns->v = NULL;
	ns->n = 0;
	if (foreach_key(cfg, "remote.", ".url", collect_name, ns) < 0)
		return config_error("read", "remote.*.url");
	if (ns->n)
		qsort(ns->v, ns->n, sizeof(*ns->v), cmp_str);
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int mlreg_remote_list(cJSON **out, const struct mlreg_store *store)
{
	struct names ns;
	git_config *cfg;
	cJSON *arr;
	int err;

	*out = NULL;
	if ((err = open_config(&cfg, store)) < 0)
		return err;
	if ((err = remote_names(&ns, cfg)) < 0) {
		git_config_free(cfg);
		return err;
	}
	arr = cJSON_CreateArray();
	for (size_t i = 0; i < ns.n; i++) {
		struct mlreg_remote *r;
		cJSON *o;
		if (mlreg_remote_name_validate(ns.v[i]) < 0 || load(&r, store, cfg, ns.v[i]) < 0) {
			mlreg_error_clear();
			continue;	/* not ours to show: a hand-edited entry */
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddStringToObject(o, "url", r->url);
		cJSON_AddItemToObject(o, "endpoint", str_or_null(r->endpoint));
		cJSON_AddItemToObject(o, "region", str_or_null(r->region));
		cJSON_AddItemToObject(o, "profile", str_or_null(r->profile));
		if (r->path_style < 0)
			cJSON_AddNullToObject(o, "path_style");
		else
			cJSON_AddBoolToObject(o, "path_style", r->path_style);
		cJSON_AddItemToArray(arr, o);
		mlreg_remote_free(r);
	}
	names_free(&ns);
	git_config_free(cfg);
	*out = arr;
	return 0;
}

int mlreg_remote_get(struct mlreg_remote **out, const struct mlreg_store *store,
		     const char *name)
{
	struct names ns = { NULL, 0 };
	git_config *cfg;
	int err;

	*out = NULL;
	if (name && (err = mlreg_remote_name_validate(name)) < 0)
		return err;
	if ((err = open_config(&cfg, store)) < 0)
		return err;
	if (!name) {
		if ((err = remote_names(&ns, cfg)) < 0)
			goto done;
		for (size_t i = 0; i < ns.n; i++)
			if (!strcmp(ns.v[i], "origin"))
				name = "origin";
		if (!name && ns.n == 1)
			name = ns.v[0];
		if (!name) {
			err = mlreg_error_set(MLREG_ENOTFOUND, ns.n == 0 ?
				"no remote configured (add one with 'mlreg remote add NAME URL')" :
				"several remotes and none is called 'origin': name the remote");
			goto done;
		}
	}
	err = load(out, store, cfg, name);
done:
	names_free(&ns);
	git_config_free(cfg);
	return err;
}

void mlreg_remote_free(struct mlreg_remote *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->url);
	free(r->bucket);
	free(r->prefix);
	free(r->path);
	free(r->endpoint);
	free(r->region);
	free(r->profile);
	free(r->cache);
	free(r);
}
