/*
 * Creating, finding and opening a store.  A store is recognised by its
 * "format" file; an unknown format version is refused rather than guessed.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fs.h"
#include "store.h"
#include "util.h"

#define FORMAT_LINE "mlreg store format 1\n"

static const char *const subdirs[] = { "objects", "models", "tmp" };

int mlreg_store_init(const char *path)
{
	struct stat st;
	char *p;
	int err = 0;
	size_t i;

	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		return mlreg_error_set(MLREG_EEXISTS, "cannot create store '%s': "
				       "a file of that name exists", path);
	if ((err = mlreg_fs_mkdirs(path, 0755)) < 0)
		return err;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		p = xasprintf("%s/%s", path, subdirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			err = mlreg_error_os("cannot create directory '%s'", p);
		free(p);
		if (err)
			return err;
	}
	p = xasprintf("%s/config", path);
	if (access(p, F_OK) < 0)
		err = mlreg_fs_write_atomic(p, "[core]\n\tformatversion = 1\n", 26);
	free(p);
	if (err)
		return err;
	p = xasprintf("%s/format", path);
	if (access(p, F_OK) < 0) {
		/* Written last: a store is complete once it has a format file. */
		err = mlreg_fs_write_atomic(p, FORMAT_LINE, strlen(FORMAT_LINE));
	} else {
		struct mlreg_store *s;
		if ((err = mlreg_store_open(&s, path)) == 0)
			mlreg_store_free(s);
	}
	free(p);
	return err;
}

int mlreg_store_open(struct mlreg_store **out, const char *path)
{
	char real[PATH_MAX], *fmt = NULL, *p;
	struct stat st;
	int err, version;

	*out = NULL;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return mlreg_error_set(MLREG_ENOTFOUND, "not an mlreg store: '%s'", path);
	if (!realpath(path, real))
		return mlreg_error_os("cannot resolve '%s'", path);
	p = xasprintf("%s/format", real);
	err = mlreg_fs_read_file(&fmt, NULL, p, 4096, p);
	free(p);
	if (err == MLREG_ENOTFOUND)
		return mlreg_error_set(MLREG_ENOTFOUND,
			"not an mlreg store: '%s' (no format file; run 'mlreg init')", path);
	if (err < 0)
		return err;
	if (sscanf(fmt, "mlreg store format %d", &version) != 1) {
		free(fmt);
		return mlreg_error_set(MLREG_ECORRUPT, "'%s/format' is not an mlreg format file", real);
	}
	free(fmt);
	if (version != MLREG_STORE_FORMAT)
		return mlreg_error_set(MLREG_EINVALID,
			"store '%s' has format %d; this mlreg reads format %d", real, version,
			MLREG_STORE_FORMAT);
	*out = xcalloc(1, sizeof(**out));
	(*out)->path = xstrdup(real);
	(*out)->format = version;
	return 0;
}

int mlreg_store_discover(char **out, const char *start)
{
	char real[PATH_MAX];
	char *dir;

	*out = NULL;
	if (!realpath(start, real))
		return mlreg_error_os("cannot resolve '%s'", start);
	dir = xstrdup(real);
	for (;;) {
		char *cand = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", MLREG_STORE_DIRNAME);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(dir);
			*out = cand;
			return 0;
		}
		free(cand);
		char *slash = strrchr(dir, '/');
		if (!slash || !strcmp(dir, "/"))
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	return mlreg_error_set(MLREG_ENOTFOUND,
		"not an mlreg store (or any parent up to /): %s; run 'mlreg init'",
		MLREG_STORE_DIRNAME);
}

void mlreg_store_free(struct mlreg_store *store)
{
	if (!store)
		return;
	free(store->path);
	free(store);
}

char *mlreg_store_path(const struct mlreg_store *store, const char *fmt, ...)
{
	va_list ap;
	char *rel, *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	rel = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(rel, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p = xasprintf("%s/%s", store->path, rel);
	free(rel);
	return p;
}

int mlreg_store_config_bool(int *out, const struct mlreg_store *store, const char *key,
			    int dflt)
{
	char *path = mlreg_store_path(store, "config");
	int err = mlreg_config_get_bool(out, path, key, dflt);

	free(path);
	return err;
}
