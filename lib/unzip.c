/*
 * Unpacking a zip artifact for checking (see unzip.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "inspect.h"
#include "registry.h"
#include "unzip.h"
#include "util.h"
#include "zip.h"

/* Returns 0 after adding path (its content in src) to e; MLREG_EINVALID for a duplicate. */
static int add(struct mlreg_entries *e, const char *path, char *src, const char *what)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].path, path)) {
			free(src);
			return mlreg_error_set(MLREG_EINVALID, "'%s': zip member '%s' appears twice",
					       what, path);
		}
	if (e->n == e->alloc) {
		e->alloc = e->alloc ? 2 * e->alloc : 64;
		e->v = xrealloc(e->v, e->alloc * sizeof(*e->v));
	}
	e->v[e->n].path = xstrdup(path);
	e->v[e->n].src = src;
	e->v[e->n].exec = 0;
	e->n++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mlreg_entry *)a)->path, ((const struct mlreg_entry *)b)->path);
}

int mlreg_unzip(struct mlreg_entries *out, char **dir, const char *path, const char *tmpdir)
{
	struct mlreg_zip zip;
	struct mlreg_src src;
	struct stat st;
	size_t i;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	memset(&zip, 0, sizeof(zip));
	*dir = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mlreg_error_os("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err = mlreg_error_os("cannot stat '%s'", path);
		close(fd);
		return err;
	}
	src.fd = fd;
	src.buf = NULL;
	src.size = (uint64_t)st.st_size;
	src.name = path;
	if ((err = mlreg_zip_open(&zip, &src)) < 0)
		goto done;
	*dir = xasprintf("%s/mlreg-unzip-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(*dir)) {
		err = mlreg_error_os("cannot create a directory in '%s'", tmpdir);
		free(*dir);
		*dir = NULL;
		goto done;
	}
	for (i = 0; i < zip.count && !err; i++) {
		const struct mlreg_zip_entry *e = &zip.entries[i];
		size_t len = strlen(e->name);
		char *file;
		int out_fd;

		if (len && e->name[len - 1] == '/')
			continue;	/* a directory */
		if (!mlreg_path_is_safe(e->name) || strchr(e->name, '\\')) {
			/* the name is not printed: it may hold control characters */
			err = mlreg_error_set(MLREG_EINVALID, "'%s': zip member %zu has an unsafe "
					      "name (absolute, with an empty, '.' or '..' part, a "
					      "backslash or a control character)", path, i + 1);
			break;
		}
		file = xasprintf("%s/%zu", *dir, i);
		out_fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out_fd < 0) {
			err = mlreg_error_os("cannot create '%s'", file);
			free(file);
			break;
		}
		err = mlreg_zip_extract(&zip, e, out_fd, file);
		if (close(out_fd) < 0 && !err)
			err = mlreg_error_os("cannot write '%s'", file);
		if (!err)
			err = add(out, e->name, file, path);
		else {
			unlink(file);
			free(file);
		}
	}
	if (!err && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_path);
done:
	mlreg_zip_close(&zip);
	close(fd);
	if (err < 0) {
		mlreg_unzip_remove(out, *dir);
		*dir = NULL;
	}
	return err;
}

void mlreg_unzip_remove(struct mlreg_entries *e, char *dir)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		unlink(e->v[i].src);
	mlreg_entries_free(e);
	if (dir)
		rmdir(dir);
	free(dir);
}
