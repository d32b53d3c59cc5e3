/*
 * AWS Signature Version 4 for S3 requests, signed with the Authorization
 * header.  mlreg signs its own requests rather than use libcurl's
 * CURLOPT_AWS_SIGV4, whose 7.88 signer leaves the query unsorted, writes
 * "?uploads" without '=', does not sign x-amz-content-sha256 and sorts a
 * header name before its own prefix.  The signer follows AWS's published
 * algorithm as S3 applies it: the path is signed exactly as sent (S3 neither
 * normalises nor double-encodes it), query keys and values are decoded then
 * re-encoded and sorted, headers are lowercased, sorted bytewise by name,
 * trimmed, and duplicates joined with ','.  It is checked against AWS's test
 * suite and S3 examples (t/unit/sigv4-test.c) and against botocore on
 * random requests (t/helpers/sigv4-check.py).
 *
 * A caller builds the request's path and query with mlreg_sigv4_uri_encode()
 * so that what curl sends is byte for byte what was signed.
 */
#ifndef MLREG_SIGV4_H
#define MLREG_SIGV4_H

#include <stddef.h>
#include <time.h>

/* One request header to sign. */
struct mlreg_sigv4_header {
	const char *name;	/* any case; lowercased when signed */
	const char *value;	/* as sent; signed trimmed, spaces squeezed */
};

/* Who signs, and for what: the credential scope. */
struct mlreg_sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;	/* e.g. "us-east-1" */
	const char *service;	/* "s3" */
};

/*
 * Returns a malloc'd copy of s percent-encoded as SigV4 wants: A-Z a-z 0-9
 * - . _ ~ kept, every other byte as %XX (uppercase hex); '/' kept only when
 * keep_slash.
 */
char *mlreg_sigv4_uri_encode(const char *s, int keep_slash);

/*
 * Returns 0 and in *authorization (malloc'd) the value of the Authorization
 * header ("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/
 * aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>").
 *
 * method: "GET", "PUT"...; path: the request path exactly as it appears in
 * the URL, already percent-encoded (e.g. "/bucket/models/a%252Fb/1.json"),
 * used verbatim as the canonical URI ("" or NULL is "/").
 *
 * query: the query string as sent in the URL without '?', may be NULL or "";
 * pairs separated by '&', each "k=v", "k=" or bare "k" (e.g. "uploads"); each
 * key and value is percent-decoded, re-encoded with mlreg_sigv4_uri_encode(..,
 * 0), the pairs sorted by encoded key then encoded value and written "k=v",
 * with '=' even for empty values.  A '+' is a literal plus (signed %2B), as
 * AWS wants spaces sent as %20: build the query with mlreg_sigv4_uri_encode().
 *
 * h/nh: every header to sign; it must include "host" and "x-amz-date" (value
 * "YYYYMMDDTHHMMSSZ", which gives the credential date) and, for S3,
 * "x-amz-content-sha256".  Names are lowercased and sorted by full name
 * bytewise ("x-amz-meta-a" before "x-amz-meta-ab"); values are trimmed of
 * spaces and tabs and inner runs of spaces collapsed to one; duplicate names
 * are joined with ',' in the order given.
 *
 * payload_hash: the hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
 *
 * Errors: MLREG_EINVALID when host or x-amz-date is missing, the date is
 * malformed, a header name is empty or not a token, a value holds CR, LF or
 * another control byte, or the key, method or payload hash is missing.  The
 * message never holds the secret key.
 */
int mlreg_sigv4_sign(char **authorization, const struct mlreg_sigv4_key *key,
		     const char *method, const char *path, const char *query,
		     const struct mlreg_sigv4_header *h, size_t nh,
		     const char *payload_hash);

/*
 * Returns 0 and the canonical request text (malloc'd) that the signature
 * covers, for tests and debugging; the arguments and errors are
 * mlreg_sigv4_sign()'s.
 */
int mlreg_sigv4_canonical_request(char **out, const char *method,
				  const char *path, const char *query,
				  const struct mlreg_sigv4_header *h, size_t nh,
				  const char *payload_hash);

/* Writes "YYYYMMDDTHHMMSSZ" for time t (UTC) into buf (>= 17 bytes). */
void mlreg_sigv4_amz_date(char *buf, size_t len, time_t t);

#endif
