/*
 * Directory walking for register (see walk.h).  Symlinks inside a
 * registered directory are followed when they resolve inside it and refused
 * otherwise, so registering a directory can never pull in /etc/passwd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkout.h"
#include "error.h"
#include "registry.h"
#include "util.h"
#include "walk.h"

#define MAX_DEPTH 256

/*
 * Returns 0 after adding the file src as rel; MLREG_EINVALID, naming src,
 * when rel cannot be stored (a control character or bytes that are not
 * UTF-8 in its name: the record could not hold it safely).
 */
static int add(struct mlreg_entries *e, const char *rel, const char *src, mode_t mode)
{
	const char *why = mlreg_path_problem(rel);

	if (why)
		return mlreg_error_set(MLREG_EINVALID, "cannot store '%s': its name %s",
				       src, why);
	MLREG_ALLOC_GROW(e->v, e->n + 1, e->alloc);
	e->v[e->n].path = xstrdup(rel);
	e->v[e->n].src = xstrdup(src);
	e->v[e->n].exec = (mode & S_IXUSR) != 0;
	e->n++;
	return 0;
}

/*
 * Returns 0 when path can be opened for reading, else MLREG_EOS: one
 * syscall, with the effective ids open(2) uses (the read that follows
 * still reports what it meets).
 */
static int check_readable(const char *path)
{
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0)
		return mlreg_error_os("cannot open '%s'", path);
	return 0;
}

/* Returns 1 when path is root or lies below it (both resolved). */
static int inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return 1;
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

/* The store's own directory (resolved), never walked into; may be NULL. */
static const char *skip_dir;

static int walk_dir(struct mlreg_entries *out, const char *root, const char *rootreal,
		    const char *dir, const char *dirreal, const char *rel, int depth)
{
	struct dirent **names = NULL;
	int n, i, err = 0;

	if (skip_dir && !strcmp(dirreal, skip_dir))
		return 0;
	if (depth > MAX_DEPTH)
		return mlreg_error_set(MLREG_EINVALID, "'%s' nests deeper than %d directories",
				       dir, MAX_DEPTH);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return mlreg_error_os("cannot read directory '%s'", dir);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *full, *sub;
		struct stat st;

		if (err || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (mlreg_checkout_is_tmp(name))
			continue;	/* a checkout's temporary file, never a model's */
		full = xasprintf("%s/%s", dir, name);
		sub = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		if (lstat(full, &st) < 0) {
			err = mlreg_error_os("cannot stat '%s'", full);
		} else if (S_ISLNK(st.st_mode)) {
			char real[PATH_MAX];
			if (!realpath(full, real)) {
				err = mlreg_error_set(MLREG_EOS, "cannot follow symlink '%s': %s",
						      full, strerror(errno));
			} else if (!inside(real, rootreal)) {
				err = mlreg_error_set(MLREG_EINVALID,
					"symlink '%s' leads outside '%s'", full, root);
			} else if (stat(real, &st) < 0) {
				err = mlreg_error_os("cannot stat '%s'", full);
			} else if (S_ISDIR(st.st_mode)) {
				if (inside(dirreal, real))
					err = mlreg_error_set(MLREG_EINVALID,
						"symlink '%s' makes a loop", full);
				else
					err = walk_dir(out, root, rootreal, real, real, sub, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				if (!(err = check_readable(full)))
					err = add(out, sub, full, st.st_mode);
			} else {
				err = mlreg_error_set(MLREG_EINVALID,
					"'%s' is not a regular file or directory", full);
			}
		} else if (S_ISDIR(st.st_mode)) {
			char *subreal = xasprintf("%s/%s", dirreal, name);
			err = walk_dir(out, root, rootreal, full, subreal, sub, depth + 1);
			free(subreal);
		} else if (S_ISREG(st.st_mode)) {
			if (!(err = check_readable(full)))
				err = add(out, sub, full, st.st_mode);
		} else {
			err = mlreg_error_set(MLREG_EINVALID,
				"'%s' is not a regular file or directory", full);
		}
		free(full);
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mlreg_entry *)a)->path, ((const struct mlreg_entry *)b)->path);
}

int mlreg_walk(struct mlreg_entries *out, char *const *paths, size_t n, const char *skip)
{
	char skipreal[PATH_MAX];
	size_t i;
	int err = 0;

	skip_dir = skip && realpath(skip, skipreal) ? skipreal : NULL;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n && !err; i++) {
		const char *p = paths[i];
		struct stat st;

		if (stat(p, &st) < 0) {
			err = mlreg_error_os("cannot open '%s'", p);
		} else if (S_ISDIR(st.st_mode)) {
			char real[PATH_MAX];
			if (!realpath(p, real))
				err = mlreg_error_os("cannot resolve '%s'", p);
			else
				err = walk_dir(out, p, real, p, real, "", 0);
		} else if (S_ISREG(st.st_mode)) {
			const char *base = strrchr(p, '/');
			if (base && base[1] == '\0') {
				err = mlreg_error_set(MLREG_EOS, "cannot open '%s': Not a directory", p);
				continue;
			}
			base = base ? base + 1 : p;
			if (!(err = check_readable(p)))
				err = add(out, base, p, st.st_mode);
		} else {
			err = mlreg_error_set(MLREG_EINVALID,
				"'%s' is not a regular file or directory", p);
		}
	}
	if (!err) {
		qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
		for (i = 1; i < out->n; i++)
			if (!strcmp(out->v[i - 1].path, out->v[i].path)) {
				err = mlreg_error_set(MLREG_EINVALID,
					"two paths give the same file '%s' ('%s' and '%s')",
					out->v[i].path, out->v[i - 1].src, out->v[i].src);
				break;
			}
	}
	if (!err) {	/* "a" and "a/b" from two arguments: one cannot be both */
		const char **rels = xcalloc(out->n + 1, sizeof(*rels));
		for (i = 0; i < out->n; i++)
			rels[i] = out->v[i].path;
		if (mlreg_paths_check(rels, out->n) < 0)
			err = mlreg_error_set(MLREG_EINVALID, "cannot store these files "
					      "together: %s", mlreg_error_message());
		free(rels);
	}
	skip_dir = NULL;
	if (!err && out->n == 0)
		err = mlreg_error_set(MLREG_EINVALID, "no files found (empty directories only)");
	if (err)
		mlreg_entries_free(out);
	return err;
}

void mlreg_entries_free(struct mlreg_entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].src);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}
