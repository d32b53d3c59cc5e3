/*
 * EC2 instance metadata credentials (IMDSv2), as botocore's
 * InstanceMetadataProvider gets them, and the small HTTP client that this
 * provider and the container one (container.c) share.
 *
 * Unless AWS_EC2_METADATA_DISABLED is "true": PUT /latest/api/token with
 * "X-aws-ec2-metadata-token-ttl-seconds: 21600" gives a session token;
 * GET /latest/meta-data/iam/security-credentials/ with it names the role
 * (its first line); GET .../ROLE answers {"Code": "Success", "AccessKeyId",
 * "SecretAccessKey", "Token", "Expiration"}.  The service is
 * $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254/.  Each
 * request has one attempt and one second (botocore's defaults), so that a
 * machine without the service is slowed by one second at most, and only
 * when nothing earlier in the chain had credentials.  As in botocore, a
 * service that does not answer, or answers without credentials, is "no
 * credentials" (the chain's message), not an error of its own; a token
 * refused with 403, 404 or 405 falls back to requests without one
 * (IMDSv1), as botocore does.
 *
 * Threats: the answers are bounded (MLREG_AWS_MAX_ANSWER), held in one
 * buffer allocated once and wiped, parsed strictly; the session token is
 * a secret too (wiped, never shown); no proxy is used (the answers hold
 * secrets; botocore neither) and no redirect followed.
 */
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "creds-int.h"
#include "error.h"
#include "util.h"

#define IMDS_TIMEOUT_MS 1000
#define IMDS_DEFAULT "http://169.254.169.254/"
#define IMDS_ROLES "latest/meta-data/iam/security-credentials/"

/* Where a response body goes: one buffer of MLREG_AWS_MAX_ANSWER + 1 bytes. */
struct body {
	char *p;
	size_t len;
	int too_big;
};

/* Returns n after keeping the n bytes of data, or 0 (stop) past the bound. */
static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;

	if (n > MLREG_AWS_MAX_ANSWER - b->len) {
		b->too_big = 1;
		return 0;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return n;
}

/* Returns 0 with the status and body of one request (creds-int.h). */
int mlreg_aws_http(long *status, char **body, size_t *len, const char *method,
		   const char *url, const char *const *headers, const char *post,
		   long timeout_ms, const char *what)
{
	struct body b = { xmalloc(MLREG_AWS_MAX_ANSWER + 1), 0, 0 };
	struct curl_slist *sl = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *ca = getenv("AWS_CA_BUNDLE");
	CURLcode cc;
	CURL *c;
	int err = 0;

	*status = 0;
	*body = NULL;
	*len = 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(c = curl_easy_init())) {
		free(b.p);
		return mlreg_error_set(MLREG_ERROR, "%s: cannot start libcurl", what);
	}
	for (; headers && *headers; headers++)
		sl = curl_slist_append(sl, *headers);
	sl = curl_slist_append(sl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	cc = curl_easy_perform(c);
	if (b.too_big)
		err = mlreg_error_set(MLREG_EREMOTE, "%s: the answer is larger than %d bytes", what,
				      MLREG_AWS_MAX_ANSWER);
	else if (cc != CURLE_OK)
		err = mlreg_error_set(MLREG_EREMOTE, "%s: no answer: %s", what,
				      errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(sl);
	if (err < 0) {
		OPENSSL_cleanse(b.p, MLREG_AWS_MAX_ANSWER + 1);
		free(b.p);
		return err;
	}
	b.p[b.len] = '\0';
	*body = b.p;
	*len = b.len;
	return 0;
}

/* Returns the value of environment variable name, NULL when unset or empty. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Returns 0 with EC2 instance metadata credentials, 1 when there are none. */
int mlreg_aws_imds(struct mlreg_aws_creds *out)
{
	const char *off = env_value("AWS_EC2_METADATA_DISABLED");
	const char *base = env_value("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *ttl[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
	const char *what = "EC2 instance metadata";
	const char *hdr[2] = { NULL, NULL };
	char *token = NULL, *tokhdr = NULL, *body = NULL, *url = NULL, *role = NULL;
	long status;
	size_t len, n;
	int err;

	memset(out, 0, sizeof(*out));
	if (off && !strcasecmp(off, "true"))
		return 1;
	if (!base)
		base = IMDS_DEFAULT;
	n = strlen(base);
	url = xasprintf("%s%slatest/api/token", base, n && base[n - 1] == '/' ? "" : "/");
	if ((err = mlreg_aws_http(&status, &token, &len, "PUT", url, ttl, "", IMDS_TIMEOUT_MS,
				  what)) < 0)
		goto none;
	if (status == 200 && len && !memchr(token, '\n', len) && !memchr(token, '\r', len)) {
		tokhdr = xasprintf("X-aws-ec2-metadata-token: %s", token);
		hdr[0] = tokhdr;
	} else if (status != 403 && status != 404 && status != 405) {
		goto none;
	}
	free(url);
	url = xasprintf("%s%s" IMDS_ROLES, base, n && base[n - 1] == '/' ? "" : "/");
	if ((err = mlreg_aws_http(&status, &body, &len, "GET", url, hdr, NULL, IMDS_TIMEOUT_MS,
				  what)) < 0 || status != 200 || !len)
		goto none;
	role = xstrndup(body, strcspn(body, "\r\n"));
	if (!*role || strchr(role, '/') || strchr(role, '?') || strchr(role, '#') ||
	    strchr(role, '%') || strchr(role, ' '))
		goto none;
	mlreg_aws_wipe_free(body);
	body = NULL;
	free(url);
	url = xasprintf("%s%s" IMDS_ROLES "%s", base, n && base[n - 1] == '/' ? "" : "/", role);
	if ((err = mlreg_aws_http(&status, &body, &len, "GET", url, hdr, NULL, IMDS_TIMEOUT_MS,
				  what)) < 0 || status != 200)
		goto none;
	{
		char *w = xasprintf("EC2 instance metadata (role '%s')", role);
		err = mlreg_aws_creds_from_json(out, body, len, time(NULL), w, "Token", 0);
		if (!err)
			out->source = w;
		else
			free(w);
	}
	goto done;
none:
	err = 1;
done:
	mlreg_error_clear();
	if (err < 0)
		err = 1;
	mlreg_aws_wipe_free(token);
	mlreg_aws_wipe_free(tokhdr);
	mlreg_aws_wipe_free(body);
	free(url);
	free(role);
	return err;
}
