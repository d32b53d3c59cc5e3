/*
 * The libgit2 functions mlreg calls, each loading libgit2 (by its soname,
 * libgit2.so.LIBGIT2_SOVERSION of the headers built against) at the first
 * call that needs the library, and calling the real one (see git-dl.h).
 */
#include <stddef.h>

#include <git2.h>

#include "dl.h"
#include "git-dl.h"

/* The headers' ABI: libgit2 changes its soname with every minor version. */
#define SONAME "libgit2.so." LIBGIT2_SOVERSION

static struct {
	int (*branch_upstream_remote)(git_buf *, git_repository *, const char *);
	void (*buf_dispose)(git_buf *);
	int (*config_delete_multivar)(git_config *, const char *, const char *);
	void (*config_free)(git_config *);
	int (*config_get_bool)(int *, const git_config *, const char *);
	int (*config_get_string_buf)(git_buf *, const git_config *, const char *);
	void (*config_iterator_free)(git_config_iterator *);
	int (*config_iterator_new)(git_config_iterator **, const git_config *);
	int (*config_next)(git_config_entry **, git_config_iterator *);
	int (*config_open_ondisk)(git_config **, const char *);
	int (*config_set_string)(git_config *, const char *, const char *);
	void (*error_clear)(void);
	const git_error *(*error_last)(void);
	int (*ignore_path_is_ignored)(int *, git_repository *, const char *);
	int (*libgit2_init)(void);
	int (*libgit2_shutdown)(void);
	void (*object_free)(git_object *);
	git_object_t (*object_type)(const git_object *);
	char *(*oid_tostr)(char *, size_t, const git_oid *);
	void (*reference_free)(git_reference *);
	int (*reference_lookup)(git_reference **, git_repository *, const char *);
	int (*reference_name_is_valid)(int *, const char *);
	int (*reference_name_to_id)(git_oid *, git_repository *, const char *);
	const char *(*reference_symbolic_target)(const git_reference *);
	const git_oid *(*reference_target)(const git_reference *);
	git_reference_t (*reference_type)(const git_reference *);
	void (*remote_free)(git_remote *);
	int (*remote_list)(git_strarray *, git_repository *);
	int (*remote_lookup)(git_remote **, git_repository *, const char *);
	const char *(*remote_url)(const git_remote *);
	const char *(*repository_commondir)(const git_repository *);
	int (*repository_config_snapshot)(git_config **, git_repository *);
	void (*repository_free)(git_repository *);
	int (*repository_head_detached)(git_repository *);
	int (*repository_is_bare)(const git_repository *);
	int (*repository_open_ext)(git_repository **, const char *, unsigned int, const char *);
	const char *(*repository_workdir)(const git_repository *);
	int (*revparse_single)(git_object **, git_repository *, const char *);
	int (*signature_default)(git_signature **, git_repository *);
	void (*signature_free)(git_signature *);
	int (*signature_now)(git_signature **, const char *, const char *);
	const git_status_entry *(*status_byindex)(git_status_list *, size_t);
	size_t (*status_list_entrycount)(git_status_list *);
	void (*status_list_free)(git_status_list *);
	int (*status_list_new)(git_status_list **, git_repository *, const git_status_options *);
	int (*status_options_init)(git_status_options *, unsigned int);
	void (*strarray_dispose)(git_strarray *);
	int (*tag_create)(git_oid *, git_repository *, const char *, const git_object *,
			  const git_signature *, const char *, int);
} api;

/* The functions mlreg calls: api's member NAME is libgit2's git_NAME. */
#define SYM(name) { "git_" #name, (void **)&api.name }
static const struct mlreg_dl_sym syms[] = {
	SYM(branch_upstream_remote), SYM(buf_dispose),
	SYM(config_delete_multivar), SYM(config_free), SYM(config_get_bool),
	SYM(config_get_string_buf), SYM(config_iterator_free),
	SYM(config_iterator_new), SYM(config_next), SYM(config_open_ondisk),
	SYM(config_set_string), SYM(error_clear), SYM(error_last),
	SYM(ignore_path_is_ignored), SYM(libgit2_init), SYM(libgit2_shutdown),
	SYM(object_free), SYM(object_type), SYM(oid_tostr),
	SYM(reference_free), SYM(reference_lookup),
	SYM(reference_name_is_valid), SYM(reference_name_to_id),
	SYM(reference_symbolic_target), SYM(reference_target),
	SYM(reference_type), SYM(remote_free), SYM(remote_list),
	SYM(remote_lookup), SYM(remote_url), SYM(repository_commondir),
	SYM(repository_config_snapshot), SYM(repository_free),
	SYM(repository_head_detached), SYM(repository_is_bare),
	SYM(repository_open_ext), SYM(repository_workdir),
	SYM(revparse_single), SYM(signature_default), SYM(signature_free),
	SYM(signature_now), SYM(status_byindex), SYM(status_list_entrycount),
	SYM(status_list_free), SYM(status_list_new), SYM(status_options_init),
	SYM(strarray_dispose), SYM(tag_create)
};

static struct mlreg_dl lib = {
	.soname = SONAME, .package = "libgit2-" LIBGIT2_SOVERSION,
	.need = "libgit2 " LIBGIT2_SOVERSION, .syms = syms,
	.nsyms = sizeof(syms) / sizeof(syms[0]),
};

/* git_libgit2_init() calls not yet passed on: the library is not loaded. */
static int pending_inits;

/* What git_error_last() says when the library could not be loaded. */
static git_error not_loaded;

int mlreg_git_load(void)
{
	return mlreg_dl_load(&lib);
}

const char *mlreg_git_error(void)
{
	return lib.why;
}

/*
 * Returns 0 once libgit2 is loaded and initialised as many times as mlreg
 * asked (the git_libgit2_init() calls made before it was loaded), else -1.
 */
static int ready(void)
{
	if (mlreg_git_load() < 0)
		return -1;
	for (; pending_inits > 0; pending_inits--)
		api.libgit2_init();
	return 0;
}

/* Counts the call, and passes it on only once the library is loaded. */
int git_libgit2_init(void)
{
	return lib.ok ? api.libgit2_init() : ++pending_inits;
}

/* Undoes one git_libgit2_init(), never loading the library for it. */
int git_libgit2_shutdown(void)
{
	if (lib.ok)
		return api.libgit2_shutdown();
	return pending_inits > 0 ? --pending_inits : 0;
}

/* libgit2's last error, or why it could not be loaded. */
const git_error *git_error_last(void)
{
	if (lib.ok)
		return api.error_last();
	if (!lib.tried)
		return NULL;
	not_loaded.message = lib.why;
	return &not_loaded;
}

void git_error_clear(void)
{
	if (lib.ok)
		api.error_clear();
}

/*
 * The rest: a function that returns something loads the library, and
 * returns libgit2's own error value (-1, NULL, 0, *_INVALID) when it cannot;
 * one that frees or disposes of something made by the library has nothing
 * to do when the library is not loaded (a NULL object, a zeroed git_buf),
 * and never loads it.
 */

int git_branch_upstream_remote(git_buf *buf, git_repository *repo,
			       const char *refname)
{
	return ready() == 0 ? api.branch_upstream_remote(buf, repo, refname)
			   : -1;
}

void git_buf_dispose(git_buf *buffer)
{
	if (lib.ok)
		api.buf_dispose(buffer);
}

int git_config_delete_multivar(git_config *cfg, const char *name,
			       const char *regexp)
{
	return ready() == 0 ? api.config_delete_multivar(cfg, name, regexp)
			   : -1;
}

void git_config_free(git_config *cfg)
{
	if (lib.ok)
		api.config_free(cfg);
}

int git_config_get_bool(int *out, const git_config *cfg, const char *name)
{
	return ready() == 0 ? api.config_get_bool(out, cfg, name) : -1;
}

int git_config_get_string_buf(git_buf *out, const git_config *cfg,
			      const char *name)
{
	return ready() == 0 ? api.config_get_string_buf(out, cfg, name) : -1;
}

void git_config_iterator_free(git_config_iterator *iter)
{
	if (lib.ok)
		api.config_iterator_free(iter);
}

int git_config_iterator_new(git_config_iterator **out, const git_config *cfg)
{
	return ready() == 0 ? api.config_iterator_new(out, cfg) : -1;
}

int git_config_next(git_config_entry **entry, git_config_iterator *iter)
{
	return ready() == 0 ? api.config_next(entry, iter) : -1;
}

int git_config_open_ondisk(git_config **out, const char *path)
{
	return ready() == 0 ? api.config_open_ondisk(out, path) : -1;
}

int git_config_set_string(git_config *cfg, const char *name, const char *value)
{
	return ready() == 0 ? api.config_set_string(cfg, name, value) : -1;
}

int git_ignore_path_is_ignored(int *ignored, git_repository *repo,
			       const char *path)
{
	return ready() == 0 ? api.ignore_path_is_ignored(ignored, repo, path)
			   : -1;
}

void git_object_free(git_object *object)
{
	if (lib.ok)
		api.object_free(object);
}

git_object_t git_object_type(const git_object *obj)
{
	return ready() == 0 ? api.object_type(obj) : GIT_OBJECT_INVALID;
}

char *git_oid_tostr(char *out, size_t n, const git_oid *id)
{
	return ready() == 0 ? api.oid_tostr(out, n, id) : NULL;
}

void git_reference_free(git_reference *ref)
{
	if (lib.ok)
		api.reference_free(ref);
}

int git_reference_lookup(git_reference **out, git_repository *repo,
			 const char *name)
{
	return ready() == 0 ? api.reference_lookup(out, repo, name) : -1;
}

int git_reference_name_is_valid(int *valid, const char *refname)
{
	return ready() == 0 ? api.reference_name_is_valid(valid, refname) : -1;
}

int git_reference_name_to_id(git_oid *out, git_repository *repo,
			     const char *name)
{
	return ready() == 0 ? api.reference_name_to_id(out, repo, name) : -1;
}

const char *git_reference_symbolic_target(const git_reference *ref)
{
	return ready() == 0 ? api.reference_symbolic_target(ref) : NULL;
}

const git_oid *git_reference_target(const git_reference *ref)
{
	return ready() == 0 ? api.reference_target(ref) : NULL;
}

git_reference_t git_reference_type(const git_reference *ref)
{
	return ready() == 0 ? api.reference_type(ref) : GIT_REFERENCE_INVALID;
}

void git_remote_free(git_remote *remote)
{
	if (lib.ok)
		api.remote_free(remote);
}

int git_remote_list(git_strarray *out, git_repository *repo)
{
	return ready() == 0 ? api.remote_list(out, repo) : -1;
}

int git_remote_lookup(git_remote **out, git_repository *repo, const char *name)
{
	return ready() == 0 ? api.remote_lookup(out, repo, name) : -1;
}

const char *git_remote_url(const git_remote *remote)
{
	return ready() == 0 ? api.remote_url(remote) : NULL;
}

const char *git_repository_commondir(const git_repository *repo)
{
	return ready() == 0 ? api.repository_commondir(repo) : NULL;
}

int git_repository_config_snapshot(git_config **out, git_repository *repo)
{
	return ready() == 0 ? api.repository_config_snapshot(out, repo) : -1;
}

void git_repository_free(git_repository *repo)
{
	if (lib.ok)
		api.repository_free(repo);
}

int git_repository_head_detached(git_repository *repo)
{
	return ready() == 0 ? api.repository_head_detached(repo) : -1;
}

int git_repository_is_bare(const git_repository *repo)
{
	return ready() == 0 ? api.repository_is_bare(repo) : -1;
}

int git_repository_open_ext(git_repository **out, const char *path,
			    unsigned int flags, const char *ceiling_dirs)
{
	return ready() == 0 ? api.repository_open_ext(out, path, flags, ceiling_dirs)
			   : -1;
}

const char *git_repository_workdir(const git_repository *repo)
{
	return ready() == 0 ? api.repository_workdir(repo) : NULL;
}

int git_revparse_single(git_object **out, git_repository *repo,
			const char *spec)
{
	return ready() == 0 ? api.revparse_single(out, repo, spec) : -1;
}

int git_signature_default(git_signature **out, git_repository *repo)
{
	return ready() == 0 ? api.signature_default(out, repo) : -1;
}

void git_signature_free(git_signature *sig)
{
	if (lib.ok)
		api.signature_free(sig);
}

int git_signature_now(git_signature **out, const char *name, const char *email)
{
	return ready() == 0 ? api.signature_now(out, name, email) : -1;
}

const git_status_entry *git_status_byindex(git_status_list *statuslist,
					   size_t idx)
{
	return ready() == 0 ? api.status_byindex(statuslist, idx) : NULL;
}

size_t git_status_list_entrycount(git_status_list *statuslist)
{
	return ready() == 0 ? api.status_list_entrycount(statuslist) : 0;
}

void git_status_list_free(git_status_list *statuslist)
{
	if (lib.ok)
		api.status_list_free(statuslist);
}

int git_status_list_new(git_status_list **out, git_repository *repo,
			const git_status_options *opts)
{
	return ready() == 0 ? api.status_list_new(out, repo, opts) : -1;
}

int git_status_options_init(git_status_options *opts, unsigned int version)
{
	return ready() == 0 ? api.status_options_init(opts, version) : -1;
}

void git_strarray_dispose(git_strarray *array)
{
	if (lib.ok)
		api.strarray_dispose(array);
}

int git_tag_create(git_oid *oid, git_repository *repo, const char *tag_name,
		   const git_object *target, const git_signature *tagger,
		   const char *message, int force)
{
	return ready() == 0 ? api.tag_create(oid, repo, tag_name, target, tagger, message, force)
			   : -1;
}
