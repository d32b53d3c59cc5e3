/*
 * The event log on a remote (store-format.md 5.1 and 10): what upload and
 * download do with a model's events, beside its versions.  The records
 * themselves travel as versions do: events/K.json holds the bytes of the
 * uploader's events/K.json, listed, compared and put by the same code as
 * version records (sync-common.c's sync_compare_chain(), sync-upload.c's
 * put_records_round()); this file says which events move.
 *
 * Upload sends, after a model's versions, its events 1..K that the remote
 * lacks, K the last event before the first one naming a version the remote
 * will not have after this upload.  Another event under a number being
 * sent is a conflict: the model's events stay local, its versions move.
 *
 * Download reads the remote's events the store lacks (the local events must
 * be the remote's first ones), checks each one as a record of the log
 * (mlreg_doc_parse_record(), mlreg_event_check(), the chain of ids, the
 * model record's latest_event_id when it names the last one) and replays
 * the whole remote log (lifecycle.c's rules) before anything is fetched:
 * an event that cannot apply, or names a version the remote does not have,
 * is a corrupt remote, and nothing of that model is stored.  The replayed
 * log also resolves NAME@ALIAS and NAME@latest against the remote.  At the
 * commit, the events up to the first one naming a version the store will
 * not have are written with the versions, in one rename of model.json
 * (mlreg_model_adopt()); the later ones come with a later download.
 *
 * Threats: an event number from a listing is never a size (sync-inventory.c
 * bounds the chain by the keys listed); every alias read from a remote
 * event is validated (replay_one() in lifecycle.c) before it is used or
 * printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "lifecycle.h"
#include "registry.h"
#include "sync-int.h"
#include "util.h"

/* Returns 0 after reading m's local events (none when it has no local record). */
static int load_local_events(struct sync *s, struct model *m)
{
	int err;

	cJSON_Delete(m->lev);
	m->lev = NULL;
	m->nev = 0;
	if ((err = mlreg_event_list(&m->lev, s->store, m->name, 1)) == MLREG_ENOTFOUND) {
		mlreg_error_clear();
		m->lev = cJSON_CreateArray();
		return 0;
	}
	if (err < 0)
		return err;
	m->nev = cJSON_GetArraySize(m->lev);
	return 0;
}

/*
 * Returns 0 after reading the local events of every model to upload: a
 * corrupt log (fsck's to report) stops that model's events, never sent,
 * not its versions.
 */
int sync_events_load(struct sync *s)
{
	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		if (!m->failed && load_local_events(s, m) < 0) {
			sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			m->ev_failed = 1;
		}
	}
	return 0;
}

/* Returns the version event ev names ("version"), 0 when none. */
static long event_version(const cJSON *ev)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, "version");

	return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e15
	       ? (long)v->valuedouble : 0;
}

/* Notes event n of m as sent (or received) by this transfer; returns nothing. */
void sync_events_sent(struct sync *s, struct model *m, long n)
{
	if (!m->ev_first || n < m->ev_first)
		m->ev_first = n;
	if (n > m->ev_last)
		m->ev_last = n;
}

/*
 * Returns 0 after choosing, once the versions are put, the events of each
 * model to upload (1..K, before the first naming a version the remote does
 * not have now) and comparing those the remote has already.
 */
int sync_events_select(struct sync *s)
{
	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		long have = m->up.next - 1 > m->ver.contig ? m->up.next - 1 : m->ver.contig;
		const cJSON *ev;

		m->evup.sel = 0;
		m->evup.next = 1;
		if (m->failed)
			continue;
		cJSON_ArrayForEach(ev, m->lev) {
			if (event_version(ev) > have)
				break;	/* it and those after it go with a later upload */
			m->evup.sel++;
		}
	}
	return sync_compare_chain(s, CHAIN_EVENTS, 0);
}

/*
 * Adds to rec, the remote model record being merged for m, the hints
 * latest_event and latest_event_id: the remote's chain as this upload
 * leaves it (ours when it reaches further, else what the remote record
 * said, when its listing bears it out); nothing when there is no event.
 */
void sync_events_hint(struct sync *s, struct model *m, cJSON *rec)
{
	long ours = m->ev_failed ? 0 : m->evup.next - 1, theirs = 0;
	const char *id = NULL;

	if (m->record) {
		theirs = (long)mlreg_doc_int(m->record, "latest_event", 0);
		if (theirs > m->ev.contig || !mlreg_is_hex64(mlreg_doc_str(m->record,
									 "latest_event_id", "")))
			theirs = 0;
	}
	if (ours > m->nev)
		ours = m->nev;
	if (theirs > ours) {
		id = mlreg_doc_str(m->record, "latest_event_id", "");
	} else if (ours > 0) {
		theirs = ours;
		id = mlreg_doc_str(cJSON_GetArrayItem(m->lev, (int)(ours - 1)), "id", "");
	}
	if (!id)
		return;
	cJSON_AddNumberToObject(rec, "latest_event", (double)theirs);
	cJSON_AddStringToObject(rec, "latest_event_id", id);
}

/* Adds the events moved to a summary ("events": [{model, from, to}]); returns nothing. */
void sync_events_summary(struct sync *s, cJSON *sum)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		cJSON *o;
		if (!m->ev_first)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", m->name);
		cJSON_AddNumberToObject(o, "from", (double)m->ev_first);
		cJSON_AddNumberToObject(o, "to", (double)m->ev_last);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddItemToObject(sum, "events", arr);
}

/* Download. */

/* Fails m for a corrupt remote event log; returns nothing. */
static void corrupt(struct sync *s, struct model *m, long k, const char *why)
{
	m->failed = 1;
	sync_fail(s, MLREG_ECORRUPT, "remote '%s': models/%s/events/%ld.json is corrupt: %s",
		  s->r->name, m->enc, k, why);
}

/*
 * Returns 0 after checking the events fetched for m (nev+1..contig) and
 * making m->down.events, the remote's log 1..contig: each parses as a
 * record, is the event it is named for, chains to the one before it, the
 * last to the model record's latest_event_id when that names it.
 */
static int check_events(struct sync *s, struct model *m)
{
	long top = m->ev.contig, k;
	char prev[MLREG_HEX_LEN + 1] = "";
	cJSON *all = cJSON_CreateArray();

	for (k = 1; k <= top && k <= m->nev; k++) {
		const cJSON *ev = cJSON_GetArrayItem(m->lev, (int)(k - 1));
		cJSON_AddItemToArray(all, cJSON_Duplicate(ev, 1));
		snprintf(prev, sizeof(prev), "%s", mlreg_doc_str(ev, "id", ""));
	}
	for (k = m->nev + 1; k <= top; k++) {
		const char *buf = m->down.ebufs[k - m->nev - 1];
		size_t len = m->down.elens[k - m->nev - 1];
		char hex[MLREG_HEX_LEN + 1];
		cJSON *rec = NULL;

		if (mlreg_doc_parse_record(&rec, buf, len, "the record") < 0 ||
		    mlreg_event_check(rec, m->name,
				      cJSON_GetObjectItemCaseSensitive(m->record, "former_names"),
				      k) < 0) {
			corrupt(s, m, k, mlreg_error_message());
			cJSON_Delete(rec);
			break;
		}
		if (k > 1 && strcmp(mlreg_doc_str(rec, "parent", ""), prev) != 0) {
			corrupt(s, m, k, "it does not follow the event before it (its parent is not "
				"that record's hash)");
			cJSON_Delete(rec);
			break;
		}
		mlreg_sha256_hex(buf, len, hex);
		memcpy(prev, hex, sizeof(hex));
		cJSON_AddItemToArray(all, mlreg_version_with_id(rec, hex));
		cJSON_Delete(rec);
	}
	if (!m->failed && top > m->nev && mlreg_doc_int(m->record, "latest_event", 0) == top &&
	    strcmp(mlreg_doc_str(m->record, "latest_event_id", ""), prev) != 0)
		corrupt(s, m, top, "it is not the event its model record names (latest_event_id)");
	if (m->failed) {
		cJSON_Delete(all);
		return 0;
	}
	m->down.events = all;
	m->down.ev_top = top;
	return 0;
}

/* Returns MLREG_ENOTFOUND for NAME@ALIAS missing on the remote, naming its aliases. */
static int no_remote_alias(struct sync *s, struct model *m, const char *alias,
			   const cJSON *aliases)
{
	cJSON *state = cJSON_CreateObject(), *keys;
	struct mlreg_buf b = MLREG_BUF_INIT;
	const cJSON *k;
	int err;

	cJSON_AddItemToObject(state, "aliases", cJSON_Duplicate(aliases, 1));
	keys = mlreg_model_aliases_of(state, 0);	/* sorted */
	cJSON_ArrayForEach(k, keys) {
		mlreg_buf_addstr(&b, b.len ? ", " : "");
		mlreg_buf_addstr(&b, k->valuestring);
	}
	err = mlreg_error_set(MLREG_ENOTFOUND, "model '%s' has no alias '%s' on remote '%s' "
			      "(it has: %s)", m->name, alias, s->r->name, b.len ? b.p : "none");
	mlreg_buf_release(&b);
	cJSON_Delete(keys);
	cJSON_Delete(state);
	return err;
}

/* Returns 1 when version v is in deprecated (an array of numbers). */
static int deprecated_in(const cJSON *deprecated, long v)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, deprecated)
		if (cJSON_IsNumber(d) && (long)d->valuedouble == v)
			return 1;
	return 0;
}

/*
 * Returns a new object {"aliases", "deprecated"}: the state m's remote log
 * gives (m->down.events replayed), or NULL when m failed: every event must
 * apply and name a version the remote has, else the remote is corrupt.
 */
static cJSON *remote_state(struct sync *s, struct model *m)
{
	cJSON *aliases = cJSON_CreateObject(), *deprecated = cJSON_CreateArray(), *state;
	long applied = 0;

	if (m->down.events &&
	    mlreg_lifecycle_replay_upto(aliases, deprecated, m->down.events, m->ver.contig,
					&applied) < 0) {
		corrupt(s, m, applied + 1, mlreg_error_message());
	} else if (m->down.events && applied < cJSON_GetArraySize(m->down.events)) {
		char *why = xasprintf("it names version %ld, which the remote does not have",
				      event_version(cJSON_GetArrayItem(m->down.events, (int)applied)));
		corrupt(s, m, applied + 1, why);
		free(why);
	}
	if (m->failed) {
		cJSON_Delete(aliases);
		cJSON_Delete(deprecated);
		return NULL;
	}
	state = cJSON_CreateObject();
	cJSON_AddItemToObject(state, "aliases", aliases);
	cJSON_AddItemToObject(state, "deprecated", deprecated);
	return state;
}

/*
 * Returns 0 after resolving the aliases and "latest" asked for against the
 * state m's remote log gives (a corrupt log fails m).
 */
static int replay_remote(struct sync *s, struct model *m)
{
	cJSON *state = remote_state(s, m);
	const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(state, "aliases");
	const cJSON *deprecated = cJSON_GetObjectItemCaseSensitive(state, "deprecated");

	for (size_t j = 0; !m->failed && j < m->down.nasked; j++) {
		const char *ref = m->down.refs ? m->down.refs[j] : NULL;
		const cJSON *a;
		if (!ref)
			continue;
		if (m->ev_failed) {
			m->failed = 1;
			sync_fail(s, MLREG_ECONFLICT, "cannot resolve '%s@%s' on remote '%s': its events "
				  "conflict with the local ones", m->name, ref, s->r->name);
		} else if (!strcmp(ref, "latest")) {
			long v = m->ver.contig;
			while (v > 0 && deprecated_in(deprecated, v))
				v--;
			if (v == 0) {
				m->failed = 1;
				sync_fail(s, MLREG_ENOTFOUND, "every version of model '%s' on remote '%s' "
					  "is deprecated; name one as %s@N", m->name, s->r->name,
					  m->name);
			}
			m->down.asked[j] = v;
		} else if (cJSON_IsNumber(a = cJSON_GetObjectItemCaseSensitive(aliases, ref))) {
			m->down.asked[j] = (long)a->valuedouble;
		} else {
			m->failed = 1;
			no_remote_alias(s, m, ref, aliases);
			sync_fail(s, MLREG_ENOTFOUND, "%s", mlreg_error_message());
		}
	}
	cJSON_Delete(state);
	return 0;
}

/*
 * Returns a new object {"aliases", "deprecated"} of m's remote state
 * (sync_events_fetch() done), or NULL when its log is corrupt (m failed).
 */
cJSON *sync_events_state(struct sync *s, struct model *m)
{
	return m->failed ? NULL : remote_state(s, m);
}

/*
 * Returns 0 after reading the remote events the store lacks, for every
 * model the remote has: the local events compared with the remote's first
 * ones (a difference: a conflict, m->ev_failed), the others fetched,
 * checked and replayed, and NAME@ALIAS resolved.  Before any version
 * record or object is fetched (sync_fetch_records()).
 */
int sync_events_fetch(struct sync *s)
{
	struct slot *sl = NULL;
	size_t nsl = 0, capsl = 0, i;

	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		if (!m->has_record || m->failed)
			continue;
		if (s->no_local) {
			m->lev = cJSON_CreateArray();
		} else if (load_local_events(s, m) < 0) {
			sync_fail(s, mlreg_error_code(), "%s", mlreg_error_message());
			m->failed = 1;
		}
	}
	sync_compare_chain(s, CHAIN_EVENTS, 1);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		long n;
		if (!m->has_record || sync_chain_failed(m, CHAIN_EVENTS) || m->ev.contig <= m->nev)
			continue;
		n = m->ev.contig - m->nev;
		m->down.ebufs = xcalloc((size_t)n, sizeof(*m->down.ebufs));
		m->down.elens = xcalloc((size_t)n, sizeof(*m->down.elens));
		m->down.ev_top = m->ev.contig;	/* what ebufs holds, for free_model() */
		for (long k = m->nev + 1; k <= m->ev.contig; k++)
			sync_slot_add(&sl, &nsl, &capsl, m, k);
	}
	sync_get_chain_records(s, CHAIN_EVENTS, sl, nsl);
	for (i = 0; i < nsl; i++) {
		struct model *m = sl[i].owner;
		long k = sl[i].n;

		if (m->failed) {
			;
		} else if (sl[i].err == MLREG_ENOTFOUND) {
			m->failed = 1;
			sync_fail(s, MLREG_ECONFLICT, "remote '%s': event %ld of model '%s' disappeared "
				  "while it was read; run the download again", s->r->name, k, m->name);
		} else if (sl[i].err) {
			m->failed = 1;
			sync_fail(s, sl[i].err, "%s", sl[i].msg);
		} else {
			m->down.ebufs[k - m->nev - 1] = sl[i].body;
			m->down.elens[k - m->nev - 1] = sl[i].len;
			sl[i].body = NULL;
		}
		sync_slot_clear(&sl[i]);
	}
	free(sl);
	for (i = 0; i < s->nm; i++) {
		struct model *m = s->m[i];
		if (!m->has_record || m->failed)
			continue;
		if (!m->ev_failed)
			check_events(s, m);
		if (!m->failed)
			replay_remote(s, m);
	}
	return 0;
}

/*
 * Returns 0 after filling the events part of a, m's commit (the events the
 * store lacks, up to the first naming a version it will not have), with
 * the state they give in *aliases and *deprecated (new, the caller's to
 * free, NULL when no event is adopted).
 */
int sync_events_adopt(struct sync *s, struct model *m, struct mlreg_adopt *a, cJSON **aliases,
		      cJSON **deprecated)
{
	long have = m->latest > m->down.want ? m->latest : m->down.want, applied = 0;
	int err;

	*aliases = *deprecated = NULL;
	if (m->ev_failed || !m->down.events || m->down.ev_top <= m->nev)
		return 0;
	*aliases = cJSON_CreateObject();
	*deprecated = cJSON_CreateArray();
	if ((err = mlreg_lifecycle_replay_upto(*aliases, *deprecated, m->down.events, have,
					       &applied)) < 0 || applied <= m->nev) {
		cJSON_Delete(*aliases);
		cJSON_Delete(*deprecated);
		*aliases = *deprecated = NULL;
		return err < 0 ? err : 0;
	}
	a->ev_base = m->nev;
	a->ev_base_id = m->nev > 0 ? mlreg_doc_str(cJSON_GetArrayItem(m->lev, (int)(m->nev - 1)),
						   "id", "") : NULL;
	a->ev_n = applied - m->nev;
	a->ev_bufs = m->down.ebufs;
	a->ev_lens = m->down.elens;
	a->aliases = *aliases;
	a->deprecated = *deprecated;
	return 0;
}
