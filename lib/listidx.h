/*
 * The versions index: models/ENC/versions.idx, one line per version of a
 * model, newest first, holding what 'mlreg list-versions' prints by
 * default (number, id, created, size, the message's subject line, the
 * deletion mark), so a listing reads one file instead of opening and
 * parsing every record.  store-format.md section 6.8 is the format.
 *
 * It is a derived cache.  Its header names the model record's
 * latest_version and latest_id; an index whose header does not match the
 * model record read now is stale and is never used (it is rebuilt from the
 * records).  It is written only by a holder of the model's lock (writers
 * after their commit point; a reader that finds it stale, missing or with
 * a bad line takes the lock without waiting), through versions.idx.tmp
 * (removed and made anew, O_EXCL, never through a link) and rename(2),
 * without fsync: a crash leaves it stale, missing or cut short, all of
 * which a reader detects.  Deleting a version removes it before the
 * tombstone's rename, so no index ever claims a deleted version is live.
 *
 * Threats: the index is input like any file.  Lines are capped
 * (MLREG_VIDX_LINE_MAX), fields checked (numbers contiguous from
 * latest_version down to 1, the first id equal to latest_id, ids 64
 * lowercase hex digits); a bad line ends the use of the index and the
 * caller goes on from the records.  What a planted index with the right
 * header can still change is the text of a line (created, size, subject,
 * deletion mark) of a version that exists: never a version that does not
 * exist, never a control character (the tool escapes what it prints), and
 * fsck finds it.
 */
#ifndef MLREG_LISTIDX_H
#define MLREG_LISTIDX_H

#include <cjson/cJSON.h>

#include "store.h"
#include "util.h"

/* The longest line of an index, its newline included. */
#define MLREG_VIDX_LINE_MAX 4096

/* One entry, its strings pointing into the reader's line buffer. */
struct mlreg_vidx_entry {
	long version;
	const char *id;
	const char *created;
	long long size;
	const char *subject;	/* NULL: too long for the index, read the record */
	int deleted;
	const char *del_user, *del_time;
};

struct mlreg_vidx;

/*
 * Returns 0 and in *out a reader of model name's index when it is there
 * and its header matches model (the model record just read); 1 when it is
 * missing, stale or unreadable (*out NULL: use the records).
 */
int mlreg_vidx_open(struct mlreg_vidx **out, const struct mlreg_store *store, const char *name,
		    const cJSON *model);

/*
 * Returns 1 and the next entry (newest first) in *e, valid until the next
 * call; 0 at the end; MLREG_ECORRUPT when the line is not a valid entry
 * of the version expected (the caller goes on from the records).
 */
int mlreg_vidx_next(struct mlreg_vidx *x, struct mlreg_vidx_entry *e);

/* Returns the version the reader expects next (0 when done). */
long mlreg_vidx_expected(const struct mlreg_vidx *x);

void mlreg_vidx_close(struct mlreg_vidx *x);

/*
 * Returns 0 after making model name's index match model (its record just
 * committed), for a holder of the model's lock: nothing when it matches,
 * the new versions' entries put before the old ones when the old index is
 * the previous state of the chain, else rebuilt from every record.  An
 * error (its message set) leaves no index or a stale one.
 */
int mlreg_vidx_update_locked(const struct mlreg_store *store, const char *name,
			     const cJSON *model);

/*
 * Returns 0 after updating model name's index when the model's lock can be
 * taken at once (a reader that found the index stale); 1 when it is held
 * by another process or cannot be taken (read-only store): nothing done.
 */
int mlreg_vidx_refresh(const struct mlreg_store *store, const char *name);

/*
 * Returns as mlreg_vidx_refresh() does, writing the index again from every
 * record (a reader found a bad line in an index whose header matched).
 */
int mlreg_vidx_rebuild(const struct mlreg_store *store, const char *name);

/* Removes model name's index (a holder of its lock, before a tombstone). */
void mlreg_vidx_drop(const struct mlreg_store *store, const char *name);

/*
 * Returns 0 when model name's index is missing, stale, or matches the
 * records line for line; MLREG_ECORRUPT naming the first wrong line
 * otherwise (fsck).
 */
int mlreg_vidx_verify(const struct mlreg_store *store, const char *name, const cJSON *model);

/*
 * The escaping of the indexes' text fields (store-format.md 6.8, 6.9, also
 * used by registry.c's models index): '%', the control bytes and DEL as
 * %XX.  mlreg_idx_escape() appends n bytes of s escaped to b;
 * mlreg_idx_unescape() returns 0 after decoding s in place, -1 when s is
 * not a valid field (a raw control byte, a bad or a %00 escape).
 */
void mlreg_idx_escape(struct mlreg_buf *b, const char *s, size_t n);
int mlreg_idx_unescape(char *s);

#endif
