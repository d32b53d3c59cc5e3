/*
 * Models and versions: the registry proper.  Records are JSON documents (as
 * cJSON trees here); their fields are fixed by mlreg(1) and store-format.md.
 *
 * A model lives in models/<encoded name>/: model.json (replaced under its
 * lock) and versions/<N>.json (immutable, except that deleting a version
 * replaces it whole by its tombstone: below).  Version N is visible only
 * once model.json's latest_version reaches N; that rename is the commit
 * point of a registration, so a killed process never leaves a partial
 * version.
 */
#ifndef MLREG_REGISTRY_H
#define MLREG_REGISTRY_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "object.h"
#include "store.h"

/* Largest record read back (a version listing 100,000s of files fits). */
#define MLREG_RECORD_MAX (256u << 20)

/*
 * Returns 0 after creating model name; *out (may be NULL) gets its record.
 * metadata (may be NULL) is copied.  MLREG_EEXISTS when it exists, unless
 * it was deleted: then it is made again, its versions' numbering going on
 * (latest_version, latest_id and its events are kept).
 */
int mlreg_model_create(cJSON **out, struct mlreg_store *store, const char *name,
		       const char *description, const cJSON *metadata);

/*
 * Returns 0 as mlreg_model_create() does, also when name is a redirect left
 * by a rename (section 5.2 of store-format.md), which the new model's
 * record replaces in one rename (create --force).
 */
int mlreg_model_create_over_redirect(cJSON **out, struct mlreg_store *store, const char *name,
				     const char *description, const cJSON *metadata);

/* Returns 0 and the record of model name in *out; MLREG_ENOTFOUND when absent. */
int mlreg_model_load(cJSON **out, const struct mlreg_store *store, const char *name);

/* Returns 0 and an array of every model record in *out, in no particular order. */
int mlreg_model_list(cJSON **out, const struct mlreg_store *store);

/*
 * Returns 0 after calling fn(record, ctx) for every model record, one at a
 * time, in the byte order of the names (reversed when desc): only the names
 * are held, each record is freed when fn returns, so memory does not grow
 * with the records.  A negative return of fn stops the walk and is returned.
 */
/*
 * Returns 0 when every line of the models index that would be used (it
 * names the model.json there now, not racily) says what the record says;
 * MLREG_ECORRUPT naming the first model it is wrong about (fsck).
 */
int mlreg_models_index_verify(const struct mlreg_store *store);

/* Removes the models index (fsck found it wrong). */
void mlreg_models_index_drop(const struct mlreg_store *store);

#define MLREG_EACH_DESC 1	/* names in reverse order */
#define MLREG_EACH_INDEX 2	/* the models index (ascending only): records cut to
				 * name, description, creation_time, last_updated_time
				 * and latest_version; the deleted ones not passed */
int mlreg_model_each(const struct mlreg_store *store, int flags,
		     int (*fn)(const cJSON *model, void *ctx), void *ctx);

/*
 * Returns 0 after merging add's top-level keys into the model's metadata
 * (a new value replaces the old one) and then deleting the keys in remove;
 * *out (may be NULL) gets the updated record.
 */
int mlreg_model_update_metadata(cJSON **out, struct mlreg_store *store, const char *name,
				const cJSON *add, char *const *remove, size_t nremove);

/* Returns a new copy of a model record shaped for output (internal fields removed). */
cJSON *mlreg_model_public(const cJSON *model);

/*
 * Returns 0 after appending the next version of model name (which must
 * exist), under its lock: the record is {model, version N = latest + 1,
 * parent, created} followed by body's members, moved out of body in their
 * order; it is checked by mlreg_version_parse() (MLREG_EINVALID "cannot
 * register NAME@N: ..." when it fails), written as versions/N.json, and
 * committed by model.json's rename.  *out gets the version object (with its
 * id).  Nothing is visible on failure.  register.h's mlreg_register() is
 * the caller that stores the files first.
 */
int mlreg_version_append(cJSON **out, struct mlreg_store *store, const char *name,
			 cJSON *body);

/*
 * Returns 1 when rec, the record about to be appended (as every reader
 * would read it back), is the same version as latest, the model's highest
 * numbered record (with its "id"); what "the same" means is the caller's
 * (register.c's table for 'register --if-changed').
 */
typedef int (*mlreg_version_same_fn)(const cJSON *rec, const cJSON *latest);

/*
 * Returns 0 as mlreg_version_append() does (one commit path: that is this
 * function with same NULL), except when same is not NULL, the model has a
 * version and same() finds the record about to be written equal to the
 * latest one: then nothing is written, *out gets the latest version object
 * and *unchanged (may be NULL) is 1.  same() runs under the model's lock,
 * against the latest version at commit time, so that N concurrent appends
 * of the same content make one version.  *unchanged is 0 when a version
 * was appended.
 */
int mlreg_version_append_unless(cJSON **out, int *unchanged, struct mlreg_store *store,
				const char *name, cJSON *body, mlreg_version_same_fn same);

/*
 * Returns 0 and version n (0: latest) of model name, with its "id", in *out;
 * MLREG_ENOTFOUND when the model or version does not exist (a model without
 * versions and n == 0 also gives MLREG_ENOTFOUND).
 */
int mlreg_version_load(cJSON **out, const struct mlreg_store *store, const char *name, long n);

/*
 * Returns 0 and version n of the model whose record (just read) is model,
 * as mlreg_version_load() does without reading model.json again (a
 * listing reads it once).
 */
int mlreg_version_load_in(cJSON **out, const struct mlreg_store *store, const cJSON *model,
			  long n);

/* Returns 0 and an array of the model's versions, newest first, in *out. */
int mlreg_version_list(cJSON **out, const struct mlreg_store *store, const char *name);

/*
 * Returns 0 and the raw record of version n of the model's directory enc in
 * buf and len with its id in hex; for fsck, which must see bytes as stored.
 */
int mlreg_version_read_raw(char **buf, size_t *len, char *hex,
			   const struct mlreg_store *store, const char *enc, long n);

/*
 * Returns 0 and the raw record of version n of model name as
 * mlreg_version_read_raw() does, once it passes mlreg_version_parse(), for
 * upload (the bytes it sends); MLREG_ECORRUPT, naming NAME@N and saying to
 * run fsck, otherwise.
 */
int mlreg_version_read_checked(char **buf, size_t *len, char *hex,
			       const struct mlreg_store *store, const char *name, long n);

/* Returns a new version object: rec's members with "id" (hex) after "version". */
cJSON *mlreg_version_with_id(const cJSON *rec, const char *hex);

/*
 * The checks of a version record, one copy for every reader: download (a
 * record from a remote, before it is stored), upload (a local record,
 * before it is sent: a hand-edited one never reaches a remote), describe,
 * list-versions, checkout, export, validate (through mlreg_version_load())
 * and fsck; register runs them on what it is about to write.
 *
 * A record's files must be safe to write below a directory and name one
 * file each: every path is safe (mlreg_path_problem()), and the list is
 * sorted bytewise (strcmp), without a repeated path, and prefix-free (not
 * both "a" and "a/b", which a checkout could only half write).  A path
 * that reads as another one cannot hide in the JSON either: records are
 * read by mlreg_doc_parse_record(), which refuses a "\u0000" escape
 * (cJSON would cut "x\u0000a" to "x") by finding it in the raw bytes,
 * text that is not UTF-8, repeated keys and numbers out of range.
 */

/*
 * Returns NULL when rel is a safe relative path to write under a
 * directory, else why not (for "'REL' %s"): empty, absolute, an empty, "."
 * or ".." component, or not text (a control character, C0, DEL or C1, or
 * bytes that are not UTF-8: see text.h).
 */
const char *mlreg_path_problem(const char *rel);

/* Returns 1 when mlreg_path_problem(rel) finds nothing. */
int mlreg_path_is_safe(const char *rel);

/*
 * Returns 0 when the n paths are safe, strictly increasing bytewise (so
 * none repeats) and prefix-free; MLREG_EINVALID naming the first that is
 * not otherwise.
 */
int mlreg_paths_check(const char *const *paths, size_t n);

/*
 * Returns 0 when files (a version's "files" array) is well formed and safe
 * to write below a directory: each entry has a safe path, a sha256, a size
 * and a mode of "0644" or "0755", and the paths pass mlreg_paths_check();
 * MLREG_ECORRUPT with the reason otherwise.
 */
int mlreg_files_check(const cJSON *files);

/*
 * Returns 0 when rec is a well-formed record of version n of model name
 * (former: the model record's "former_names", may be NULL): it names them
 * (mlreg_record_names_model()), has a parent id exactly when n > 1, and its files pass
 * mlreg_files_check(); MLREG_ECORRUPT naming NAME@N otherwise.
 */
int mlreg_version_check(const cJSON *rec, const char *name, const cJSON *former, long n);

/*
 * Returns 0 and in *out the record of version n of model name that the len
 * bytes at buf hold, read by mlreg_doc_parse_record() and checked by
 * mlreg_version_check(); MLREG_ECORRUPT with the reason otherwise.
 */
int mlreg_version_parse(cJSON **out, const char *buf, size_t len, const char *name,
			const cJSON *former, long n);

/*
 * Partial versions.  A version downloaded without its files (their objects
 * stayed on the remote) has a marker versions/N.partial holding "ID REMOTE"
 * (the version's id and the remote's name).  Returns 1 and the remote's
 * name (malloc'd, may be NULL) when version n, of id id, is such a
 * version; 0 when it is complete.
 */
int mlreg_version_partial(const struct mlreg_store *store, const char *name, long n,
			  const char *id, char **remote);

/*
 * Returns 0 when every file of version (a version object with "id") is in
 * the store, or when it is not a partial version (a missing object is then
 * the store's corruption, for the caller to report); MLREG_ENOTFOUND saying
 * which 'mlreg download' brings the files of a partial version.
 */
int mlreg_version_require_files(const struct mlreg_store *store, const cJSON *version);

/* Returns 0 after removing version n's partial marker (its objects are all stored now). */
int mlreg_version_mark_complete(struct mlreg_store *store, const char *name, long n);

/*
 * The event log: models/<enc>/events/K.json, K = 1, 2, 3..., each record
 * immutable, chained by "parent" (the SHA-256 of event K-1's bytes) and
 * made visible, as versions are, by model.json's latest_event and
 * latest_event_id, written in the same rename as the state the event
 * changes (lifecycle.h says what events there are and what state they
 * keep in the model record).  An event K.json above latest_event is the
 * leftover of an interrupted writer: invisible, overwritten by the next.
 */

/*
 * Called under the model's lock with its current record: returns 0 after
 * changing model's state members and filling body (the event's own
 * members) for the event to be written; 1 when there is nothing to record
 * (the state is already what was asked: no event is written); a negative
 * code with the message set to refuse.
 */
typedef int (*mlreg_event_apply_fn)(cJSON *model, cJSON *body, void *arg);

/*
 * Returns 0 after appending an event to model name: under its lock, apply
 * runs on the record read back, then events/K.json (K = latest_event + 1)
 * is written as {model, event K, parent, time, user, then body's members}
 * and model.json committed with latest_event K.  *out (may be NULL) gets
 * the event object with its "id", or NULL when apply found nothing to do.
 */
int mlreg_event_append(cJSON **out, struct mlreg_store *store, const char *name,
		       const char *user, mlreg_event_apply_fn apply, void *arg);

/*
 * Returns 0 and the model's visible events, oldest first, each with its
 * "id", in *out, every record checked (mlreg_event_check()) and the chain
 * verified up to latest_event_id; MLREG_ECORRUPT naming the event otherwise
 * (with fsck_hint, the message ends "; run 'mlreg fsck'": fsck itself
 * passes 0).  An empty array for a model without events.
 */
int mlreg_event_list(cJSON **out, const struct mlreg_store *store, const char *name,
		     int fsck_hint);

/*
 * Returns 0 when rec is a well-formed event K of model name (former as for
 * mlreg_version_check()): it names them,
 * has "parent" (a hash when K > 1, null for 1) and "time", "user" and
 * "action" strings; MLREG_ECORRUPT naming the event otherwise.  What each
 * action's members mean is lifecycle.c's to check (mlreg_lifecycle_replay()).
 */
int mlreg_event_check(const cJSON *rec, const char *name, const cJSON *former, long k);

/*
 * Returns 0 and the bytes of event k of model name as stored (malloc'd in
 * *buf, *len) with their SHA-256, the event's id, in hex; unchecked: for
 * upload, which has checked the events with mlreg_event_list() and compares
 * the id.  MLREG_ENOTFOUND when the file is missing.
 */
int mlreg_event_read_raw(char **buf, size_t *len, char *hex, const struct mlreg_store *store,
			 const char *name, long k);

/* What mlreg_model_adopt() adds to a model. */
struct mlreg_adopt {
	const cJSON *model;	/* the remote's model record (description, metadata, times) */
	long base;		/* versions 1..base are already local, with base_id the last */
	const char *base_id;	/* NULL when base is 0 */
	long n;			/* versions base+1 .. base+n follow */
	char *const *bufs;	/* their records' bytes, exactly as the remote holds them */
	const size_t *lens;
	const int *partial;	/* 1 for each version whose objects are not all stored */
	const char *remote;	/* the remote's name, for the partial markers */
	/* events (store-format.md 10.3): none when ev_n is 0 */
	long ev_base;		/* events 1..ev_base are already local, with ev_base_id the last */
	const char *ev_base_id;	/* NULL when ev_base is 0 */
	long ev_n;		/* events ev_base+1 .. ev_base+ev_n follow, checked and chained */
	char *const *ev_bufs;	/* their records' bytes, exactly as the remote holds them */
	const size_t *ev_lens;
	const cJSON *aliases;	/* the state they give (replayed): the new "aliases" */
	const cJSON *deprecated;	/* and "deprecated" */
};

/*
 * Returns 0 after appending the versions of a (records already checked and
 * chained to base) to model name, creating it from a->model when missing,
 * with the remote record's description and metadata taken when it was
 * updated later than the local one; and its events (events/K.json, then
 * aliases, deprecated, latest_event and latest_event_id) in the same
 * commit, the rename of model.json.  MLREG_ECONFLICT when the model's
 * latest version is no longer a->base, or its latest event no longer
 * a->ev_base (a local registration or lifecycle change came first).
 */
int mlreg_model_adopt(struct mlreg_store *store, const char *name, const struct mlreg_adopt *a);

/*
 * Renamed models (store-format.md 5.2).  A rename moves the model's
 * directory whole and rewrites no record: version records and events keep
 * the "model" they were written with, and the model record lists the names
 * the model had in "former_names" (oldest first).  The old name's
 * directory then holds a redirect, {"name", "renamed_to", "time", "user"}:
 * not a model, so mlreg_model_load() of it (and everything built on it)
 * fails with MLREG_ENOTFOUND "model 'OLD' was renamed to 'NEW' (on T by
 * U); use 'NEW'", following a chain of redirects to its end (at most 32).
 * Version and event objects read back name the model as it is now called.
 */

/*
 * Returns 1 when rec (a version record or an event) names model name or
 * one of the names in former (an array, may be NULL): the one copy of the
 * rule every check of a record's "model" applies.
 */
int mlreg_record_names_model(const cJSON *rec, const char *name, const cJSON *former);

/*
 * Adds to model (a model record) the former names of
 * other (a model record, may be NULL: a remote's) that it lacks, each a
 * valid name other than its own; nothing is added to a record when there
 * is nothing to add.
 */
void mlreg_former_merge(cJSON *model, const cJSON *other);

/*
 * Returns 0 when rec is a well-formed redirect of model name: its name,
 * "renamed_to" another valid name, "time" and "user" strings, and no
 * "latest_version"; MLREG_ECORRUPT otherwise.
 */
int mlreg_redirect_check(const cJSON *rec, const char *name);

/*
 * Returns 0 when rec, the record of name, is a well-formed redirect whose
 * chain ends at a model (fsck); MLREG_ENOTFOUND saying so when it ends at
 * a name that is no model (dangling: the model is gone), MLREG_ECORRUPT for
 * a malformed redirect or a chain that loops.
 */
int mlreg_redirect_verify(const struct mlreg_store *store, const char *name, const cJSON *rec);

/* Returns 1 when the record of name is a redirect (the model was renamed), else 0. */
int mlreg_model_is_redirect(const struct mlreg_store *store, const char *name);

/*
 * Returns 1 after setting the message ("a rename of model 'X' to 'NAME'
 * was interrupted; run 'mlreg rename X NAME' again") when rec, the record
 * in name's directory, is the record of a model X that has no record of
 * its own: a rename stopped between its directory's move and its commit.
 * Returns 0 otherwise.
 */
int mlreg_rename_interrupted(const struct mlreg_store *store, const char *name,
			     const cJSON *rec);

/*
 * Returns 0 after renaming model old to name, holding the gc lock shared:
 * under old's lock its directory is renamed (rename(2): versions, events
 * and markers move together), the record committed with name, old added
 * to "former_names" and an event "rename" {from, to, message} (user,
 * message), then old's directory gets a redirect to name.  name may be a
 * redirect or an interrupted create (replaced); MLREG_EEXISTS when it is a
 * model, MLREG_ENOTFOUND when old is none (a redirect: naming where it
 * points).  A rename that stopped half way is finished by the same call.
 * *out (may be NULL) gets the renamed model's record.
 */
int mlreg_model_rename(cJSON **out, struct mlreg_store *store, const char *old,
		       const char *name, const char *user, const char *message);

/*
 * Deleted versions and models (store-format.md 6.7).  A deleted version's
 * record is replaced by a tombstone: {model, version, parent, id, deleted:
 * {time, user, message}, size 0, files []}, where id is the id of the
 * record it replaced; a deleted model's record gains "deleted" too.  The
 * number is never reused and the chain of ids stays as it was, because
 * the id of a tombstone is its "id" member (not verifiable from its bytes:
 * it is trusted as the record it replaced was).
 */

/*
 * Returns 1 and the id of a tombstone (its "id" member) in hex when the
 * len bytes at buf are one (a top-level "deleted" object and an "id" of 64
 * hex digits), else 0 and the SHA-256 of the bytes: the id of a version
 * record, for every reader that computes one (never an event's).
 */
int mlreg_version_id(const char *buf, size_t len, char *hex);

/* Returns the "deleted" object of a version or model record, or NULL when it is live. */
const cJSON *mlreg_record_deleted(const cJSON *rec);

/*
 * Returns 0 when version n of model name is not a tombstone (or cannot be
 * read: its reader reports that); MLREG_ENOTFOUND "NAME@N was deleted by
 * USER on TIME" when it is one.
 */
int mlreg_version_require_live(const struct mlreg_store *store, const char *name, long n);

/*
 * Returns 0 when model (a model record) is not deleted; MLREG_ENOTFOUND
 * saying who deleted it, when, and that 'mlreg create' makes it again.
 */
int mlreg_model_require_live(const cJSON *model);

/*
 * Returns 0 after replacing the records of versions v (nv numbers; with
 * whole, every visible version instead) of model name by tombstones
 * written as user with message, under the model's lock and the gc lock
 * held shared, and with whole, after marking the model record deleted.
 * A version already deleted is left as it is (nothing is written for it),
 * so a rerun finishes an interrupted deletion.  MLREG_ENOTFOUND for a
 * missing model or version; MLREG_ECONFLICT when an alias names one of the
 * versions (nothing is written then).  *out (may be NULL) gets an array of
 * the tombstones written, as version objects (with "id").
 */
int mlreg_version_delete(cJSON **out, struct mlreg_store *store, const char *name,
			 const long *v, size_t nv, int whole, const char *user,
			 const char *message);

#endif
