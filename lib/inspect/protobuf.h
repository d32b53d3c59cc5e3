/*
 * A bounded reader of the protobuf wire format, shared by the parsers of
 * ONNX models and TensorFlow SavedModels.  It walks the fields of a message
 * held in a struct mlreg_src (a file descriptor or a memory buffer) through
 * a small window, so a model of many gigabytes is never read whole: a
 * length-delimited field that does not interest the caller (an ONNX
 * initializer, a TensorFlow GraphDef) is stepped over by its length without
 * reading one byte of it.
 *
 * Everything the file says is checked before it is used: a varint has at
 * most 10 bytes and must fit 64 bits, a field number is 1 .. 2^29-1, a
 * wire type is one of the six of the format, a length never reaches past
 * the end of the message that encloses it (the file's end at the top), and
 * groups (deprecated, skipped) nest at most MLREG_PB_MAX_DEPTH deep.
 * Nothing here allocates: strings are copied into the caller's buffer and
 * cut at its size.  There is no schema: the caller knows which field
 * numbers it wants and with which wire types.
 *
 * Typical use:
 *	struct mlreg_pb pb;
 *	struct mlreg_pb_field f;
 *	uint64_t pos = 0;
 *	int r;
 *	mlreg_pb_init(&pb, src, "onnx model");
 *	while ((r = mlreg_pb_next(&pb, &pos, src->size, &f)) > 0)
 *		if (f.num == 7 && f.wire == MLREG_PB_LEN)
 *			... walk [f.off, f.off + f.len) the same way ...
 *	if (r < 0)
 *		return r;
 */
#ifndef MLREG_PROTOBUF_H
#define MLREG_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "inspect-int.h"

#define MLREG_PB_WINDOW 4096		/* bytes read ahead from a file */
#define MLREG_PB_MAX_DEPTH 32		/* nesting of groups, and of callers */
#define MLREG_PB_STRING_MAX 4096	/* longest string copied, in bytes */
#define MLREG_PB_MAX_FIELD 536870911u	/* 2^29 - 1 */

/* Wire types, as in the protobuf encoding documentation. */
enum {
	MLREG_PB_VARINT = 0,	/* int32, int64, uint*, sint*, bool, enum */
	MLREG_PB_I64 = 1,	/* fixed64, sfixed64, double */
	MLREG_PB_LEN = 2,	/* string, bytes, messages, packed repeated */
	MLREG_PB_SGROUP = 3,	/* a whole group (skipped, given as a span) */
	MLREG_PB_EGROUP = 4,	/* never returned: ends a group */
	MLREG_PB_I32 = 5,	/* fixed32, sfixed32, float */
};

/* A reader: where the bytes come from, and a window over them. */
struct mlreg_pb {
	const struct mlreg_src *src;	/* the bytes */
	const char *what;		/* "onnx model": names the format */
	uint64_t win_off;		/* file offset of win[0] */
	size_t win_len;			/* bytes of win that hold file data */
	int truncated;			/* the last error: bytes ran out at
					   the end of the file */
	unsigned char win[MLREG_PB_WINDOW];	/* file sources only */
};

/* One field of a message, as mlreg_pb_next() found it. */
struct mlreg_pb_field {
	uint32_t num;		/* field number, 1 .. MLREG_PB_MAX_FIELD */
	int wire;		/* MLREG_PB_VARINT, _I64, _LEN, _SGROUP, _I32 */
	uint64_t value;		/* VARINT: the value; I64, I32: the bits */
	uint64_t off;		/* LEN, SGROUP: offset of the first byte */
	uint64_t len;		/* LEN, SGROUP: bytes, inside the message */
	uint64_t tag_off;	/* offset of the field's tag (for messages) */
};

/* Prepares pb to read src; what names the format in error messages. */
void mlreg_pb_init(struct mlreg_pb *pb, const struct mlreg_src *src,
		   const char *what);

/*
 * Returns 1 after reading the field that starts at *pos into *f and moving
 * *pos past it, 0 when *pos == end (the message is over), or
 * MLREG_EINVALID naming the file, the offset and the problem when the
 * bytes are not a well-formed message ending exactly at end (MLREG_EOS on
 * a read error).  end must not pass the end of the source.
 */
int mlreg_pb_next(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		  struct mlreg_pb_field *f);

/*
 * Returns 0 after copying the LEN field f into buf (size cap >= 1) as a
 * NUL-terminated string, or 1 when it was longer than cap - 1 bytes (or
 * MLREG_PB_STRING_MAX) and was cut at a character boundary; MLREG_EOS on a
 * read error.  The copy is valid UTF-8: a byte that is not (and a NUL) is
 * written as '?', so any string can go into JSON.
 */
int mlreg_pb_string(struct mlreg_pb *pb, const struct mlreg_pb_field *f,
		    char *buf, size_t cap);

/*
 * Returns MLREG_EINVALID with the message "'<file>' is not a valid <what>:
 * <reason> at offset <off>", for problems a caller finds in the content.
 */
int mlreg_pb_error(struct mlreg_pb *pb, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
