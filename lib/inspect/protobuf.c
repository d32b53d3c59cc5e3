/*
 * The bounded protobuf wire reader (see protobuf.h).  Bytes come through
 * peek(), which serves them from the caller's memory buffer or from a
 * window of MLREG_PB_WINDOW bytes refilled with pread() when a read falls
 * outside it; a field skipped by its length costs no read at all.  Groups
 * are skipped with an explicit stack, never by recursion.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "protobuf.h"
#include "text.h"

void mlreg_pb_init(struct mlreg_pb *pb, const struct mlreg_src *src,
		   const char *what)
{
	pb->src = src;
	pb->what = what;
	pb->win_off = 0;
	pb->win_len = 0;
	pb->truncated = 0;
}

int mlreg_pb_error(struct mlreg_pb *pb, uint64_t off, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return mlreg_error_set(MLREG_EINVALID,
			       "'%s' is not a valid %s: %s at offset %llu",
			       pb->src->name ? pb->src->name : "(buffer)",
			       pb->what, reason, (unsigned long long)off);
}

/*
 * Returns MLREG_EINVALID for a field at off that needs need bytes (0: a
 * varint of unknown length) when only the bytes up to end are left, saying
 * whether end is the end of the file (which is then truncated) or the end
 * of the enclosing message.
 */
static int cut_short(struct mlreg_pb *pb, uint64_t off, uint64_t end,
		     uint64_t need)
{
	const char *name = pb->src->name ? pb->src->name : "(buffer)";
	unsigned long long left = (unsigned long long)(end - off);

	pb->truncated = end == pb->src->size;
	if (pb->truncated && need == 0)
		return mlreg_error_set(MLREG_EINVALID, "'%s' is a truncated "
				       "%s: a varint at offset %llu runs past "
				       "the end of the file", name, pb->what,
				       (unsigned long long)off);
	if (pb->truncated)
		return mlreg_error_set(MLREG_EINVALID, "'%s' is a truncated "
				       "%s: a field at offset %llu needs %llu "
				       "bytes, %llu are left", name, pb->what,
				       (unsigned long long)off,
				       (unsigned long long)need, left);
	if (need == 0)
		return mlreg_pb_error(pb, off, "a varint runs past the end of "
				      "its message");
	return mlreg_pb_error(pb, off, "a field needs %llu bytes, past the end "
			      "of its message (%llu are left)",
			      (unsigned long long)need, left);
}

/*
 * Returns 0 and in *p the n bytes at off (n <= MLREG_PB_WINDOW, off + n
 * within the source, both checked by the caller), or the error of the read.
 */
static int peek(struct mlreg_pb *pb, uint64_t off, size_t n,
		const unsigned char **p)
{
	const struct mlreg_src *src = pb->src;
	size_t want;
	int err;

	if (src->buf) {
		*p = src->buf + off;
		return 0;
	}
	if (off >= pb->win_off && off - pb->win_off <= pb->win_len &&
	    n <= pb->win_len - (off - pb->win_off)) {
		*p = pb->win + (off - pb->win_off);
		return 0;
	}
	want = src->size - off < MLREG_PB_WINDOW ?
		(size_t)(src->size - off) : MLREG_PB_WINDOW;
	pb->win_len = 0;
	if ((err = mlreg_src_read(src, off, pb->win, want)) < 0)
		return err;
	pb->win_off = off;
	pb->win_len = want;
	*p = pb->win;
	return 0;
}

/*
 * Returns 0 after reading the varint at *pos (which must end before end)
 * into *v and moving *pos past it, or MLREG_EINVALID.
 */
static int read_varint(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		       uint64_t *v)
{
	uint64_t avail = end - *pos, x = 0;
	size_t n = avail < 10 ? (size_t)avail : 10, i;
	const unsigned char *p;
	int err;

	if (n == 0)
		return cut_short(pb, *pos, end, 0);
	if ((err = peek(pb, *pos, n, &p)) < 0)
		return err;
	for (i = 0; i < n; i++) {
		if (i == 9 && p[i] > 1)
			return mlreg_pb_error(pb, *pos, "%s", p[i] & 0x80 ?
					      "a varint is longer than 10 "
					      "bytes" :
					      "a varint overflows 64 bits");
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			*pos += i + 1;
			return 0;
		}
	}
	return cut_short(pb, *pos, end, 0);
}

/*
 * Returns 0 after reading a tag at *pos into *num and *wire (checked to be
 * a valid field number and wire type), or MLREG_EINVALID.
 */
static int read_tag(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		    uint32_t *num, int *wire)
{
	uint64_t at = *pos, tag;
	int err;

	if ((err = read_varint(pb, pos, end, &tag)) < 0)
		return err;
	if ((tag >> 3) == 0 || (tag >> 3) > MLREG_PB_MAX_FIELD)
		return mlreg_pb_error(pb, at, "invalid field number %llu",
				      (unsigned long long)(tag >> 3));
	*num = (uint32_t)(tag >> 3);
	*wire = (int)(tag & 7);
	if (*wire > MLREG_PB_I32)
		return mlreg_pb_error(pb, at, "invalid wire type %d in "
				      "field %u", *wire, (unsigned)*num);
	return 0;
}

/*
 * Returns 0 after reading the body of a field of wire type VARINT, I64,
 * I32 or LEN at *pos into f (value, or off and len) and moving *pos past
 * it, or MLREG_EINVALID when it does not fit before end.
 */
static int read_body(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		     int wire, struct mlreg_pb_field *f)
{
	const unsigned char *p;
	size_t n, i;
	int err;

	f->value = 0;
	f->off = *pos;
	f->len = 0;
	switch (wire) {
	case MLREG_PB_VARINT:
		return read_varint(pb, pos, end, &f->value);
	case MLREG_PB_I64:
	case MLREG_PB_I32:
		n = wire == MLREG_PB_I64 ? 8 : 4;
		if (end - *pos < n)
			return cut_short(pb, *pos, end, n);
		if ((err = peek(pb, *pos, n, &p)) < 0)
			return err;
		for (i = 0; i < n; i++)
			f->value |= (uint64_t)p[i] << (8 * i);
		*pos += n;
		return 0;
	case MLREG_PB_LEN:
		if ((err = read_varint(pb, pos, end, &f->len)) < 0)
			return err;
		if (f->len > end - *pos)
			return cut_short(pb, *pos, end, f->len);
		f->off = *pos;
		*pos += f->len;
		return 0;
	}
	return mlreg_pb_error(pb, *pos, "invalid wire type %d", wire);
}

/*
 * Returns 0 after skipping the group of field number num whose start tag
 * ended at *pos, up to and including its end tag, with f->off and f->len
 * set to its content; MLREG_EINVALID when it is unterminated, mismatched
 * or nested deeper than MLREG_PB_MAX_DEPTH.
 */
static int skip_group(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		      struct mlreg_pb_field *f)
{
	uint32_t stack[MLREG_PB_MAX_DEPTH], num;
	struct mlreg_pb_field inner;
	size_t depth = 0;
	int wire, err;

	f->off = *pos;
	stack[depth++] = f->num;
	while (depth > 0) {
		uint64_t at = *pos;
		if ((err = read_tag(pb, pos, end, &num, &wire)) < 0)
			return err;
		if (wire == MLREG_PB_SGROUP) {
			if (depth == MLREG_PB_MAX_DEPTH)
				return mlreg_pb_error(pb, at, "groups nest "
						      "deeper than %d",
						      MLREG_PB_MAX_DEPTH);
			stack[depth++] = num;
		} else if (wire == MLREG_PB_EGROUP) {
			uint32_t top = stack[depth - 1];
			if (top != num)
				return mlreg_pb_error(pb, at, "group %u ends "
						      "with the end of group "
						      "%u", (unsigned)top,
						      (unsigned)num);
			if (--depth == 0)
				f->len = at - f->off;
		} else {
			inner.num = num;
			if ((err = read_body(pb, pos, end, wire, &inner)) < 0)
				return err;
		}
	}
	return 0;
}

int mlreg_pb_next(struct mlreg_pb *pb, uint64_t *pos, uint64_t end,
		  struct mlreg_pb_field *f)
{
	int err;

	if (end > pb->src->size || *pos > end)
		return mlreg_pb_error(pb, *pos, "a message passes the end "
				      "of the file");
	if (*pos == end)
		return 0;
	f->tag_off = *pos;
	if ((err = read_tag(pb, pos, end, &f->num, &f->wire)) < 0)
		return err;
	if (f->wire == MLREG_PB_EGROUP)
		return mlreg_pb_error(pb, f->tag_off, "field %u ends a group "
				      "that was never started",
				      (unsigned)f->num);
	if (f->wire == MLREG_PB_SGROUP) {
		f->value = 0;
		err = skip_group(pb, pos, end, f);
	} else {
		err = read_body(pb, pos, end, f->wire, f);
	}
	return err < 0 ? err : 1;
}

int mlreg_pb_string(struct mlreg_pb *pb, const struct mlreg_pb_field *f,
		    char *buf, size_t cap)
{
	unsigned char *s = (unsigned char *)buf;
	size_t lim = cap - 1, n, i;
	int cut, err, k;

	if (lim > MLREG_PB_STRING_MAX)
		lim = MLREG_PB_STRING_MAX;
	cut = f->len > lim;
	n = cut ? lim : (size_t)f->len;
	if (n > 0 && (err = mlreg_src_read(pb->src, f->off, s, n)) < 0) {
		buf[0] = '\0';
		return err;
	}
	for (i = 0; i < n; ) {
		k = mlreg_utf8_len(s + i, n - i);
		if (k < 0 && cut) {
			n = i;	/* drop a character the cut split */
			break;
		}
		if (k <= 0) {
			s[i++] = '?';
			continue;
		}
		i += (size_t)k;
	}
	s[n] = '\0';
	return cut;
}
