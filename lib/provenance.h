/*
 * Provenance of a registration: who, where, when, with which mlreg, and,
 * when the registered paths (or the current directory) are inside a git
 * work tree, the commit, branch, dirty state, remote URL (its secrets
 * redacted by redact.h's rule: credentials, tokens) and the paths relative to the repository root, read through
 * libgit2.  $GIT_CEILING_DIRECTORIES bounds the search as it does for git.
 */
#ifndef MLREG_PROVENANCE_H
#define MLREG_PROVENANCE_H

#include <stddef.h>
#include <cjson/cJSON.h>

/*
 * Returns 0 and a new provenance object in *out.  store_path is the store,
 * whose own untracked files do not make a tree dirty.  Git problems never
 * fail a registration: they leave "git" null.
 */
int mlreg_provenance_collect(cJSON **out, char *const *paths, size_t n,
			     const char *store_path);

#endif
