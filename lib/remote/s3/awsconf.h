/*
 * AWS credentials, region and S3 endpoint, found where the AWS CLI and the
 * SDKs (botocore) find them: the environment, then a profile of the shared
 * credentials file (~/.aws/credentials) and of the config file
 * (~/.aws/config), read as botocore reads them.
 *
 * Credential providers, tried in botocore's order (the first that has
 * credentials wins; an error in one ends the search, as in botocore):
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN (skipped when the remote names a profile);
 *   1b. the profile's role_arn with source_profile (and role_session_name,
 *      external_id): STS AssumeRole (sts.c) signed with the credentials the
 *      whole chain finds for the source profile (named, so env is skipped;
 *      at most 5 profiles deep);
 *   2. STS AssumeRoleWithWebIdentity (sts.c): AWS_WEB_IDENTITY_TOKEN_FILE,
 *      AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME, each else the profile's
 *      web_identity_token_file, role_arn, role_session_name; STS at
 *      AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else regional;
 *   3. static keys of the profile in the shared credentials file;
 *   4. the profile's credential_process (credproc.c), from the credentials
 *      file or else the config file;
 *   5. static keys of the profile in the config file;
 *   (a profile named by the remote or the environment but found in
 *   neither file is an error here, as botocore's ProfileNotFound)
 *   6. ECS container credentials (container.c):
 *      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE); a failure is an error;
 *   7. EC2 instance metadata, IMDSv2 (imds.c), unless
 *      AWS_EC2_METADATA_DISABLED=true; a failure is "no credentials".
 * Not supported (a profile that holds only these is "no credentials",
 * naming the key): credential_source, sso_*, a role_arn without
 * source_profile.  (Unlike botocore, a source profile without keys of its
 * own may get them from the container or instance metadata.)
 *
 * Credentials with an expiry (assumed roles, web identity,
 * credential_process, container, instance metadata) are refreshed by
 * mlreg_aws_creds_refresh(), which the S3 transport calls before signing
 * each request.
 *
 * Threats.  Secrets never appear in a message, a file, argv or the
 * environment of a child, and are wiped before their memory is released;
 * and from the first mlreg_aws_credentials() call on, the process is not
 * dumpable (prctl PR_SET_DUMPABLE 0: no core file, no ptrace or
 * /proc/PID/mem by another process of the same user) until it exits, since
 * copies of the secrets live where they cannot be wiped.  A
 * credential_process is the user's own configuration, trusted as awscli
 * trusts it: it runs with the user's environment, but what it prints is
 * bounded (MLREG_AWS_MAX_ANSWER), parsed strictly, wiped, and never quoted
 * in a message.  The container and instance metadata answers are treated
 * the same way, fetched without proxy or redirect, with short timeouts
 * (2 s, 1 s: a machine without the service waits 1 s, and only when no
 * earlier provider had credentials); a container URL over http must be a
 * loopback or link-local ECS address, since the authorization token goes
 * to it.  The web identity token is a secret too: read bounded, sent only
 * in the POST body to STS (never in a URL or a message), wiped.
 */
#ifndef MLREG_AWSCONF_H
#define MLREG_AWSCONF_H

#include <time.h>

#define MLREG_AWSCONF_MAX_FILE (1024 * 1024)	/* the largest file read */

struct mlreg_aws_creds {
	char *access_key;	/* malloc'd */
	char *secret_key;	/* malloc'd; never printed */
	char *session_token;	/* malloc'd or NULL */
	/*
	 * malloc'd, where they came from, for messages: "environment",
	 * "profile 'dev' in /home/u/.aws/credentials"
	 */
	char *source;
	time_t expires;	/* when they stop working; 0: never (static keys) */
	char *profile;	/* malloc'd, the profile asked for (NULL: none), to refresh */
};

/*
 * Credentials that expire within MLREG_AWS_REFRESH_ADVISORY seconds are
 * fetched again before the next request (botocore's advisory window, 15
 * minutes); if that fails while they are still good for more than
 * MLREG_AWS_REFRESH_MANDATORY seconds (botocore's mandatory window, 10
 * minutes) the old ones are used and the refresh is tried again at the next
 * request, else the failure is an error.
 */
#define MLREG_AWS_REFRESH_ADVISORY (15 * 60)
#define MLREG_AWS_REFRESH_MANDATORY (10 * 60)

/* Frees and zeroes (OPENSSL_cleanse) the strings. */
void mlreg_aws_creds_free(struct mlreg_aws_creds *c);

/*
 * Returns 0 and credentials in *out.  profile: an explicit profile name
 * (from the remote's configuration) or NULL.
 *
 * Order (as botocore's, see the providers above): when profile is NULL,
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) from the
 * environment win; then the profile (explicit, else $AWS_PROFILE, else
 * $AWS_DEFAULT_PROFILE, else "default") in the shared credentials file
 * ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials: section [NAME]),
 * its credential_process, and then the config file ($AWS_CONFIG_FILE, else
 * ~/.aws/config: section [profile NAME], or [default] for default) with
 * keys aws_access_key_id, aws_secret_access_key, aws_session_token.
 *
 * MLREG_ENOTFOUND with a message saying what was looked at when none are
 * found; MLREG_EINVALID when an explicitly named profile does not exist in
 * either file, or a file is malformed (the message names file and line,
 * never a value).  Only one of key id / secret present is an error naming
 * the missing one.
 */
int mlreg_aws_credentials(struct mlreg_aws_creds *out, const char *profile);

/*
 * Returns 0 when c, at time now, is good beyond the advisory window, or
 * after fetching it again (c replaced), or when that failed but c is good
 * beyond the mandatory window; else the error, c unchanged.
 */
int mlreg_aws_creds_refresh(struct mlreg_aws_creds *c, time_t now);

/*
 * Returns 0 and the region in *out (malloc'd) from $AWS_REGION,
 * $AWS_DEFAULT_REGION, then the profile's "region" in the config file;
 * MLREG_ENOTFOUND when none is set.
 */
int mlreg_aws_region(char **out, const char *profile);

/*
 * Returns 0 and the S3 endpoint URL in *out (malloc'd) from
 * $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, then the config file: the s3
 * endpoint_url of the profile's "services" section, of an "s3 =" nested
 * section in the profile, then the profile's endpoint_url.
 * MLREG_ENOTFOUND when none, or when configured endpoints are ignored
 * (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, or the profile's
 * ignore_configured_endpoint_urls = true when that variable is unset).
 */
int mlreg_aws_endpoint(char **out, const char *profile);

#endif
