/*
 * The S3 request engine: requests signed with AWS Signature Version 4
 * (sigv4.c, not libcurl's signer) and run several at a time (the
 * transport's jobs) on libcurl's multi interface; see s3-int.h for what a
 * request owns and when it completes.
 *
 * Every request is retried, with exponential back-off and jitter, when it
 * fails in a way that may pass: no connection, a reset or timeout, HTTP
 * 500/502/503/504, 429 or 408, and S3's RequestTimeout.  A body is read
 * again from its source for a retry and a sink is reset, so nothing is
 * buffered whole: files go out and come in in chunks.  A request during
 * which nothing moves for the transport's timeout is stopped and retried.
 *
 * What a server answers is bounded (error documents, listings) and its
 * text is reduced to printable ASCII before it reaches a message.  A
 * message never holds a secret: only the server's error code and message,
 * the method and the object's key are shown.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "error.h"
#include "s3-int.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

/* Copies printable ASCII of s (len bytes) into out (size n), other bytes as '?'. */
void mlreg_s3_printable(char *out, size_t n, const char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 1 < n; i++)
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[j] = '\0';
}

/* Returns how key is shown in messages: "s3://bucket/key", malloc'd. */
char *mlreg_s3_where(struct s3 *s, const char *key)
{
	char shown[512];

	mlreg_s3_printable(shown, sizeof(shown), key, strlen(key));
	return xasprintf("s3://%s/%s", s->bucket, shown);
}

/*
 * Requests.
 */

struct req *mlreg_s3_req_new(struct s3 *s, const char *method, const char *key)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->s3 = s;
	r->method = method;
	r->key = xstrdup(key);
	r->fd = -1;
	strcpy(r->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	return r;
}

void mlreg_s3_req_free(struct req *r)
{
	for (int i = 0; i < r->nhdr; i++)
		free(r->hdr[i]);
	free(r->key);
	free(r->query);
	free(r->rbody.p);
	free(r->sink_msg);
	free(r->owned);
	free(r);
}

void mlreg_s3_req_header(struct req *r, const char *fmt, ...)
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
void mlreg_s3_enqueue(struct s3 *s, struct req *r)
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
	if (r->rbody.len + len > max)
		return -1;
	mlreg_buf_add(&r->rbody, data, len);
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
		mlreg_s3_printable(r->etag, sizeof(r->etag), v, vl);
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

	/* Credentials that expire soon are fetched again first (awsconf.h). */
	if ((err = mlreg_aws_creds_refresh(&s->creds, time(NULL))) < 0)
		return err;
	key.access_key = s->creds.access_key;
	key.secret_key = s->creds.secret_key;
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
	r->rbody.len = 0;
	if (r->rbody.p)
		r->rbody.p[0] = '\0';
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
int mlreg_s3_transient(const struct req *r, const char *code)
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
void mlreg_s3_error_code(const struct req *r, char *code, size_t ncode, char *msg,
			 size_t nmsg)
{
	struct mlreg_xml *doc = NULL;
	mlreg_xml_node *root;
	const char *c, *m;

	code[0] = msg[0] = '\0';
	if (!r->rbody.len || mlreg_xml_parse(&doc, r->rbody.p, r->rbody.len) < 0) {
		mlreg_error_clear();
		return;
	}
	root = mlreg_xml_root(doc);
	if (root && !strcmp(mlreg_xml_name(root), "Error")) {
		if ((c = mlreg_xml_child_text(root, "Code")) != NULL)
			mlreg_s3_printable(code, ncode, c, strlen(c));
		if ((m = mlreg_xml_child_text(root, "Message")) != NULL)
			mlreg_s3_printable(msg, nmsg, m, strlen(m));
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


/* Fills o from r's last attempt. */
void mlreg_s3_judge(struct s3 *s, struct req *r, struct outcome *o)
{
	char code[64], text[256], *at = mlreg_s3_where(s, r->key);
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
	mlreg_s3_error_code(r, code, sizeof(code), text, sizeof(text));
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
	mlreg_s3_printable(shown, sizeof(shown), r->key, strlen(r->key));
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
		mlreg_s3_error_code(r, code, sizeof(code), text, sizeof(text));
	if (!r->sink_err && mlreg_s3_transient(r, code[0] ? code : NULL) &&
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
			mlreg_s3_enqueue(s, r);
			return;
		}
	}
	r->complete(r);
}

/* Runs requests until none is waiting or active. */
int mlreg_s3_run(struct s3 *s)
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
