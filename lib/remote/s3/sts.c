/*
 * STS AssumeRoleWithWebIdentity, as botocore's
 * AssumeRoleWithWebIdentityProvider does it (what CI systems' OIDC
 * federation uses): the token is read from a file (it rotates; it is read
 * again at each refresh), and sent as is, unsigned, in a form POST
 *
 *	Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=ARN
 *	&RoleSessionName=NAME&WebIdentityToken=TOKEN
 *
 * to the STS endpoint: $AWS_ENDPOINT_URL_STS, else $AWS_ENDPOINT_URL, else
 * https://sts.REGION.amazonaws.com (the profile's region, as botocore's
 * regional default), else https://sts.amazonaws.com.  The answer's
 * AssumeRoleWithWebIdentityResult/Credentials holds AccessKeyId,
 * SecretAccessKey, SessionToken and Expiration; an error answer's Code is
 * shown, never its Message nor the token.  The token file is read bounded
 * (MLREG_AWS_MAX_ANSWER), the form and the answer are wiped, the XML is
 * parsed by xml.c (bounded, no entities) and the secret strings of its
 * tree are wiped before it is freed.
 *
 * AssumeRole (a profile's role_arn with source_profile) is the same
 * exchange, signed with SigV4 (sigv4.c, service "sts", the profile's region
 * or us-east-1) by the source profile's credentials, with RoleArn,
 * RoleSessionName and the profile's external_id.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "creds-int.h"
#include "error.h"
#include "fs.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

#define STS_TIMEOUT_MS 10000

/* Returns the value of environment variable name, NULL when unset or empty. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Returns the STS endpoint URL, malloc'd, without a final '/'. */
static char *sts_endpoint(const char *profile)
{
	const char *v = env_value("AWS_ENDPOINT_URL_STS");
	char *region = NULL, *url;
	size_t n;

	if (v || (v = env_value("AWS_ENDPOINT_URL"))) {
		n = strlen(v);
		while (n && v[n - 1] == '/')
			n--;
		return xstrndup(v, n);
	}
	if (mlreg_aws_region(&region, profile) == 0 && region && *region)
		url = xasprintf("https://sts.%s.amazonaws.com", region);
	else
		url = xstrdup("https://sts.amazonaws.com");
	mlreg_error_clear();
	free(region);
	return url;
}

/* Copies code into out (size n) when it is a short word of letters and digits, else "". */
static void safe_code(char *out, size_t n, const char *code)
{
	size_t i;

	out[0] = '\0';
	if (!code || strlen(code) >= n)
		return;
	for (i = 0; code[i]; i++)
		if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= 'A' && code[i] <= 'Z') ||
		      (code[i] >= '0' && code[i] <= '9') || code[i] == '.'))
			return;
	memcpy(out, code, i + 1);
}

/* Wipes the text of n's child name, which held a secret. */
static void wipe_child(mlreg_xml_node *n, const char *name)
{
	const char *t = mlreg_xml_child_text(n, name);

	if (t)
		OPENSSL_cleanse((char *)t, strlen(t));
}

/*
 * Returns 0 after filling out (not its source) from an STS answer (body,
 * len, HTTP status) whose credentials are in the element result; what
 * starts messages.
 */
static int sts_answer(struct mlreg_aws_creds *out, const char *body, size_t len, long status,
		      const char *result, const char *what)
{
	struct mlreg_xml *doc = NULL;
	mlreg_xml_node *cr = NULL;
	int err;

	if ((err = mlreg_xml_parse(&doc, body, len)) < 0) {
		err = mlreg_error_set(MLREG_EREMOTE, "%s: HTTP %ld, the answer is not XML", what,
				      status);
		goto done;
	}
	if (status != 200) {
		mlreg_xml_node *e = mlreg_xml_child(mlreg_xml_root(doc), "Error");
		const char *code = e ? mlreg_xml_child_text(e, "Code") : NULL;
		char shown[128];

		safe_code(shown, sizeof(shown), code);
		err = mlreg_error_set(MLREG_EREMOTE, "%s: STS answered HTTP %ld%s%s", what, status,
				      shown[0] ? " " : "", shown);
		goto done;
	}
	cr = mlreg_xml_child(mlreg_xml_child(mlreg_xml_root(doc), result), "Credentials");
	if (!cr) {
		err = mlreg_error_set(MLREG_EREMOTE, "%s: the STS answer has no credentials", what);
		goto done;
	}
	{
		const char *id = mlreg_xml_child_text(cr, "AccessKeyId");
		const char *secret = mlreg_xml_child_text(cr, "SecretAccessKey");
		const char *tok = mlreg_xml_child_text(cr, "SessionToken");
		const char *exp = mlreg_xml_child_text(cr, "Expiration");
		time_t expires = 0;

		if (!cr || !id || !*id || !secret || !*secret || !tok || !*tok) {
			err = mlreg_error_set(MLREG_EREMOTE, "%s: the STS answer has no credentials",
					      what);
			goto done;
		}
		if (exp && (mlreg_aws_parse_time(&expires, exp) < 0 || expires <= time(NULL))) {
			err = mlreg_error_set(MLREG_EREMOTE, "%s: the STS answer's Expiration is "
					      "not a future RFC 3339 date-time", what);
			goto done;
		}
		out->access_key = xstrdup(id);
		out->secret_key = xstrdup(secret);
		out->session_token = xstrdup(tok);
		out->expires = expires;
	}
	err = 0;
done:
	if (cr) {
		wipe_child(cr, "SecretAccessKey");
		wipe_child(cr, "SessionToken");
	}
	mlreg_xml_free(doc);
	return err;
}

/* Returns 0 after STS AssumeRoleWithWebIdentity (creds-int.h). */
int mlreg_aws_web_identity(struct mlreg_aws_creds *out, const char *token_file,
			   const char *role_arn, const char *session, const char *profile,
			   const char *source_var)
{
	char *what = xasprintf("web identity (%s, role '%s')", source_var, role_arn);
	char *token = NULL, *enc_token = NULL, *enc_role, *enc_session, *form = NULL;
	char *url = NULL, *body = NULL, *name = NULL;
	const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
			      "Accept: text/xml", NULL };
	size_t len = 0;
	long status;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = mlreg_fs_read_file(&token, &len, token_file, MLREG_AWS_MAX_ANSWER,
				      token_file)) < 0) {
		err = mlreg_error_set(err, "%s: cannot read the token file: %s", what,
				      mlreg_error_message());
		goto done;
	}
	/* Sent as read, a final line end included, as botocore sends it. */
	if (!len || memchr(token, '\0', len)) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: the token file '%s' is empty or holds "
				      "a NUL", what, token_file);
		goto done;
	}
	name = session ? xstrdup(session) : xasprintf("mlreg-session-%lld", (long long)time(NULL));
	enc_token = mlreg_sigv4_uri_encode(token, 0);
	enc_role = mlreg_sigv4_uri_encode(role_arn, 0);
	enc_session = mlreg_sigv4_uri_encode(name, 0);
	form = xasprintf("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s"
			 "&RoleSessionName=%s&WebIdentityToken=%s", enc_role, enc_session,
			 enc_token);
	free(enc_role);
	free(enc_session);
	{
		char *base = sts_endpoint(profile);
		url = xasprintf("%s/", base);
		free(base);
	}
	if ((err = mlreg_aws_http(&status, &body, &len, "POST", url, hdr, form, STS_TIMEOUT_MS,
				  what)) < 0)
		goto done;
	if ((err = sts_answer(out, body, len, status, "AssumeRoleWithWebIdentityResult",
			      what)) < 0)
		goto done;
	out->source = what;
	what = NULL;
	err = 0;
done:
	mlreg_aws_wipe_free(token);
	mlreg_aws_wipe_free(enc_token);
	mlreg_aws_wipe_free(form);
	mlreg_aws_wipe_free(body);
	free(url);
	free(name);
	free(what);
	return err;
}

/*
 * Returns 0 after STS AssumeRole of role_arn, signed (SigV4, service
 * "sts") with src's keys (creds-int.h).
 */
int mlreg_aws_assume_role(struct mlreg_aws_creds *out, const struct mlreg_aws_creds *src,
			  const char *role_arn, const char *session, const char *external_id,
			  const char *profile)
{
	char *what = xasprintf("assume role (profile '%s', role '%s')", profile, role_arn);
	char *base = sts_endpoint(profile), *url = NULL, *form = NULL, *name, *e1, *e2, *e3 = NULL;
	char *region = NULL, *auth = NULL, *authority = NULL, *body = NULL, *tokhdr = NULL;
	char *authhdr = NULL, *datehdr = NULL;
	char date[32], hash[65];
	const char *hdr[6] = { "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
			       "Accept: text/xml", NULL, NULL, NULL, NULL };
	struct mlreg_sigv4_header h[4];
	struct mlreg_sigv4_key key;
	size_t nh = 0, len = 0, k = 2;
	long status;
	int err;

	memset(out, 0, sizeof(*out));
	{
		const char *a = strstr(base, "://");
		a = a ? a + 3 : base;
		authority = xstrndup(a, strcspn(a, "/"));
	}
	if (mlreg_aws_region(&region, profile) < 0 || !region || !*region) {
		free(region);
		region = xstrdup("us-east-1");
	}
	mlreg_error_clear();
	name = session ? xstrdup(session) : xasprintf("mlreg-session-%lld", (long long)time(NULL));
	e1 = mlreg_sigv4_uri_encode(role_arn, 0);
	e2 = mlreg_sigv4_uri_encode(name, 0);
	if (external_id)
		e3 = mlreg_sigv4_uri_encode(external_id, 0);
	form = xasprintf("Action=AssumeRole&Version=2011-06-15&RoleArn=%s&RoleSessionName=%s%s%s",
			 e1, e2, e3 ? "&ExternalId=" : "", e3 ? e3 : "");
	free(e1);
	free(e2);
	free(e3);
	mlreg_sha256_hex(form, strlen(form), hash);
	mlreg_sigv4_amz_date(date, sizeof(date), time(NULL));
	h[nh++] = (struct mlreg_sigv4_header){ "host", authority };
	h[nh++] = (struct mlreg_sigv4_header){ "x-amz-date", date };
	h[nh++] = (struct mlreg_sigv4_header){ "content-type",
					       "application/x-www-form-urlencoded; charset=utf-8" };
	if (src->session_token)
		h[nh++] = (struct mlreg_sigv4_header){ "x-amz-security-token", src->session_token };
	key = (struct mlreg_sigv4_key){ src->access_key, src->secret_key, region, "sts" };
	if ((err = mlreg_sigv4_sign(&auth, &key, "POST", "/", NULL, h, nh, hash)) < 0)
		goto done;
	datehdr = xasprintf("X-Amz-Date: %s", date);
	authhdr = xasprintf("Authorization: %s", auth);
	hdr[k++] = datehdr;
	hdr[k++] = authhdr;
	if (src->session_token) {
		tokhdr = xasprintf("X-Amz-Security-Token: %s", src->session_token);
		hdr[k++] = tokhdr;
	}
	url = xasprintf("%s/", base);
	if ((err = mlreg_aws_http(&status, &body, &len, "POST", url, hdr, form, STS_TIMEOUT_MS,
				  what)) < 0)
		goto done;
	if ((err = sts_answer(out, body, len, status, "AssumeRoleResult", what)) < 0)
		goto done;
	out->source = what;
	what = NULL;
done:
	mlreg_aws_wipe_free(form);
	mlreg_aws_wipe_free(body);
	mlreg_aws_wipe_free(auth);
	mlreg_aws_wipe_free(authhdr);
	mlreg_aws_wipe_free(tokhdr);
	free(datehdr);
	free(authority);
	free(region);
	free(base);
	free(url);
	free(name);
	free(what);
	return err;
}
