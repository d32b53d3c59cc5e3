/*
 * Durable writes, bounded reads and lock files (see fs.h for the rules).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "util.h"

int mlreg_fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int err = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			err = mlreg_error_os("cannot create directory '%s'", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	if (!err) {
		struct stat st;
		if (stat(path, &st) < 0)
			err = mlreg_error_os("cannot create directory '%s'", path);
		else if (!S_ISDIR(st.st_mode))
			err = mlreg_error_set(MLREG_EOS, "cannot create directory '%s': "
					      "a file of that name exists", path);
	}
	free(p);
	return err;
}

int mlreg_fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return mlreg_error_os("cannot open directory '%s'", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int err = mlreg_error_os("cannot sync directory '%s'", dir);
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int mlreg_fs_fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int err;

	if (!slash)
		return mlreg_fs_fsync_dir(".");
	dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	err = mlreg_fs_fsync_dir(dir);
	free(dir);
	return err;
}

const char *mlreg_fs_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return "a regular file";
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return "a device";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	return "not a regular file";
}

int mlreg_fs_open_regular(const char *path, struct stat *st)
{
	struct stat local;
	int fd, flags;

	if (!st)
		st = &local;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return mlreg_error_os("cannot open '%s'", path);
	if (fstat(fd, st) < 0) {
		int err = mlreg_error_os("cannot stat '%s'", path);
		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return mlreg_error_set(MLREG_EINVALID, "'%s' is %s, not a regular file", path,
				       mlreg_fs_kind(st));
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int err = mlreg_error_os("cannot open '%s'", path);
		close(fd);
		return err;
	}
	return fd;
}

int mlreg_fs_read_file(char **out, size_t *len, const char *path, size_t max,
		       const char *what)
{
	struct stat st;
	size_t cap, used = 0;
	char *buf;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return mlreg_error_set(MLREG_ENOTFOUND, "cannot open '%s': %s",
					       what, strerror(errno));
		return mlreg_error_os("cannot open '%s'", what);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return mlreg_error_os("cannot stat '%s'", what);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return mlreg_error_set(MLREG_EINVALID, "cannot read '%s': Is a directory", what);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		return mlreg_error_set(MLREG_EINVALID, "'%s' is too large (%lld bytes, limit %zu)",
				       what, (long long)st.st_size, max);
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;
		if (used + 1 >= cap) {
			if (cap > max + 1) {
				free(buf);
				close(fd);
				return mlreg_error_set(MLREG_EINVALID, "'%s' is too large (limit %zu bytes)",
						       what, max);
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = mlreg_read_retry(fd, buf + used, cap - used - 1);
		if (n < 0) {
			int err = mlreg_error_os("cannot read '%s'", what);
			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (used > max) {
		free(buf);
		return mlreg_error_set(MLREG_EINVALID, "'%s' is too large (limit %zu bytes)", what, max);
	}
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
}

int mlreg_fs_write_atomic(const char *path, const void *buf, size_t len)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd, err = 0;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = mlreg_error_os("cannot create temporary file for '%s'", path);
		free(tmp);
		return err;
	}
	if ((err = mlreg_write_all(fd, buf, len, tmp)) < 0)
		goto fail;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		err = mlreg_error_os("cannot sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = mlreg_error_os("cannot write '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = mlreg_error_os("cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	free(tmp);
	return mlreg_fs_fsync_parent(path);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return err;
}

int mlreg_fs_stale(int dirfd, const char *name, long grace_s, int remove, uint64_t *size)
{
	struct stat st;
	int fd, stale = 0;

	/* O_NONBLOCK: a FIFO planted under the name must not hang us. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (long long)time(NULL) - (long long)st.st_mtime > grace_s &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 && (!remove || unlinkat(dirfd, name, 0) == 0)) {
		stale = 1;
		if (size)
			*size = (uint64_t)st.st_size;
	}
	close(fd);
	return stale;
}

int mlreg_fs_remove_stale(int dirfd, const char *name, long grace_s)
{
	return mlreg_fs_stale(dirfd, name, grace_s, 1, NULL);
}

int mlreg_lock_timeout(void)
{
	return (int)mlreg_env_long("MLREG_LOCK_TIMEOUT", 0, INT_MAX, 60000);
}

int mlreg_lock_acquire(struct mlreg_lock *lk, const char *path, int timeout_ms)
{
	long waited = 0, step = 1;

	lk->path = xstrdup(path);
	lk->lockpath = xasprintf("%s.lock", path);
	lk->fd = -1;
	for (;;) {
		struct stat a, b;
		int fd = open(lk->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0) {
			int err = mlreg_error_os("cannot create lock file '%s'", lk->lockpath);
			mlreg_lock_release(lk);
			return err;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/*
			 * We hold the kernel lock on this inode; it is the lock
			 * only if the name still refers to it (the previous
			 * holder may have renamed it over the target or
			 * removed it after we opened it).
			 */
			if (fstat(fd, &a) == 0 && stat(lk->lockpath, &b) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
				lk->fd = fd;
				return 0;
			}
			close(fd);
			continue;
		}
		close(fd);
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = mlreg_error_os("cannot lock '%s'", lk->lockpath);
			mlreg_lock_release(lk);
			return err;
		}
		if (waited >= timeout_ms) {
			int err = mlreg_error_set(MLREG_ELOCKED,
				"cannot lock '%s': another mlreg process holds it "
				"(waited %d ms; set MLREG_LOCK_TIMEOUT to wait longer)",
				lk->lockpath, timeout_ms);
			mlreg_lock_release(lk);
			return err;
		}
		mlreg_sleep_ms(step);
		waited += step;
		if (step < 50)
			step *= 2;
	}
}

int mlreg_lock_write(struct mlreg_lock *lk, const void *buf, size_t len)
{
	if (ftruncate(lk->fd, 0) < 0 || lseek(lk->fd, 0, SEEK_SET) < 0)
		return mlreg_error_os("cannot write '%s'", lk->lockpath);
	return mlreg_write_all(lk->fd, buf, len, lk->lockpath);
}

int mlreg_lock_commit(struct mlreg_lock *lk)
{
	int err;

	if (fsync(lk->fd) < 0)
		return mlreg_error_os("cannot sync '%s'", lk->lockpath);
	if (rename(lk->lockpath, lk->path) < 0)
		return mlreg_error_os("cannot rename '%s' to '%s'", lk->lockpath, lk->path);
	err = mlreg_fs_fsync_parent(lk->path);
	/* The name is gone; closing drops the kernel lock for waiters. */
	close(lk->fd);
	lk->fd = -1;
	mlreg_lock_release(lk);
	return err;
}

void mlreg_lock_release(struct mlreg_lock *lk)
{
	/* A zeroed lock (fd 0, no path) was never taken: fd 0 is not ours. */
	if (lk->lockpath && lk->fd >= 0) {
		/* Still ours (we hold flock and nobody renamed it): remove it. */
		unlink(lk->lockpath);
		close(lk->fd);
		lk->fd = -1;
	}
	free(lk->path);
	free(lk->lockpath);
	lk->path = lk->lockpath = NULL;
}
