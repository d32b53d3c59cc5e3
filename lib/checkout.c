/*
 * checkout and fsck.  A version record may come from elsewhere (a remote, a
 * hand edit), so checkout trusts none of it: every path is checked to stay
 * relative and below the target, directories are opened one component at a
 * time with O_NOFOLLOW, and object bytes are verified while they are copied.
 * Each file goes through a temporary file beside it (.mlreg-checkout-PID-N),
 * held with flock(2) until renamed; those of a checkout that was killed are
 * removed by the next one into the same directories.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkout.h"
#include "doc.h"
#include "error.h"
#include "lifecycle.h"
#include "listidx.h"
#include "fs.h"
#include "name.h"
#include "object.h"
#include "registry.h"
#include "util.h"

/*
 * Returns an fd on the directory holding rel (below dirfd), creating missing
 * directories when create is set; -1 with the error set otherwise, or -2
 * when a component is missing and create is not set.  *base points at the
 * last component of rel.
 */
static int open_parent(int dirfd, const char *rel, int create, const char **base)
{
	const char *s = rel, *slash;
	int fd = dup(dirfd);

	if (fd < 0)
		return mlreg_error_os("cannot open the checkout directory"), -1;
	while ((slash = strchr(s, '/')) != NULL) {
		char *seg = xstrndup(s, (size_t)(slash - s));
		int next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, seg, 0777) < 0 && errno != EEXIST) {
				mlreg_error_os("cannot create directory for '%s'", rel);
				free(seg);
				close(fd);
				return -1;
			}
			next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int missing = errno == ENOENT;
			if (errno == ELOOP || errno == ENOTDIR)
				mlreg_error_set(MLREG_ECONFLICT, "cannot write '%s': '%s' in its path "
						"is a symlink or not a directory", rel, seg);
			else
				mlreg_error_os("cannot open directory for '%s'", rel);
			free(seg);
			close(fd);
			return missing && !create ? -2 : -1;
		}
		free(seg);
		close(fd);
		fd = next;
		s = slash + 1;
	}
	*base = s;
	return fd;
}

#define TMP_PREFIX ".mlreg-checkout-"
#define TMP_GRACE_S 60		/* a temporary file unchanged this long, unlocked, is a leftover */

int mlreg_checkout_is_tmp(const char *name)
{
	const char *p = name + strlen(TMP_PREFIX);

	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != '-' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '\0';
}

/* Removes the temporary files that killed checkouts left in the directory dfd. */
static void prune_tmp(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (mlreg_checkout_is_tmp(de->d_name))
			mlreg_fs_remove_stale(dirfd(d), de->d_name, TMP_GRACE_S);
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Prunes (prune_tmp) each directory below dirfd that holds a file of files
 * and exists already, once: best effort, before anything is written.
 */
static void prune_dirs(int dirfd, const cJSON *files)
{
	const cJSON *f;
	char **dirs = NULL;
	size_t n = 0, cap = 0, i;

	cJSON_ArrayForEach(f, files) {
		const char *path = mlreg_doc_str(f, "path", ""), *slash = strrchr(path, '/');
		MLREG_ALLOC_GROW(dirs, n + 1, cap);
		/* "DIR/" opens DIR (open_parent's last component is ""); "" is dirfd */
		dirs[n++] = slash ? xstrndup(path, (size_t)(slash - path + 1)) : xstrdup("");
	}
	if (n)
		qsort(dirs, n, sizeof(*dirs), cmp_str);
	for (i = 0; i < n; i++) {
		const char *base;
		int pfd;
		if (i > 0 && !strcmp(dirs[i], dirs[i - 1]))
			continue;
		pfd = open_parent(dirfd, dirs[i], 0, &base);
		if (pfd >= 0) {
			prune_tmp(pfd);
			close(pfd);
		}
	}
	mlreg_error_clear();
	for (i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

/* Returns 0 when the file at base in pfd may be replaced by an object hex. */
static int check_target(int pfd, const char *base, const char *rel, const char *hex, int force)
{
	struct stat st;
	char actual[MLREG_HEX_LEN + 1];
	struct mlreg_sha256 h;
	char buf[65536];
	ssize_t n;
	int fd;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : mlreg_error_os("cannot stat '%s'", rel);
	if (!S_ISREG(st.st_mode))
		return mlreg_error_set(MLREG_ECONFLICT, "cannot write '%s': something other than "
				       "a regular file is in the way", rel);
	if (force)
		return 0;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return mlreg_error_os("cannot open '%s'", rel);
	mlreg_sha256_init(&h);
	while ((n = mlreg_read_retry(fd, buf, sizeof(buf))) > 0)
		mlreg_sha256_update(&h, buf, (size_t)n);
	mlreg_sha256_final_hex(&h, actual);
	close(fd);
	if (n < 0)
		return mlreg_error_os("cannot read '%s'", rel);
	if (strcmp(actual, hex) != 0)
		return mlreg_error_set(MLREG_ECONFLICT, "'%s' exists with other content; "
				       "use --force to overwrite it", rel);
	return 0;
}

int mlreg_checkout(const struct mlreg_store *store, const cJSON *version, const char *dir,
		   int force)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(version, "files"), *f;
	mode_t mask = umask(0);
	int dirfd, err;
	unsigned long counter = 0;

	umask(mask);
	if ((err = mlreg_files_check(files)) < 0 ||
	    (err = mlreg_version_require_files(store, version)) < 0)
		return err;
	if ((err = mlreg_fs_mkdirs(dir, 0777)) < 0)
		return err;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return mlreg_error_os("cannot open '%s'", dir);

	/* First pass: refuse before writing anything. */
	cJSON_ArrayForEach(f, files) {
		const char *path = mlreg_doc_str(f, "path", ""), *base;
		int pfd = open_parent(dirfd, path, 0, &base);
		if (pfd == -2)
			continue;
		if (pfd < 0) {
			err = mlreg_error_code();
			goto done;
		}
		err = check_target(pfd, base, path, mlreg_doc_str(f, "sha256", ""), force);
		close(pfd);
		if (err < 0)
			goto done;
	}

	prune_dirs(dirfd, files);
	cJSON_ArrayForEach(f, files) {
		const char *path = mlreg_doc_str(f, "path", ""), *base;
		const char *hex = mlreg_doc_str(f, "sha256", "");
		const char *mode = mlreg_doc_str(f, "mode", "0644");
		uint64_t size = (uint64_t)mlreg_doc_int(f, "size", 0);
		char tmp[64];
		int pfd, fd;

		if ((pfd = open_parent(dirfd, path, 1, &base)) < 0) {
			err = mlreg_error_code();
			goto done;
		}
		snprintf(tmp, sizeof(tmp), ".mlreg-checkout-%ld-%lu", (long)getpid(), counter++);
		fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			err = mlreg_error_os("cannot create a file for '%s'", path);
			close(pfd);
			goto done;
		}
		flock(fd, LOCK_EX | LOCK_NB);	/* until renamed: see prune_tmp() */
		err = mlreg_object_copy_to_fd(store, hex, size, fd, path);
		if (!err && fchmod(fd, (!strcmp(mode, "0755") ? 0777 : 0666) & ~mask) < 0)
			err = mlreg_error_os("cannot set the mode of '%s'", path);
		if (close(fd) < 0 && !err)
			err = mlreg_error_os("cannot write '%s'", path);
		if (!err && renameat(pfd, tmp, pfd, base) < 0)
			err = mlreg_error_os("cannot write '%s'", path);
		if (err) {
			if (err == MLREG_ENOTFOUND)
				err = mlreg_error_set(MLREG_ECORRUPT, "cannot write '%s': %s; "
						      "run 'mlreg fsck'", path, mlreg_error_message());
			else if (err == MLREG_ECORRUPT)
				err = mlreg_error_set(MLREG_ECORRUPT, "cannot write '%s': %s",
						      path, mlreg_error_message());
			unlinkat(pfd, tmp, 0);
			close(pfd);
			goto done;
		}
		close(pfd);
	}
done:
	close(dirfd);
	return err;
}

struct fsck_state {
	const struct mlreg_store *store;
	mlreg_fsck_fn report;
	void *ctx;
	unsigned long problems;
};

static void problem(struct fsck_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct fsck_state *st, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	st->problems++;
	st->report(st->ctx, line);
}

static int fsck_objects(struct fsck_state *st)
{
	char *root = mlreg_store_path(st->store, "objects");
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d) {
		int err = mlreg_error_os("cannot read '%s'", root);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		struct dirent *fe;
		char *sub;
		DIR *sd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", root, de->d_name);
		sd = opendir(sub);
		if (!sd || strlen(de->d_name) != 2) {
			problem(st, "unexpected entry 'objects/%s'", de->d_name);
			if (sd)
				closedir(sd);
			free(sub);
			continue;
		}
		while ((fe = readdir(sd)) != NULL) {
			char hex[320], actual[MLREG_HEX_LEN + 1];
			uint64_t size;
			int err;

			if (!strcmp(fe->d_name, ".") || !strcmp(fe->d_name, ".."))
				continue;
			snprintf(hex, sizeof(hex), "%s%s", de->d_name, fe->d_name);
			if (!mlreg_is_hex64(hex)) {
				problem(st, "unexpected entry 'objects/%s/%s'", de->d_name, fe->d_name);
				continue;
			}
			err = mlreg_object_stream(st->store, hex, NULL, NULL, actual, &size);
			if (err < 0)
				problem(st, "unreadable object %s: %s", hex, mlreg_error_message());
			else if (strcmp(hex, actual) != 0)
				problem(st, "corrupt object %s: content hashes to %s", hex, actual);
		}
		closedir(sd);
		free(sub);
	}
	closedir(d);
	free(root);
	return 0;
}

/* Checks one version record; returns its parent id (malloc'd) or NULL. */
static char *fsck_version(struct fsck_state *st, const char *name, const cJSON *former,
			  const char *enc, long n, const char *expect_id)
{
	char hex[MLREG_HEX_LEN + 1], *buf, *parent = NULL;
	const cJSON *files, *f, *p;
	size_t len;
	cJSON *rec;
	int err, partial;

	err = mlreg_version_read_raw(&buf, &len, hex, st->store, enc, n);
	if (err < 0) {
		problem(st, "missing version record '%s'@%ld: %s", name, n, mlreg_error_message());
		return NULL;
	}
	{
		char *what = xasprintf("%s@%ld", name, n);
		err = mlreg_doc_parse_record(&rec, buf, len, what);
		free(what);
	}
	free(buf);
	if (expect_id && strcmp(expect_id, hex) != 0)
		problem(st, "version record '%s'@%ld hashes to %s, expected %s (modified or "
			"replaced)", name, n, hex, expect_id);
	if (err < 0) {
		problem(st, "corrupt version record '%s'@%ld: %s", name, n, mlreg_error_message());
		return NULL;
	}
	if (!mlreg_record_names_model(rec, name, former) || mlreg_doc_int(rec, "version", -1) != n)
		problem(st, "corrupt version record '%s'@%ld: it names another model or version",
			name, n);
	p = cJSON_GetObjectItemCaseSensitive(rec, "parent");
	if (n > 1 && !(cJSON_IsString(p) && mlreg_is_hex64(p->valuestring)))
		problem(st, "corrupt version record '%s'@%ld: no parent id", name, n);
	else if (n == 1 && !cJSON_IsNull(p))
		problem(st, "corrupt version record '%s'@1: version 1 has a parent", name);
	else if (n > 1)
		parent = xstrdup(p->valuestring);
	if (cJSON_GetObjectItemCaseSensitive(rec, "deleted")) {
		/* a tombstone (6.7): its id is its own; it needs no object */
		if (mlreg_version_check(rec, name, former, n) < 0)
			problem(st, "corrupt version record '%s'@%ld: %s", name, n,
				mlreg_error_message());
		cJSON_Delete(rec);
		return parent;
	}
	files = cJSON_GetObjectItemCaseSensitive(rec, "files");
	partial = mlreg_version_partial(st->store, name, n, hex, NULL);
	if (mlreg_files_check(files) < 0) {
		problem(st, "corrupt version record '%s'@%ld: %s", name, n, mlreg_error_message());
	} else {
		cJSON_ArrayForEach(f, files) {
			const char *path = mlreg_doc_str(f, "path", "");
			const char *h = mlreg_doc_str(f, "sha256", "");
			char *op = mlreg_object_path(st->store, h);
			struct stat sb;
			int missing = stat(op, &sb) < 0;
			if (missing && partial)
				;	/* downloaded without its files: they are on a remote */
			else if (missing)
				problem(st, "missing object %s (model '%s' version %ld file '%s')",
					h, name, n, path);
			else if ((long long)sb.st_size != mlreg_doc_int(f, "size", -1))
				problem(st, "object %s has %lld bytes but '%s'@%ld lists '%s' with %lld",
					h, (long long)sb.st_size, name, n, path,
					mlreg_doc_int(f, "size", -1));
			free(op);
		}
	}
	cJSON_Delete(rec);
	return parent;
}

static int fsck_models(struct fsck_state *st)
{
	char *root = mlreg_store_path(st->store, "models");
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d) {
		int err = mlreg_error_os("cannot read '%s'", root);
		free(root);
		return err;
	}
	while ((de = readdir(d)) != NULL) {
		char *name, *path, *buf, *id = NULL;
		size_t blen;
		cJSON *rec;
		long latest, n;
		int err;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!(name = mlreg_name_decode(de->d_name))) {
			problem(st, "unexpected entry 'models/%s'", de->d_name);
			continue;
		}
		path = xasprintf("%s/%s/model.json", root, de->d_name);
		err = mlreg_fs_read_file(&buf, &blen, path, MLREG_RECORD_MAX, path);
		free(path);
		if (err == MLREG_ENOTFOUND) {	/* an interrupted create: invisible */
			free(name);
			continue;
		}
		if (err < 0) {
			problem(st, "unreadable model record '%s': %s", name, mlreg_error_message());
			free(name);
			continue;
		}
		err = mlreg_doc_parse_record(&rec, buf, blen, "model.json");
		free(buf);
		if (err < 0) {
			problem(st, "corrupt model record '%s': %s", name, mlreg_error_message());
		} else if (cJSON_GetObjectItemCaseSensitive(rec, "renamed_to")) {
			/* a renamed model's old name; one whose model is gone is no problem */
			if (mlreg_redirect_verify(st->store, name, rec) == MLREG_ECORRUPT)
				problem(st, "%s", mlreg_error_message());
		} else if (mlreg_rename_interrupted(st->store, name, rec)) {
			problem(st, "%s", mlreg_error_message());
		} else if (strcmp(mlreg_doc_str(rec, "name", ""), name) != 0) {
			problem(st, "corrupt model record '%s': it names model '%s'", name,
				mlreg_doc_str(rec, "name", ""));
		} else if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "latest_version")) ||
			   (latest = (long)mlreg_doc_int(rec, "latest_version", 0)) < 0) {
			problem(st, "corrupt model record '%s': bad latest_version", name);
		} else {
			const char *lid = mlreg_doc_str(rec, "latest_id", NULL);
			if (latest > 0 && !(lid && mlreg_is_hex64(lid)))
				problem(st, "corrupt model record '%s': bad latest_id", name);
			else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "metadata")))
				problem(st, "corrupt model record '%s': metadata is not an object", name);
			unsigned long before = st->problems;
			id = lid && latest > 0 ? xstrdup(lid) : NULL;
			for (n = latest; n >= 1; n--) {
				char *parent = fsck_version(st, name, cJSON_GetObjectItemCaseSensitive(
								    rec, "former_names"), de->d_name, n, id);
				free(id);
				id = parent;
			}
			/* the versions index: a cache, but a wrong one is repaired (6.8) */
			/* (only against records found sound: else they are the problem) */
			if (st->problems == before && mlreg_vidx_verify(st->store, name, rec) < 0) {
				problem(st, "%s (removed; the next listing rebuilds it)",
					mlreg_error_message());
				mlreg_vidx_drop(st->store, name);
			}
			/* the event log: chained, and giving the aliases and deprecations */
			if (mlreg_lifecycle_check(st->store, rec) < 0)
				problem(st, "%s", mlreg_error_message());
		}
		free(id);
		cJSON_Delete(rec);
		free(name);
	}
	closedir(d);
	free(root);
	/* the models index: a cache too, a wrong one removed (6.9) */
	if (mlreg_models_index_verify(st->store) < 0) {
		problem(st, "%s (removed; the next listing rebuilds it)", mlreg_error_message());
		mlreg_models_index_drop(st->store);
	}
	return 0;
}

int mlreg_fsck(const struct mlreg_store *store, mlreg_fsck_fn report, void *ctx,
	       unsigned long *problems)
{
	struct fsck_state st = { store, report, ctx, 0 };
	int err;

	if ((err = fsck_objects(&st)) == 0)
		err = fsck_models(&st);
	*problems = st.problems;
	return err;
}
