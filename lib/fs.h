/*
 * Filesystem primitives with the durability rules of the store: data reaches
 * a name only through a fully written, fsynced temporary file renamed over
 * it, and the directory is fsynced when a new name must survive a crash.
 * Lock files follow git's protocol (<file>.lock, renamed over <file> on
 * commit) and are also held with flock(2), so a process killed while it held
 * one never leaves a lock that blocks the next run.
 */
#ifndef MLREG_FS_H
#define MLREG_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Returns 0 after creating path and its missing parents, or MLREG_EOS. */
int mlreg_fs_mkdirs(const char *path, mode_t mode);

/* Returns 0 after fsyncing the directory dir, or MLREG_EOS. */
int mlreg_fs_fsync_dir(const char *dir);

/* Returns 0 after fsyncing the directory that holds path, or MLREG_EOS. */
int mlreg_fs_fsync_parent(const char *path);

/*
 * Returns 0 and a NUL-terminated malloc'd copy of the file in *out (length in
 * *len, may be NULL), MLREG_ENOTFOUND when it does not exist, MLREG_EINVALID
 * when it is larger than max bytes, or MLREG_EOS.  what names it in errors.
 */
int mlreg_fs_read_file(char **out, size_t *len, const char *path, size_t max,
		       const char *what);

/*
 * Returns 0 after writing buf to a temporary file beside path, fsyncing it,
 * renaming it over path and fsyncing the directory; MLREG_EOS otherwise,
 * with no temporary file left behind.
 */
int mlreg_fs_write_atomic(const char *path, const void *buf, size_t len);

/*
 * Returns 1 after removing name in the directory dirfd when it is the
 * leftover of a writer that died: a regular file (a link or anything else
 * is neither followed nor removed) that no process holds locked with
 * flock(2) and that has not changed for more than grace_s seconds; 0 when it
 * is left alone (or vanished meanwhile).  Writers of temporary files hold
 * LOCK_EX on them until they are renamed, so a live writer's file is never
 * taken, and the grace period covers a writer on another host whose lock
 * this one cannot see.
 */
int mlreg_fs_remove_stale(int dirfd, const char *name, long grace_s);

/*
 * Returns 1 when name in dirfd is such a leftover, after removing it when
 * remove is set (0: only tell, for gc --dry-run), with its size in *size
 * (may be NULL); 0 otherwise.
 */
int mlreg_fs_stale(int dirfd, const char *name, long grace_s, int remove, uint64_t *size);

/* A held lock on <path>.lock.  A zeroed one ({ 0 }) is a free lock. */
struct mlreg_lock {
	char *path;	/* the file the lock protects */
	char *lockpath;	/* path + ".lock"; NULL when never taken */
	int fd;		/* open on lockpath, flock(LOCK_EX) held; -1 (or, with
			   lockpath NULL, anything) when free */
};

/*
 * Returns 0 once lk holds the lock for path, waiting up to timeout_ms for
 * another holder; MLREG_ELOCKED after that, MLREG_EOS on I/O errors.
 */
int mlreg_lock_acquire(struct mlreg_lock *lk, const char *path, int timeout_ms);

/* Returns 0 after replacing the lock file's content with buf, or MLREG_EOS. */
int mlreg_lock_write(struct mlreg_lock *lk, const void *buf, size_t len);

/* Returns 0 after fsync + rename of the lock file over the target, or MLREG_EOS. */
int mlreg_lock_commit(struct mlreg_lock *lk);

/* Releases the lock without changing the target; safe to call twice, and on a
 * zeroed lock that was never taken (it closes no descriptor then). */
void mlreg_lock_release(struct mlreg_lock *lk);

/* Returns the lock wait in milliseconds: $MLREG_LOCK_TIMEOUT or 60000. */
int mlreg_lock_timeout(void);

struct stat;

/* Returns what st is, for a message: "a directory", "a FIFO", "a symbolic link"... */
const char *mlreg_fs_kind(const struct stat *st);

/*
 * Returns a descriptor open for reading on the regular file path, with *st
 * filled (st may be NULL); MLREG_EINVALID naming what it is when it is not a
 * regular file, MLREG_EOS when it cannot be opened.  The open never blocks:
 * it is made with O_NONBLOCK (a FIFO with no writer would wait for ever),
 * which is cleared once the file is known to be regular.
 */
int mlreg_fs_open_regular(const char *path, struct stat *st);

#endif
