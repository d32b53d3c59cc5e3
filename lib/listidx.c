/*
 * The versions index of a model (listidx.h; store-format.md section 6.8):
 * reading it a line at a time with a fixed buffer (memory does not grow
 * with the number of versions), writing it from the records under the
 * model's lock, and checking it against the records for fsck.
 *
 * A line is "N TAB ID TAB SIZE TAB CREATED TAB SUBJECT", and for a deleted
 * version also "TAB USER TAB TIME"; text fields escape '%' and the bytes
 * 0x00-0x1F and 0x7F as %XX, so a field holds no tab nor newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "listidx.h"
#include "name.h"
#include "registry.h"
#include "text.h"
#include "util.h"

#define HEADER "mlreg versions index 1"

struct mlreg_vidx {
	FILE *f;
	long latest;		/* the model record's latest_version */
	char latest_id[MLREG_HEX_LEN + 1];
	long expect;		/* the version of the next line */
	char line[MLREG_VIDX_LINE_MAX + 1];
};

/* Returns the malloc'd path of file (in model name's directory). */
static char *idx_path(const struct mlreg_store *store, const char *name, const char *file)
{
	char *enc = mlreg_name_encode(name);
	char *p = mlreg_store_path(store, "models/%s/%s", enc, file);

	free(enc);
	return p;
}

/* Returns 1 when the header line s (newline included) names latest and id. */
static int header_parse(const char *s, long *latest, char *id)
{
	char num[24], hex[MLREG_HEX_LEN + 2], *end;
	size_t hl = strlen(HEADER);
	const char *p, *q;

	if (strncmp(s, HEADER " ", hl + 1) != 0)
		return 0;
	p = s + hl + 1;
	if (!(q = strchr(p, ' ')) || q - p < 1 || q - p >= (long)sizeof(num))
		return 0;
	memcpy(num, p, (size_t)(q - p));
	num[q - p] = '\0';
	if (num[0] < '0' || num[0] > '9')
		return 0;
	errno = 0;
	*latest = strtol(num, &end, 10);
	if (*end || errno || *latest < 1)
		return 0;
	p = q + 1;
	if (strlen(p) != MLREG_HEX_LEN + 1 || p[MLREG_HEX_LEN] != '\n')
		return 0;
	memcpy(hex, p, MLREG_HEX_LEN);
	hex[MLREG_HEX_LEN] = '\0';
	if (!mlreg_is_hex64(hex))
		return 0;
	memcpy(id, hex, MLREG_HEX_LEN + 1);
	return 1;
}

/* Returns 1 when model's latest_version and latest_id are an index's header. */
static int model_state(const cJSON *model, long *latest, const char **id)
{
	*latest = (long)mlreg_doc_int(model, "latest_version", 0);
	*id = mlreg_doc_str(model, "latest_id", NULL);
	return *latest >= 1 && *id && mlreg_is_hex64(*id);
}

/* Returns a reader of path (its header parsed into it), or NULL. */
static struct mlreg_vidx *reader_open(const char *path)
{
	struct mlreg_vidx *x;
	int fd = mlreg_fs_open_regular(path, NULL);
	FILE *f;

	if (fd < 0) {
		mlreg_error_clear();
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	x = xcalloc(1, sizeof(*x));
	x->f = f;
	if (!fgets(x->line, sizeof(x->line), f) ||
	    !header_parse(x->line, &x->latest, x->latest_id)) {
		mlreg_vidx_close(x);
		return NULL;
	}
	x->expect = x->latest;
	return x;
}

int mlreg_vidx_open(struct mlreg_vidx **out, const struct mlreg_store *store, const char *name,
		    const cJSON *model)
{
	char *path = idx_path(store, name, "versions.idx");
	struct mlreg_vidx *x = NULL;
	const char *id;
	long latest;

	*out = NULL;
	if (model_state(model, &latest, &id))
		x = reader_open(path);
	free(path);
	if (x && (x->latest != latest || strcmp(x->latest_id, id) != 0)) {
		mlreg_vidx_close(x);	/* stale: never trusted */
		x = NULL;
	}
	*out = x;
	return x ? 0 : 1;
}

void mlreg_vidx_close(struct mlreg_vidx *x)
{
	if (!x)
		return;
	fclose(x->f);
	free(x);
}

long mlreg_vidx_expected(const struct mlreg_vidx *x)
{
	return x->expect;
}

/* Appends what snprintf(fmt, ...) makes (under 256 bytes) to b. */
static void addf(struct mlreg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void addf(struct mlreg_buf *b, const char *fmt, ...)
{
	char s[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n > 0)
		mlreg_buf_add(b, s, (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1);
}

int mlreg_idx_unescape(char *s)
{
	char *w = s;
	int hi, lo;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c != '%') {
			*w++ = *s;
			continue;
		}
		if ((hi = mlreg_hexval(s[1])) < 0 || (lo = mlreg_hexval(s[2])) < 0)
			return -1;
		c = (unsigned char)(hi << 4 | lo);
		if (c == 0)		/* it would cut the field */
			return -1;
		*w++ = (char)c;
		s += 2;
	}
	*w = '\0';
	return 0;
}

/* Returns MLREG_ECORRUPT saying why x's line of the version expected is bad. */
static int bad_line(const struct mlreg_vidx *x, const char *why)
{
	return mlreg_error_set(MLREG_ECORRUPT, "the versions index's entry of version %ld %s",
			       x->expect, why);
}

int mlreg_vidx_next(struct mlreg_vidx *x, struct mlreg_vidx_entry *e)
{
	char *field[8], *p, *end;
	size_t len, nf = 0;

	if (x->expect < 1)
		return 0;
	if (!fgets(x->line, sizeof(x->line), x->f))
		return bad_line(x, "is missing (the index is cut short)");
	len = strlen(x->line);
	if (!len || x->line[len - 1] != '\n')
		return bad_line(x, "is too long or cut short");
	x->line[len - 1] = '\0';
	for (p = x->line; nf < 8; ) {
		field[nf++] = p;
		if (!(p = strchr(p, '\t')))
			break;
		*p++ = '\0';
	}
	if (nf != 5 && nf != 7)
		return bad_line(x, "does not have 5 or 7 fields");
	errno = 0;
	if (field[0][0] < '1' || field[0][0] > '9' ||
	    strtol(field[0], &end, 10) != x->expect || *end || errno)
		return bad_line(x, "names another version");
	if (!mlreg_is_hex64(field[1]) || (x->expect == x->latest && strcmp(field[1], x->latest_id)))
		return bad_line(x, "has a wrong id");
	if (!field[2][0] || strspn(field[2], "0123456789") != strlen(field[2]) ||
	    strlen(field[2]) > 18 || (field[2][0] == '0' && field[2][1]))
		return bad_line(x, "has a wrong size");
	e->version = x->expect;
	e->id = field[1];
	e->size = strtoll(field[2], NULL, 10);
	e->created = field[3];
	e->subject = strcmp(field[4], "*") ? field[4] : NULL;
	e->deleted = nf == 7;
	e->del_user = nf == 7 ? field[5] : NULL;
	e->del_time = nf == 7 ? field[6] : NULL;
	if (mlreg_idx_unescape(field[3]) < 0 || (e->subject && mlreg_idx_unescape(field[4]) < 0) ||
	    (nf == 7 && (mlreg_idx_unescape(field[5]) < 0 || mlreg_idx_unescape(field[6]) < 0)))
		return bad_line(x, "has a badly escaped field");
	x->expect--;
	return 1;
}

void mlreg_idx_escape(struct mlreg_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '%')
			addf(b, "%%%02X", c);
		else
			mlreg_buf_add(b, &s[i], 1);
	}
}

/* Fills e with what version object v (with "id") gives a listing. */
static void entry_of(struct mlreg_vidx_entry *e, const cJSON *v, size_t *subject_len)
{
	const cJSON *del = mlreg_record_deleted(v);

	e->version = (long)mlreg_doc_int(v, "version", 0);
	e->id = mlreg_doc_str(v, "id", "");
	e->created = mlreg_doc_str(v, "created", "");
	e->size = mlreg_doc_int(v, "size", 0);
	e->subject = del ? mlreg_doc_str(del, "message", "") : mlreg_doc_str(v, "message", "");
	*subject_len = strcspn(e->subject, "\r\n");	/* the subject line */
	e->deleted = del != NULL;
	e->del_user = del ? mlreg_doc_str(del, "user", "") : NULL;
	e->del_time = del ? mlreg_doc_str(del, "time", "") : NULL;
}

/* Appends e's line to b (its subject slen bytes, or "*" when too long). */
static void entry_line(struct mlreg_buf *b, const struct mlreg_vidx_entry *e, size_t slen)
{
	size_t start = b->len, mark;

	addf(b, "%ld\t%s\t%lld\t", e->version, e->id, e->size < 0 ? 0 : e->size);
	mlreg_idx_escape(b, e->created, strlen(e->created));
	mlreg_buf_addstr(b, "\t");
	mark = b->len;
	if (e->subject)
		mlreg_idx_escape(b, e->subject, slen);
	if (!e->subject || (slen == 1 && e->subject[0] == '*')) {
		b->len = mark;	/* a subject "*" is written %2A */
		mlreg_buf_addstr(b, e->subject ? "%2A" : "*");
	}
	if (e->deleted) {
		mlreg_buf_addstr(b, "\t");
		mlreg_idx_escape(b, e->del_user, strlen(e->del_user));
		mlreg_buf_addstr(b, "\t");
		mlreg_idx_escape(b, e->del_time, strlen(e->del_time));
	}
	mlreg_buf_addstr(b, "\n");
	if (b->len - start > MLREG_VIDX_LINE_MAX && e->subject) {
		struct mlreg_vidx_entry t = *e;	/* the subject is left to the record */
		b->len = start;
		t.subject = NULL;
		entry_line(b, &t, 0);
	}
	if (b->len - start > MLREG_VIDX_LINE_MAX)
		b->len = start;	/* still too long: the caller writes no index */
}

/* Returns 0 after appending version n's line to b, from its record. */
static int record_line(struct mlreg_buf *b, const struct mlreg_store *store,
		       const cJSON *model, long n, char *parent)
{
	struct mlreg_vidx_entry e;
	size_t slen, before = b->len;
	cJSON *v;
	int err;

	if ((err = mlreg_version_load_in(&v, store, model, n)) < 0)
		return err;
	entry_of(&e, v, &slen);
	entry_line(b, &e, slen);
	if (parent)
		snprintf(parent, MLREG_HEX_LEN + 1, "%s", mlreg_doc_str(v, "parent", ""));
	cJSON_Delete(v);
	return b->len > before ? 0 : mlreg_error_set(MLREG_EINVALID, "version %ld's entry is too "
						     "long for the versions index", n);
}

/* Writes b's pending bytes to f and empties b; returns -1 on error. */
static int flush_buf(FILE *f, struct mlreg_buf *b)
{
	size_t n = b->len;

	b->len = 0;
	return fwrite(b->p, 1, n, f) == n ? 0 : -1;
}

int mlreg_vidx_update_locked(const struct mlreg_store *store, const char *name,
			     const cJSON *model)
{
	char *path = idx_path(store, name, "versions.idx");
	char *tmp = idx_path(store, name, "versions.idx.tmp");
	char parent[MLREG_HEX_LEN + 1];
	struct mlreg_buf b = MLREG_BUF_INIT;
	struct mlreg_vidx *old = reader_open(path);
	const char *id;
	long latest, n, from = 1, copied;
	FILE *f = NULL;
	int fd = -1, err = 0;

	if (!model_state(model, &latest, &id)) {
		unlink(path);	/* no version: nothing to index */
		goto done;
	}
	if (old && old->latest == latest && !strcmp(old->latest_id, id))
		goto done;	/* it matches */
	if (old && old->latest < latest)
		from = old->latest + 1;	/* try to keep the old entries */
	unlink(tmp);	/* a dead writer's, or anything planted: ours is new */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = mlreg_error_os("cannot write '%s'", tmp);
		if (fd >= 0)
			close(fd);
		goto done;
	}
again:
	addf(&b, HEADER " %ld %s\n", latest, id);
	for (n = latest; n >= from; n--) {
		if ((err = record_line(&b, store, model, n, n == from ? parent : NULL)) < 0)
			goto done;
		if (b.len > 65536 && flush_buf(f, &b) < 0)
			goto write_error;
	}
	if (from > 1) {
		/* the old index continues the chain: its newest is our parent */
		if (strcmp(parent, old->latest_id) != 0)
			goto rebuild;
		/*
		 * Its lines are copied as they are, only counted: a reader
		 * checks each line it reads, and rebuilds an index with a bad
		 * one, so checking them here too would only double the cost.
		 */
		for (copied = 0; copied < old->latest; copied++) {
			size_t len;
			if (!fgets(old->line, sizeof(old->line), old->f))
				break;
			len = strlen(old->line);
			if (!len || old->line[len - 1] != '\n')
				break;
			mlreg_buf_add(&b, old->line, len);
			if (b.len > 65536 && flush_buf(f, &b) < 0)
				goto write_error;
		}
		if (copied != old->latest)
			goto rebuild;
	}
	if (flush_buf(f, &b) < 0 || fflush(f) != 0)
		goto write_error;
	if (fclose(f) != 0) {
		f = NULL;
		goto write_error;
	}
	f = NULL;
	if (rename(tmp, path) < 0)
		goto write_error;
	goto done;
rebuild:
	from = 1;
	b.len = 0;
	if (fflush(f) != 0 || ftruncate(fileno(f), 0) < 0 || fseek(f, 0, SEEK_SET) < 0)
		goto write_error;
	goto again;
write_error:
	err = mlreg_error_os("cannot write '%s'", tmp);
done:
	if (f)
		fclose(f);
	if (err < 0 || f)
		unlink(tmp);
	mlreg_vidx_close(old);
	mlreg_buf_release(&b);
	free(path);
	free(tmp);
	return err;
}

/* Returns as mlreg_vidx_refresh() does; with force, the old index is not reused. */
static int refresh(const struct mlreg_store *store, const char *name, int force)
{
	char *rec = idx_path(store, name, "model.json");
	struct mlreg_lock lk = { 0 };
	cJSON *model = NULL;
	int err;

	if (mlreg_lock_acquire(&lk, rec, 0) < 0) {
		mlreg_error_clear();
		free(rec);
		return 1;
	}
	if (force)
		mlreg_vidx_drop(store, name);
	if ((err = mlreg_model_load(&model, store, name)) == 0)
		err = mlreg_vidx_update_locked(store, name, model);
	mlreg_lock_release(&lk);
	cJSON_Delete(model);
	free(rec);
	return err;
}

int mlreg_vidx_refresh(const struct mlreg_store *store, const char *name)
{
	return refresh(store, name, 0);
}

int mlreg_vidx_rebuild(const struct mlreg_store *store, const char *name)
{
	return refresh(store, name, 1);
}

void mlreg_vidx_drop(const struct mlreg_store *store, const char *name)
{
	char *path = idx_path(store, name, "versions.idx");

	unlink(path);
	free(path);
}

int mlreg_vidx_verify(const struct mlreg_store *store, const char *name, const cJSON *model)
{
	struct mlreg_vidx *x;
	struct mlreg_vidx_entry e, want;
	struct mlreg_buf got = MLREG_BUF_INIT, exp = MLREG_BUF_INIT;
	int err = 0, r;
	long n;

	if (mlreg_vidx_open(&x, store, name, model) != 0)
		return 0;	/* missing or stale: rebuilt when next needed */
	for (n = x->latest; n >= 1 && !err; n--) {
		cJSON *v;
		size_t slen;
		if ((r = mlreg_vidx_next(x, &e)) < 0) {
			err = mlreg_error_set(MLREG_ECORRUPT, "model '%s': %s", name,
					      mlreg_error_message());
			break;
		}
		if (mlreg_version_load_in(&v, store, model, n) < 0) {
			mlreg_error_clear();	/* the record's problem is reported apart */
			continue;
		}
		entry_of(&want, v, &slen);
		got.len = exp.len = 0;
		entry_line(&got, &e, e.subject ? strlen(e.subject) : 0);
		entry_line(&exp, &want, slen);
		if (e.subject == NULL) {	/* "*": the record is read; compare the rest */
			got.len = exp.len = 0;
			want.subject = NULL;
			entry_line(&got, &e, 0);
			entry_line(&exp, &want, 0);
		}
		if (got.len != exp.len || memcmp(got.p, exp.p, got.len) != 0)
			err = mlreg_error_set(MLREG_ECORRUPT, "model '%s': the versions index's "
					      "entry of version %ld does not match its record",
					      name, n);
		cJSON_Delete(v);
	}
	mlreg_buf_release(&got);
	mlreg_buf_release(&exp);
	mlreg_vidx_close(x);
	return err;
}
