/*
 * How an operation ends, shared by every transport kind and below all of
 * them (see transport-int.h): its callback is called once, with what it
 * produced or one error line, and then the operation is freed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "remote/transport-int.h"

void mlreg_op_finish(struct mlreg_op *op, const struct mlreg_result *r)
{
	if (op->done)
		op->done(op->ctx, r);
	free(op->key);
	free(op->rel);
	free(op->delim);
	free(op->buf);
	free(op->path);
	free(op);
}

void mlreg_op_fail(struct mlreg_op *op, int err, const char *fmt, ...)
{
	struct mlreg_result r = { 0 };
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r.err = err;
	r.msg = msg;
	r.etag = "";
	mlreg_op_finish(op, &r);
}
