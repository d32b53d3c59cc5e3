/*
 * Multipart uploads on the S3 request engine (s3-request.c): a large file
 * goes up in parts sent in parallel, sized so that 10,000 parts always
 * suffice.  The upload's state, the upload id and the ETag of every part
 * that arrived, is appended to a file in the remote's local directory
 * (uploads/<sha256>); a rerun after a kill sends only the missing parts.
 * The parts are hashed on the way and the upload is completed only when
 * they hash, as a whole, to the object's name; an upload whose file
 * changed is aborted and its state removed.  A server that forgets the
 * upload (NoSuchUpload, InvalidPart) gets it once more from the start.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fs.h"
#include "s3-int.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

#define PART_MIN (16u << 20)
#define MAX_PARTS 10000u

/* Multipart upload of one file. */
struct upload {
	struct s3 *s;
	struct mlreg_op *op;
	int fd;
	char *state;		/* the state file's path */
	FILE *log;		/* appending to it */
	char *upload_id;
	uint64_t part_size;
	unsigned nparts, next, inflight, done_parts;
	char (*etags)[72];	/* per part, "" until it arrived */
	struct mlreg_sha256 whole;
	int failed, restarted;
	int restart;		/* the server forgot the upload: start over when idle */
	int completes;		/* CompleteMultipartUpload attempts */
	uint64_t skipped;	/* bytes of parts that had arrived before (a resumption) */
	struct outcome err;
};

static void upload_pump(struct upload *u);
static void send_complete(struct upload *u, double delay);

static void abort_done(struct req *r)
{
	mlreg_s3_req_free(r);	/* best effort: some servers cannot abort */
}

/* Ends the upload, finishing its operation. */
static void upload_end(struct upload *u, int err, const char *msg)
{
	char junk[MLREG_HEX_LEN + 1];

	if (err == MLREG_ECORRUPT && u->upload_id) {
		/* Never to be completed: its parts go (and its state, below). */
		struct req *r = mlreg_s3_req_new(u->s, "DELETE", u->op->key);
		char *id = mlreg_sigv4_uri_encode(u->upload_id, 0);
		r->query = xasprintf("uploadId=%s", id);
		free(id);
		r->complete = abort_done;
		mlreg_s3_enqueue(u->s, r);
		unlink(u->state);
	}
	if (u->log)
		fclose(u->log);
	if (!err)
		unlink(u->state);
	if (u->whole.ctx)
		mlreg_sha256_final_hex(&u->whole, junk);
	if (err)
		mlreg_op_fail(u->op, err, "%s", msg);
	else
		mlreg_op_finish(u->op, &(struct mlreg_result){ .etag = "", .skipped = u->skipped });
	close(u->fd);
	free(u->state);
	free(u->upload_id);
	free(u->etags);
	free(u);
}

/*
 * Starts the upload over, once, when the server no longer knows it
 * (NoSuchUpload, InvalidPart): a new upload id, every part sent again.
 * Returns 0, or -1 when it was started over already.
 */
static int upload_restart(struct upload *u)
{
	char junk[MLREG_HEX_LEN + 1];

	if (u->restarted)
		return -1;
	u->restarted = 1;
	u->restart = 0;
	unlink(u->state);
	if (u->log)
		fclose(u->log);
	u->log = NULL;
	free(u->upload_id);
	u->upload_id = NULL;
	for (unsigned i = 0; i < u->nparts; i++)
		u->etags[i][0] = '\0';
	u->next = u->done_parts = 0;
	u->skipped = 0;
	u->completes = 0;
	if (u->whole.ctx)
		mlreg_sha256_final_hex(&u->whole, junk);
	mlreg_sha256_init(&u->whole);
	return 0;
}

/* Returns 0 after reading a saved state matching this upload (id, part size, parts). */
static int load_state(struct upload *u)
{
	char line[256], id[200];
	unsigned long long psize, size;
	FILE *f = fopen(u->state, "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "mlreg multipart 1 %199s %llu %llu", id, &psize, &size) != 3 ||
	    size != u->op->size || psize != u->part_size) {
		fclose(f);
		return -1;
	}
	u->upload_id = xstrdup(id);
	while (fgets(line, sizeof(line), f)) {
		unsigned n;
		char etag[72];
		/* A torn last line (a kill while appending) does not parse: ignored. */
		if (strchr(line, '\n') && sscanf(line, "part %u %71s", &n, etag) == 2 && n >= 1 &&
		    n <= u->nparts)
			snprintf(u->etags[n - 1], sizeof(u->etags[0]), "%s", etag);
	}
	fclose(f);
	return 0;
}

/* Returns 0 after starting a new state file for upload id. */
static int save_state(struct upload *u)
{
	char *dir = xasprintf("%s/uploads", u->s->base.remote->cache);
	char *text = xasprintf("mlreg multipart 1 %s %llu %llu\n", u->upload_id,
			       (unsigned long long)u->part_size, (unsigned long long)u->op->size);
	int err = mlreg_fs_mkdirs(dir, 0755);

	if (!err)
		err = mlreg_fs_write_atomic(u->state, text, strlen(text));
	free(dir);
	free(text);
	return err;
}

static void complete_done(struct req *r)
{
	struct upload *u = r->ctx;
	struct outcome o;
	struct mlreg_xml *doc = NULL;
	mlreg_xml_node *root;

	mlreg_s3_judge(u->s, r, &o);
	/* CompleteMultipartUpload may fail with "200 OK" and an Error document. */
	if (!o.err && (mlreg_xml_parse(&doc, r->rbody.p ? r->rbody.p : "", r->rbody.len) < 0 ||
		       !(root = mlreg_xml_root(doc)) ||
		       strcmp(mlreg_xml_name(root), "CompleteMultipartUploadResult"))) {
		char *at = mlreg_s3_where(u->s, u->op->key), code[64] = "", text[256] = "";
		mlreg_s3_error_code(r, code, sizeof(code), text, sizeof(text));
		o.err = MLREG_EREMOTE;
		snprintf(o.code, sizeof(o.code), "%s", code);
		snprintf(o.msg, sizeof(o.msg), "remote '%s': POST %s: HTTP %ld %s%s%s%s (completing "
			 "a multipart upload)", u->s->base.remote->name, at, r->status,
			 code[0] ? code : "without a CompleteMultipartUploadResult",
			 text[0] ? " (" : "", text, text[0] ? ")" : "");
		free(at);
	}
	mlreg_xml_free(doc);
	mlreg_error_clear();
	if (o.err && o.code[0] && r->status >= 200 && r->status <= 299 &&
	    ++u->completes <= u->s->base.opts.retries &&
	    mlreg_s3_transient(&(struct req){ .cc = CURLE_OK, .status = 200 }, o.code)) {
		/* An error inside a 200: retried as the same status would be. */
		mlreg_s3_req_free(r);
		u->s->base.stats.retries++;
		send_complete(u, (double)u->s->base.opts.retry_delay_ms / 1000.0 *
			      pow(2, u->completes - 1));
		return;
	}
	mlreg_s3_req_free(r);
	if (o.err && (!strcmp(o.code, "InvalidPart") || !strcmp(o.code, "NoSuchUpload")) &&
	    upload_restart(u) == 0) {
		upload_pump(u);
		return;
	}
	upload_end(u, o.err, o.msg);
}

/* Sends CompleteMultipartUpload with every part's ETag, after delay seconds. */
static void send_complete(struct upload *u, double delay)
{
	size_t cap = 128 + (size_t)u->nparts * 120, len;
	char *xml = xmalloc(cap), *id;
	struct req *r;

	len = (size_t)snprintf(xml, cap, "<CompleteMultipartUpload>");
	for (unsigned i = 0; i < u->nparts; i++)
		len += (size_t)snprintf(xml + len, cap - len, "<Part><PartNumber>%u</PartNumber>"
					"<ETag>\"%s\"</ETag></Part>", i + 1, u->etags[i]);
	len += (size_t)snprintf(xml + len, cap - len, "</CompleteMultipartUpload>");
	r = mlreg_s3_req_new(u->s, "POST", u->op->key);
	id = mlreg_sigv4_uri_encode(u->upload_id, 0);
	r->query = xasprintf("uploadId=%s", id);
	free(id);
	r->body = BODY_BUF;
	r->buf = r->owned = xml;
	r->buflen = len;
	mlreg_sha256_hex(xml, len, r->sha256);
	mlreg_s3_req_header(r, "Content-Type: application/xml");
	r->resp = RESP_BUF;
	r->max = ERROR_BODY_MAX;
	r->complete = complete_done;
	r->ctx = u;
	r->ready = mlreg_monotonic() + delay;
	mlreg_s3_enqueue(u->s, r);
}

/* Completes the upload once the parts sent are found to hash to the object's name. */
static void upload_complete(struct upload *u)
{
	char hex[MLREG_HEX_LEN + 1];

	mlreg_sha256_final_hex(&u->whole, hex);
	u->whole.ctx = NULL;
	if (strcmp(hex, u->op->sha256) != 0) {
		upload_end(u, MLREG_ECORRUPT, "a local object changed while it was sent: its "
			   "content no longer matches its name; run 'mlreg fsck'");
		return;
	}
	send_complete(u, 0);
}

static void part_done(struct req *r)
{
	struct upload *u = r->ctx;
	unsigned part = (unsigned)(r->foff / u->part_size);
	struct outcome o;

	mlreg_s3_judge(u->s, r, &o);
	u->inflight--;
	if (!o.err && !r->etag[0]) {
		o.err = MLREG_EREMOTE;
		snprintf(o.msg, sizeof(o.msg), "remote '%s': a part was stored without an ETag",
			 u->s->base.remote->name);
	}
	if (o.err && !strcmp(o.code, "NoSuchUpload") && !u->restarted) {
		u->restart = 1;		/* once the parts in flight are back */
	} else if (o.err && !u->failed) {
		u->failed = 1;
		u->err = o;
	} else if (!o.err) {
		snprintf(u->etags[part], sizeof(u->etags[0]), "%s", r->etag);
		if (u->log) {
			fprintf(u->log, "part %u %s\n", part + 1, r->etag);
			fflush(u->log);
		}
		u->done_parts++;
	}
	mlreg_s3_req_free(r);
	upload_pump(u);
}

static void initiate_done(struct req *r)
{
	struct upload *u = r->ctx;
	struct outcome o;
	struct mlreg_xml *doc = NULL;
	const char *id = NULL;

	mlreg_s3_judge(u->s, r, &o);
	if (!o.err && mlreg_xml_parse(&doc, r->rbody.p ? r->rbody.p : "", r->rbody.len) == 0)
		id = mlreg_xml_child_text(mlreg_xml_root(doc), "UploadId");
	mlreg_error_clear();
	if (!o.err && (!id || !*id || strlen(id) > 190 || strpbrk(id, " \t\r\n"))) {
		o.err = MLREG_EREMOTE;
		snprintf(o.msg, sizeof(o.msg), "remote '%s': the server did not start a multipart "
			 "upload (no UploadId)", u->s->base.remote->name);
	}
	if (o.err) {
		mlreg_xml_free(doc);
		mlreg_s3_req_free(r);
		upload_end(u, o.err, o.msg);
		return;
	}
	u->upload_id = xstrdup(id);
	mlreg_xml_free(doc);
	mlreg_s3_req_free(r);
	for (unsigned i = 0; i < u->nparts; i++)
		u->etags[i][0] = '\0';
	if (save_state(u) < 0) {
		upload_end(u, mlreg_error_code(), mlreg_error_message());
		return;
	}
	upload_pump(u);
}

/* Returns 0 after hashing part i of the file into sha (its payload hash) and u->whole. */
static int hash_part(struct upload *u, unsigned i, char *sha)
{
	struct mlreg_sha256 h;
	uint64_t off = (uint64_t)i * u->part_size, left = u->op->size - off;
	char *buf = xmalloc(CHUNK);
	int err = 0;

	if (left > u->part_size)
		left = u->part_size;
	mlreg_sha256_init(&h);
	while (left > 0) {
		ssize_t n = pread(u->fd, buf, left < CHUNK ? (size_t)left : CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n == 0 ? mlreg_error_set(MLREG_ECORRUPT, "object %s shrank while it was "
						       "sent; run 'mlreg fsck'", u->op->sha256)
				     : mlreg_error_os("cannot read '%s'", u->op->path);
			break;
		}
		mlreg_sha256_update(&h, buf, (size_t)n);
		mlreg_sha256_update(&u->whole, buf, (size_t)n);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	mlreg_sha256_final_hex(&h, sha);
	free(buf);
	return err;
}

/* Starts what the upload can start now: the initiation, parts, the completion. */
static void upload_pump(struct upload *u)
{
	struct s3 *s = u->s;

	if (u->restart) {
		if (u->inflight > 0)
			return;
		if (upload_restart(u) < 0) {
			upload_end(u, MLREG_EREMOTE, "the server forgot the multipart upload twice");
			return;
		}
	}
	if (u->failed) {
		if (u->inflight == 0)
			upload_end(u, u->err.err, u->err.msg);
		return;
	}
	if (!u->upload_id) {
		struct req *r;
		if (load_state(u) == 0) {
			u->log = fopen(u->state, "a");
			upload_pump(u);
			return;
		}
		r = mlreg_s3_req_new(s, "POST", u->op->key);
		r->query = xstrdup("uploads");
		r->resp = RESP_BUF;
		r->max = ERROR_BODY_MAX;
		r->complete = initiate_done;
		r->ctx = u;
		mlreg_s3_enqueue(s, r);
		return;
	}
	if (!u->log)
		u->log = fopen(u->state, "a");
	while (u->next < u->nparts && u->inflight < (unsigned)s->base.opts.jobs) {
		unsigned i = u->next++;
		char sha[MLREG_HEX_LEN + 1], *id;
		struct req *r;

		if (hash_part(u, i, sha) < 0) {
			u->failed = 1;
			u->err.err = mlreg_error_code();
			snprintf(u->err.msg, sizeof(u->err.msg), "%s", mlreg_error_message());
			break;
		}
		if (u->etags[i][0]) {
			/* Arrived before a kill: not sent again. */
			u->done_parts++;
			u->skipped += u->op->size - (uint64_t)i * u->part_size < u->part_size ?
				u->op->size - (uint64_t)i * u->part_size : u->part_size;
			continue;
		}
		r = mlreg_s3_req_new(s, "PUT", u->op->key);
		id = mlreg_sigv4_uri_encode(u->upload_id, 0);
		r->query = xasprintf("partNumber=%u&uploadId=%s", i + 1, id);
		free(id);
		r->body = BODY_FILE;
		r->fd = u->fd;
		r->foff = (uint64_t)i * u->part_size;
		r->flen = u->op->size - r->foff < u->part_size ? u->op->size - r->foff
							       : u->part_size;
		memcpy(r->sha256, sha, sizeof(sha));
		r->complete = part_done;
		r->ctx = u;
		u->inflight++;
		mlreg_s3_enqueue(s, r);
	}
	if (u->failed) {
		if (u->inflight == 0)
			upload_end(u, u->err.err, u->err.msg);
		return;
	}
	if (u->done_parts == u->nparts && u->inflight == 0)
		upload_complete(u);
}

void mlreg_s3_multipart_start(struct s3 *s, struct mlreg_op *op, int fd)
{
	struct upload *u = xcalloc(1, sizeof(*u));
	uint64_t per = (op->size + MAX_PARTS - 1) / MAX_PARTS;

	u->s = s;
	u->op = op;
	u->fd = fd;
	/* Whole MiB, at least PART_MIN, never more than 10,000 parts. */
	u->part_size = per < PART_MIN ? PART_MIN : (per + (1u << 20) - 1) / (1u << 20) * (1u << 20);
	u->nparts = (unsigned)((op->size + u->part_size - 1) / u->part_size);
	u->etags = xcalloc(u->nparts + 1, sizeof(*u->etags));
	u->state = xasprintf("%s/uploads/%s", s->base.remote->cache, op->sha256);
	mlreg_sha256_init(&u->whole);
	upload_pump(u);
}
