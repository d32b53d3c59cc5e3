/*
 * A model's life after registration: aliases (stages such as "production")
 * and deprecation, each change an event of the model's log (registry.h),
 * and deletion (tombstones: registry.h, store-format.md 6.7).
 *
 * State and history.  The model record keeps the current state, "aliases"
 * (an object: alias -> version number) and "deprecated" (a sorted array of
 * version numbers), and every change of it is an immutable event appended
 * in the same commit (the rename of model.json under the model's lock), so
 * the two never disagree and two writers never overwrite each other: each
 * applies its change to the record it reads under the lock.  Replaying the
 * events from the first gives the state; fsck checks that it does, and
 * "alias list --at TIME" replays up to a time.
 *
 * Events ("action" and its members, beside registry.h's model, event,
 * parent, time, user; "message" is free text, "" when none):
 *   alias-set     alias, version, previous (the version it named, or null)
 *   alias-remove  alias, previous
 *   deprecate     version
 *   undeprecate   version
 *   rename        from, to (the model's old and new names: registry.h)
 *
 * Alias names (mlreg_alias_validate()): 1 to 64 bytes of lowercase ASCII
 * letters, digits, '-', '_' and '.', starting with a letter, not ending
 * with '.', without "..", and not "latest" (built in: the highest version
 * that is neither deprecated nor deleted).  A letter first means an alias never reads as
 * a version number, and the alphabet is safe in a git tag name, a file
 * name and a terminal.
 */
#ifndef MLREG_LIFECYCLE_H
#define MLREG_LIFECYCLE_H

#include <cjson/cJSON.h>

#include "store.h"

#define MLREG_ALIAS_MAX 64

/* Returns 0 when alias is a valid alias name, else MLREG_EINVALID with why. */
int mlreg_alias_validate(const char *alias);

/*
 * Returns 0 after resolving spec ("NAME", "NAME@N", "NAME@ALIAS" or
 * "NAME@latest"; "NAME" is "NAME@latest") against the store: *name
 * (malloc'd) and *version, a version that exists.  MLREG_EINVALID for a
 * malformed spec, MLREG_ENOTFOUND for a missing model, version or alias
 * (naming the aliases the model has), or a model whose versions are all
 * deprecated (asking for NAME@N); MLREG_ENOTFOUND "NAME@N was deleted by
 * USER on TIME" for a deleted version, saying who deleted it for a deleted
 * model (NAME and NAME@latest skip deleted versions).
 */
int mlreg_ref_resolve(const struct mlreg_store *store, const char *spec, char **name,
		      long *version);

/*
 * Returns 0 after pointing alias at version n of model name (an event
 * alias-set, written as user, with message); *event (may be NULL) gets the
 * event, or NULL when the alias named n already.  MLREG_ENOTFOUND when n
 * does not exist; MLREG_ECONFLICT when it is deprecated.
 */
int mlreg_alias_set(cJSON **event, struct mlreg_store *store, const char *name, long n,
		    const char *alias, const char *user, const char *message);

/* Returns 0 after removing alias from model name; MLREG_ENOTFOUND when it has none such. */
int mlreg_alias_remove(cJSON **event, struct mlreg_store *store, const char *name,
		       const char *alias, const char *user, const char *message);

/*
 * Returns 0 after marking version n of model name deprecated (on = 1) or
 * not (on = 0); *event gets NULL when it already was so.
 */
int mlreg_version_deprecate(cJSON **event, struct mlreg_store *store, const char *name,
			    long n, int on, const char *user, const char *message);

/* Returns a new array of the aliases (strings, sorted) naming version n in model's record. */
cJSON *mlreg_model_aliases_of(const cJSON *model, long n);

/*
 * Adds to version (a version object of model's) the members "aliases" (its
 * aliases, sorted) and "deprecated" (a boolean), as describe, list-versions
 * and search print them and the filter language reads them; never stored
 * in the version's record.
 */
void mlreg_lifecycle_annotate(cJSON *version, const cJSON *model);

/* Returns 1 when model's record marks version n deprecated. */
int mlreg_model_deprecated(const cJSON *model, long n);

/*
 * Returns 0 with the state that events (mlreg_event_list()'s array)
 * give once those up to time until (RFC 3339 text; NULL: all) are applied:
 * *aliases an object alias -> version, *deprecated a sorted array of
 * versions (both new).  MLREG_ECORRUPT, naming the event, when one is not
 * well formed for its action or cannot apply (removing an alias that is
 * not set, a "previous" that is not what the alias named).
 */
int mlreg_lifecycle_replay(cJSON **aliases, cJSON **deprecated, const cJSON *events,
			   const char *until);

/*
 * Returns 0 after applying events (an array of event records, in order) to
 * aliases and deprecated (as mlreg_lifecycle_replay() makes them; changed
 * in place), stopping before the first event that names a version above
 * have: *applied says how many were applied.  For download, which replays a
 * remote's events on the local state (store-format.md 10.3).
 * MLREG_ECORRUPT as mlreg_lifecycle_replay() when one cannot apply; the
 * state is then half changed, for the caller to drop.
 */
int mlreg_lifecycle_replay_upto(cJSON *aliases, cJSON *deprecated, const cJSON *events,
				long have, long *applied);

/*
 * Returns 0 when model's record holds the state its events give (fsck);
 * MLREG_ECORRUPT saying what differs otherwise.
 */
int mlreg_lifecycle_check(const struct mlreg_store *store, const cJSON *model);

/*
 * Returns 0 after deleting version n of model name (n = 0: the model and
 * every version) as user with message: mlreg_version_delete() in
 * registry.h, the rules of store-format.md 6.7.  A version (or a model)
 * that an alias names is refused with MLREG_ECONFLICT naming the aliases,
 * unless force: then each is removed first, an alias-remove event with the
 * message "deleted NAME@N" ("deleted NAME").  *out (may be NULL) gets the
 * array of tombstones written (empty when all were deleted already).
 */
int mlreg_delete(cJSON **out, struct mlreg_store *store, const char *name, long n, int force,
		 const char *user, const char *message);

#endif
