/*
 * Redaction: the one rule by which mlreg keeps secrets out of what it
 * stores and prints from files it did not write (specs, contracts,
 * checkpoints, git remote URLs, URLs given on the command line).
 *
 * THE RULE.  A value is secret when the name it is given says so.
 *
 *  Names.  A name is cut into words at every character that is not an
 *  ASCII letter (digits too), between a lower-case letter and an
 *  upper-case one, and before the last of several capitals when a
 *  lower-case letter follows it ("AWSAccessKeyId" is aws access key id,
 *  "X-Amz-Signature" is x amz signature, "password2" is password).  It says "secret" when a word,
 *  or two neighbouring words written together, lower-cased,
 *    - is auth, authorization, cookie, credential, credentials, creds,
 *      passphrase, pwd, sig, signature, secrets, passwords, apikey,
 *      accesskey, privatekey or secretkey, or
 *    - ends in password, passwd, secret or token.
 *  So private_key, access-key, accessKeyId, x-api-key, pwd, Authorization,
 *  AWS_SECRET_ACCESS_KEY, access_token and X-Amz-Credential are secret
 *  names; tokenizer, max_tokens, author and keys are not.
 *
 *  The name of a value.
 *    - In a document (a JSON/YAML tree): a member's key; a list item's, the
 *      list's name; and the "value" (or "Value") member of a mapping that
 *      also has a string "name" or "key" member (or "Name", "Key") is named
 *      by that string too, as in Kubernetes' env: [{name:
 *      AWS_SECRET_ACCESS_KEY, value: ...}] and AWS's tags.
 *    - Inside any string, whatever its own name: NAME=VALUE, where NAME (a
 *      run of letters, digits, '_', '.' and '-') starts the string or
 *      follows white space or one of ? & ; # , ' " (query and fragment
 *      parameters of URLs, presigned URLs' X-Amz-Signature, shell and env
 *      assignments, connection strings); the VALUE runs to the next white
 *      space, '&' or quote (or the closing quote when it starts with one).
 *      And NAME: VALUE starting a line (a header line such as
 *      "Authorization: Bearer ..."), the VALUE running to the end of the
 *      line.
 *    - The user information of a URL (scheme://USER:PASSWORD@host) is
 *      always secret, except the user name of ssh, git+ssh, ssh+git and
 *      sftp URLs (the login name ssh needs) and of oci URLs (where
 *      oci://bucket@namespace names a bucket).
 *
 *  What is replaced.  A secret value that is a string or a number becomes
 *  the string "<redacted>" (booleans, null and empty strings say nothing
 *  and are kept; a mapping or list under a secret name is walked, each
 *  item judged as above); a secret VALUE inside a string becomes
 *  <redacted>; secret user information is removed with its '@'.  Applying
 *  the rule twice changes nothing more, and counts nothing more.
 *
 * Threats: over-redaction loses a value that was not secret (a metric
 * named token_accuracy); under-redaction stores a secret for good in a
 * content-addressed, chained, uploaded record.  The rule errs on the first
 * side.  Nothing here allocates more than a few times the input.
 */
#ifndef MLREG_REDACT_H
#define MLREG_REDACT_H

#include <cjson/cJSON.h>

/* The string that replaces a secret. */
#define MLREG_REDACTED "<redacted>"

/*
 * Returns a malloc'd copy of s with its secrets redacted by the rule
 * above (the in-string part: assignments, header lines, URL user
 * information); adds the number of secrets replaced to *n when n is not
 * NULL.
 */
char *mlreg_redact_str(const char *s, int *n);

/*
 * Returns how many secrets in doc (any JSON value, changed in place) were
 * replaced by the rule above.
 */
int mlreg_redact_doc(cJSON *doc);

#endif
