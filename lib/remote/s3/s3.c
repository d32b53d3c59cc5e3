/*
 * The S3 transport: the operations of transport.h as S3 REST requests on
 * the request engine (s3-request.c, which signs, runs several at a time and
 * retries them), a large file as a resumable multipart upload
 * (s3-multipart.c), and the kind's vtable and constructor, which reads the
 * credentials, region and endpoint the way the AWS tools do (awsconf.c).
 * See s3-int.h for how the parts fit.
 *
 * A listing is a series of ListObjectsV2 pages, bounded in number and
 * stopped when the server hands out a token it gave before; a file up to
 * SINGLE_PUT_MAX goes in one PUT after its bytes were found to hash to its
 * name, a larger one as a multipart upload.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "curl-dl.h"

#include "awsconf.h"
#include "error.h"
#include "s3-int.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

#define LIST_BODY_MAX (16u << 20)	/* one page of a listing */
#define SINGLE_PUT_MAX (64u << 20)	/* larger files go multipart */

/*
 * Operations.
 */

/* Finishes r's operation from r's outcome (a plain request). */
static void op_complete(struct req *r)
{
	struct outcome o;
	struct mlreg_result res = { 0 };

	mlreg_s3_judge(r->s3, r, &o);
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
			res.body = r->rbody.p ? r->rbody.p : "";
			res.len = r->rbody.len;
		}
		mlreg_op_finish(r->op, &res);
	}
	mlreg_s3_req_free(r);
}

/* Returns a new request for op on its key. */
static struct req *op_req(struct s3 *s, struct mlreg_op *op, const char *method)
{
	struct req *r = mlreg_s3_req_new(s, method, op->key);

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

	mlreg_s3_judge(s, r, &o);
	if (o.err) {
		mlreg_op_fail(l->op, o.err, "%s", o.msg);
		goto out;
	}
	if (mlreg_xml_parse(&doc, r->rbody.p ? r->rbody.p : "", r->rbody.len) < 0 ||
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
				mlreg_s3_printable(clean, sizeof(clean), etag, len);
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
		mlreg_s3_req_free(r);
		list_page(s, l);
		return;
	}
	mlreg_op_finish(l->op, &(struct mlreg_result){ .etag = "" });
out:
	mlreg_xml_free(doc);
	free(l->token);
	free(l->seen);
	free(l);
	mlreg_s3_req_free(r);
}

static void list_page(struct s3 *s, struct lister *l)
{
	struct req *r = mlreg_s3_req_new(s, "GET", "");
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
	mlreg_s3_enqueue(s, r);
}

static void start_list(struct s3 *s, struct mlreg_op *op)
{
	struct lister *l = xcalloc(1, sizeof(*l));
	const char *prefix = s->base.remote->prefix;

	l->op = op;
	l->strip = *prefix ? strlen(prefix) + 1 : 0;
	list_page(s, l);
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
		mlreg_s3_multipart_start(s, op, fd);
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
	mlreg_s3_enqueue(s, r);
}

static void delete_complete(struct req *r)
{
	struct outcome o;

	mlreg_s3_judge(r->s3, r, &o);
	if (o.err && o.err != MLREG_ENOTFOUND)
		mlreg_op_fail(r->op, o.err, "%s", o.msg);
	else
		mlreg_op_finish(r->op, &(struct mlreg_result){ .etag = "" });
	mlreg_s3_req_free(r);
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
				mlreg_s3_req_header(r, "Range: bytes=%llu-", (unsigned long long)op->off);
			else if (op->len == 0) {
				/* Nothing to fetch. */
				mlreg_s3_req_free(r);
				mlreg_op_finish(op, &(struct mlreg_result){ .etag = "" });
				return;
			} else
				mlreg_s3_req_header(r, "Range: bytes=%llu-%llu", (unsigned long long)op->off,
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
			mlreg_s3_req_header(r, "If-None-Match: *");
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
	mlreg_s3_enqueue(s, r);
}

static int run(struct mlreg_transport *t)
{
	return mlreg_s3_run((struct s3 *)t);
}

static void free_s3(struct mlreg_transport *t)
{
	struct s3 *s = (struct s3 *)t;

	while (s->waiting) {
		struct req *r = s->waiting;
		s->waiting = r->next;
		mlreg_s3_req_free(r);
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
		err = mlreg_error_set(MLREG_ERROR, "cannot start libcurl%s%s",
				      *mlreg_curl_error() ? ": " : "", mlreg_curl_error());
		goto fail;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(o->jobs > 0 ? o->jobs : 8));
	s->trace = getenv("MLREG_TRACE") && *getenv("MLREG_TRACE") &&
		strcmp(getenv("MLREG_TRACE"), "0");
	if (s->trace)	/* where, never what: the source names no secret */
		fprintf(stderr, "mlreg: trace: credentials from %s\n", s->creds.source);
	if (getenv("AWS_CA_BUNDLE") && *getenv("AWS_CA_BUNDLE"))
		s->ca_bundle = xstrdup(getenv("AWS_CA_BUNDLE"));
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	*out = &s->base;
	return 0;
fail:
	free_s3(&s->base);
	return err;
}
