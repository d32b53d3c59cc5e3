/*
 * Collecting the files of a registration: file arguments by their base name,
 * directory arguments by their contents relative to the directory.  Nothing
 * is stored until every path has been checked, so a missing, unreadable or
 * escaping path fails the command with the store untouched.
 *
 * Nor is a path a version record cannot hold: a name with a control
 * character or bytes that are not UTF-8 (mlreg_path_problem() in
 * registry.h; MLREG_EINVALID naming the file, escaped when printed), and a
 * file that would also be the directory of another ("a" from one argument,
 * "a/b" from another): records list prefix-free paths.
 */
#ifndef MLREG_WALK_H
#define MLREG_WALK_H

#include <stddef.h>
#include <stdint.h>

struct mlreg_entry {
	char *path;	/* relative path in the version, '/'-separated */
	char *src;	/* path to read the content from */
	int exec;	/* 1 when the owner may execute it */
};

struct mlreg_entries {
	struct mlreg_entry *v;
	size_t n, alloc;
};

/*
 * Returns 0 and the sorted entries for the given paths; MLREG_EOS for a
 * missing or unreadable path, MLREG_EINVALID for a special file, a symlink
 * leading outside its directory, a symlink loop or a duplicate path.
 * The directory skip (the store itself; may be NULL) is never entered, and
 * a checkout's temporary file (.mlreg-checkout-PID-N) in a directory is
 * never taken.
 */
int mlreg_walk(struct mlreg_entries *out, char *const *paths, size_t n, const char *skip);

/* Frees the entries. */
void mlreg_entries_free(struct mlreg_entries *e);

#endif
