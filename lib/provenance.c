/*
 * Provenance through libgit2 (see provenance.h): the one file of lib/ that
 * opens git repositories, so opening one, choosing its remote and
 * stripping the credentials from the remote's URL each have one copy,
 * shared by register's provenance, template's repository facts and init's
 * keeping the store out of git (info/exclude).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "error.h"
#include "git-dl.h"
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
 * Returns whether dir or a directory above it has what libgit2's search
 * could take for a repository: a ".git" entry (a directory, or a file as in
 * a linked work tree or a submodule), or a "HEAD" (dir inside a git
 * directory).  A superset of what the search finds (it ignores the
 * ceiling and file system bounds), so that when it says no, libgit2 is not
 * loaded to find nothing (git-dl.h).
 */
static int maybe_in_repo(const char *dir)
{
	char path[PATH_MAX], probe[PATH_MAX + 8];
	struct stat st;
	char *slash;

	if (!realpath(dir, path))
		return 1;	/* let libgit2 decide, and say why */
	for (;;) {
		snprintf(probe, sizeof(probe), "%s/.git", strcmp(path, "/") ? path : "");
		if (lstat(probe, &st) == 0 || errno != ENOENT)
			return 1;
		snprintf(probe, sizeof(probe), "%s/HEAD", strcmp(path, "/") ? path : "");
		if (lstat(probe, &st) == 0 || errno != ENOENT)
			return 1;
		if (!strcmp(path, "/"))
			return 0;
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/*
 * Returns the repository whose work tree holds dir (searching upwards, as
 * far as $GIT_CEILING_DIRECTORIES lets git), or NULL: none, or a bare one.
 */
static git_repository *open_repo(const char *dir)
{
	git_repository *repo = NULL;
	const char *ceiling = getenv("GIT_CEILING_DIRECTORIES");

	if (!dir || !maybe_in_repo(dir) || git_repository_open_ext(&repo, dir, 0, ceiling) < 0)
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

/* Returns the repository's config string key (its own, global, system), malloc'd, or NULL. */
static char *config_str(git_repository *repo, const char *key)
{
	git_config *cfg = NULL;
	git_buf v = { 0 };
	char *out = NULL;

	if (git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&v, cfg, key) == 0 && v.ptr && *v.ptr)
		out = xstrdup(v.ptr);
	git_buf_dispose(&v);
	git_config_free(cfg);
	return out;
}

/*
 * Adds "user" to p: $MLREG_AUTHOR when set, else git's user.name and
 * user.email of repo ("Name <email>", or the one set), else the login name
 * (the effective user's, else $USER, else the uid).
 */
static void add_user(cJSON *p, git_repository *repo)
{
	const char *author = getenv("MLREG_AUTHOR");
	struct passwd *pw;
	char *name = NULL, *email = NULL, *who = NULL;

	if (author && *author) {
		cJSON_AddStringToObject(p, "user", author);
		return;
	}
	if (repo) {
		name = config_str(repo, "user.name");
		email = config_str(repo, "user.email");
	}
	if (name && email)
		who = xasprintf("%s <%s>", name, email);
	else if (name || email)
		who = xstrdup(name ? name : email);
	free(name);
	free(email);
	if (!who) {
		pw = getpwuid(geteuid());
		if (pw && pw->pw_name)
			who = xstrdup(pw->pw_name);
		else if (getenv("USER"))
			who = xstrdup(getenv("USER"));
		else
			who = xasprintf("%lu", (unsigned long)geteuid());
	}
	cJSON_AddStringToObject(p, "user", who);
	free(who);
}

char *mlreg_provenance_user(const char *dir)
{
	cJSON *p = cJSON_CreateObject();
	git_repository *repo;
	char *who;

	git_libgit2_init();
	repo = getenv("MLREG_AUTHOR") && *getenv("MLREG_AUTHOR") ? NULL : open_repo(dir);
	add_user(p, repo);
	who = xstrdup(cJSON_GetObjectItemCaseSensitive(p, "user")->valuestring);
	git_repository_free(repo);
	cJSON_Delete(p);
	git_libgit2_shutdown();
	return who;
}

int mlreg_provenance_collect(cJSON **out, char *const *paths, size_t n,
			     const char *store_path)
{
	cJSON *p = cJSON_CreateObject();
	git_repository *repo = NULL;
	char host[256] = "", now[40];
	size_t i;

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
	add_user(p, repo);
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	cJSON_AddStringToObject(p, "host", host);
	mlreg_time_now(now, sizeof(now));
	cJSON_AddStringToObject(p, "time", now);
	cJSON_AddStringToObject(p, "mlreg_version", MLREG_VERSION);

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

/* Returns a new signature for a tag: git's user of repo, else who ("Name <email>" or a name). */
static git_signature *tagger(git_repository *repo, const char *who)
{
	git_signature *sig = NULL;
	const char *lt = strchr(who, '<');
	size_t wl = strlen(who);

	if (git_signature_default(&sig, repo) == 0)
		return sig;
	if (lt && wl > 0 && who[wl - 1] == '>') {
		char *name = xstrndup(who, (size_t)(lt - who));
		char *email = xstrndup(lt + 1, wl - (size_t)(lt - who) - 2);
		size_t nl = strlen(name);
		while (nl > 0 && name[nl - 1] == ' ')
			name[--nl] = '\0';
		if (git_signature_now(&sig, *name ? name : "mlreg", email) < 0)
			sig = NULL;
		free(name);
		free(email);
	}
	if (!sig && git_signature_now(&sig, *who ? who : "mlreg", "") < 0)
		sig = NULL;
	return sig;
}

int mlreg_provenance_tag(const char *dir, const char *tag, const char *commit,
			 const char *message, const char *who, int check_only)
{
	git_repository *repo;
	git_object *target = NULL;
	git_signature *sig = NULL;
	git_oid oid;
	char *ref = xasprintf("refs/tags/%s", tag);
	int valid = 0, rc, err = 0;

	git_libgit2_init();
	if (mlreg_git_load() < 0) {	/* not "invalid name" nor "not in a work tree" */
		err = mlreg_error_set(MLREG_EOS, "--git-tag: %s", mlreg_git_error());
		goto out;
	}
	if (git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
		err = mlreg_error_set(MLREG_EINVALID, "'%s' is not a valid git tag name", tag);
		goto out;
	}
	if (!(repo = open_repo(dir))) {
		err = mlreg_error_set(MLREG_ENOTFOUND, "--git-tag: not in a git work tree");
		goto out;
	}
	/* a record's commit is text from a record: only a full hash is looked up */
	if (commit && !(strlen(commit) == GIT_OID_HEXSZ &&
			strspn(commit, "0123456789abcdef") == GIT_OID_HEXSZ))
		commit = NULL;
	if (!(commit && git_revparse_single(&target, repo, commit) == 0 &&
	      git_object_type(target) == GIT_OBJECT_COMMIT)) {
		git_object_free(target);
		target = NULL;
		if (git_revparse_single(&target, repo, "HEAD^{commit}") < 0) {
			err = mlreg_error_set(MLREG_ENOTFOUND, "--git-tag: the repository has no "
					      "commit to tag");
			goto done;
		}
	}
	if (check_only)
		goto done;
	if (!(sig = tagger(repo, who))) {
		err = mlreg_error_set(MLREG_EINVALID, "--git-tag: no name to tag with "
				      "(set git's user.name)");
		goto done;
	}
	rc = git_tag_create(&oid, repo, tag, target, sig, message, 0);
	if (rc == GIT_EEXISTS)
		err = mlreg_error_set(MLREG_EEXISTS, "git tag '%s' exists already", tag);
	else if (rc < 0)
		err = mlreg_error_set(MLREG_EOS, "cannot create git tag '%s': %s", tag,
				      git_error_last() ? git_error_last()->message : "unknown error");
done:
	git_signature_free(sig);
	git_object_free(target);
	git_repository_free(repo);
out:
	git_libgit2_shutdown();
	free(ref);
	return err;
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

/* Returns s with git's ignore-pattern characters ("*?[\\" and the rest) escaped. */
static char *escape_pattern(const char *s)
{
	struct mlreg_buf b = MLREG_BUF_INIT;

	for (; *s; s++) {
		if (strchr("*?[]\\!# ", *s))
			mlreg_buf_addch(&b, '\\');
		mlreg_buf_addch(&b, *s);
	}
	return mlreg_buf_detach(&b, NULL);
}

int mlreg_provenance_exclude(char **file, char **pattern, const char *store_path)
{
	git_repository *repo = NULL;
	char real[PATH_MAX], workdir[PATH_MAX], *rel_dir = NULL, *info = NULL;
	char last = '\n';
	const char *common;
	size_t wlen;
	struct stat st;
	int ignored = 0, fd = -1, ret = 0;

	*file = *pattern = NULL;
	if (!realpath(store_path, real))
		return mlreg_error_os("cannot resolve '%s'", store_path);
	git_libgit2_init();
	if (!(repo = open_repo(real)))
		goto done;
	workdir_of(repo, workdir);
	wlen = strlen(workdir);
	while (wlen > 1 && workdir[wlen - 1] == '/')
		wlen--;
	/* a store outside the work tree, or one with a newline, is left alone */
	if (strncmp(real, workdir, wlen) || real[wlen] != '/' || strchr(real, '\n'))
		goto done;
	rel_dir = xasprintf("%s/", real + wlen + 1);
	if (git_ignore_path_is_ignored(&ignored, repo, rel_dir) == 0 && ignored)
		goto done;	/* git ignores it already (an earlier init, .gitignore) */
	common = git_repository_commondir(repo);	/* a worktree's: the main .git */
	info = xasprintf("%s%sinfo", common, common[strlen(common) - 1] == '/' ? "" : "/");
	if (mkdir(info, 0777) < 0 && errno != EEXIST) {
		ret = mlreg_error_os("cannot create '%s'", info);
		goto done;
	}
	*file = xasprintf("%s/exclude", info);
	fd = open(*file, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = mlreg_error_os("cannot open '%s'", *file);
		goto done;
	}
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
		last = '\n';
	{
		char *esc = escape_pattern(real + wlen + 1);
		char *line;

		*pattern = xasprintf("/%s/", esc);
		line = xasprintf("%s%s\n", last == '\n' ? "" : "\n", *pattern);
		free(esc);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			ret = mlreg_error_os("cannot write '%s'", *file);
		else
			ret = 1;
		free(line);
	}
done:
	if (fd >= 0 && close(fd) < 0 && ret == 1)
		ret = mlreg_error_os("cannot write '%s'", *file);
	if (ret != 1) {
		free(*file);
		free(*pattern);
		*file = *pattern = NULL;
	}
	free(rel_dir);
	free(info);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}
