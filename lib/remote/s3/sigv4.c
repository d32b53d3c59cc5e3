/*
 * AWS Signature Version 4, as S3 checks it (see sigv4.h).  A request is
 * reduced to its canonical form (method, path as sent, sorted re-encoded
 * query, sorted lowercased headers with trimmed values, the signed header
 * names and the payload hash, one per line), whose SHA-256 goes into the
 * string to sign; the signing key is HMAC-SHA256 chained over the date,
 * region, service and "aws4_request" from "AWS4" + the secret key.  Strings
 * are built in a small growable buffer; the secret and every key derived from
 * it are wiped with OPENSSL_cleanse() before their memory is released, and no
 * error message ever quotes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "error.h"
#include "sigv4.h"
#include "util.h"

#define AMZ_DATE_LEN 16		/* "YYYYMMDDTHHMMSSZ" */

/* Sets an MLREG_EINVALID message about the request and returns the code. */
#define REFUSE(...) \
	mlreg_error_set(MLREG_EINVALID, "cannot sign request: " __VA_ARGS__)

/* One query parameter, both halves already in canonical encoding. */
struct qparam {
	char *key;
	char *value;
};

/* One header as signed: lowercased name, trimmed value, place in the input. */
struct hdr {
	char *name;
	char *value;
	size_t order;
};

/* What canonicalize() returns: the text signed and what the header needs. */
struct canon {
	char *request;				/* the canonical request */
	char *signed_headers;			/* "host;x-amz-date" */
	char date[AMZ_DATE_LEN + 1];		/* x-amz-date's value */
};

/* Returns 1 for RFC 3986's unreserved bytes, which SigV4 never encodes. */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Appends n bytes of s percent-encoded, '/' kept when keep_slash. */
static void encode_into(struct mlreg_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (unreserved(c) || (keep_slash && c == '/')) {
			mlreg_buf_addch(b, (char)c);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		mlreg_buf_add(b, esc, 3);
	}
}

/* Returns s percent-encoded, to be freed by the caller. */
char *mlreg_sigv4_uri_encode(const char *s, int keep_slash)
{
	struct mlreg_buf b = MLREG_BUF_INIT;

	encode_into(&b, s, strlen(s), keep_slash);
	return mlreg_buf_detach(&b, NULL);
}

/*
 * Returns the canonical encoding of n bytes of s as sent in a URL: %XX
 * escapes decoded (either case), then everything re-encoded; a '%' not
 * followed by two hex digits is taken as a literal '%', and '+' as a plus.
 */
static char *reencode(const char *s, size_t n)
{
	struct mlreg_buf raw = MLREG_BUF_INIT, out = MLREG_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = mlreg_hexval(s[i + 1])) >= 0 &&
		    (lo = mlreg_hexval(s[i + 2])) >= 0) {
			mlreg_buf_addch(&raw, (char)(hi << 4 | lo));
			i += 2;
		} else {
			mlreg_buf_addch(&raw, s[i]);
		}
	}
	encode_into(&out, raw.p ? raw.p : "", raw.len, 0);
	free(raw.p);
	return mlreg_buf_detach(&out, NULL);
}

/* Returns the qsort order of two parameters: by key, then by value. */
static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

/* Appends the canonical query string of query (NULL or "" for none). */
static void canonical_query(struct mlreg_buf *b, const char *query)
{
	struct qparam *params = NULL;
	size_t n = 0, cap = 0, i;
	const char *p = query ? query : "";

	while (*p) {
		const char *end = strchr(p, '&'), *eq;
		size_t len;

		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		/* "a&&b" or a trailing '&' carry no parameter: skip them. */
		if (len > 0) {
			MLREG_ALLOC_GROW(params, n + 1, cap);
			eq = memchr(p, '=', len);
			if (eq) {
				params[n].key = reencode(p, (size_t)(eq - p));
				len = (size_t)(end - eq - 1);
				params[n].value = reencode(eq + 1, len);
			} else {
				params[n].key = reencode(p, len);
				params[n].value = xstrdup("");
			}
			n++;
		}
		p = *end ? end + 1 : end;
	}
	if (n)
		qsort(params, n, sizeof(*params), qparam_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			mlreg_buf_addch(b, '&');
		mlreg_buf_addstr(b, params[i].key);
		mlreg_buf_addch(b, '=');
		mlreg_buf_addstr(b, params[i].value);
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
}

/* Returns 1 for the bytes of an HTTP token (RFC 9110 tchar). */
static int tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * Returns a copy of v trimmed of spaces and tabs at both ends (what an HTTP
 * server strips as optional whitespace) with each inner run of spaces made
 * one space, SigV4's Trimall.  Inner tabs are kept: AWS names only spaces.
 */
static char *trimall(const char *v)
{
	struct mlreg_buf b = MLREG_BUF_INIT;
	const char *end = v + strlen(v);

	while (*v == ' ' || *v == '\t')
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (; v < end; v++) {
		if (*v == ' ' && b.len && b.p[b.len - 1] == ' ')
			continue;
		mlreg_buf_addch(&b, *v);
	}
	return mlreg_buf_detach(&b, NULL);
}

/* Returns the qsort order of two headers: by name, then as given. */
static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Returns 1 when s is "YYYYMMDDTHHMMSSZ" with fields in range. */
static int valid_amz_date(const char *s)
{
	static const char shape[] = "ddddddddTddddddZ";
	int mon, day, hour, min, sec;
	size_t i;

	if (strlen(s) != AMZ_DATE_LEN)
		return 0;
	for (i = 0; i < AMZ_DATE_LEN; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
				    : s[i] != shape[i])
			return 0;
#define FIELD(at) ((s[at] - '0') * 10 + (s[(at) + 1] - '0'))
	mon = FIELD(4);
	day = FIELD(6);
	hour = FIELD(9);
	min = FIELD(11);
	sec = FIELD(13);
#undef FIELD
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 &&
	       min <= 59 && sec <= 60;
}

/* Returns 0 when the method, path and payload hash can be signed as given. */
static int check_request(const char *method, const char *path,
			 const char *payload_hash)
{
	const char *p;

	if (!method || !*method)
		return REFUSE("no method");
	for (p = method; *p; p++)
		if (!tchar((unsigned char)*p))
			return REFUSE("invalid method '%s'", method);
	if (path && *path) {
		if (*path != '/')
			return REFUSE("path '%s' does not start with '/'",
				      path);
		for (p = path; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' ||
			    (c == '%' &&
			     (mlreg_hexval(p[1]) < 0 || mlreg_hexval(p[2]) < 0)))
				return REFUSE("path '%s' is not "
					      "percent-encoded", path);
		}
	}
	if (!payload_hash || !*payload_hash)
		return REFUSE("no payload hash");
	for (p = payload_hash; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return REFUSE("malformed payload hash");
	return 0;
}

/*
 * Returns 0 and in *out the headers lowercased, trimmed and sorted, or
 * MLREG_EINVALID for a name that is not a token or a value with a control
 * byte (CR and LF would split the header when sent).
 */
static int sorted_headers(struct hdr **out, const struct mlreg_sigv4_header *h,
			  size_t nh)
{
	struct hdr *v = xcalloc(nh ? nh : 1, sizeof(*v));
	size_t i, j;
	int error = 0;

	for (i = 0; i < nh; i++) {
		const char *name = h[i].name, *value = h[i].value, *p;

		if (!name || !*name) {
			error = REFUSE("header %zu has no name", i + 1);
			goto done;
		}
		for (p = name; *p; p++)
			if (!tchar((unsigned char)*p)) {
				error = REFUSE("invalid header name '%s'",
					       name);
				goto done;
			}
		if (!value) {
			error = REFUSE("header '%s' has no value", name);
			goto done;
		}
		for (p = value; *p; p++)
			if (((unsigned char)*p < ' ' && *p != '\t') ||
			    (unsigned char)*p == 0x7f) {
				error = REFUSE("control character in "
					       "header '%s'", name);
				goto done;
			}
		v[i].name = xstrdup(name);
		for (j = 0; v[i].name[j]; j++)
			if (v[i].name[j] >= 'A' && v[i].name[j] <= 'Z')
				v[i].name[j] = (char)(v[i].name[j] - 'A' + 'a');
		v[i].value = trimall(value);
		v[i].order = i;
	}
	if (nh)
		qsort(v, nh, sizeof(*v), hdr_cmp);
done:
	if (error) {
		for (j = 0; j < i; j++) {
			free(v[j].name);
			free(v[j].value);
		}
		free(v);
		v = NULL;
	}
	*out = v;
	return error;
}

/* Frees what canonicalize() filled in. */
static void canon_free(struct canon *c)
{
	free(c->request);
	free(c->signed_headers);
	memset(c, 0, sizeof(*c));
}

/* Returns 0 and in *c the canonical request of a request, or MLREG_EINVALID. */
static int canonicalize(struct canon *c, const char *method, const char *path,
			const char *query, const struct mlreg_sigv4_header *h,
			size_t nh, const char *payload_hash)
{
	struct mlreg_buf req = MLREG_BUF_INIT, names = MLREG_BUF_INIT, value = MLREG_BUF_INIT;
	struct hdr *v = NULL;
	int have_host = 0, have_date = 0, error;
	size_t i, j;

	memset(c, 0, sizeof(*c));
	if ((error = check_request(method, path, payload_hash)) < 0 ||
	    (error = sorted_headers(&v, h, nh)) < 0)
		return error;

	mlreg_buf_addstr(&req, method);
	mlreg_buf_addch(&req, '\n');
	mlreg_buf_addstr(&req, path && *path ? path : "/");
	mlreg_buf_addch(&req, '\n');
	canonical_query(&req, query);
	mlreg_buf_addch(&req, '\n');
	for (i = 0; i < nh; i = j) {
		/* One line per name, a repeated name's values joined by ','. */
		value.len = 0;
		for (j = i; j < nh && !strcmp(v[j].name, v[i].name); j++) {
			if (j > i)
				mlreg_buf_addch(&value, ',');
			mlreg_buf_addstr(&value, v[j].value);
		}
		mlreg_buf_add(&value, "", 0);	/* terminated, even when empty */
		if (names.len)
			mlreg_buf_addch(&names, ';');
		mlreg_buf_addstr(&names, v[i].name);
		mlreg_buf_addstr(&req, v[i].name);
		mlreg_buf_addch(&req, ':');
		mlreg_buf_addstr(&req, value.p);
		mlreg_buf_addch(&req, '\n');
		if (!strcmp(v[i].name, "host")) {
			have_host = 1;
		} else if (!strcmp(v[i].name, "x-amz-date")) {
			if (!valid_amz_date(value.p)) {
				error = REFUSE("malformed x-amz-date '%.40s' "
					       "(want YYYYMMDDTHHMMSSZ)",
					       value.p);
				goto done;
			}
			memcpy(c->date, value.p, AMZ_DATE_LEN + 1);
			have_date = 1;
		}
	}
	mlreg_buf_addch(&req, '\n');
	mlreg_buf_addstr(&req, names.p ? names.p : "");
	mlreg_buf_addch(&req, '\n');
	mlreg_buf_addstr(&req, payload_hash);

	if (!have_host)
		error = REFUSE("no 'host' header");
	else if (!have_date)
		error = REFUSE("no 'x-amz-date' header");
done:
	for (i = 0; i < nh; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	free(value.p);
	c->request = mlreg_buf_detach(&req, NULL);
	c->signed_headers = mlreg_buf_detach(&names, NULL);
	if (error)
		canon_free(c);
	return error;
}

/* Returns 0 and in *out the canonical request, or MLREG_EINVALID. */
int mlreg_sigv4_canonical_request(char **out, const char *method,
				  const char *path, const char *query,
				  const struct mlreg_sigv4_header *h, size_t nh,
				  const char *payload_hash)
{
	struct canon c;
	int error;

	*out = NULL;
	if ((error = canonicalize(&c, method, path, query, h, nh,
				  payload_hash)) < 0)
		return error;
	*out = c.request;
	c.request = NULL;
	canon_free(&c);
	return 0;
}

/* Returns 0 when a scope part (access key, region, service) can be written. */
static int check_scope_part(const char *s, const char *what)
{
	const char *p;

	if (!s || !*s)
		return REFUSE("no %s", what);
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("/,;=", *p))
			return REFUSE("invalid character in %s", what);
	return 0;
}

/* Returns 0 after writing HMAC-SHA256(key, msg) into out, or MLREG_ERROR. */
static int hmac_sha256(unsigned char out[MLREG_HASH_LEN], const void *key,
		       size_t keylen, const char *msg, size_t len)
{
	unsigned int n = 0;
	char why[256];

	if (keylen <= 0x7fffffff &&
	    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
		 len, out, &n) && n == MLREG_HASH_LEN)
		return 0;
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	return mlreg_error_set(MLREG_ERROR,
			       "cannot sign request: HMAC-SHA256: %s", why);
}

/* Returns 0 and in *authorization the header value, or a negative code. */
int mlreg_sigv4_sign(char **authorization, const struct mlreg_sigv4_key *key,
		     const char *method, const char *path, const char *query,
		     const struct mlreg_sigv4_header *h, size_t nh,
		     const char *payload_hash)
{
	unsigned char k1[MLREG_HASH_LEN], k2[MLREG_HASH_LEN];
	char creq_hex[MLREG_HEX_LEN + 1], sig_hex[MLREG_HEX_LEN + 1];
	char *secret = NULL, *scope = NULL, *sts = NULL;
	size_t secret_len = 0;
	struct canon c = { 0 };
	int error;

	*authorization = NULL;
	if (!key)
		return REFUSE("no credentials");
	if ((error = check_scope_part(key->access_key, "access key")) < 0 ||
	    (error = check_scope_part(key->region, "region")) < 0 ||
	    (error = check_scope_part(key->service, "service")) < 0)
		return error;
	if (!key->secret_key || !*key->secret_key)
		return REFUSE("no secret key");
	if ((error = canonicalize(&c, method, path, query, h, nh,
				  payload_hash)) < 0)
		return error;

	mlreg_sha256_hex(c.request, strlen(c.request), creq_hex);
	scope = xasprintf("%.8s/%s/%s/aws4_request", c.date, key->region,
			  key->service);
	sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", c.date, scope,
			creq_hex);

	/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
	 * service), "aws4_request"); the signature is HMAC(kSigning, sts). */
	secret_len = 4 + strlen(key->secret_key);
	secret = xmalloc(secret_len + 1);
	memcpy(secret, "AWS4", 4);
	memcpy(secret + 4, key->secret_key, secret_len - 4 + 1);
	if ((error = hmac_sha256(k1, secret, secret_len, c.date, 8)) < 0 ||
	    (error = hmac_sha256(k2, k1, sizeof(k1), key->region,
				 strlen(key->region))) < 0 ||
	    (error = hmac_sha256(k1, k2, sizeof(k2), key->service,
				 strlen(key->service))) < 0 ||
	    (error = hmac_sha256(k2, k1, sizeof(k1), "aws4_request", 12)) < 0 ||
	    (error = hmac_sha256(k1, k2, sizeof(k2), sts, strlen(sts))) < 0)
		goto done;
	mlreg_hex(sig_hex, k1, sizeof(k1));
	*authorization = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, "
				   "SignedHeaders=%s, Signature=%s",
				   key->access_key, scope, c.signed_headers,
				   sig_hex);
done:
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	if (secret) {
		OPENSSL_cleanse(secret, secret_len);
		free(secret);
	}
	free(scope);
	free(sts);
	canon_free(&c);
	return error;
}

/* Writes t as an x-amz-date, or "" when buf is too short. */
void mlreg_sigv4_amz_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (!len)
		return;
	buf[0] = '\0';
	if (len < AMZ_DATE_LEN + 1 || !gmtime_r(&t, &tm))
		return;
	if (strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm) != AMZ_DATE_LEN)
		buf[0] = '\0';	/* a year past 9999 is no x-amz-date */
}
