/*
 * The S3 transport: the operations of transport.h as S3 REST requests,
 * signed with AWS Signature Version 4 (sigv4.c, not libcurl's signer) and
 * run several at a time on libcurl's multi interface.
 *
 * Every request is retried, with exponential back-off and jitter, when it
 * fails in a way that may pass: no connection, a reset or timeout, HTTP
 * 500/502/503/504, 429 or 408, and S3's RequestTimeout.  A body is read
 * again from its source for a retry and a sink is reset, so nothing is
 * buffered whole: files go out and come in in chunks.
 *
 * A large file goes up as a multipart upload (parts in parallel, sized so
 * that 10,000 parts always suffice) whose state, the upload id and the ETag
 * of every part that arrived, is appended to a file in the remote's local
 * directory; a rerun after a kill sends only the missing parts.  The parts
 * are hashed on the way and the upload is completed only when they hash, as
 * a whole, to the object's name.
 *
 * What a server answers is bounded (error documents, listings) and its
 * text is reduced to printable ASCII before it reaches a message.  A
 * message never holds a secret: only the server's error code and message,
 * the method and the object's key are shown.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "awsconf.h"
#include "error.h"
#include "fs.h"
#include "sigv4.h"
#include "remote/transport-int.h"
#include "util.h"
#include "xml.h"

#define CHUNK (1u << 20)
#define ERROR_BODY_MAX (64u << 10)	/* an error document kept for its Code */
#define LIST_BODY_MAX (16u << 20)	/* one page of a listing */
#define SINGLE_PUT_MAX (64u << 20)	/* larger files go multipart */
#define PART_MIN (16u << 20)
#define MAX_PARTS 10000u

struct s3;
struct req;

/* What a request's body is read from. */
enum body_kind { BODY_NONE, BODY_BUF, BODY_SOURCE, BODY_FILE };
/* Where a 2xx response's body goes. */
enum resp_kind { RESP_DISCARD, RESP_BUF, RESP_SINK };

struct req {
	struct s3 *s3;
	const char *method;
	char *key;		/* full key ("" for the bucket), not encoded */
	char *query;		/* encoded query, or NULL */
	char *hdr[4];		/* extra "Name: value" headers, signed */
	int nhdr;
	/* body */
	enum body_kind body;
	const char *buf;	/* BODY_BUF */
	size_t buflen;
	const struct mlreg_source *src;	/* BODY_SOURCE */
	int fd;			/* BODY_FILE */
	uint64_t foff, flen;
	uint64_t pos;		/* body bytes read in this attempt */
	char sha256[65];	/* of the body, signed */
	/* response */
	enum resp_kind resp;
	size_t max;		/* RESP_BUF: the most accepted */
	struct mlreg_sink sink;	/* RESP_SINK */
	uint64_t range_off;	/* a ranged GET asks from here */
	int ranged;
	char *rbuf;		/* RESP_BUF body, or an error document */
	size_t rlen, rcap;
	long status;
	int body_started;	/* the first byte of this attempt's body came */
	char etag[72];
	uint64_t length;	/* Content-Length */
	int sink_err;		/* the sink (or a bound) stopped the transfer */
	char *sink_msg;
	char *owned;		/* a body buffer freed with the request */
	/* the attempt */
	CURL *easy;
	struct curl_slist *slist;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc;
	int attempt;
	double ready;		/* monotonic time it may start */
	double started;
	double moved;		/* when bytes last moved, either way */
	curl_off_t seen;	/* bytes moved by then, both ways */
	int stalled;		/* stopped by the watchdog */
	/* completion */
	void (*complete)(struct req *r);
	void *ctx;		/* for complete() */
	struct mlreg_op *op;	/* the operation it serves, if any */
	struct req *next;
};

struct s3 {
	struct mlreg_transport base;
	struct mlreg_aws_creds creds;
	char *region;
	char *scheme;		/* "http" or "https" */
	char *authority;	/* host[:port] of requests */
	char *origin;		/* scheme://authority */
	int path_style;
	char *bucket;
	CURLM *multi;
	struct req *waiting;	/* not started yet, any order */
	int active;
	int trace;		/* $MLREG_TRACE */
	char *ca_bundle;	/* $AWS_CA_BUNDLE */
};

/* Copies printable ASCII of s (len bytes) into out (size n), other bytes as '?'. */
static void printable(char *out, size_t n, const char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 1 < n; i++)
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[j] = '\0';
}

/* Returns how key is shown in messages: "s3://bucket/key", malloc'd. */
static char *where(struct s3 *s, const char *key)
{
	char shown[512];

	printable(shown, sizeof(shown), key, strlen(key));
	return xasprintf("s3://%s/%s", s->bucket, shown);
}

/*
 * Requests.
 */

static struct req *new_req(struct s3 *s, const char *method, const char *key)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->s3 = s;
	r->method = method;
	r->key = xstrdup(key);
	r->fd = -1;
	strcpy(r->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	return r;
}

static void free_req(struct req *r)
{
	for (int i = 0; i < r->nhdr; i++)
		free(r->hdr[i]);
	free(r->key);
	free(r->query);
	free(r->rbuf);
	free(r->sink_msg);
	free(r->owned);
	free(r);
}

static void add_header(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_header(struct req *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->nhdr >= 4)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	r->hdr[r->nhdr] = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(r->hdr[r->nhdr], (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->nhdr++;
}

/* Queues r to start at once (or after a back-off, when r->ready is later). */
static void enqueue(struct s3 *s, struct req *r)
{
	r->next = s->waiting;
	s->waiting = r;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;
	size_t want = size * n;
	ssize_t got = 0;

	switch (r->body) {
	case BODY_NONE:
		return 0;
	case BODY_BUF:
		if (r->pos >= r->buflen)
			return 0;
		got = (ssize_t)(r->buflen - r->pos < want ? r->buflen - r->pos : want);
		memcpy(buf, r->buf + r->pos, (size_t)got);
		break;
	case BODY_SOURCE:
		got = r->src->read(r->src->ctx, buf, want);
		if (got < 0) {
			r->sink_err = mlreg_error_code() ? mlreg_error_code() : MLREG_EOS;
			free(r->sink_msg);
			r->sink_msg = xstrdup(mlreg_error_message());
			return CURL_READFUNC_ABORT;
		}
		break;
	case BODY_FILE:
		if (r->pos >= r->flen)
			return 0;
		if (want > r->flen - r->pos)
			want = (size_t)(r->flen - r->pos);
		do
			got = pread(r->fd, buf, want, (off_t)(r->foff + r->pos));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			r->sink_err = got == 0 ? MLREG_ECORRUPT : MLREG_EOS;
			free(r->sink_msg);
			r->sink_msg = got == 0 ? xstrdup("a local object shrank while it was sent") :
				xasprintf("cannot read a local object: %s", strerror(errno));
			return CURL_READFUNC_ABORT;
		}
		break;
	}
	r->pos += (uint64_t)got;
	r->s3->base.stats.bytes_up += (uint64_t)got;
	if (r->s3->base.opts.progress)
		r->s3->base.opts.progress(r->s3->base.opts.ctx, (uint64_t)got, 0);
	return (size_t)got;
}

/* Returns 0 after putting the body back at its first byte (a new attempt). */
static int rewind_body(struct req *r)
{
	r->pos = 0;
	if (r->body == BODY_SOURCE && r->src->rewind)
		return r->src->rewind(r->src->ctx);
	return 0;
}

static int on_seek(void *ctx, curl_off_t off, int origin)
{
	struct req *r = ctx;

	if (origin != SEEK_SET || off != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	return rewind_body(r) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

/* Appends to r's response buffer, up to max bytes; returns -1 past it. */
static int buf_add(struct req *r, const char *data, size_t len, size_t max)
{
	if (r->rlen + len > max)
		return -1;
	if (r->rlen + len + 1 > r->rcap) {
		r->rcap = (r->rlen + len + 1) * 2;
		if (r->rcap > max + 1)
			r->rcap = max + 1;
		r->rbuf = xrealloc(r->rbuf, r->rcap);
	}
	memcpy(r->rbuf + r->rlen, data, len);
	r->rlen += len;
	r->rbuf[r->rlen] = '\0';
	return 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;
	size_t len = size * n;

	if (!r->body_started) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		r->body_started = 1;
		/* A server that ignores Range would hand us the wrong bytes. */
		if (r->ranged && r->range_off > 0 && r->status == 200) {
			r->sink_err = MLREG_EREMOTE;
			r->sink_msg = xstrdup("the server ignored a Range request");
			return 0;
		}
	}
	r->s3->base.stats.bytes_down += len;
	if (r->status < 200 || r->status > 299) {
		buf_add(r, data, len, ERROR_BODY_MAX);	/* the rest is dropped */
		return len;
	}
	if (r->s3->base.opts.progress && r->resp == RESP_SINK)
		r->s3->base.opts.progress(r->s3->base.opts.ctx, 0, len);
	switch (r->resp) {
	case RESP_DISCARD:
		break;
	case RESP_BUF:
		if (buf_add(r, data, len, r->max) < 0) {
			r->sink_err = MLREG_EINVALID;
			r->sink_msg = xasprintf("the answer is larger than %zu bytes", r->max);
			return 0;
		}
		break;
	case RESP_SINK: {
		int err = r->sink.write(r->sink.ctx, data, len);
		if (err < 0) {
			r->sink_err = err;
			free(r->sink_msg);
			r->sink_msg = xstrdup(mlreg_error_message());
			return 0;
		}
		break;
	}
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;
	size_t len = size * n;

	if (len > 5 && !strncasecmp(data, "ETag:", 5)) {
		const char *v = data + 5;
		size_t vl = len - 5;
		while (vl && (*v == ' ' || *v == '"')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == '"' ||
			      v[vl - 1] == ' '))
			vl--;
		printable(r->etag, sizeof(r->etag), v, vl);
	} else if (len > 15 && !strncasecmp(data, "Content-Length:", 15)) {
		r->length = strtoull(data + 15, NULL, 10);
	} else if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, say): start over. */
		r->etag[0] = '\0';
	}
	return len;
}

/*
 * libcurl's progress callback, as a watchdog: a request during which no
 * byte moves either way for the transport's timeout is stopped (and then
 * retried as a transient failure).
 */
static int on_xfer(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	struct req *r = ctx;
	double t = mlreg_monotonic();

	if (dlnow + ulnow != r->seen) {
		r->seen = dlnow + ulnow;
		r->moved = t;
	} else if (t - r->moved > (double)r->s3->base.opts.timeout_s) {
		r->stalled = 1;
		return 1;
	}
	return 0;
}

/* Returns 0 after building and adding r's easy handle to the multi handle. */
static int start(struct s3 *s, struct req *r)
{
	struct mlreg_sigv4_header h[10];
	struct mlreg_sigv4_key key = { s->creds.access_key, s->creds.secret_key, s->region, "s3" };
	char date[32], *path, *enc, *auth = NULL, *url;
	size_t nh = 0;
	int err, i;

	enc = mlreg_sigv4_uri_encode(r->key, 1);
	if (s->path_style)
		path = *r->key ? xasprintf("/%s/%s", s->bucket, enc) : xasprintf("/%s", s->bucket);
	else
		path = xasprintf("/%s", enc);
	free(enc);
	mlreg_sigv4_amz_date(date, sizeof(date), time(NULL));
	h[nh++] = (struct mlreg_sigv4_header){ "host", s->authority };
	h[nh++] = (struct mlreg_sigv4_header){ "x-amz-date", date };
	h[nh++] = (struct mlreg_sigv4_header){ "x-amz-content-sha256", r->sha256 };
	if (s->creds.session_token)
		h[nh++] = (struct mlreg_sigv4_header){ "x-amz-security-token",
						       s->creds.session_token };
	char *names[4], *values[4];
	for (i = 0; i < r->nhdr; i++) {
		const char *colon = strchr(r->hdr[i], ':');
		names[i] = xstrndup(r->hdr[i], (size_t)(colon - r->hdr[i]));
		values[i] = xstrdup(colon + 1 + (colon[1] == ' '));
		h[nh++] = (struct mlreg_sigv4_header){ names[i], values[i] };
	}
	err = mlreg_sigv4_sign(&auth, &key, r->method, path, r->query, h, nh, r->sha256);
	for (i = 0; i < r->nhdr; i++) {
		free(names[i]);
		free(values[i]);
	}
	if (err < 0) {
		free(path);
		return err;
	}
	url = r->query ? xasprintf("%s%s?%s", s->origin, path, r->query)
		       : xasprintf("%s%s", s->origin, path);
	free(path);

	r->slist = NULL;
	{
		char *line;
#define ADD(...) do { line = xasprintf(__VA_ARGS__); \
		r->slist = curl_slist_append(r->slist, line); free(line); } while (0)
		ADD("Host: %s", s->authority);
		ADD("x-amz-date: %s", date);
		ADD("x-amz-content-sha256: %s", r->sha256);
		if (s->creds.session_token)
			ADD("x-amz-security-token: %s", s->creds.session_token);
		for (i = 0; i < r->nhdr; i++)
			ADD("%s", r->hdr[i]);
		ADD("Authorization: %s", auth);
#undef ADD
		r->slist = curl_slist_append(r->slist, "Expect:");
		r->slist = curl_slist_append(r->slist, "Accept:");
		if (r->body == BODY_NONE && strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
			r->slist = curl_slist_append(r->slist, "Content-Type:");
	}
	free(auth);

	r->easy = curl_easy_init();
	if (!r->easy) {
		free(url);
		return mlreg_error_set(MLREG_ERROR, "cannot start libcurl");
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->slist);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "mlreg/" MLREG_VERSION);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, s->base.opts.timeout_s < 30 ?
			 s->base.opts.timeout_s : 30L);
	curl_easy_setopt(r->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(r->easy, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(r->easy, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (s->ca_bundle)
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, s->ca_bundle);
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(r->easy, CURLOPT_NOBODY, 1L);
	} else if (r->body != BODY_NONE || !strcmp(r->method, "PUT")) {
		uint64_t size = r->body == BODY_BUF ? r->buflen : r->body == BODY_SOURCE ?
			r->src->size : r->body == BODY_FILE ? r->flen : 0;
		curl_easy_setopt(r->easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(r->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
		curl_easy_setopt(r->easy, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(r->easy, CURLOPT_READDATA, r);
		curl_easy_setopt(r->easy, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(r->easy, CURLOPT_SEEKDATA, r);
		if (strcmp(r->method, "PUT"))
			curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (!strcmp(r->method, "POST")) {
		curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, "");
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, r->method);
	}
	r->status = 0;
	r->body_started = 0;
	r->rlen = 0;
	r->etag[0] = '\0';
	r->length = 0;
	r->started = r->moved = mlreg_monotonic();
	r->seen = 0;
	r->stalled = 0;
	s->base.stats.requests++;
	if (curl_multi_add_handle(s->multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		return mlreg_error_set(MLREG_ERROR, "cannot start a request");
	}
	s->active++;
	return 0;
}

/* Returns 1 when an attempt that ended so may pass if tried again. */
static int transient(const struct req *r, const char *code)
{
	switch (r->cc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	case CURLE_ABORTED_BY_CALLBACK:
		return r->stalled;
	default:
		return 0;
	}
	if (r->status >= 500 && r->status != 501)
		return 1;
	if (r->status == 429 || r->status == 408)
		return 1;
	return code && (!strcmp(code, "RequestTimeout") || !strcmp(code, "SlowDown") ||
			!strcmp(code, "ConditionalRequestConflict") ||
			!strcmp(code, "InternalError") || !strcmp(code, "ServiceUnavailable"));
}

/* Copies the Code and Message of an S3 error document in r's buffer, "" when none. */
static void error_code(const struct req *r, char *code, size_t ncode, char *msg, size_t nmsg)
{
	struct mlreg_xml *doc = NULL;
	mlreg_xml_node *root;
	const char *c, *m;

	code[0] = msg[0] = '\0';
	if (!r->rlen || mlreg_xml_parse(&doc, r->rbuf, r->rlen) < 0) {
		mlreg_error_clear();
		return;
	}
	root = mlreg_xml_root(doc);
	if (root && !strcmp(mlreg_xml_name(root), "Error")) {
		if ((c = mlreg_xml_child_text(root, "Code")) != NULL)
			printable(code, ncode, c, strlen(c));
		if ((m = mlreg_xml_child_text(root, "Message")) != NULL)
			printable(msg, nmsg, m, strlen(m));
	}
	mlreg_xml_free(doc);
}

/* The S3 error code of a response without a body (HEAD), from its status. */
static const char *status_code(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	default: return "";
	}
}

/*
 * The outcome of a request, for its completion: err 0 on a 2xx answer;
 * msg is the one-line error otherwise.
 */
struct outcome {
	int err;
	char msg[1024];
	char code[64];
};

/* Fills o from r's last attempt. */
static void judge(struct s3 *s, struct req *r, struct outcome *o)
{
	char code[64], text[256], *at = where(s, r->key);
	const char *name = s->base.remote->name;

	o->err = 0;
	o->msg[0] = '\0';
	o->code[0] = '\0';
	if (r->sink_err) {
		o->err = r->sink_err;
		snprintf(o->msg, sizeof(o->msg), "%s", r->sink_msg ? r->sink_msg : "error");
		if (r->sink_err == MLREG_EREMOTE || r->sink_err == MLREG_EINVALID)
			snprintf(o->msg, sizeof(o->msg), "remote '%s': %s %s: %s", name, r->method,
				 at, r->sink_msg ? r->sink_msg : "error");
		free(at);
		return;
	}
	if (r->cc != CURLE_OK && r->stalled) {
		o->err = MLREG_EREMOTE;
		snprintf(o->msg, sizeof(o->msg), "remote '%s': %s %s: no progress for %ld s from %s%s",
			 name, r->method, at, s->base.opts.timeout_s, s->origin,
			 r->attempt > 0 ? " (after retries)" : "");
		free(at);
		return;
	}
	if (r->cc != CURLE_OK) {
		int connected = r->cc != CURLE_COULDNT_CONNECT && r->cc != CURLE_COULDNT_RESOLVE_HOST &&
			r->cc != CURLE_OPERATION_TIMEDOUT && r->cc != CURLE_SSL_CONNECT_ERROR;
		o->err = MLREG_EREMOTE;
		snprintf(o->msg, sizeof(o->msg), "remote '%s': %s %s: %s %s: %s%s", name,
			 r->method, at, connected ? "the connection failed with" : "cannot reach",
			 s->origin, r->errbuf[0] ? r->errbuf : curl_easy_strerror(r->cc),
			 r->attempt > 0 ? " (after retries)" : "");
		free(at);
		return;
	}
	if (r->status >= 200 && r->status <= 299) {
		free(at);
		return;
	}
	error_code(r, code, sizeof(code), text, sizeof(text));
	if (!code[0])
		snprintf(code, sizeof(code), "%s", status_code(r->status));
	snprintf(o->code, sizeof(o->code), "%s", code);
	if (r->status == 404 && strcmp(code, "NoSuchBucket") != 0 && strcmp(code, "NoSuchUpload")) {
		o->err = MLREG_ENOTFOUND;
	} else if (r->status == 412) {
		o->err = MLREG_EEXISTS;
	} else {
		o->err = MLREG_EREMOTE;
	}
	if (!strcmp(code, "NoSuchBucket"))
		snprintf(o->msg, sizeof(o->msg), "remote '%s': bucket '%s' does not exist "
			 "(%s %s: HTTP 404 NoSuchBucket)", name, s->bucket, r->method, at);
	else if (!strcmp(code, "InvalidAccessKeyId") || !strcmp(code, "SignatureDoesNotMatch"))
		snprintf(o->msg, sizeof(o->msg), "remote '%s': %s %s: HTTP %ld %s: the credentials "
			 "(from %s) are not accepted; check AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY or the profile", name, r->method, at, r->status, code,
			 s->creds.source ? s->creds.source : "?");
	else
		snprintf(o->msg, sizeof(o->msg), "remote '%s': %s %s: HTTP %ld%s%s%s%s%s", name,
			 r->method, at, r->status, code[0] ? " " : "", code, text[0] ? " (" : "",
			 text, text[0] ? ")" : "");
	free(at);
}

static void trace(struct s3 *s, struct req *r)
{
	char shown[256];

	if (!s->trace)
		return;
	printable(shown, sizeof(shown), r->key, strlen(r->key));
	fprintf(stderr, "mlreg: trace: %s /%s%s%.60s -> %ld%s%s (%.3f s)\n", r->method, shown,
		r->query ? "?" : "", r->query ? r->query : "", r->status,
		r->cc ? " " : "", r->cc ? curl_easy_strerror(r->cc) : "", mlreg_monotonic() - r->started);
}

/* An attempt ended: retry it, or complete the request. */
static void finished(struct s3 *s, struct req *r)
{
	char code[64] = "", text[8];

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_multi_remove_handle(s->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	curl_slist_free_all(r->slist);
	r->slist = NULL;
	s->active--;
	trace(s, r);
	if (r->status < 200 || r->status > 299)
		error_code(r, code, sizeof(code), text, sizeof(text));
	if (!r->sink_err && transient(r, code[0] ? code : NULL) &&
	    r->attempt < s->base.opts.retries) {
		double delay = (double)s->base.opts.retry_delay_ms / 1000.0 * pow(2, r->attempt);
		delay *= 0.5 + (double)rand() / RAND_MAX;	/* jitter */
		if (delay > 20)
			delay = 20;
		r->attempt++;
		s->base.stats.retries++;
		r->ready = mlreg_monotonic() + delay;
		if (r->resp == RESP_SINK && r->sink.reset)
			r->sink.reset(r->sink.ctx);
		if (rewind_body(r) < 0) {
			r->sink_err = mlreg_error_code();
			r->sink_msg = xstrdup(mlreg_error_message());
		} else {
			enqueue(s, r);
			return;
		}
	}
	r->complete(r);
}

/* Runs requests until none is waiting or active. */
static int run_requests(struct s3 *s)
{
	while (s->waiting || s->active) {
		double t = mlreg_monotonic(), next = 0;
		struct req **pp = &s->waiting;
		int running, msgs, timeout_ms = 100;
		CURLMsg *m;

		while (*pp) {
			struct req *r = *pp;
			if (s->active < s->base.opts.jobs && r->ready <= t) {
				*pp = r->next;
				if (start(s, r) < 0) {
					r->sink_err = mlreg_error_code() ? mlreg_error_code()
									 : MLREG_ERROR;
					r->sink_msg = xstrdup(mlreg_error_message());
					r->complete(r);
				}
				continue;
			}
			if (r->ready > t && (next == 0 || r->ready < next))
				next = r->ready;
			pp = &r->next;
		}
		curl_multi_perform(s->multi, &running);
		while ((m = curl_multi_info_read(s->multi, &msgs)) != NULL) {
			struct req *r;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			r->cc = m->data.result;
			finished(s, r);
		}
		if (!s->active && !s->waiting)
			break;
		if (next > 0 && (next - mlreg_monotonic()) * 1000 < timeout_ms)
			timeout_ms = (int)((next - mlreg_monotonic()) * 1000) + 1;
		if (timeout_ms < 0)
			timeout_ms = 0;
		if (s->active)
			curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL);
		else if (timeout_ms > 0) {
			struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/*
 * Operations.
 */

/* Finishes r's operation from r's outcome (a plain request). */
static void op_complete(struct req *r)
{
	struct outcome o;
	struct mlreg_result res = { 0 };

	judge(r->s3, r, &o);
	res.retried = r->attempt > 0;
	if (o.err) {
		res.err = o.err;
		res.msg = o.msg;
		res.etag = "";
		mlreg_op_finish(r->op, &res);
	} else {
		res.etag = r->etag;
		res.size = r->length;
		if (r->resp == RESP_BUF) {
			res.body = r->rbuf ? r->rbuf : "";
			res.len = r->rlen;
		}
		mlreg_op_finish(r->op, &res);
	}
	free_req(r);
}

/* Returns a new request for op on its key. */
static struct req *op_req(struct s3 *s, struct mlreg_op *op, const char *method)
{
	struct req *r = new_req(s, method, op->key);

	r->op = op;
	r->complete = op_complete;
	return r;
}

/*
 * Listing: ListObjectsV2 pages, each key handed over without the prefix.
 * A server decides how many pages there are; one that hands out tokens
 * going round (A, B, A, ...) would make a listing loop for ever.  So every
 * token received is remembered (a set of their SHA-256, 32 hex digits of
 * it a slot), a token seen before stops the listing, and so does a page
 * past the transport's max_pages.
 */
struct lister {
	struct mlreg_op *op;
	char *token;		/* the continuation token of the next page */
	size_t strip;		/* the remote prefix's length, with its '/' */
	unsigned long pages;
	char (*seen)[32];	/* open addressing; a slot starting with NUL is free */
	size_t nseen, capseen;	/* capseen: 0 or a power of two */
};

/* Returns the first slot to probe for digest hex (32 hex digits) in a table of mask + 1. */
static size_t seen_slot(const char *hex, size_t mask)
{
	char head[17];

	memcpy(head, hex, 16);
	head[16] = '\0';
	return (size_t)strtoull(head, NULL, 16) & mask;
}

/* Returns 1 when token was received before in this listing, else 0 after noting it. */
static int token_seen(struct lister *l, const char *token)
{
	char hex[MLREG_HEX_LEN + 1];
	size_t i, mask;

	if (2 * (l->nseen + 1) > l->capseen) {
		size_t old = l->capseen, cap = old ? 2 * old : 64;
		char (*prev)[32] = l->seen;

		l->seen = xcalloc(cap, sizeof(*l->seen));
		l->capseen = cap;
		for (size_t k = 0; k < old; k++) {
			if (!prev[k][0])
				continue;
			for (i = seen_slot(prev[k], cap - 1); l->seen[i][0]; i = (i + 1) & (cap - 1))
				;
			memcpy(l->seen[i], prev[k], 32);
		}
		free(prev);
	}
	mlreg_sha256_hex(token, strlen(token), hex);
	mask = l->capseen - 1;
	for (i = seen_slot(hex, mask); l->seen[i][0]; i = (i + 1) & mask)
		if (!memcmp(l->seen[i], hex, 32))
			return 1;
	memcpy(l->seen[i], hex, 32);
	l->nseen++;
	return 0;
}

static void list_page(struct s3 *s, struct lister *l);

static void list_complete(struct req *r)
{
	struct lister *l = r->ctx;
	struct s3 *s = r->s3;
	struct outcome o;
	struct mlreg_xml *doc = NULL;
	mlreg_xml_node *root, *n;
	const char *trunc, *next;
	int err = 0;

	judge(s, r, &o);
	if (o.err) {
		mlreg_op_fail(l->op, o.err, "%s", o.msg);
		goto out;
	}
	if (mlreg_xml_parse(&doc, r->rbuf ? r->rbuf : "", r->rlen) < 0 ||
	    !(root = mlreg_xml_root(doc)) || strcmp(mlreg_xml_name(root), "ListBucketResult")) {
		mlreg_op_fail(l->op, MLREG_EREMOTE, "remote '%s': the listing of s3://%s/%s is "
			      "not a ListBucketResult", s->base.remote->name, s->bucket, l->op->key);
		goto out;
	}
	for (n = mlreg_xml_child(root, NULL); n && !err; n = mlreg_xml_next(n, NULL)) {
		struct mlreg_key k = { 0 };
		const char *key;
		int prefix = !strcmp(mlreg_xml_name(n), "CommonPrefixes");
		if (!prefix && strcmp(mlreg_xml_name(n), "Contents"))
			continue;
		key = mlreg_xml_child_text(n, prefix ? "Prefix" : "Key");
		if (!key || strncmp(key, l->op->key, strlen(l->op->key)) != 0)
			continue;	/* not below what was listed */
		k.key = key + l->strip;
		k.is_prefix = prefix;
		if (!prefix) {
			const char *size = mlreg_xml_child_text(n, "Size");
			const char *etag = mlreg_xml_child_text(n, "ETag");
			char clean[72] = "";
			k.size = size ? strtoull(size, NULL, 10) : 0;
			if (etag) {
				size_t len = strlen(etag);
				while (len && etag[len - 1] == '"')
					len--;
				while (len && *etag == '"') {
					etag++;
					len--;
				}
				printable(clean, sizeof(clean), etag, len);
			}
			k.etag = clean;
			err = l->op->each ? l->op->each(l->op->ctx, &k) : 0;
		} else {
			k.etag = "";
			err = l->op->each ? l->op->each(l->op->ctx, &k) : 0;
		}
	}
	if (err < 0) {
		mlreg_op_fail(l->op, err, "%s", mlreg_error_message());
		goto out;
	}
	trunc = mlreg_xml_child_text(root, "IsTruncated");
	next = mlreg_xml_child_text(root, "NextContinuationToken");
	if (trunc && !strcmp(trunc, "true")) {
		if (!next || !*next) {
			mlreg_op_fail(l->op, MLREG_EREMOTE, "remote '%s': the listing of s3://%s/%s "
				      "does not end (a truncated page without a new token)",
				      s->base.remote->name, s->bucket, l->op->key);
			goto out;
		}
		if (token_seen(l, next)) {
			mlreg_op_fail(l->op, MLREG_EREMOTE, "remote '%s': the listing of s3://%s/%s "
				      "does not end: the server repeats a listing page (a continuation "
				      "token came again)", s->base.remote->name, s->bucket, l->op->key);
			goto out;
		}
		if (++l->pages >= s->base.opts.max_pages) {
			mlreg_op_fail(l->op, MLREG_EREMOTE, "remote '%s': the listing of s3://%s/%s "
				      "has more than %lu pages (set MLREG_LIST_MAX_PAGES to allow more)",
				      s->base.remote->name, s->bucket, l->op->key,
				      s->base.opts.max_pages);
			goto out;
		}
		free(l->token);
		l->token = xstrdup(next);
		mlreg_xml_free(doc);
		free_req(r);
		list_page(s, l);
		return;
	}
	mlreg_op_finish(l->op, &(struct mlreg_result){ .etag = "" });
out:
	mlreg_xml_free(doc);
	free(l->token);
	free(l->seen);
	free(l);
	free_req(r);
}

static void list_page(struct s3 *s, struct lister *l)
{
	struct req *r = new_req(s, "GET", "");
	char *prefix = mlreg_sigv4_uri_encode(l->op->key, 0);
	char *delim = l->op->delim ? mlreg_sigv4_uri_encode(l->op->delim, 0) : NULL;
	char *token = l->token ? mlreg_sigv4_uri_encode(l->token, 0) : NULL;

	r->query = xasprintf("list-type=2&prefix=%s%s%s%s%s", prefix, delim ? "&delimiter=" : "",
			     delim ? delim : "", token ? "&continuation-token=" : "",
			     token ? token : "");
	free(prefix);
	free(delim);
	free(token);
	r->resp = RESP_BUF;
	r->max = LIST_BODY_MAX;
	r->complete = list_complete;
	r->ctx = l;
	enqueue(s, r);
}

static void start_list(struct s3 *s, struct mlreg_op *op)
{
	struct lister *l = xcalloc(1, sizeof(*l));
	const char *prefix = s->base.remote->prefix;

	l->op = op;
	l->strip = *prefix ? strlen(prefix) + 1 : 0;
	list_page(s, l);
}

/* Multipart upload of one file (see the top of the file). */
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
	free_req(r);	/* best effort: some servers cannot abort */
}

/* Ends the upload, finishing its operation. */
static void upload_end(struct upload *u, int err, const char *msg)
{
	char junk[MLREG_HEX_LEN + 1];

	if (err == MLREG_ECORRUPT && u->upload_id) {
		/* Never to be completed: its parts go (and its state, below). */
		struct req *r = new_req(u->s, "DELETE", u->op->key);
		char *id = mlreg_sigv4_uri_encode(u->upload_id, 0);
		r->query = xasprintf("uploadId=%s", id);
		free(id);
		r->complete = abort_done;
		enqueue(u->s, r);
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

	judge(u->s, r, &o);
	/* CompleteMultipartUpload may fail with "200 OK" and an Error document. */
	if (!o.err && (mlreg_xml_parse(&doc, r->rbuf ? r->rbuf : "", r->rlen) < 0 ||
		       !(root = mlreg_xml_root(doc)) ||
		       strcmp(mlreg_xml_name(root), "CompleteMultipartUploadResult"))) {
		char *at = where(u->s, u->op->key), code[64] = "", text[256] = "";
		error_code(r, code, sizeof(code), text, sizeof(text));
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
	    transient(&(struct req){ .cc = CURLE_OK, .status = 200 }, o.code)) {
		/* An error inside a 200: retried as the same status would be. */
		free_req(r);
		u->s->base.stats.retries++;
		send_complete(u, (double)u->s->base.opts.retry_delay_ms / 1000.0 *
			      pow(2, u->completes - 1));
		return;
	}
	free_req(r);
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
	r = new_req(u->s, "POST", u->op->key);
	id = mlreg_sigv4_uri_encode(u->upload_id, 0);
	r->query = xasprintf("uploadId=%s", id);
	free(id);
	r->body = BODY_BUF;
	r->buf = r->owned = xml;
	r->buflen = len;
	mlreg_sha256_hex(xml, len, r->sha256);
	add_header(r, "Content-Type: application/xml");
	r->resp = RESP_BUF;
	r->max = ERROR_BODY_MAX;
	r->complete = complete_done;
	r->ctx = u;
	r->ready = mlreg_monotonic() + delay;
	enqueue(u->s, r);
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

	judge(u->s, r, &o);
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
	free_req(r);
	upload_pump(u);
}

static void initiate_done(struct req *r)
{
	struct upload *u = r->ctx;
	struct outcome o;
	struct mlreg_xml *doc = NULL;
	const char *id = NULL;

	judge(u->s, r, &o);
	if (!o.err && mlreg_xml_parse(&doc, r->rbuf ? r->rbuf : "", r->rlen) == 0)
		id = mlreg_xml_child_text(mlreg_xml_root(doc), "UploadId");
	mlreg_error_clear();
	if (!o.err && (!id || !*id || strlen(id) > 190 || strpbrk(id, " \t\r\n"))) {
		o.err = MLREG_EREMOTE;
		snprintf(o.msg, sizeof(o.msg), "remote '%s': the server did not start a multipart "
			 "upload (no UploadId)", u->s->base.remote->name);
	}
	if (o.err) {
		mlreg_xml_free(doc);
		free_req(r);
		upload_end(u, o.err, o.msg);
		return;
	}
	u->upload_id = xstrdup(id);
	mlreg_xml_free(doc);
	free_req(r);
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
		r = new_req(s, "POST", u->op->key);
		r->query = xstrdup("uploads");
		r->resp = RESP_BUF;
		r->max = ERROR_BODY_MAX;
		r->complete = initiate_done;
		r->ctx = u;
		enqueue(s, r);
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
		r = new_req(s, "PUT", u->op->key);
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
		enqueue(s, r);
	}
	if (u->failed) {
		if (u->inflight == 0)
			upload_end(u, u->err.err, u->err.msg);
		return;
	}
	if (u->done_parts == u->nparts && u->inflight == 0)
		upload_complete(u);
}

static void start_multipart(struct s3 *s, struct mlreg_op *op, int fd)
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

/* A single PUT of a whole file, after checking it hashes to its name. */
static void file_put_complete(struct req *r)
{
	int fd = r->fd;

	op_complete(r);
	close(fd);
}

static void start_put_file(struct s3 *s, struct mlreg_op *op)
{
	int fd = open(op->path, O_RDONLY | O_CLOEXEC);
	struct req *r;

	if (fd < 0) {
		mlreg_op_fail(op, MLREG_EOS, "cannot open '%s': %s", op->path, strerror(errno));
		return;
	}
	if (op->size > SINGLE_PUT_MAX) {
		start_multipart(s, op, fd);
		return;
	}
	{
		struct mlreg_sha256 h;
		char *buf = xmalloc(CHUNK), actual[MLREG_HEX_LEN + 1];
		uint64_t total = 0;
		ssize_t n;
		mlreg_sha256_init(&h);
		while ((n = mlreg_read_retry(fd, buf, CHUNK)) > 0) {
			mlreg_sha256_update(&h, buf, (size_t)n);
			total += (uint64_t)n;
		}
		mlreg_sha256_final_hex(&h, actual);
		free(buf);
		if (n < 0 || total != op->size || strcmp(actual, op->sha256)) {
			close(fd);
			mlreg_op_fail(op, MLREG_ECORRUPT, "object %s in the local store is corrupt "
				      "(its content hashes to %s); run 'mlreg fsck'", op->sha256,
				      actual);
			return;
		}
	}
	r = op_req(s, op, "PUT");
	r->body = BODY_FILE;
	r->fd = fd;
	r->foff = 0;
	r->flen = op->size;
	memcpy(r->sha256, op->sha256, sizeof(r->sha256));
	r->complete = file_put_complete;
	enqueue(s, r);
}

static void delete_complete(struct req *r)
{
	struct outcome o;

	judge(r->s3, r, &o);
	if (o.err && o.err != MLREG_ENOTFOUND)
		mlreg_op_fail(r->op, o.err, "%s", o.msg);
	else
		mlreg_op_finish(r->op, &(struct mlreg_result){ .etag = "" });
	free_req(r);
}

static void submit(struct mlreg_transport *t, struct mlreg_op *op)
{
	struct s3 *s = (struct s3 *)t;
	struct req *r;

	switch (op->kind) {
	case MLREG_OP_LIST:
		start_list(s, op);
		return;
	case MLREG_OP_GET_BUF:
		r = op_req(s, op, "GET");
		r->resp = RESP_BUF;
		r->max = op->max;
		break;
	case MLREG_OP_GET:
		r = op_req(s, op, "GET");
		r->resp = RESP_SINK;
		r->sink = op->sink;
		if (op->off > 0 || op->len != UINT64_MAX) {
			r->ranged = 1;
			r->range_off = op->off;
			if (op->len == UINT64_MAX)
				add_header(r, "Range: bytes=%llu-", (unsigned long long)op->off);
			else if (op->len == 0) {
				/* Nothing to fetch. */
				free_req(r);
				mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
				return;
			} else
				add_header(r, "Range: bytes=%llu-%llu", (unsigned long long)op->off,
					   (unsigned long long)(op->off + op->len - 1));
		}
		break;
	case MLREG_OP_HEAD:
		r = op_req(s, op, "HEAD");
		break;
	case MLREG_OP_PUT_BUF:
		r = op_req(s, op, "PUT");
		r->body = BODY_BUF;
		r->buf = op->buf;
		r->buflen = op->buflen;
		memcpy(r->sha256, op->sha256, sizeof(r->sha256));
		if (op->flags & MLREG_TR_IF_ABSENT)
			add_header(r, "If-None-Match: *");
		break;
	case MLREG_OP_PUT:
		r = op_req(s, op, "PUT");
		r->body = BODY_SOURCE;
		r->src = op->src;
		memcpy(r->sha256, op->sha256, sizeof(r->sha256));
		break;
	case MLREG_OP_PUT_FILE:
		start_put_file(s, op);
		return;
	case MLREG_OP_DELETE:
		r = op_req(s, op, "DELETE");
		r->complete = delete_complete;
		break;
	case MLREG_OP_TIDY:
		/* Nothing: S3 has no temporary keys. */
		mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
		return;
	default:
		mlreg_op_fail(op, MLREG_ERROR, "unknown operation");
		return;
	}
	enqueue(s, r);
}

static int run(struct mlreg_transport *t)
{
	return run_requests((struct s3 *)t);
}

static void free_s3(struct mlreg_transport *t)
{
	struct s3 *s = (struct s3 *)t;

	while (s->waiting) {
		struct req *r = s->waiting;
		s->waiting = r->next;
		free_req(r);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi);
	mlreg_aws_creds_free(&s->creds);
	free(s->region);
	free(s->scheme);
	free(s->authority);
	free(s->origin);
	free(s->bucket);
	free(s->ca_bundle);
	free(s);
}

static const struct mlreg_tr_vtable s3_vt = { submit, run, free_s3 };

/* Returns 1 when host (no port) is an IP address or localhost. */
static int is_ip_or_local(const char *host, size_t len)
{
	size_t i;

	if ((len == 9 && !strncmp(host, "localhost", 9)) || (len > 0 && host[0] == '['))
		return 1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return 0;
	return 1;
}

int mlreg_tr_s3_open(struct mlreg_transport **out, const struct mlreg_remote *r,
		     const struct mlreg_tr_opts *o)
{
	struct s3 *s = xcalloc(1, sizeof(*s));
	char *endpoint = NULL, *region = NULL;
	const char *host, *e;
	size_t hostlen;
	int err, custom;

	*out = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s->base.vt = &s3_vt;
	s->base.conditional = -1;
	s->bucket = xstrdup(r->bucket);
	if ((err = mlreg_aws_credentials(&s->creds, r->profile)) < 0) {
		err = mlreg_error_set(err == MLREG_ENOTFOUND ? MLREG_EREMOTE : err, "remote '%s': %s",
				      r->name, mlreg_error_message());
		goto fail;
	}
	if (r->region) {
		region = xstrdup(r->region);
	} else if ((err = mlreg_aws_region(&region, r->profile)) == MLREG_ENOTFOUND) {
		region = xstrdup("us-east-1");
	} else if (err < 0) {
		err = mlreg_error_set(err, "remote '%s': %s", r->name, mlreg_error_message());
		goto fail;
	}
	mlreg_error_clear();
	s->region = region;
	if (r->endpoint) {
		endpoint = xstrdup(r->endpoint);
	} else if ((err = mlreg_aws_endpoint(&endpoint, r->profile)) == MLREG_ENOTFOUND) {
		endpoint = NULL;
	} else if (err < 0) {
		err = mlreg_error_set(err, "remote '%s': %s", r->name, mlreg_error_message());
		goto fail;
	}
	mlreg_error_clear();
	custom = endpoint != NULL;
	if (!endpoint)
		endpoint = xasprintf("https://s3.%s.amazonaws.com", region);
	if ((err = mlreg_remote_check_endpoint(endpoint)) < 0) {
		err = mlreg_error_set(MLREG_EINVALID, "remote '%s': %s", r->name,
				      mlreg_error_message());
		free(endpoint);
		goto fail;
	}
	e = strstr(endpoint, "://");
	s->scheme = xstrndup(endpoint, (size_t)(e - endpoint));
	host = e + 3;
	hostlen = strcspn(host, "/");
	{
		size_t namelen = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
		if (r->path_style >= 0)
			s->path_style = r->path_style;
		else	/* as botocore: a custom endpoint, an IP or a dotted bucket: the path */
			s->path_style = custom || is_ip_or_local(host, namelen) ||
				strchr(r->bucket, '.') || strchr(r->bucket, '_');
		for (const char *c = r->bucket; *c; c++)
			if (isupper((unsigned char)*c))
				s->path_style = 1;
	}
	s->authority = s->path_style ? xstrndup(host, hostlen)
				     : xasprintf("%s.%.*s", r->bucket, (int)hostlen, host);
	s->origin = xasprintf("%s://%s", s->scheme, s->authority);
	free(endpoint);
	s->multi = curl_multi_init();
	if (!s->multi) {
		err = mlreg_error_set(MLREG_ERROR, "cannot start libcurl");
		goto fail;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(o->jobs > 0 ? o->jobs : 8));
	s->trace = getenv("MLREG_TRACE") && *getenv("MLREG_TRACE") &&
		strcmp(getenv("MLREG_TRACE"), "0");
	if (getenv("AWS_CA_BUNDLE") && *getenv("AWS_CA_BUNDLE"))
		s->ca_bundle = xstrdup(getenv("AWS_CA_BUNDLE"));
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	*out = &s->base;
	return 0;
fail:
	free_s3(&s->base);
	return err;
}
