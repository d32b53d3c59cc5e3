/*
 * What awsconf.c (the chain of credential providers) shares with the
 * providers that live in their own files (credproc.c: credential_process;
 * container.c: ECS container credentials; imds.c: EC2 instance metadata and
 * the small HTTP client the three use; sts.c: AssumeRoleWithWebIdentity).
 * Private to lib/remote/s3/: nothing outside includes it.  A provider
 * returns 0 with *out filled (access_key, secret_key, optional
 * session_token, source, expires), or a negative MLREG_E* code with a
 * one-line message that names the provider and the profile and never a
 * secret nor anything the provider answered (which may hold one).
 */
#ifndef MLREG_CREDS_INT_H
#define MLREG_CREDS_INT_H

#include <time.h>

#include "awsconf.h"

/* The largest answer a provider reads (a process's stdout, an HTTP body). */
#define MLREG_AWS_MAX_ANSWER (1024 * 1024)

/* Frees a string that may hold a secret after wiping it (NULL is fine). */
void mlreg_aws_wipe_free(char *s);

/*
 * Returns 0 and the time in *out of an RFC 3339 date-time
 * ("2026-12-07T20:00:00Z", "...:00.123+02:00"), or MLREG_EINVALID
 * (no message set: the caller says what was malformed).
 */
int mlreg_aws_parse_time(time_t *out, const char *s);

/*
 * Returns 0 after filling out from a JSON credentials document (json,
 * len bytes, NUL-terminated): AccessKeyId, SecretAccessKey, optional
 * token_key ("SessionToken" for credential_process, "Token" for the
 * container and instance metadata) and Expiration (RFC 3339, not past at
 * now); with need_version, "Version": 1 too (credential_process).  what
 * ("credential_process of profile 'dev'") starts each message.  Wipes
 * every string of the parse tree before freeing it.
 */
int mlreg_aws_creds_from_json(struct mlreg_aws_creds *out, const char *json, size_t len,
			      time_t now, const char *what, const char *token_key,
			      int need_version);

/*
 * Returns 0 after one HTTP request (method, url, extra header lines, NULL
 * terminated, or NULL; post: the body to send, or NULL) with the status in *status and the body in *body
 * (malloc'd, NUL-terminated, at most MLREG_AWS_MAX_ANSWER bytes; the
 * caller wipes and frees it with mlreg_aws_wipe_free), no proxy, no
 * redirect, timeout_ms for the whole request; MLREG_EREMOTE, message
 * starting with what, when there was no answer or it was too large.
 */
int mlreg_aws_http(long *status, char **body, size_t *len, const char *method,
		   const char *url, const char *const *headers, const char *post,
		   long timeout_ms, const char *what);

/* Returns 0 with ECS container credentials, 1 when none are configured (container.c). */
int mlreg_aws_container(struct mlreg_aws_creds *out);

/* Returns 0 with EC2 instance metadata credentials, 1 when there are none (imds.c). */
int mlreg_aws_imds(struct mlreg_aws_creds *out);

/*
 * Returns 0 after STS AssumeRoleWithWebIdentity (sts.c) of role_arn with
 * the token in token_file, as session (NULL: "mlreg-session-TIME");
 * profile gives the region of the STS endpoint; source_var names where
 * the token file came from, for messages.
 */
int mlreg_aws_web_identity(struct mlreg_aws_creds *out, const char *token_file,
			   const char *role_arn, const char *session, const char *profile,
			   const char *source_var);

/*
 * Returns 0 after STS AssumeRole (sts.c) of role_arn as session (NULL:
 * "mlreg-session-TIME"), with external_id (or NULL), signed with src's
 * keys; profile names it in messages and gives the STS region.
 */
int mlreg_aws_assume_role(struct mlreg_aws_creds *out, const struct mlreg_aws_creds *src,
			  const char *role_arn, const char *session, const char *external_id,
			  const char *profile);

/*
 * Returns 0 after running cmdline (split as botocore does, no shell) and
 * filling out from its stdout; profile names it in messages.
 */
int mlreg_aws_credproc(struct mlreg_aws_creds *out, const char *cmdline, const char *profile);

#endif
