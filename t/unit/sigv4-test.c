/*
 * Unit tests of the SigV4 signer (lib/remote/s3/sigv4.c), printing TAP for prove
 * through t/t0110-sigv4.t.  Every expected value below is published by AWS:
 * the canonical requests and Authorization headers of AWS's SigV4 test suite
 * ("aws-sig-v4-test-suite", 2015-08-30, credentials AKIDEXAMPLE) for each
 * case that does not depend on URI normalisation, which S3 does not do, and
 * the four worked examples of the S3 SigV4 documentation ("examplebucket",
 * AKIAIOSFODNN7EXAMPLE), whose signatures t/helpers/sigv4-check.py also has
 * botocore reproduce.  The rest checks structure only (sort orders,
 * encodings, errors), which needs no outside value.  The random differential
 * test against botocore is t/t0111-sigv4-botocore.t.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote/s3/sigv4.h"
#include "tap.h"

#define MAX_HEADERS 8
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_HOST_DATE \
	"host:example.amazonaws.com\nx-amz-date:" SUITE_DATE "\n"
#define SUITE_AUTHZ(signed, sig) \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/" \
	"service/aws4_request, SignedHeaders=" signed ", Signature=" sig
#define S3_AUTHZ(signed, sig) \
	"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/" \
	"s3/aws4_request, SignedHeaders=" signed ", Signature=" sig
#define UNRESERVED \
	"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define STS_TOKEN \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQ" \
	"WLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMc" \
	"GdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp7" \
	"5YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZb" \
	"qBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/o" \
	"LxBA=="
/* SHA-256 of "Param1=value1", the x-www-form-urlencoded cases' body. */
#define FORM_SHA256 \
	"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
/* SHA-256 of "Welcome to Amazon S3.", the S3 PUT example's body. */
#define PUT_SHA256 \
	"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_DATE "20130524T000000Z"

static const struct mlreg_sigv4_key suite_key = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"us-east-1", "service",
};
static const struct mlreg_sigv4_key s3_key = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3",
};

/* One published request: what to sign and what AWS says comes out. */
struct vector {
	const char *name;
	const struct mlreg_sigv4_key *key;
	const char *method, *path, *query;
	struct mlreg_sigv4_header h[MAX_HEADERS];	/* until a NULL name */
	const char *payload;
	const char *creq;			/* the published .creq */
	const char *authz;			/* the published .authz */
};

static const struct vector vectors[] = {
	{ "get-vanilla", &suite_key, "GET", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e"
		      "8372ff2a2260956d9b8aae1d763fbf31") },
	/* As published (2015-08-30), this request is "GET /?Param1=value1". */
	{ "get-vanilla-empty-query-key", &suite_key, "GET", "/", "Param1=value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\nParam1=value1\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b9"
		      "7f1ea3c7a6bfe1b6e45aec72011b9aeb") },
	/* As published, this case's request has no query: it is get-vanilla. */
	{ "get-vanilla-query", &suite_key, "GET", "/", "",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e"
		      "8372ff2a2260956d9b8aae1d763fbf31") },
	{ "get-vanilla-query-order-key-case", &suite_key, "GET", "/",
	  "Param2=value2&Param1=value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\nParam1=value1&Param2=value2\n" SUITE_HOST_DATE
	  "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f45"
		      "8b799221646efd99d3219ec94cdf2500") },
	{ "get-vanilla-query-order-key", &suite_key, "GET", "/",
	  "Param1=value2&Param1=Value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\nParam1=Value1&Param1=value2\n" SUITE_HOST_DATE
	  "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "eedbc4e291e521cf13422ffca22be7d2"
		      "eb8146eecf653089df300a15b2382bd1") },
	{ "get-vanilla-query-order-value", &suite_key, "GET", "/",
	  "Param1=value2&Param1=value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\nParam1=value1&Param1=value2\n" SUITE_HOST_DATE
	  "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b"
		      "51d56abc0abb7c60486157bd471c4694") },
	{ "get-vanilla-query-unreserved", &suite_key, "GET", "/",
	  UNRESERVED "=" UNRESERVED,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n" UNRESERVED "=" UNRESERVED "\n" SUITE_HOST_DATE
	  "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cd"
		      "f59bc7cc0884027167c21bb143a40197") },
	/* The request sends U+1234 raw: the signer encodes it. */
	{ "get-vanilla-utf8-query", &suite_key, "GET", "/", "\xe1\x88\xb4=bar",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n%E1%88%B4=bar\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c"
		      "643bcf08f8b0a1d91e12c9027818dd04") },
	{ "get-unreserved", &suite_key, "GET", "/" UNRESERVED, NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/" UNRESERVED "\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "07ef7494c76fa4850883e2b006601f94"
		      "0f8a34d404d0cfa977f52a65bbf5f24f") },
	/*
	 * The suite's request line holds a raw space ("/example space/"),
	 * which no client can send; mlreg is given the path as sent, encoded.
	 */
	{ "get-space (path given encoded)", &suite_key, "GET",
	  "/example%20space/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/example%20space/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "652487583200325589f1fba4c7e578f7"
		      "2c47cb61beeca81406b39ddec1366741") },
	{ "get-header-key-duplicate", &suite_key, "GET", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", "value2" },
	    { "My-Header1", "value2" }, { "My-Header1", "value1" },
	    { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
	  "x-amz-date:" SUITE_DATE "\n\nhost;my-header1;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;x-amz-date",
		      "c9d5ea9f3f72853aea855b47ea873832"
		      "890dbdd183b4468f858259531a5138ea") },
	/*
	 * The suite folds "My-Header1:value1" over two continuation lines
	 * (obsolete line folding, which curl cannot send) and signs the three
	 * pieces joined by ','.  That is what three fields of the same name
	 * sign to, so the case is given as three headers.
	 */
	{ "get-header-value-multiline (as three fields)", &suite_key, "GET",
	  "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", "value1" },
	    { "My-Header1", "  value2" }, { "My-Header1", "     value3" },
	    { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\n"
	  "x-amz-date:" SUITE_DATE "\n\nhost;my-header1;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;x-amz-date",
		      "ba17b383a53190154eb5fa66a1b836cc"
		      "297cc0a3d70a5d00705980573d8ff790") },
	{ "get-header-value-order", &suite_key, "GET", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", "value4" },
	    { "My-Header1", "value1" }, { "My-Header1", "value3" },
	    { "My-Header1", "value2" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\nhost:example.amazonaws.com\n"
	  "my-header1:value4,value1,value3,value2\n"
	  "x-amz-date:" SUITE_DATE "\n\nhost;my-header1;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;x-amz-date",
		      "08c7e5a9acfcfeb3ab6b2185e75ce8b1"
		      "deb5e634ec47601a50643f830c755c01") },
	{ "get-header-value-trim", &suite_key, "GET", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", " value1" },
	    { "My-Header2", " \"a   b   c\"" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
	  "my-header2:\"a b c\"\nx-amz-date:" SUITE_DATE "\n\n"
	  "host;my-header1;my-header2;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;my-header2;x-amz-date",
		      "acc3ed3afb60bb290fc8d2dd0098b991"
		      "1fcaa05412b367055dee359757a9c736") },
	{ "post-header-key-case", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544"
		      "621c30862966e37dddb68e92efbe5d6b") },
	{ "post-header-key-sort", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", "value1" },
	    { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
	  "x-amz-date:" SUITE_DATE "\n\nhost;my-header1;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;x-amz-date",
		      "c5410059b04c1ee005303aed430f6e66"
		      "45f61f4dc9e1461ec8f8916fdf18852c") },
	{ "post-header-value-case", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "My-Header1", "VALUE1" },
	    { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\n"
	  "x-amz-date:" SUITE_DATE "\n\nhost;my-header1;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;my-header1;x-amz-date",
		      "cdbc9802e29d2942e5e10b5bccfdd67c"
		      "5f22c7c4e8ae67b53629efa58b974b7d") },
	{ "post-vanilla", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544"
		      "621c30862966e37dddb68e92efbe5d6b") },
	/* As published, this case's request is "POST /?Param1=value1". */
	{ "post-vanilla-empty-query-value", &suite_key, "POST", "/",
	  "Param1=value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\nParam1=value1\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1"
		      "a96197d7deb8263271d420d138af7f11") },
	{ "post-vanilla-query", &suite_key, "POST", "/", "Param1=value1",
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\nParam1=value1\n" SUITE_HOST_DATE "\nhost;x-amz-date\n"
	  EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1"
		      "a96197d7deb8263271d420d138af7f11") },
	/*
	 * The suite's request also carries Content-Length, which its .creq
	 * and .authz do not sign (some copies of the suite regenerate a
	 * .creq with it; the .sts hash, 42a5e5bb..., is of this one).
	 */
	{ "post-x-www-form-urlencoded", &suite_key, "POST", "/", NULL,
	  { { "Content-Type", "application/x-www-form-urlencoded" },
	    { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  FORM_SHA256,
	  "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
	  SUITE_HOST_DATE "\ncontent-type;host;x-amz-date\n" FORM_SHA256,
	  SUITE_AUTHZ("content-type;host;x-amz-date",
		      "ff11897932ad3f4e8b18135d722051e5"
		      "ac45fc38421b1da7b9d196a0fe09473a") },
	/* The same; its .sts hash is 2e1cf7ed... */
	{ "post-x-www-form-urlencoded-parameters", &suite_key, "POST", "/", NULL,
	  { { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" },
	    { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  FORM_SHA256,
	  "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; "
	  "charset=utf8\n" SUITE_HOST_DATE "\ncontent-type;host;x-amz-date\n"
	  FORM_SHA256,
	  SUITE_AUTHZ("content-type;host;x-amz-date",
		      "1a72ec8f64bd914b0e42e42607c7fbce"
		      "7fb2c7465f63e3092b3b0d39fa77a6fe") },
	/* The token is added after signing: it is not among the headers. */
	{ "post-sts-header-after", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE } },
	  EMPTY_SHA256,
	  "POST\n/\n\n" SUITE_HOST_DATE "\nhost;x-amz-date\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544"
		      "621c30862966e37dddb68e92efbe5d6b") },
	{ "post-sts-header-before", &suite_key, "POST", "/", NULL,
	  { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", SUITE_DATE },
	    { "X-Amz-Security-Token", STS_TOKEN } },
	  EMPTY_SHA256,
	  "POST\n/\n\n" SUITE_HOST_DATE "x-amz-security-token:" STS_TOKEN
	  "\n\nhost;x-amz-date;x-amz-security-token\n" EMPTY_SHA256,
	  SUITE_AUTHZ("host;x-amz-date;x-amz-security-token",
		      "85d96828115b5dc0cfc3bd16ad9e210d"
		      "d772bbebba041836c64533a82be05ead") },

	/* The S3 documentation's examples ("Signature Calculations for the
	 * Authorization Header: Transferring Payload in a Single Chunk"). */
	{ "S3 example: GET object with Range", &s3_key, "GET", "/test.txt",
	  NULL,
	  { { "Host", S3_HOST }, { "Range", "bytes=0-9" },
	    { "x-amz-content-sha256", EMPTY_SHA256 }, { "x-amz-date", S3_DATE } },
	  EMPTY_SHA256,
	  "GET\n/test.txt\n\nhost:" S3_HOST "\nrange:bytes=0-9\n"
	  "x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:" S3_DATE "\n\n"
	  "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256,
	  S3_AUTHZ("host;range;x-amz-content-sha256;x-amz-date",
		   "f0e8bdb87c964420e857bd35b5d6ed31"
		   "0bd44f0170aba48dd91039c6036bdb41") },
	{ "S3 example: PUT object", &s3_key, "PUT", "/test%24file.text", NULL,
	  { { "Host", S3_HOST }, { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
	    { "x-amz-date", S3_DATE },
	    { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	    { "x-amz-content-sha256", PUT_SHA256 } },
	  PUT_SHA256,
	  "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
	  "host:" S3_HOST "\nx-amz-content-sha256:" PUT_SHA256 "\n"
	  "x-amz-date:" S3_DATE "\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
	  "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	  PUT_SHA256,
	  S3_AUTHZ("date;host;x-amz-content-sha256;x-amz-date;"
		   "x-amz-storage-class",
		   "98ad721746da40c64f1a55b78f14c238"
		   "d841ea1380cd77a1b5971af0ece108bd") },
	{ "S3 example: GET ?lifecycle", &s3_key, "GET", "/", "lifecycle",
	  { { "Host", S3_HOST }, { "x-amz-date", S3_DATE },
	    { "x-amz-content-sha256", EMPTY_SHA256 } },
	  EMPTY_SHA256,
	  "GET\n/\nlifecycle=\nhost:" S3_HOST "\n"
	  "x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:" S3_DATE "\n\n"
	  "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256,
	  S3_AUTHZ("host;x-amz-content-sha256;x-amz-date",
		   "fea454ca298b7da1c68078a5d1bdbfbb"
		   "e0d65c699e0f91ac7a200a0136783543") },
	{ "S3 example: GET ?max-keys=2&prefix=J", &s3_key, "GET", "/",
	  "max-keys=2&prefix=J",
	  { { "Host", S3_HOST }, { "x-amz-date", S3_DATE },
	    { "x-amz-content-sha256", EMPTY_SHA256 } },
	  EMPTY_SHA256,
	  "GET\n/\nmax-keys=2&prefix=J\nhost:" S3_HOST "\n"
	  "x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:" S3_DATE "\n\n"
	  "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256,
	  S3_AUTHZ("host;x-amz-content-sha256;x-amz-date",
		   "34b48302e7b5fa45bde8084f4b7868a8"
		   "6f0a534bc59db6670ed5711ef69dc6f7") },
};

/* Returns how many headers v lists. */
static size_t count_headers(const struct mlreg_sigv4_header *h)
{
	size_t i = 0;

	while (i < MAX_HEADERS && h[i].name)
		i++;
	return i;
}

static void published(void)
{
	char title[200];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		size_t nh = count_headers(v->h);
		char *creq = NULL, *authz = NULL;
		int error;

		error = mlreg_sigv4_canonical_request(&creq, v->method, v->path,
						      v->query, v->h, nh,
						      v->payload);
		snprintf(title, sizeof(title), "%s: canonical request", v->name);
		is(error ? NULL : creq, v->creq, title);
		error = mlreg_sigv4_sign(&authz, v->key, v->method, v->path,
					 v->query, v->h, nh, v->payload);
		snprintf(title, sizeof(title), "%s: Authorization", v->name);
		is(error ? NULL : authz, v->authz, title);
		free(creq);
		free(authz);
	}
}

/* Returns 1 when the canonical request of the query holds line 3 == want. */
static int query_is(const char *query, const char *want)
{
	static const struct mlreg_sigv4_header h[] = {
		{ "host", "h" }, { "x-amz-date", SUITE_DATE },
	};
	char *creq = NULL, *line, *end;
	int same;

	if (mlreg_sigv4_canonical_request(&creq, "GET", "/", query, h, 2,
					  EMPTY_SHA256) < 0)
		return 0;
	line = strchr(strchr(creq, '\n') + 1, '\n') + 1;
	end = strchr(line, '\n');
	same = (size_t)(end - line) == strlen(want) &&
	       !strncmp(line, want, strlen(want));
	if (!same)
		diag("query '%s' gave '%.*s'", query, (int)(end - line),
		       line);
	free(creq);
	return same;
}

static void queries(void)
{
	ok(query_is("uploads", "uploads="), "a bare key is signed with '='");
	ok(query_is("uploads=", "uploads="), "k= is the same as bare k");
	ok(query_is("uploadId=abc&partNumber=3", "partNumber=3&uploadId=abc"),
	   "upload part parameters are sorted");
	ok(query_is("ab=1&a-b=2&a=&a=0", "a=&a=0&a-b=2&ab=1"),
	   "a key sorts before the keys it prefixes, then by value");
	ok(query_is("prefix=a%2fb%7e%41", "prefix=a%2Fb~A"),
	   "escapes are decoded and re-encoded canonically");
	ok(query_is("k=a+b%2B%20c", "k=a%2Bb%2B%20c"), "'+' is a literal plus");
	ok(query_is("k=50%&j=%zz&i=%4", "i=%254&j=%25zz&k=50%25"),
	   "a '%' that starts no escape is a literal '%'");
	ok(query_is("&&a=1&", "a=1"), "empty pairs are skipped");
	ok(query_is("a=b=c", "a=b%3Dc"), "only the first '=' splits a pair");
	ok(query_is("k=%00", "k=%00"), "an encoded NUL survives the round trip");
	ok(query_is("continuation-token=1%2BaB%2Fc%3D%3D&list-type=2",
		    "continuation-token=1%2BaB%2Fc%3D%3D&list-type=2"),
	   "a base64 token keeps its encoded '+', '/' and '='");
	ok(query_is(NULL, "") && query_is("", ""), "no query is an empty line");
}

static void headers(void)
{
	static const struct mlreg_sigv4_header prefixes[] = {
		{ "x-amz-meta-ab", "2" }, { "X-Amz-Meta-A", "1" },
		{ "x-amz-meta-a-b", "3" }, { "Host", "h" },
		{ "X-Amz-Date", SUITE_DATE }, { "x-amz-meta-a", " 4 " },
	};
	static const struct mlreg_sigv4_header spaces[] = {
		{ "host", "h" }, { "x-amz-date", SUITE_DATE },
		{ "x-amz-meta-s", " \t a   b \t  c\t\td  \t" },
		{ "x-amz-meta-e", "" }, { "x-amz-meta-f", "   " },
	};
	char *creq = NULL, *authz = NULL;

	ok(!mlreg_sigv4_canonical_request(&creq, "PUT", "/b/k", NULL,
					  prefixes, 6, "UNSIGNED-PAYLOAD") &&
	   strstr(creq, "\nx-amz-meta-a:1,4\nx-amz-meta-a-b:3\n"
			"x-amz-meta-ab:2\n\n"),
	   "a header name sorts before the names it prefixes");
	ok(creq && strstr(creq, "\n\nhost;x-amz-date;x-amz-meta-a;"
				"x-amz-meta-a-b;x-amz-meta-ab\nUNSIGNED-PAYLOAD"),
	   "signed headers are in the same order, then UNSIGNED-PAYLOAD");
	free(creq);
	ok(!mlreg_sigv4_sign(&authz, &s3_key, "PUT", "/b/k", NULL, prefixes, 6,
			     "UNSIGNED-PAYLOAD") &&
	   strstr(authz, "SignedHeaders=host;x-amz-date;x-amz-meta-a;"
			 "x-amz-meta-a-b;x-amz-meta-ab, Signature="),
	   "the Authorization header names the same headers");
	free(authz);
	ok(!mlreg_sigv4_canonical_request(&creq, "GET", "", NULL, spaces, 5,
					  EMPTY_SHA256) &&
	   !strncmp(creq, "GET\n/\n\n", 7) &&
	   strstr(creq, "\nx-amz-meta-e:\nx-amz-meta-f:\n"
			"x-amz-meta-s:a b \t c\t\td\n"),
	   "values are trimmed, inner spaces collapsed, tabs kept; '' is '/'");
	free(creq);
}

/* Returns 1 when signing fails with MLREG_EINVALID, a message holding
 * needle and not the secret, and no Authorization. */
static int refused(const struct mlreg_sigv4_key *key, const char *method,
		   const char *path, const struct mlreg_sigv4_header *h,
		   size_t nh, const char *payload, const char *needle)
{
	char *authz = (char *)"unset";
	int error;

	mlreg_error_clear();
	error = mlreg_sigv4_sign(&authz, key, method, path, NULL, h, nh,
				 payload);
	if (error != MLREG_EINVALID || authz ||
	    !strstr(mlreg_error_message(), needle) ||
	    strstr(mlreg_error_message(), s3_key.secret_key) ||
	    strstr(mlreg_error_message(), "bPxRfiCY")) {
		diag("error %d, message '%s'", error,
		       mlreg_error_message());
		return 0;
	}
	return 1;
}

static void errors(void)
{
	static const struct mlreg_sigv4_header no_host[] = {
		{ "x-amz-date", S3_DATE },
	};
	static const struct mlreg_sigv4_header no_date[] = {
		{ "host", S3_HOST }, { "date", "Fri, 24 May 2013 00:00:00 GMT" },
	};
	static const struct mlreg_sigv4_header dates[][2] = {
		{ { "host", S3_HOST }, { "x-amz-date", "2013-05-24T00:00:00Z" } },
		{ { "host", S3_HOST }, { "x-amz-date", "20131324T000000Z" } },
		{ { "host", S3_HOST }, { "x-amz-date", "20130524T240000Z" } },
		{ { "host", S3_HOST }, { "x-amz-date", "20130524T000000" } },
		{ { "host", S3_HOST }, { "x-amz-date", "" } },
	};
	static const struct mlreg_sigv4_header twice[] = {
		{ "host", S3_HOST }, { "x-amz-date", S3_DATE },
		{ "X-Amz-Date", S3_DATE },
	};
	static const struct mlreg_sigv4_header crlf[] = {
		{ "host", S3_HOST }, { "x-amz-date", S3_DATE },
		{ "x-amz-meta-a", "a\r\nx-evil: 1" },
	};
	static const struct mlreg_sigv4_header badname[] = {
		{ "host", S3_HOST }, { "x-amz-date", S3_DATE },
		{ "x-amz meta", "v" },
	};
	static const struct mlreg_sigv4_header good[] = {
		{ "host", S3_HOST }, { "x-amz-date", S3_DATE },
	};
	struct mlreg_sigv4_key nosecret = s3_key, badregion = s3_key;
	char title[100];
	size_t i;

	ok(refused(&s3_key, "GET", "/", no_host, 1, EMPTY_SHA256, "'host'"),
	   "a request without host is refused");
	ok(refused(&s3_key, "GET", "/", no_date, 2, EMPTY_SHA256,
		   "'x-amz-date'"),
	   "a request without x-amz-date is refused (Date is not enough)");
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		snprintf(title, sizeof(title), "malformed x-amz-date '%s'",
			 dates[i][1].value);
		ok(refused(&s3_key, "GET", "/", dates[i], 2, EMPTY_SHA256,
			   "malformed x-amz-date"), title);
	}
	ok(refused(&s3_key, "GET", "/", twice, 3, EMPTY_SHA256,
		   "malformed x-amz-date"), "two x-amz-date headers are refused");
	ok(refused(&s3_key, "GET", "/", crlf, 3, EMPTY_SHA256,
		   "control character in header 'x-amz-meta-a'"),
	   "a value with CR LF is refused");
	ok(refused(&s3_key, "GET", "/", badname, 3, EMPTY_SHA256,
		   "invalid header name 'x-amz meta'"),
	   "a header name with a space is refused");
	ok(refused(&s3_key, "GET", "b/k", good, 2, EMPTY_SHA256,
		   "does not start with '/'"), "a relative path is refused");
	ok(refused(&s3_key, "GET", "/a b", good, 2, EMPTY_SHA256,
		   "not percent-encoded") &&
	   refused(&s3_key, "GET", "/a?b", good, 2, EMPTY_SHA256,
		   "not percent-encoded") &&
	   refused(&s3_key, "GET", "/caf\xc3\xa9", good, 2, EMPTY_SHA256,
		   "not percent-encoded") &&
	   refused(&s3_key, "GET", "/a%2", good, 2, EMPTY_SHA256,
		   "not percent-encoded"),
	   "a path that is not percent-encoded is refused");
	ok(refused(&s3_key, "", "/", good, 2, EMPTY_SHA256, "no method") &&
	   refused(&s3_key, "GET", "/", good, 2, NULL, "no payload hash"),
	   "a request without method or payload hash is refused");
	nosecret.secret_key = "";
	badregion.region = "us/east";
	ok(refused(&nosecret, "GET", "/", good, 2, EMPTY_SHA256,
		   "no secret key") &&
	   refused(&badregion, "GET", "/", good, 2, EMPTY_SHA256,
		   "invalid character in region") &&
	   refused(NULL, "GET", "/", good, 2, EMPTY_SHA256, "no credentials"),
	   "a key without secret or with a bad region is refused");
}

/* Returns 1 when mlreg_sigv4_uri_encode(s, keep_slash) is want. */
static int encodes(const char *s, int keep_slash, const char *want)
{
	char *e = mlreg_sigv4_uri_encode(s, keep_slash);
	int same = !strcmp(e, want);

	if (!same)
		diag("'%s' encoded to '%s'", s, e);
	free(e);
	return same;
}

static void encoding(void)
{
	char date[17], small[10];

	ok(encodes("a b", 0, "a%20b"), "a space is %20, not '+'");
	ok(encodes("a/b//c", 0, "a%2Fb%2F%2Fc") && encodes("a/b//c", 1, "a/b//c"),
	   "'/' is kept only with keep_slash");
	ok(encodes("~-._" "AZaz09", 0, "~-._AZaz09"), "unreserved bytes are kept");
	ok(encodes("caf\xc3\xa9 \xe1\x88\xb4\xff", 1, "caf%C3%A9%20%E1%88%B4%FF"),
	   "UTF-8 and other high bytes are %XX, uppercase");
	ok(encodes("100%", 0, "100%25") && encodes("a%2Fb", 1, "a%252Fb"),
	   "'%' is encoded (a name's %2F becomes %252F)");
	ok(encodes("+*=&?#:@!$'()", 1, "%2B%2A%3D%26%3F%23%3A%40%21%24%27%28%29"),
	   "reserved characters are encoded");
	ok(encodes("", 0, ""), "the empty string encodes to itself");
	mlreg_sigv4_amz_date(date, sizeof(date), (time_t)1440938160);
	ok(!strcmp(date, SUITE_DATE), "amz_date formats 2015-08-30 12:36:00 UTC");
	mlreg_sigv4_amz_date(date, sizeof(date), (time_t)0);
	ok(!strcmp(date, "19700101T000000Z"), "amz_date formats the epoch");
	mlreg_sigv4_amz_date(small, sizeof(small), (time_t)0);
	ok(small[0] == '\0', "amz_date leaves a short buffer empty");
}

int main(void)
{
	published();
	queries();
	headers();
	errors();
	encoding();
	return done();
}
