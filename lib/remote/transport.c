/*
 * The dispatcher of transports (see transport.h): a remote's kind picks its
 * constructor from kinds[]; operations are built here, with the remote's
 * prefix added to their key when the kind takes one, and handed to the
 * kind's submit(); completion goes through mlreg_op_finish()
 * (transport-op.c), which frees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "transport-int.h"
#include "util.h"

/* The kinds of transport, walked by mlreg_tr_open() and new_op(). */
static const struct mlreg_tr_kind kinds[] = {
	{ MLREG_REMOTE_S3, 1, mlreg_tr_s3_open },
	{ MLREG_REMOTE_FILE, 0, mlreg_tr_file_open },
};

/* Returns the entry of kinds[] for kind, or NULL. */
static const struct mlreg_tr_kind *find_kind(enum mlreg_remote_kind kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

/* Returns a malloc'd copy of the configuration r. */
static struct mlreg_remote *copy_remote(const struct mlreg_remote *r)
{
	struct mlreg_remote *c = xcalloc(1, sizeof(*c));

#define DUP(f) c->f = r->f ? xstrdup(r->f) : NULL
	DUP(name);
	DUP(url);
	DUP(bucket);
	DUP(prefix);
	DUP(path);
	DUP(endpoint);
	DUP(region);
	DUP(profile);
	DUP(cache);
#undef DUP
	c->kind = r->kind;
	c->path_style = r->path_style;
	return c;
}

int mlreg_tr_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		  const struct mlreg_tr_opts *o)
{
	struct mlreg_tr_opts opts = o ? *o : (struct mlreg_tr_opts){ 0 };
	const struct mlreg_tr_kind *k = find_kind(r->kind);
	int err;

	*out = NULL;
	if (opts.jobs <= 0)
		opts.jobs = 8;
	if (opts.retries < 0)
		opts.retries = 5;
	if (opts.retry_delay_ms <= 0)
		opts.retry_delay_ms = 250;
	if (opts.timeout_s <= 0)
		opts.timeout_s = 60;
	if (opts.max_pages == 0)
		opts.max_pages = 100000;
	if (!k)
		return mlreg_error_set(MLREG_EINVALID, "remote '%s': unknown kind of remote",
				       r->name);
	err = k->open(out, r, &opts);
	if (err < 0)
		return err;
	(*out)->remote = copy_remote(r);
	(*out)->opts = opts;
	return 0;
}

void mlreg_tr_free(struct mlreg_transport *t)
{
	struct mlreg_remote *r;

	if (!t)
		return;
	r = t->remote;
	t->vt->free(t);
	mlreg_remote_free(r);
}

const struct mlreg_tr_stats *mlreg_tr_stats(const struct mlreg_transport *t)
{
	return &t->stats;
}

const struct mlreg_tr_opts *mlreg_tr_options(const struct mlreg_transport *t)
{
	return &t->opts;
}

int mlreg_tr_conditional(const struct mlreg_transport *t)
{
	return t->conditional;
}

void mlreg_tr_set_conditional(struct mlreg_transport *t, int yes)
{
	t->conditional = yes != 0;
}

/* Returns a new operation of kind on key (relative to the remote's root). */
static struct mlreg_op *new_op(struct mlreg_transport *t, enum mlreg_op_kind kind,
			       const char *key, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = xcalloc(1, sizeof(*op));
	const char *prefix = find_kind(t->remote->kind)->prefixed ? t->remote->prefix : "";

	op->kind = kind;
	op->rel = xstrdup(key);
	op->key = *prefix ? xasprintf("%s/%s", prefix, key) : xstrdup(key);
	op->done = done;
	op->ctx = ctx;
	return op;
}

void mlreg_tr_list(struct mlreg_transport *t, const char *prefix, const char *delim,
		   mlreg_list_fn each, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_LIST, prefix, done, ctx);

	op->delim = delim ? xstrdup(delim) : NULL;
	op->each = each;
	t->vt->submit(t, op);
}

void mlreg_tr_get_buf(struct mlreg_transport *t, const char *key, size_t max,
		      mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_GET_BUF, key, done, ctx);

	op->max = max;
	t->vt->submit(t, op);
}

void mlreg_tr_get(struct mlreg_transport *t, const char *key, uint64_t off, uint64_t len,
		  const struct mlreg_sink *sink, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_GET, key, done, ctx);

	op->off = off;
	op->len = len;
	op->sink = *sink;
	t->vt->submit(t, op);
}

void mlreg_tr_head(struct mlreg_transport *t, const char *key, mlreg_done_fn done, void *ctx)
{
	t->vt->submit(t, new_op(t, MLREG_OP_HEAD, key, done, ctx));
}

void mlreg_tr_put_buf(struct mlreg_transport *t, const char *key, const void *buf, size_t len,
		      unsigned flags, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_PUT_BUF, key, done, ctx);

	op->buf = xmalloc(len + 1);
	memcpy(op->buf, buf, len);
	op->buflen = len;
	op->flags = flags;
	mlreg_sha256_hex(buf, len, op->sha256);
	t->vt->submit(t, op);
}

void mlreg_tr_put(struct mlreg_transport *t, const char *key, const struct mlreg_source *src,
		  const char *sha256, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_PUT, key, done, ctx);

	op->src = src;
	snprintf(op->sha256, sizeof(op->sha256), "%s", sha256);
	t->vt->submit(t, op);
}

void mlreg_tr_put_file(struct mlreg_transport *t, const char *key, const char *path,
		       uint64_t size, const char *sha256, mlreg_done_fn done, void *ctx)
{
	struct mlreg_op *op = new_op(t, MLREG_OP_PUT_FILE, key, done, ctx);

	op->path = xstrdup(path);
	op->size = size;
	snprintf(op->sha256, sizeof(op->sha256), "%s", sha256);
	t->vt->submit(t, op);
}

void mlreg_tr_delete(struct mlreg_transport *t, const char *key, mlreg_done_fn done, void *ctx)
{
	t->vt->submit(t, new_op(t, MLREG_OP_DELETE, key, done, ctx));
}

void mlreg_tr_tidy(struct mlreg_transport *t, mlreg_done_fn done, void *ctx)
{
	t->vt->submit(t, new_op(t, MLREG_OP_TIDY, "", done, ctx));
}

int mlreg_tr_run(struct mlreg_transport *t)
{
	return t->vt->run(t);
}
