/*
 * Transports: the few operations mlreg needs from a remote (list keys, get
 * bytes or a range of them, put bytes, put a large file, delete), the same
 * for an S3 bucket and for a directory.  Operations are queued and then run
 * together by mlreg_tr_run(), which for S3 keeps several requests in flight
 * on libcurl's multi interface; each one ends by calling its completion
 * callback, which may queue more.  Keys are relative to the remote's root
 * (its prefix is added here) and are always made by mlreg, never taken
 * from a server's answer without checking.
 */
#ifndef MLREG_TRANSPORT_H
#define MLREG_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "remote.h"

/* What an operation produced, handed to its completion callback. */
struct mlreg_result {
	int err;		/* 0; MLREG_ENOTFOUND: no such key (or bucket); MLREG_EEXISTS:
				   a conditional put found the key; else another MLREG_E* */
	const char *msg;	/* the one-line error when err != 0 */
	uint64_t size;		/* head: the object's size */
	const char *etag;	/* head, put: the ETag without quotes, "" when unknown */
	const char *body;	/* get_buf: the bytes, NUL-terminated */
	size_t len;		/* get_buf: their number */
	uint64_t skipped;	/* put_file: bytes not sent, already there (a resumption) */
	int retried;		/* the answer came to a retry: an earlier attempt, whose
				   answer was lost or failed, may have done the work */
};

typedef void (*mlreg_done_fn)(void *ctx, const struct mlreg_result *r);

/* One key of a listing: an object, or (with a delimiter) a common prefix. */
struct mlreg_key {
	const char *key;	/* relative to the remote's root */
	uint64_t size;
	const char *etag;	/* without quotes, "" when unknown */
	int is_prefix;		/* a "directory" below the listed prefix */
};

/* Receives one listed key; returns 0, or an error that fails the listing. */
typedef int (*mlreg_list_fn)(void *ctx, const struct mlreg_key *k);

/* A request body that can be read again from its start (for a retry). */
struct mlreg_source {
	uint64_t size;
	/* Returns the bytes read into buf (0 only at the end), or -1 with the error set. */
	ssize_t (*read)(void *ctx, void *buf, size_t len);
	/* Returns 0 after going back to the first byte, or an error. */
	int (*rewind)(void *ctx);
	void *ctx;
};

/* Where a get's bytes go, in order; reset() when a retry starts over. */
struct mlreg_sink {
	/* Returns 0, or an error that fails the operation (not retried). */
	int (*write)(void *ctx, const void *buf, size_t len);
	void (*reset)(void *ctx);
	void *ctx;
};

/* Counters of one transport, for --json summaries. */
struct mlreg_tr_stats {
	uint64_t requests;	/* requests sent (S3), operations done (file) */
	uint64_t retries;	/* requests sent again after a transient failure */
	uint64_t bytes_up;	/* body bytes sent */
	uint64_t bytes_down;	/* body bytes received */
};

struct mlreg_tr_opts {
	int jobs;		/* requests in flight at most; <= 0: 8 */
	int retries;		/* attempts after the first for a transient failure; < 0: 5 */
	long retry_delay_ms;	/* first back-off; doubled each time; <= 0: 250 */
	long timeout_s;		/* a request without progress for this long fails; <= 0: 60 */
	unsigned long max_pages;	/* pages of one S3 listing at most; 0: 100000 */
	/* Called as body bytes move (deltas), may be NULL. */
	void (*progress)(void *ctx, uint64_t up, uint64_t down);
	void *ctx;
};

/* An open transport (opaque: its layout is the kinds', transport-int.h). */
struct mlreg_transport;

/*
 * Returns 0 and an open transport for remote r in *out, or an error (bad
 * configuration, no credentials for S3, a file remote whose directory does
 * not exist).  Nothing is sent yet.
 */
int mlreg_tr_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		  const struct mlreg_tr_opts *o);

/* Frees the transport; operations still queued are dropped. */
void mlreg_tr_free(struct mlreg_transport *t);

/* Returns the transport's counters. */
const struct mlreg_tr_stats *mlreg_tr_stats(const struct mlreg_transport *t);

/* Returns 1 when the remote creates a key only once for MLREG_TR_IF_ABSENT puts
 * (S3 with If-None-Match honoured, file), 0 when it does not, -1 when unknown. */
int mlreg_tr_conditional(const struct mlreg_transport *t);

/* Records what a probe found about conditional puts. */
void mlreg_tr_set_conditional(struct mlreg_transport *t, int yes);

/* Lists every key below prefix (each to each()); with delim "/", keys
 * further down are reported once as their common prefix. */
void mlreg_tr_list(struct mlreg_transport *t, const char *prefix, const char *delim,
		   mlreg_list_fn each, mlreg_done_fn done, void *ctx);

/* Gets the whole object into memory (r->body), failing when it is over max bytes. */
void mlreg_tr_get_buf(struct mlreg_transport *t, const char *key, size_t max,
		      mlreg_done_fn done, void *ctx);

/* Gets len bytes from offset off (len UINT64_MAX: to the end) into sink. */
void mlreg_tr_get(struct mlreg_transport *t, const char *key, uint64_t off, uint64_t len,
		  const struct mlreg_sink *sink, mlreg_done_fn done, void *ctx);

/* Reads an object's size and ETag without its body. */
void mlreg_tr_head(struct mlreg_transport *t, const char *key, mlreg_done_fn done, void *ctx);

#define MLREG_TR_IF_ABSENT 1u	/* create only: If-None-Match: * (S3), link(2) (file) */

/* Puts len bytes (copied) at key; flags MLREG_TR_IF_ABSENT. */
void mlreg_tr_put_buf(struct mlreg_transport *t, const char *key, const void *buf, size_t len,
		      unsigned flags, mlreg_done_fn done, void *ctx);

/*
 * Puts the bytes of src at key in one request; sha256 is their hex SHA-256
 * (signed as the payload hash, so S3 checks it).  src must stay valid
 * until done is called.
 */
void mlreg_tr_put(struct mlreg_transport *t, const char *key, const struct mlreg_source *src,
		  const char *sha256, mlreg_done_fn done, void *ctx);

/*
 * Puts the file at path (size bytes, hex SHA-256 sha256) at key: for S3 a
 * multipart upload of parts in parallel when it is large, resumable (its
 * state is kept in the remote's local directory, so a rerun sends only the
 * parts that did not arrive), and completed only after the parts sent were
 * found to hash to sha256 as a whole.
 */
void mlreg_tr_put_file(struct mlreg_transport *t, const char *key, const char *path,
		       uint64_t size, const char *sha256, mlreg_done_fn done, void *ctx);

/* Deletes key (a missing key is not an error). */
void mlreg_tr_delete(struct mlreg_transport *t, const char *key, mlreg_done_fn done, void *ctx);

/*
 * Removes what writers that died left on the remote, never what a live one
 * is writing: for a file remote, the temporary files (.mlreg-tmp-*) that no
 * process holds locked and that have not changed for an hour (r->size: how
 * many); nothing for S3.  Best effort: it does not fail.
 */
void mlreg_tr_tidy(struct mlreg_transport *t, mlreg_done_fn done, void *ctx);

/*
 * Returns 0 once every queued operation, and every one their callbacks
 * queued, has completed; an error only when the transport itself broke.
 */
int mlreg_tr_run(struct mlreg_transport *t);

/*
 * Returns the options in force on t, the defaults filled in (jobs, retries,
 * timeouts): what a caller sizes its own work by.
 */
const struct mlreg_tr_opts *mlreg_tr_options(const struct mlreg_transport *t);

#endif
