/*
 * Provenance through libgit2 (see provenance.h): the one file of lib/ that
 * opens git repositories, so opening one, choosing its remote and
 * stripping the credentials from the remote's URL each have one copy,
 * shared by register's provenance and template's repository facts.
 */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "error.h"
#include "provenance.h"
#include "redact.h"
#include "util.h"

/* Returns the resolved directory of path (itself if one), malloc'd; or NULL. */
static char *dir_of(const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (!realpath(path, real))
		return NULL;
	if (stat(real, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
	}
	return xstrdup(real);
}

/*
 * Returns the repository whose work tree holds dir (searching upwards, as
 * far as $GIT_CEILING_DIRECTORIES lets git), or NULL: none, or a bare one.
 */
static git_repository *open_repo(const char *dir)
{
	git_repository *repo = NULL;
	const char *ceiling = getenv("GIT_CEILING_DIRECTORIES");

	if (!dir || git_repository_open_ext(&repo, dir, 0, ceiling) < 0)
		return NULL;
	if (git_repository_is_bare(repo)) {
		git_repository_free(repo);
		return NULL;
	}
	return repo;
}

/* Returns 1 when the work tree has changes other than files of the store. */
static int is_dirty(git_repository *repo, const char *store_rel)
{
	git_status_options opts;
	git_status_list *list = NULL;
	size_t i, n, keep = 0;
	size_t slen = store_rel ? strlen(store_rel) : 0;

	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* recursing lists the store's own files one by one, so they can be skipped */
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES |
		     (store_rel ? GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS : 0);
	if (git_status_list_new(&list, repo, &opts) < 0)
		return 0;
	n = git_status_list_entrycount(list);
	for (i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir
							      : e->head_to_index;
		const char *p = d && d->new_file.path ? d->new_file.path : "";
		if (slen && !strncmp(p, store_rel, slen) && (p[slen] == '/' || p[slen] == '\0'))
			continue;
		keep++;
	}
	git_status_list_free(list);
	return keep > 0;
}

/* Returns the branch checked out, or null (detached, or HEAD unreadable). */
static cJSON *branch_json(git_repository *repo)
{
	git_reference *head = NULL;
	cJSON *r;

	if (git_repository_head_detached(repo) == 1)
		return cJSON_CreateNull();
	if (git_reference_lookup(&head, repo, "HEAD") < 0)
		return cJSON_CreateNull();
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
		const char *t = git_reference_symbolic_target(head);
		if (!strncmp(t, "refs/heads/", 11))
			t += 11;
		r = cJSON_CreateString(t);
	} else {
		r = cJSON_CreateNull();
	}
	git_reference_free(head);
	return r;
}

/*
 * Returns the URL of the repository's remote (malloc'd), its credentials
 * and tokens stripped (redact.h), or NULL when it has none: the upstream
 * remote of branch (may be NULL), else origin, else the first remote.
 */
static char *remote_url(git_repository *repo, const char *branch)
{
	git_strarray names = { 0 };
	git_buf upstream = { 0 };
	git_remote *remote = NULL;
	char *name = NULL, *clean = NULL;

	if (branch) {
		char *ref = xasprintf("refs/heads/%s", branch);
		if (git_branch_upstream_remote(&upstream, repo, ref) == 0)
			name = xstrdup(upstream.ptr);
		git_buf_dispose(&upstream);
		free(ref);
	}
	if (!name && git_remote_list(&names, repo) == 0 && names.count > 0) {
		size_t i;
		for (i = 0; i < names.count; i++)
			if (!strcmp(names.strings[i], "origin"))
				name = xstrdup("origin");
		if (!name)
			name = xstrdup(names.strings[0]);
	}
	git_strarray_dispose(&names);
	if (name && git_remote_lookup(&remote, repo, name) == 0 && git_remote_url(remote))
		clean = mlreg_redact_str(git_remote_url(remote), NULL);
	git_remote_free(remote);
	free(name);
	return clean;
}

/* Returns the remote's URL (remote_url()) for the branch checked out, or null. */
static cJSON *remote_json(git_repository *repo, const cJSON *branch)
{
	char *url = remote_url(repo, cJSON_IsString(branch) ? branch->valuestring : NULL);
	cJSON *r = url ? cJSON_CreateString(url) : cJSON_CreateNull();

	free(url);
	return r;
}

/* Writes into workdir (PATH_MAX bytes) the repository's work tree, resolved. */
static void workdir_of(git_repository *repo, char *workdir)
{
	const char *wd = git_repository_workdir(repo);

	if (!wd || !realpath(wd, workdir))
		snprintf(workdir, PATH_MAX, "%s", wd ? wd : "/");
}

/* Returns the provenance's "git": commit, branch, dirty, remote, paths. */
static cJSON *git_json(git_repository *repo, char *const *paths, size_t n,
		       const char *store_path)
{
	cJSON *g = cJSON_CreateObject(), *branch, *arr;
	char workdir[PATH_MAX], real[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	char *store_rel = NULL;
	git_oid oid;
	size_t i, wlen;

	workdir_of(repo, workdir);
	wlen = strlen(workdir);
	if (git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		cJSON_AddStringToObject(g, "commit", hex);
	} else {
		cJSON_AddNullToObject(g, "commit");
	}
	branch = branch_json(repo);
	cJSON_AddItemToObject(g, "branch", branch);
	if (store_path && realpath(store_path, real) && !strncmp(real, workdir, wlen) &&
	    real[wlen] == '/')
		store_rel = xstrdup(real + wlen + 1);
	cJSON_AddBoolToObject(g, "dirty", is_dirty(repo, store_rel));
	free(store_rel);
	cJSON_AddItemToObject(g, "remote", remote_json(repo, branch));
	arr = cJSON_AddArrayToObject(g, "paths");
	for (i = 0; i < n; i++) {
		if (!realpath(paths[i], real))
			continue;
		if (!strcmp(real, workdir))
			cJSON_AddItemToArray(arr, cJSON_CreateString("."));
		else if (!strncmp(real, workdir, wlen) && real[wlen] == '/')
			cJSON_AddItemToArray(arr, cJSON_CreateString(real + wlen + 1));
	}
	return g;
}

int mlreg_provenance_collect(cJSON **out, char *const *paths, size_t n,
			     const char *store_path)
{
	cJSON *p = cJSON_CreateObject();
	git_repository *repo = NULL;
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "", now[40];
	size_t i;

	if (pw && pw->pw_name)
		cJSON_AddStringToObject(p, "user", pw->pw_name);
	else if (getenv("USER"))
		cJSON_AddStringToObject(p, "user", getenv("USER"));
	else {
		char *uid = xasprintf("%lu", (unsigned long)geteuid());
		cJSON_AddStringToObject(p, "user", uid);
		free(uid);
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	cJSON_AddStringToObject(p, "host", host);
	mlreg_time_now(now, sizeof(now));
	cJSON_AddStringToObject(p, "time", now);
	cJSON_AddStringToObject(p, "mlreg_version", MLREG_VERSION);

	git_libgit2_init();
	for (i = 0; i < n && !repo; i++) {
		char *d = dir_of(paths[i]);
		repo = open_repo(d);
		free(d);
	}
	if (!repo) {
		char *d = dir_of(".");
		repo = open_repo(d);
		free(d);
	}
	if (repo) {
		cJSON_AddItemToObject(p, "git", git_json(repo, paths, n, store_path));
		git_repository_free(repo);
	} else {
		cJSON_AddNullToObject(p, "git");
	}
	git_libgit2_shutdown();
	*out = p;
	return 0;
}

int mlreg_provenance_repo(struct mlreg_repo_facts *f, const char *dir)
{
	git_repository *repo;
	git_reference *head = NULL;
	char workdir[PATH_MAX];

	memset(f, 0, sizeof(*f));
	git_libgit2_init();
	if ((repo = open_repo(dir)) != NULL) {
		workdir_of(repo, workdir);
		f->root = xstrdup(workdir);
		f->remote = remote_url(repo, NULL);
		/* HEAD names the branch checked out, even one with no commit yet */
		if (git_reference_lookup(&head, repo, "HEAD") == 0) {
			if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
				const char *t = git_reference_symbolic_target(head);
				if (t && !strncmp(t, "refs/heads/", 11))
					f->head = xstrdup(t + 11);
			} else if (git_reference_target(head)) {
				char hex[GIT_OID_HEXSZ + 1];
				git_oid_tostr(hex, sizeof(hex), git_reference_target(head));
				f->head = xstrdup(hex);	/* detached: the commit */
			}
		}
		git_reference_free(head);
		git_repository_free(repo);
	}
	git_libgit2_shutdown();
	return 0;
}

void mlreg_repo_facts_free(struct mlreg_repo_facts *f)
{
	free(f->root);
	free(f->remote);
	free(f->head);
	memset(f, 0, sizeof(*f));
}
