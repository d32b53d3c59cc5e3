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

/*
 * Returns who is acting, malloc'd, by the rule of a provenance's "user":
 * $MLREG_AUTHOR when set and not empty, else git's user.name and
 * user.email of the work tree around dir, else the login name.
 */
char *mlreg_provenance_user(const char *dir);

/*
 * Mirrors a lifecycle event as an annotated git tag in the work tree around
 * dir (mlreg alias --git-tag: GTO's names, "NAME#ALIAS#K", "NAME@vN"):
 * creates tag pointing at commit (40 hex digits; NULL, or a commit this
 * repository does not have: HEAD's), with message, tagged by git's user of
 * the repository, else by who.  Returns 0; MLREG_EEXISTS when the tag
 * exists (it is never moved); MLREG_ENOTFOUND when dir is in no work tree
 * or HEAD has no commit; MLREG_EINVALID for a name git refuses.  With
 * check_only, only says whether it could (MLREG_EINVALID, MLREG_ENOTFOUND),
 * so a command can refuse before it changes anything.
 */
int mlreg_provenance_tag(const char *dir, const char *tag, const char *commit,
			 const char *message, const char *who, int check_only);

/* What the repository around a directory says (mlreg template's defaults). */
struct mlreg_repo_facts {
	char *root;	/* the work tree's root, resolved; NULL: dir is in none */
	char *remote;	/* the remote's URL (origin, else the first), secrets stripped */
	char *head;	/* the branch checked out (even one with no commit yet), else
			   HEAD's commit when detached; NULL when neither */
};

/*
 * Returns 0 with what the git work tree holding dir says in *f (each member
 * NULL when unknown; all NULL when dir is in no work tree, within
 * $GIT_CEILING_DIRECTORIES); free it with mlreg_repo_facts_free().
 */
int mlreg_provenance_repo(struct mlreg_repo_facts *f, const char *dir);

/* Frees the members of f. */
void mlreg_repo_facts_free(struct mlreg_repo_facts *f);

/*
 * Keeps the store at store_path out of the git work tree that holds it:
 * appends "/REL/" (its path from the work tree's root, with git's pattern
 * characters escaped) to the repository's info/exclude (a worktree's common
 * directory's; info/ created when missing; the file opened without
 * following a link).  Returns 1 with the file and the pattern in *file and
 * *pattern (the caller's to free); 0 when there is nothing to do: no work
 * tree holds the store, or git ignores it already, so a second init adds
 * no second line; a negative code when the file cannot be written.
 */
int mlreg_provenance_exclude(char **file, char **pattern, const char *store_path);

#endif
