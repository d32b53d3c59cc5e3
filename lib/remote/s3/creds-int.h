/*
 * What awsconf.c (the chain of credential providers) shares with the
 * providers that live in their own files (credproc.c: credential_process).
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
 * len bytes, NUL-terminated) in the credential_process format: Version 1,
 * AccessKeyId, SecretAccessKey, optional SessionToken and Expiration
 * (RFC 3339, not past at now).  what ("credential_process of profile
 * 'dev'") starts each message.  Wipes every string of the parse tree
 * before freeing it.
 */
int mlreg_aws_creds_from_json(struct mlreg_aws_creds *out, const char *json, size_t len,
			      time_t now, const char *what);

/*
 * Returns 0 after running cmdline (split as botocore does, no shell) and
 * filling out from its stdout; profile names it in messages.
 */
int mlreg_aws_credproc(struct mlreg_aws_creds *out, const char *cmdline, const char *profile);

#endif
