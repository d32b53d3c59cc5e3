/*
 * ECS (and EKS Pod Identity) container credentials, as botocore's
 * ContainerProvider gets them: a GET of
 * $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on http://169.254.170.2, else of
 * $AWS_CONTAINER_CREDENTIALS_FULL_URI, with the header "Authorization:
 * TOKEN" when the token file $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 * else $AWS_CONTAINER_AUTHORIZATION_TOKEN gives one; the answer is
 * {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}.
 *
 * A full URI is restricted as botocore restricts it, since the answer is
 * trusted as credentials and the authorization token is sent to it: https
 * to any host, else http only to a loopback address (127.0.0.0/8, ::1) or
 * one of 169.254.170.2, 169.254.170.23, fd00:ec2::23 and localhost.  One
 * attempt of two seconds (botocore makes three, a second apart).  Unlike
 * the instance metadata, a configured container endpoint that fails is an
 * error (as in botocore), naming the variable, never the token nor the
 * answer.  The token is a secret: read bounded, wiped, never shown.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "creds-int.h"
#include "error.h"
#include "fs.h"
#include "util.h"

#define CONTAINER_TIMEOUT_MS 2000
#define CONTAINER_HOST "http://169.254.170.2"

/* Returns the value of environment variable name, NULL when unset or empty. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Returns 1 when host (no brackets) is a loopback address or an allowed host. */
static int allowed_host(const char *host)
{
	static const char *const hosts[] = { "169.254.170.2", "169.254.170.23", "fd00:ec2::23",
					     "localhost" };
	unsigned char a[16];
	size_t i;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (!strcasecmp(host, hosts[i]))
			return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char one[16] = { [15] = 1 };
		return !memcmp(a, one, 16);
	}
	return 0;
}

/*
 * Returns 0 when url may be asked for credentials (see above), or
 * MLREG_EINVALID naming why.
 */
static int check_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int err = 0;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err = mlreg_error_set(MLREG_EINVALID, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not "
				      "a URL");
		goto done;
	}
	if (!strcasecmp(scheme, "https"))
		goto done;
	if (strcasecmp(scheme, "http")) {
		err = mlreg_error_set(MLREG_EINVALID, "AWS_CONTAINER_CREDENTIALS_FULL_URI: "
				      "scheme '%s' is not http or https", scheme);
		goto done;
	}
	{
		size_t n = strlen(host);
		char *h = host[0] == '[' && n > 2 ? xstrndup(host + 1, n - 2) : xstrdup(host);
		if (!allowed_host(h))
			err = mlreg_error_set(MLREG_EINVALID, "AWS_CONTAINER_CREDENTIALS_FULL_URI: "
					      "host '%s' is not allowed over http: only a loopback "
					      "address, 169.254.170.2, 169.254.170.23, fd00:ec2::23 "
					      "or localhost (or use https)", h);
		free(h);
	}
done:
	curl_free(scheme);
	curl_free(host);
	if (u)
		curl_url_cleanup(u);
	return err;
}

/*
 * Returns 0 and the authorization token in *out (malloc'd, NULL when none
 * is configured), or an error naming the variable.
 */
static int auth_token(char **out)
{
	const char *file = env_value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = env_value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	size_t len = 0;
	int err;

	*out = NULL;
	if (file) {
		if ((err = mlreg_fs_read_file(out, &len, file, 16384, file)) < 0)
			return mlreg_error_set(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s",
					       mlreg_error_message());
		/* botocore strips nothing; a final line end is common in such files */
		while (len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
			(*out)[--len] = '\0';
	} else if (v) {
		*out = xstrdup(v);
		len = strlen(v);
	} else {
		return 0;
	}
	if (!len || memchr(*out, '\n', len) || memchr(*out, '\r', len) ||
	    memchr(*out, '\0', len)) {
		mlreg_aws_wipe_free(*out);
		*out = NULL;
		return mlreg_error_set(MLREG_EINVALID, "%s: the token is empty or holds a line end "
				       "or NUL", file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
						      : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	}
	return 0;
}

/* Returns 0 with container credentials, 1 when none are configured (creds-int.h). */
int mlreg_aws_container(struct mlreg_aws_creds *out)
{
	const char *rel = env_value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_value("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *var = rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
			      : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
	const char *hdr[3] = { "Accept: application/json", NULL, NULL };
	char *url = NULL, *token = NULL, *auth = NULL, *body = NULL, *what;
	size_t len;
	long status;
	int err;

	memset(out, 0, sizeof(*out));
	if (!rel && !full)
		return 1;
	what = xasprintf("container credentials (%s)", var);
	if (rel) {
		url = xasprintf("%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
	} else {
		if ((err = check_url(full)) < 0)
			goto done;
		url = xstrdup(full);
		if ((err = auth_token(&token)) < 0)
			goto done;
		if (token) {
			auth = xasprintf("Authorization: %s", token);
			hdr[1] = auth;
		}
	}
	if ((err = mlreg_aws_http(&status, &body, &len, "GET", url, hdr, NULL, CONTAINER_TIMEOUT_MS,
				  what)) < 0)
		goto done;
	if (status != 200) {
		err = mlreg_error_set(MLREG_EREMOTE, "%s: HTTP %ld", what, status);
		goto done;
	}
	if ((err = mlreg_aws_creds_from_json(out, body, len, time(NULL), what, "Token", 0)) < 0)
		goto done;
	out->source = xstrdup(what);
done:
	mlreg_aws_wipe_free(token);
	mlreg_aws_wipe_free(auth);
	mlreg_aws_wipe_free(body);
	free(url);
	free(what);
	return err;
}
