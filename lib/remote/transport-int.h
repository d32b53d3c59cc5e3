/*
 * What only the transport kinds need (git2/sys/transport.h, curl's
 * vtls_int.h play this part): the queued operation they are handed, the
 * vtable they fill, the entry of the table of kinds that the dispatcher
 * (transport.c) walks, and the two helpers that end an operation
 * (transport-op.c).  transport.c calls the kinds only through kinds[] and
 * their vtables, and the kinds call down into transport-op.c, never up
 * into transport.c: there is no include circle.
 *
 * To add a kind: its enum mlreg_remote_kind and URL in remote.c, a
 * constructor declared below, an entry in kinds[] in transport.c, its file
 * (transport-NAME.c, or a folder as s3/ when it takes several), and a test
 * that runs t/lib-sync-tests.sh against it (as t6200 does for file://,
 * t6201 for S3).
 */
#ifndef MLREG_TRANSPORT_INT_H
#define MLREG_TRANSPORT_INT_H

#include "remote/transport.h"

/* The parts of a transport that its kinds implement. */
struct mlreg_op;
struct mlreg_tr_vtable {
	/* Takes op, which ends (later, in run()) through mlreg_op_finish(). */
	void (*submit)(struct mlreg_transport *t, struct mlreg_op *op);
	/* Returns 0 when every operation queued, and queued by callbacks, ended. */
	int (*run)(struct mlreg_transport *t);
	/* Frees the kind's state and t (not t->remote); queued operations are dropped. */
	void (*free)(struct mlreg_transport *t);
};

/*
 * An open transport, opaque outside the transports (transport.h declares
 * only its name): each kind embeds it first in its own state.
 */
struct mlreg_transport {
	const struct mlreg_tr_vtable *vt;	/* the kind's operations */
	struct mlreg_remote *remote;	/* a copy of the configuration */
	struct mlreg_tr_opts opts;	/* in force, defaults filled in */
	struct mlreg_tr_stats stats;
	int conditional;		/* see mlreg_tr_conditional() */
};

enum mlreg_op_kind {
	MLREG_OP_LIST, MLREG_OP_GET_BUF, MLREG_OP_GET, MLREG_OP_HEAD, MLREG_OP_PUT_BUF,
	MLREG_OP_PUT, MLREG_OP_PUT_FILE, MLREG_OP_DELETE, MLREG_OP_TIDY
};

/* One queued operation (what the public functions of transport.h describe). */
struct mlreg_op {
	enum mlreg_op_kind kind;
	char *key;		/* full key, the remote's prefix included */
	char *rel;		/* the key as the caller gave it */
	char *delim;		/* list */
	uint64_t off, len;	/* get */
	size_t max;		/* get_buf */
	struct mlreg_sink sink;	/* get */
	const struct mlreg_source *src;	/* put */
	char *buf;		/* put_buf: an owned copy */
	size_t buflen;
	unsigned flags;
	char sha256[65];	/* put, put_file */
	char *path;		/* put_file */
	uint64_t size;		/* put_file */
	mlreg_list_fn each;	/* list */
	mlreg_done_fn done;
	void *ctx;
	struct mlreg_op *next;	/* the transport's queue */
};

/*
 * A kind's constructor: returns 0 and a new transport in *out whose
 * vtable and private state are filled (remote, opts are set by the
 * dispatcher afterwards; o already has its defaults), or an error, set.
 */
typedef int (*mlreg_tr_open_fn)(struct mlreg_transport **out, const struct mlreg_remote *r,
				const struct mlreg_tr_opts *o);

/* One entry of the dispatcher's table of kinds (kinds[] in transport.c). */
struct mlreg_tr_kind {
	enum mlreg_remote_kind kind;	/* what remote.c parsed the URL as */
	int prefixed;			/* keys get the remote's prefix (a bucket's) */
	mlreg_tr_open_fn open;
};

/* The kinds' constructors. */
int mlreg_tr_file_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		       const struct mlreg_tr_opts *o);
int mlreg_tr_s3_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		     const struct mlreg_tr_opts *o);

/* Calls op's callback with r, then frees op (transport-op.c). */
void mlreg_op_finish(struct mlreg_op *op, const struct mlreg_result *r);

/* Finishes op with error err and a formatted message (transport-op.c). */
void mlreg_op_fail(struct mlreg_op *op, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
