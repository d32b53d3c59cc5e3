/*
 * What the four files of upload and download share (sync.h is their public
 * API; store-format.md, sections 10 to 12, specifies the remote layout and
 * the protocol):
 *   sync-common.c     the state of one transfer, its errors and phases, the
 *                     models, the comparison of the records (versions,
 *                     events) both sides have, the summary;
 *   sync-inventory.c  what the remote has: the marker, the listings of
 *                     models, versions and objects, the pack indexes, the
 *                     remote records read and checked, mlreg_remote_*();
 *   sync-upload.c     mlreg_upload() and its phases;
 *   sync-download.c   mlreg_download() and its phases, the object fetcher;
 *   sync-events.c     which events (aliases, deprecations) move, beside the
 *                     versions: the records travel as versions do.
 *
 * Both directions run as a few phases, each queueing operations on the
 * transport and running them together: what the remote holds (one listing,
 * not a request per object), what must move, the objects, then the
 * records.  Nothing a server answers is used unchecked: keys from listings
 * are parsed into model names, version numbers and hashes that mlreg
 * validates, documents are parsed with bounds, and object bytes are hashed
 * before they are stored.  Errors from many operations in flight are
 * collected (sync_fail()); the first one is reported, and a failed phase
 * stops before the next.
 */
#ifndef MLREG_SYNC_INT_H
#define MLREG_SYNC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "object.h"
#include "pack.h"
#include "sync.h"

/* A remote version record seen in a listing. */
struct rver {
	int present;
	int same_id;	/* read, and found the local version (by id: a tombstone, 6.7) */
	uint64_t size;
	char etag[72];
};

/* A record key (a version's, an event's) as a listing gave it. */
struct rlisted {
	long n;
	struct rver v;
};

/*
 * The chains of records a model has on a remote (store-format.md 10.1):
 * versions/N.json and events/K.json, each record naming the one before it
 * by its id, both listed, compared and put by the same code.
 */
enum { CHAIN_VERSIONS, CHAIN_EVENTS, CHAIN_KINDS };

/* What the remote holds of one chain of a model, from the listing. */
struct rchain {
	struct rver *rv;		/* rv[n] for n in 1..nrv */
	long nrv;
	struct rlisted *listed;		/* record keys as listed, until sync_list_models() sorts them */
	size_t nlisted, caplisted;
	long contig;			/* records 1..contig all present */
	long above;			/* the lowest listed record above contig + 1, or 0 */
};

/*
 * One model being moved: what both directions know of it, then the state
 * of the upload and of the download phases, each its own.
 */
struct model {
	char *name, *enc;
	int failed;			/* a phase gave up on it: the later ones skip it */
	struct sync *s;
	/* the local side */
	int local;			/* the model exists locally */
	long latest;			/* its latest version (0: none) */
	char latest_id[MLREG_HEX_LEN + 1];
	/* the remote side (sync-inventory.c) */
	int has_record;			/* models/ENC/model.json exists */
	cJSON *record;			/* its content, when read */
	struct rchain ver;		/* its versions */
	struct rchain ev;		/* its events */
	/* the local events (sync-events.c) */
	cJSON *lev;			/* the local events, checked, each with its "id" */
	long nev;			/* how many (0: none) */
	int ev_failed;			/* its events conflict: they stay where they are */
	long ev_first, ev_last;		/* the events this transfer moved (0: none) */
	/* upload (sync-upload.c) */
	struct model_up {
		long sel;		/* records 1..sel are to be on the remote */
		long next;		/* the next record to put */
	} up, evup;			/* versions, events */
	/* download (sync-download.c; the records also for mlreg_remote_versions()) */
	struct model_down {
		long want;		/* the highest version asked for */
		long *asked;		/* the versions named (0: the latest) */
		size_t nasked, capasked;	/* none: the model was not named */
		char **bufs;		/* records fetched, [k - latest - 1] */
		size_t *lens;
		long nbufs;
		char **refs;		/* [j]: the alias or "latest" of asked[j] (NULL: a number) */
		long ev_top;		/* events 1..ev_top of the remote are checked (>= nev) */
		char **ebufs;		/* events fetched, [k - nev - 1] */
		size_t *elens;
		cJSON *events;		/* the remote's events 1..ev_top, parsed, with ids */
	} down;
};

/* One transfer (or one reading of a remote's registry). */
struct sync {
	struct mlreg_store *store;
	struct mlreg_transport *t;
	const struct mlreg_remote *r;
	const struct mlreg_sync_opts *o;
	struct model **m;		/* sorted by enc */
	size_t nm, capm;
	int no_local;			/* reading a remote only: no local store */
	int err;			/* the first error */
	char msg[1024];
	unsigned nerrors;
	int perr;			/* the first error of the current phase */
	char pmsg[1024];
	struct mlreg_sync_progress prog;
	double last_progress;
	uint64_t objects_skipped, bytes_skipped;
	uint64_t bytes_moved;		/* bytes of the objects stored on the other side */
	unsigned long packs_sent;
	cJSON *sent;			/* "NAME@N" strings */
};

/*
 * A slot: where an operation's result is kept until its phase is over.
 */
struct slot {
	int done, err;
	int retried;		/* see struct mlreg_result */
	char *msg;
	char *body;
	size_t len;
	uint64_t size;
	char etag[72];
	void *owner;		/* the caller's */
	long n;			/* the caller's */
};

/* The remote's objects: loose keys and pack indexes (sync-inventory.c). */

struct inv_entry {
	char hex[MLREG_HEX_LEN + 1];
	int pack;		/* index in packs, -1 for a loose object */
	uint64_t off, size;
};

struct packname {
	char hex[MLREG_HEX_LEN + 1];
	int has_pack, has_idx;
	uint64_t size;
};

struct inventory {
	struct inv_entry *v;
	size_t n, cap;
	struct packname *names;
	size_t nnames, capnames;
	struct mlreg_pack_index *packs;	/* loaded indexes */
	size_t npacks, cappacks;
	int sorted;
};

/* Objects wanted: a set of (hash, size). */

struct want {
	char hex[MLREG_HEX_LEN + 1];
	uint64_t size;
};

struct wants {
	struct want *v;
	size_t n, cap;
};

/* sync-common.c: errors and phases. */

/* Records an error; the first one is the one reported. */
void sync_fail(struct sync *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Starts a phase: what fails in it is told apart from what failed before. */
void sync_phase_begin(struct sync *s);
/* Returns the first error of the phase, its message set again, or 0. */
int sync_phase_result(struct sync *s);
/* Returns the first error with its message set again, or 0. */
int sync_result(struct sync *s);
/* Tells the caller how far we are, about ten times a second (force: now). */
void sync_report(struct sync *s, int force);
/* Returns 0 and a new sync state (transport open) in s; nothing to free on failure. */
int sync_open(struct sync *s, struct mlreg_store *store, const struct mlreg_remote *r,
	      const struct mlreg_sync_opts *o);
/* Frees what s holds. */
void sync_close(struct sync *s);

/* sync-common.c: slots. */

/* Keeps an operation's result in its slot (ctx), a mlreg_done callback. */
void sync_slot_done(void *ctx, const struct mlreg_result *r);
/* Empties a slot for another use. */
void sync_slot_clear(struct slot *sl);
/* Returns a new empty slot for record k of model m, added at the end of *v. */
struct slot *sync_slot_add(struct slot **v, size_t *n, size_t *cap, struct model *m, long k);
/* Queues a GET of the version record each slot names (owner, n), and runs them. */
void sync_get_records(struct sync *s, struct slot *sl, size_t n);

/* sync-common.c: the models. */

/* Returns the model whose encoded name is enc, or NULL (the models sorted). */
struct model *sync_find_model(struct sync *s, const char *enc);
/* Returns a new model called name, enc its encoded name (taken), added unsorted. */
struct model *sync_new_model(struct sync *s, const char *name, char *enc);
/* Returns the model called name, added (unsorted: call sync_sort_models) when new. */
struct model *sync_add_model(struct sync *s, const char *name);
/* Sorts the models by encoded name, dropping a second one of a name (sync_new_model()'s). */
void sync_sort_models(struct sync *s);
/* Returns 0 after reading the local state of m (whether it exists, its latest). */
int sync_load_local(struct sync *s, struct model *m);
/* Returns 0 and the checked raw local record of m@n in *buf, *len, its id in hex. */
int sync_read_local(struct sync *s, struct model *m, long n, char **buf, size_t *len,
		    char *hex);
/* Returns the key of the remote record of m@n, malloc'd. */
char *sync_record_key(const struct model *m, long n);
/* Returns the key of the remote's loose object hex, malloc'd. */
char *sync_object_key(const char *hex);
/* Returns 0 after comparing the versions both sides have; a difference fails the model. */
int sync_compare_existing(struct sync *s, int downloading);

/* sync-common.c: the chains of records (versions, events) alike. */

/* Returns the key of record n of m's chain of this kind, malloc'd. */
char *sync_chain_key(const struct model *m, int kind, long n);
/* Queues a GET of the record of this kind each slot names (owner, n), and runs them. */
void sync_get_chain_records(struct sync *s, int kind, struct slot *sl, size_t n);
/* Returns 0 and local record n of m's chain of this kind (raw, checked), its id in hex. */
int sync_read_local_chain(struct sync *s, struct model *m, int kind, long n, char **buf,
			  size_t *len, char *hex);
/* Returns 0 after comparing the records of this kind both sides have (a conflict otherwise). */
int sync_compare_chain(struct sync *s, int kind, int downloading);
/* Returns 1 when m's chain of this kind is not to move (the model or its events failed). */
int sync_chain_failed(const struct model *m, int kind);
/* Marks m's events in conflict with the remote's event n (theirs: its bytes, or NULL). */
void sync_event_conflict(struct sync *s, struct model *m, long n, const char *theirs,
			 size_t len, int downloading);
/*
 * Returns 1 when the records a and b (their bytes) are the same version:
 * the same bytes, or the same id, which a tombstone shares with the record
 * it replaced (store-format.md 6.7).
 */
int sync_same_version(const char *a, size_t alen, const char *b, size_t blen);
/* Marks m failed for a remote version n other than the local one (theirs: its bytes). */
void sync_conflict(struct sync *s, struct model *m, long n, const char *theirs, size_t len,
		   const char *how);

/* sync-common.c: sets of objects wanted. */

/* Adds an object to the set. */
void sync_wants_add(struct wants *w, const char *hex, uint64_t size);
/* Sorts the set and drops duplicates. */
void sync_wants_unique(struct wants *w);
/* Adds every file of a version record to the set. */
void sync_wants_add_files(struct wants *w, const cJSON *rec);

/* sync-common.c: the summary. */

/* Returns a new summary naming the remote. */
cJSON *sync_summary_new(struct sync *s);
/* Returns the refs in s->sent as a new array sorted by model, then version. */
cJSON *sync_sorted_refs(struct sync *s);
/* Adds the transfer counters to a summary, moved naming what was moved. */
void sync_summary_counts(struct sync *s, cJSON *o, const char *moved);

/* sync-inventory.c: what the remote has. */

/* Returns the chain of records of m of this kind (&m->ver, &m->ev). */
struct rchain *sync_chain(struct model *m, int kind);

/* Returns 0 after reading the marker: *exists says whether the remote has one. */
int sync_read_marker(struct sync *s, int *exists);
/* Returns 0 after making sure the remote has its marker (created only when absent). */
int sync_ensure_marker(struct sync *s);
/* Returns 0 after listing what the remote holds of the models in s (all: list models/). */
int sync_list_models(struct sync *s, int all);
/* Returns 0 after adding every model the remote has a directory for. */
int sync_list_remote_models(struct sync *s);
/* Returns 0 after reading the remote model records of the models that have one. */
int sync_get_model_records(struct sync *s);
/* Returns 0 and the JSON object a remote document holds in *out, or an error. */
int sync_parse_record(cJSON **out, const char *buf, size_t len);
/* Returns 0 after fetching the remote records the local store lacks for the models wanted. */
int sync_fetch_records(struct sync *s);
/* Returns 0 after checking m's fetched records; adds their files wanted to w (may be NULL). */
int sync_check_records(struct sync *s, struct model *m, struct wants *w);
/* Returns 0 after learning which objects the remote holds (loose: list objects/ too). */
int sync_load_inventory(struct sync *s, struct inventory *inv, int loose);
/* Returns the remote's copy of object hex (a loose one first), or NULL. */
const struct inv_entry *sync_inv_find(struct inventory *inv, const char *hex);
/* Frees what inv holds. */
void sync_inv_free(struct inventory *inv);
/* Keeps a pack index in the remote's local cache of indexes (best effort). */
void sync_cache_index(struct sync *s, const char *hex, const char *text, size_t len);

/* sync-events.c: which events move (store-format.md 5.1, 10). */

struct mlreg_adopt;

/* Returns 0 after reading the local events of every model (a corrupt log stops its events). */
int sync_events_load(struct sync *s);
/* Returns 0 after choosing the events to upload, once the versions are put, and comparing. */
int sync_events_select(struct sync *s);
/* Notes event n of m as moved by this transfer. */
void sync_events_sent(struct sync *s, struct model *m, long n);
/* Adds latest_event and latest_event_id hints to rec, m's remote model record being merged. */
void sync_events_hint(struct sync *s, struct model *m, cJSON *rec);
/* Adds the events moved to a summary. */
void sync_events_summary(struct sync *s, cJSON *sum);
/* Returns 0 after fetching, checking and replaying the remote events the store lacks. */
int sync_events_fetch(struct sync *s);
/* Returns a new {"aliases", "deprecated"}: m's remote state, NULL when m failed. */
cJSON *sync_events_state(struct sync *s, struct model *m);
/* Returns 0 after filling the events of m's commit a; *aliases, *deprecated the caller's. */
int sync_events_adopt(struct sync *s, struct model *m, struct mlreg_adopt *a, cJSON **aliases,
		      cJSON **deprecated);

/* sync-download.c */

/* Returns 1 when version k of m has its files wanted (it was named, or --all). */
int sync_files_wanted(const struct sync *s, const struct model *m, long k);

#endif
