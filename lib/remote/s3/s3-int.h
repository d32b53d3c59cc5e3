/*
 * The S3 transport's parts (private to lib/remote/s3/): s3-request.c is
 * the engine that signs requests, runs several at a time on libcurl's
 * multi interface and retries them; s3-multipart.c sends a large file as
 * a resumable multipart upload on that engine; s3.c maps the operations of
 * transport.h onto requests and is the kind's vtable and constructor.
 * The engine knows nothing of operations beyond the one a request serves
 * (req.op, handed back untouched to its complete()).
 *
 * Rules for every request: a request owns its key, query, headers and, when
 * set, the body buffer "owned"; buf, src and fd are borrowed and must live
 * until complete() is called.  complete() is called once, after the last
 * attempt, and frees the request (mlreg_s3_req_free()); it may queue more
 * requests.  A request still waiting when the transport is freed is freed
 * without its complete().  What a server answers is kept up to a bound (max, or
 * ERROR_BODY_MAX for an error document), never whole.
 */
#ifndef MLREG_S3_INT_H
#define MLREG_S3_INT_H

#include <stdint.h>

#include <curl/curl.h>

#include "awsconf.h"
#include "remote/transport-int.h"
#include "util.h"

#define CHUNK (1u << 20)			/* bytes read from a file at a time */
#define ERROR_BODY_MAX (64u << 10)	/* an error document kept for its Code */

struct s3;
struct req;

/* What a request's body is read from. */
enum body_kind { BODY_NONE, BODY_BUF, BODY_SOURCE, BODY_FILE };
/* Where a 2xx response's body goes. */
enum resp_kind { RESP_DISCARD, RESP_BUF, RESP_SINK };

/* One S3 request, retried as a whole until it passes or cannot. */
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
	struct mlreg_buf rbody;	/* RESP_BUF body, or an error document */
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

/* The S3 transport: a struct mlreg_transport and what requests share. */
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

/*
 * The outcome of a request, for its completion: err 0 on a 2xx answer;
 * msg is the one-line error otherwise.
 */
struct outcome {
	int err;
	char msg[1024];
	char code[64];
};


/*
 * The request engine (s3-request.c).
 */

/* Copies printable ASCII of s (len bytes) into out (size n), other bytes as '?'. */
void mlreg_s3_printable(char *out, size_t n, const char *s, size_t len);

/* Returns how key is shown in messages: "s3://bucket/key", malloc'd. */
char *mlreg_s3_where(struct s3 *s, const char *key);

/* Returns a new request of method on key (full key, "" for the bucket), body empty. */
struct req *mlreg_s3_req_new(struct s3 *s, const char *method, const char *key);

/* Frees r (not what it borrows). */
void mlreg_s3_req_free(struct req *r);

/* Adds a signed "Name: value" header to r (4 at most; more are dropped). */
void mlreg_s3_req_header(struct req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Queues r to start at once (or after a back-off, when r->ready is later). */
void mlreg_s3_enqueue(struct s3 *s, struct req *r);

/* Returns 1 when an attempt that ended so (code: S3's error Code) may pass if tried again. */
int mlreg_s3_transient(const struct req *r, const char *code);

/* Copies the Code and Message of an S3 error document in r's buffer, "" when none. */
void mlreg_s3_error_code(const struct req *r, char *code, size_t ncode, char *msg,
			 size_t nmsg);

/* Fills o from r's last attempt. */
void mlreg_s3_judge(struct s3 *s, struct req *r, struct outcome *o);

/* Returns 0 once no request is waiting or active (each one completed). */
int mlreg_s3_run(struct s3 *s);

/*
 * Multipart uploads (s3-multipart.c).
 */

/* Sends op's file (open on fd, closed at the end) as a multipart upload; finishes op. */
void mlreg_s3_multipart_start(struct s3 *s, struct mlreg_op *op, int fd);

#endif
