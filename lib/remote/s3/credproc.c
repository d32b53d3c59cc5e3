/*
 * The credential_process provider: a profile's "credential_process =
 * COMMAND" is run the way botocore's ProcessProvider runs it, and its
 * standard output is the credentials, a JSON document:
 *
 *	{"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
 *	 "SessionToken": "..." (optional), "Expiration": "RFC 3339" (optional)}
 *
 * The command line is split as Python's shlex.split() splits it (botocore's
 * compat_shell_split on POSIX): white space separates words, '...' quotes
 * literally, "..." quotes with backslash escaping only \ and ", a backslash
 * outside quotes escapes any character; there is no shell, no variable or
 * ~ expansion.  The program is found on PATH (posix_spawnp), gets the
 * user's environment (as with awscli: it is the user's own configuration,
 * trusted as much as the config file itself), /dev/null as standard input,
 * our standard error as its own (its messages are the user's to see), and
 * its standard output is read into one buffer of MLREG_AWS_MAX_ANSWER
 * bytes, allocated once so that no realloc leaves a copy behind, and wiped
 * after parsing.  What it printed never appears in a message: when it
 * exits non-zero, prints something that is not the document above, or
 * prints too much, the message says so and names the profile only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds-int.h"
#include "error.h"
#include "util.h"

extern char **environ;

/* A command line split into words. */
struct argv {
	char **v;	/* NULL-terminated */
	size_t n, cap;
};

/* Frees the words of a. */
static void argv_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Appends word w (taken) to a, keeping a NULL after the last. */
static void argv_push(struct argv *a, char *w)
{
	MLREG_ALLOC_GROW(a->v, a->n + 2, a->cap);
	a->v[a->n++] = w;
	a->v[a->n] = NULL;
}

/*
 * Returns 0 after splitting s into words as Python's shlex.split(s) does,
 * or MLREG_EINVALID with why in *why ("no closing quotation", "no escaped
 * character").
 */
static int split(struct argv *out, const char *s, const char **why)
{
	struct mlreg_buf w = MLREG_BUF_INIT;
	char state = ' ', escaped_from = 0;	/* ' ', 'a' (in a word), '\'', '"', '\\' */
	int in_word = 0;

	memset(out, 0, sizeof(*out));
	for (;; s++) {
		char c = *s;

		if (state == '\\') {
			if (!c) {
				*why = "no escaped character";
				goto fail;
			}
			/* In "...", a backslash escapes only '\' and '"'. */
			if (escaped_from == '"' && c != '\\' && c != '"')
				mlreg_buf_add(&w, "\\", 1);
			mlreg_buf_add(&w, &c, 1);
			state = escaped_from;
			continue;
		}
		if (state == '\'' || state == '"') {
			if (!c) {
				*why = "no closing quotation";
				goto fail;
			}
			if (c == state)
				state = 'a';
			else if (state == '"' && c == '\\') {
				escaped_from = '"';
				state = '\\';
			} else
				mlreg_buf_add(&w, &c, 1);
			continue;
		}
		if (!c || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				argv_push(out, mlreg_buf_detach(&w, NULL));
				in_word = 0;
			}
			state = ' ';
			if (!c)
				return 0;
			continue;
		}
		in_word = 1;
		if (c == '\\') {
			escaped_from = 'a';
			state = '\\';
		} else if (c == '\'' || c == '"') {
			state = c;
		} else {
			mlreg_buf_add(&w, &c, 1);
			state = 'a';
		}
	}
fail:
	mlreg_buf_release(&w);
	argv_free(out);
	return MLREG_EINVALID;
}

/* Returns 1 when s is n decimal digits, storing their value in *v. */
static int digits(int *v, const char *s, int n)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* Returns 0 and the time of RFC 3339 date-time s in *out, or MLREG_EINVALID. */
int mlreg_aws_parse_time(time_t *out, const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	time_t t;

	if (strlen(s) < 20 || !digits(&y, s, 4) || s[4] != '-' || !digits(&mo, s + 5, 2) ||
	    s[7] != '-' || !digits(&d, s + 8, 2) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(&h, s + 11, 2) || s[13] != ':' || !digits(&mi, s + 14, 2) || s[16] != ':' ||
	    !digits(&sec, s + 17, 2))
		return MLREG_EINVALID;
	p = s + 19;
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9'))
			return MLREG_EINVALID;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && digits(&oh, p + 1, 2) && p[3] == ':' &&
		   digits(&om, p + 4, 2) && !p[6] && oh < 24 && om < 60) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return MLREG_EINVALID;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return MLREG_EINVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* Wipes every string (names and values) of the JSON tree j. */
static void json_wipe(cJSON *j)
{
	for (; j; j = j->next) {
		if (j->valuestring)
			OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
		if (j->string)
			OPENSSL_cleanse(j->string, strlen(j->string));
		json_wipe(j->child);
	}
}

/* Returns the non-empty string member name of o, or NULL. */
static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* Returns 0 after filling out from a credential_process JSON document (creds-int.h). */
int mlreg_aws_creds_from_json(struct mlreg_aws_creds *out, const char *json, size_t len,
			      time_t now, const char *what, const char *token_key,
			      int need_version)
{
	cJSON *j = cJSON_ParseWithLength(json, len);
	const cJSON *ver;
	const char *id, *secret, *token, *exp;
	time_t expires = 0;
	int err;

	if (!j || !cJSON_IsObject(j)) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: its output is not a JSON object", what);
		goto done;
	}
	ver = cJSON_GetObjectItemCaseSensitive(j, "Version");
	if (need_version && (!cJSON_IsNumber(ver) || ver->valuedouble != 1)) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: its output has %s, not \"Version\": 1",
				      what, ver ? "another Version" : "no Version");
		goto done;
	}
	id = json_str(j, "AccessKeyId");
	secret = json_str(j, "SecretAccessKey");
	if (!id || !secret) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: its output has no %s string", what,
				      id ? "SecretAccessKey" : "AccessKeyId");
		goto done;
	}
	token = json_str(j, token_key);
	if (cJSON_GetObjectItemCaseSensitive(j, "Expiration")) {
		if (!(exp = json_str(j, "Expiration")) || mlreg_aws_parse_time(&expires, exp) < 0) {
			err = mlreg_error_set(MLREG_EINVALID, "%s: its Expiration is not an RFC 3339 "
					      "date-time", what);
			goto done;
		}
		if (expires <= now) {
			err = mlreg_error_set(MLREG_EINVALID, "%s: the credentials it gave expired at "
					      "%s", what, exp);
			goto done;
		}
	}
	out->access_key = xstrdup(id);
	out->secret_key = xstrdup(secret);
	out->session_token = token ? xstrdup(token) : NULL;
	out->expires = expires;
	err = 0;
done:
	if (j) {
		json_wipe(j);
		cJSON_Delete(j);
	}
	return err;
}

/*
 * Returns 0 after reading fd to its end into buf (cap bytes, one kept for
 * a NUL) with the length in *len; 1 when there was more than fits;
 * MLREG_EOS on a read error.
 */
static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + *len, cap - 1 - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlreg_error_os("cannot read the output of credential_process");
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len == cap - 1) {
			char c;
			while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
				;
			if (n > 0)
				return 1;
			break;
		}
	}
	buf[*len] = '\0';
	return 0;
}

/* Returns 0 after running cmdline and filling out from what it printed. */
int mlreg_aws_credproc(struct mlreg_aws_creds *out, const char *cmdline, const char *profile)
{
	struct argv a;
	posix_spawn_file_actions_t fa;
	char *what = xasprintf("credential_process of profile '%s'", profile);
	char *buf = NULL;
	const char *why = NULL;
	int fds[2] = { -1, -1 }, status, err, rc;
	size_t len = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (split(&a, cmdline, &why) < 0) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: cannot split the command: %s", what, why);
		goto done_noargv;
	}
	if (!a.n) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: the command is empty", what);
		goto done;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = mlreg_error_os("%s: cannot make a pipe", what);
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	rc = posix_spawnp(&pid, a.v[0], &fa, NULL, a.v, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	fds[1] = -1;
	if (rc) {
		err = mlreg_error_set(MLREG_EOS, "%s: cannot run '%s': %s", what, a.v[0],
				      strerror(rc));
		goto done;
	}
	buf = xmalloc(MLREG_AWS_MAX_ANSWER + 1);
	rc = read_all(fds[0], buf, MLREG_AWS_MAX_ANSWER + 1, &len);
	close(fds[0]);
	fds[0] = -1;
	if (rc != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		err = rc;
		goto done;
	}
	if (rc > 0) {
		err = mlreg_error_set(MLREG_EINVALID, "%s: its output is larger than %d bytes", what,
				      MLREG_AWS_MAX_ANSWER);
		goto done;
	}
	if (WIFSIGNALED(status)) {
		err = mlreg_error_set(MLREG_EREMOTE, "%s: '%s' was killed by signal %d", what,
				      a.v[0], WTERMSIG(status));
		goto done;
	}
	if (WEXITSTATUS(status)) {
		err = mlreg_error_set(MLREG_EREMOTE, "%s: '%s' exited with status %d", what, a.v[0],
				      WEXITSTATUS(status));
		goto done;
	}
	if ((err = mlreg_aws_creds_from_json(out, buf, len, time(NULL), what, "SessionToken", 1)) < 0)
		goto done;
	out->source = xasprintf("credential_process of profile '%s'", profile);
done:
	argv_free(&a);
done_noargv:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (buf) {
		OPENSSL_cleanse(buf, MLREG_AWS_MAX_ANSWER + 1);
		free(buf);
	}
	free(what);
	return err;
}
