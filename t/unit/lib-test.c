/*
 * Unit tests of lib/'s pure functions (names, references, URLs, paths,
 * record file lists, JSON/YAML reading, KEY=VALUE, remote URLs and names,
 * pack indexes, redaction, UTF-8 and quoting for the terminal),
 * printing TAP for prove through
 * t/t0100-lib-unit.t.  Behaviour through the binary is tested by the
 * shell tests beside it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "name.h"
#include "remote/pack.h"
#include "redact.h"
#include "registry.h"
#include "remote/remote.h"
#include "text.h"
#include "util.h"
#include "tap.h"

static void names(void)
{
	static const char *valid[] = { "a", "mnist_cnn", "team/detector", "a.b_c-d+e",
				       "v1.2", "A/B/C", NULL };
	static const char *invalid[] = { "", ".a", "-a", "a..b", "/a", "a/", "a//b", "a b",
					 "a\tb", "a@b", "a:b", "a/.b", "a/-b", "caf\xc3\xa9",
					 "a%2Fb", "a*", NULL };
	char buf[200];
	int i;

	for (i = 0; valid[i]; i++) {
		snprintf(buf, sizeof(buf), "valid name '%s'", valid[i]);
		ok(mlreg_name_validate(valid[i]) == 0, buf);
	}
	for (i = 0; invalid[i]; i++) {
		snprintf(buf, sizeof(buf), "invalid name '%s'", invalid[i]);
		ok(mlreg_name_validate(invalid[i]) == MLREG_EINVALID, buf);
	}
	memset(buf, 'a', 128);
	buf[128] = '\0';
	ok(mlreg_name_validate(buf) == 0, "128-byte name is valid");
	buf[128] = 'a';
	buf[129] = '\0';
	ok(mlreg_name_validate(buf) == MLREG_EINVALID, "129-byte name is invalid");
}

static void encoding(void)
{
	char *e = mlreg_name_encode("team/sub/detector"), *d = mlreg_name_decode(e);

	ok(!strcmp(e, "team%2Fsub%2Fdetector"), "encode writes '/' as %2F");
	ok(d && !strcmp(d, "team/sub/detector"), "decode reverses encode");
	free(e);
	free(d);
	ok(mlreg_name_decode("a%2Gb") == NULL, "decode refuses a bad escape");
	ok(mlreg_name_decode(".hidden") == NULL, "decode refuses an invalid name");
}

static void refs(void)
{
	char *name;
	long v;

	ok(mlreg_ref_parse("m@12", &name, &v) == 0 && !strcmp(name, "m") && v == 12,
	   "NAME@N parses");
	free(name);
	ok(mlreg_ref_parse("team/m", &name, &v) == 0 && v == 0, "NAME alone means latest");
	free(name);
	ok(mlreg_ref_parse("m@0", &name, &v) == MLREG_EINVALID, "@0 is invalid");
	ok(mlreg_ref_parse("m@", &name, &v) == MLREG_EINVALID, "empty version is invalid");
	ok(mlreg_ref_parse("m@1x", &name, &v) == MLREG_EINVALID, "@1x is invalid");
	ok(mlreg_ref_parse("m@-1", &name, &v) == MLREG_EINVALID, "@-1 is invalid");
	ok(mlreg_ref_parse("m@01", &name, &v) == MLREG_EINVALID, "@01 is invalid");
	ok(mlreg_ref_parse("m@99999999999999999999", &name, &v) == MLREG_EINVALID,
	   "an overflowing version is invalid");
}

static void urls(void)
{
	static const char *cases[][2] = {
		{ "https://user:secret@example.com/x.git", "https://example.com/x.git" },
		{ "https://ghp_token@github.com/o/r.git", "https://github.com/o/r.git" },
		{ "http://example.com/a@b", "http://example.com/a@b" },
		{ "ssh://git:pw@host/x.git", "ssh://git@host/x.git" },
		{ "ssh://git@host/x.git", "ssh://git@host/x.git" },
		{ "git@github.com:o/r.git", "git@github.com:o/r.git" },
		{ "/srv/git/r.git", "/srv/git/r.git" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = mlreg_redact_str(cases[i][0], NULL), what[200];
		snprintf(what, sizeof(what), "credentials stripped from '%s'", cases[i][0]);
		ok(!strcmp(s, cases[i][1]), what);
		free(s);
	}
}

/* The rule of redact.h, one case for each of its clauses. */
static void redaction(void)
{
	static const char *strs[][3] = {	/* input, output, how many */
		{ "https://h/r.git?access_token=ghp_x&ref=main",
		  "https://h/r.git?access_token=<redacted>&ref=main", "1" },
		{ "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
		  "AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&"
		  "X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0f1e2d",
		  "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
		  "<redacted>&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"
		  "X-Amz-Signature=<redacted>", "2" },
		{ "https://a.blob.core.windows.net/c/m?sv=2022&sig=abc%3D",
		  "https://a.blob.core.windows.net/c/m?sv=2022&sig=<redacted>", "1" },
		{ "https://h/cb#access_token=t1&state=s", "https://h/cb#access_token=<redacted>&state=s",
		  "1" },
		{ "oci://bucket@namespace/conda/env", "oci://bucket@namespace/conda/env", "0" },
		{ "sftp://me:pw@h/x", "sftp://me@h/x", "1" },
		{ "see https://u:p@h/x and ftp://a@b/c", "see https://h/x and ftp://b/c", "2" },
		{ "Authorization: Bearer eyJhbGci", "Authorization: <redacted>", "1" },
		{ "curl -H 'X-Api-Key: k1' https://h", "curl -H 'X-Api-Key: <redacted>' https://h",
		  "1" },
		{ "export AWS_SECRET_ACCESS_KEY=wJal && ./train.sh",
		  "export AWS_SECRET_ACCESS_KEY=<redacted> && ./train.sh", "1" },
		{ "host=db user=me password='a b' port=5",
		  "host=db user=me password='<redacted>' port=5", "1" },
		{ "--db-pwd=x", "--db-pwd=<redacted>", "1" },
		{ "tokenizer=bert max_tokens=5 author=me", "tokenizer=bert max_tokens=5 author=me", "0" },
		{ "token=<redacted>", "token=<redacted>", "0" },
		{ "token=", "token=", "0" },
	};
	static const char *docs[][3] = {	/* input, output, how many */
		{ "{\"private_key\": \"-----BEGIN\", \"authorization\": \"Bearer x\", "
		  "\"access-key\": \"AK\", \"pwd\": 1234, \"accessKeyId\": \"A\", "
		  "\"AWSAccessKeyId\": \"B\", \"X-Amz-Security-Token\": \"T\"}",
		  "{\"private_key\":\"<redacted>\",\"authorization\":\"<redacted>\","
		  "\"access-key\":\"<redacted>\",\"pwd\":\"<redacted>\",\"accessKeyId\":"
		  "\"<redacted>\",\"AWSAccessKeyId\":\"<redacted>\",\"X-Amz-Security-Token\":"
		  "\"<redacted>\"}", "7" },
		{ "{\"env\": [{\"name\": \"AWS_SECRET_ACCESS_KEY\", \"value\": \"s\"}, "
		  "{\"name\": \"HOME\", \"value\": \"/root\"}, {\"Key\": \"db_password\", "
		  "\"Value\": \"p\"}]}",
		  "{\"env\":[{\"name\":\"AWS_SECRET_ACCESS_KEY\",\"value\":\"<redacted>\"},"
		  "{\"name\":\"HOME\",\"value\":\"/root\"},{\"Key\":\"db_password\","
		  "\"Value\":\"<redacted>\"}]}", "2" },
		{ "{\"secrets\": [\"a\", 1], \"tokens\": [\"a\"], \"use_token\": true, "
		  "\"api_key\": \"\", \"password\": null, \"credentials\": {\"user\": \"me\", "
		  "\"secret\": \"s\"}}",
		  "{\"secrets\":[\"<redacted>\",\"<redacted>\"],\"tokens\":[\"a\"],"
		  "\"use_token\":true,\"api_key\":\"\",\"password\":null,\"credentials\":"
		  "{\"user\":\"me\",\"secret\":\"<redacted>\"}}", "3" },
		{ "{\"tokenizer\": \"bert\", \"max_tokens\": 5, \"author\": \"me\", "
		  "\"url\": \"https://u:p@h/?token=t\"}",
		  "{\"tokenizer\":\"bert\",\"max_tokens\":5,\"author\":\"me\","
		  "\"url\":\"https://h/?token=<redacted>\"}", "2" },
	};
	size_t i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		int k = 0, again = 0;
		char *s = mlreg_redact_str(strs[i][0], &k), *t = mlreg_redact_str(s, &again), what[400];
		snprintf(what, sizeof(what), "redacted '%s' (%s)", strs[i][0], strs[i][2]);
		ok(!strcmp(s, strs[i][1]) && k == atoi(strs[i][2]) && !strcmp(t, s) && !again, what);
		if (strcmp(s, strs[i][1]) || k != atoi(strs[i][2]))
			diag("got '%s' (%d)", s, k);
		free(s);
		free(t);
	}
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		cJSON *d = NULL;
		char *got = NULL, what[100];
		int k = -1, again = -1;
		if (mlreg_doc_parse(&d, docs[i][0], strlen(docs[i][0]), "test") == 0) {
			k = mlreg_redact_doc(d);
			again = mlreg_redact_doc(d);
			got = cJSON_PrintUnformatted(d);
		}
		snprintf(what, sizeof(what), "redacted document %zu (%s)", i + 1, docs[i][2]);
		ok(got && !strcmp(got, docs[i][1]) && k == atoi(docs[i][2]) && again == 0, what);
		if (got && (strcmp(got, docs[i][1]) || k != atoi(docs[i][2])))
			diag("got %s (%d)", got, k);
		cJSON_free(got);
		cJSON_Delete(d);
	}
}

/* A zeroed lock is free: releasing it closes nothing (it used to close fd 0). */
static void locks(void)
{
	struct mlreg_lock lk = { 0 };

	if (fcntl(0, F_GETFD) == -1)
		open("/dev/null", O_RDONLY);	/* make sure fd 0 is open */
	mlreg_lock_release(&lk);
	ok(fcntl(0, F_GETFD) != -1, "releasing a zeroed lock leaves fd 0 open");
	mlreg_lock_release(&lk);
	ok(lk.path == NULL && lk.lockpath == NULL, "and can be done twice");
}

static void paths(void)
{
	ok(mlreg_path_is_safe("a/b.bin"), "a/b.bin is safe");
	ok(!mlreg_path_is_safe("../x"), "../x is unsafe");
	ok(!mlreg_path_is_safe("a/../../x"), "a/../../x is unsafe");
	ok(!mlreg_path_is_safe("/etc/passwd"), "absolute path is unsafe");
	ok(!mlreg_path_is_safe("a//b"), "empty segment is unsafe");
	ok(!mlreg_path_is_safe("./a"), ". segment is unsafe");
	ok(!mlreg_path_is_safe(""), "empty path is unsafe");
	ok(!mlreg_path_is_safe("a\nb"), "control character is unsafe");
	ok(mlreg_path_is_safe("..a/b.."), "dots inside names are fine");
	ok(mlreg_path_is_safe("caf\xc3\xa9/\xe6\xa8\xa1"), "UTF-8 names are safe");
	ok(!mlreg_path_is_safe("a\x1b[2J"), "ESC is unsafe");
	ok(!mlreg_path_is_safe("a\x7f"), "DEL is unsafe");
	ok(!mlreg_path_is_safe("a\xc2\x9b"), "a C1 control (U+009B) is unsafe");
	ok(!mlreg_path_is_safe("caf\xe9"), "bytes that are not UTF-8 are unsafe");
	ok(!strcmp(mlreg_path_problem("a\nb"), "holds a control character") &&
	   !strcmp(mlreg_path_problem("\xff"), "is not valid UTF-8"), "the reason is given");
}

/* Returns the result of mlreg_paths_check() on the NULL-terminated v. */
static int paths_of(const char *const *v)
{
	size_t count = 0;

	while (v[count])
		count++;
	return mlreg_paths_check(v, count);
}

/* Returns the result of mlreg_files_check() on files given as JSON. */
static int files_of(const char *json)
{
	cJSON *f = cJSON_Parse(json);
	int err = mlreg_files_check(f);

	cJSON_Delete(f);
	return err;
}

static void file_lists(void)
{
	static const char *const good[] = { "a-b", "a.txt", "a/b", "a/c/d", "ab", NULL };
	static const char *const twice[] = { "a", "a", NULL };
	static const char *const unsorted[] = { "b", "a", NULL };
	static const char *const prefix[] = { "a", "a/b", NULL };
	static const char *const prefix_apart[] = { "a", "a.txt", "a/b/c", NULL };
	static const char *const deep[] = { "x/a", "x/a.txt", "x/a/b", NULL };
	static const char *const bytewise[] = { "B", "a", "\xc3\xa9", NULL };
	char hex[65], *json;

	ok(paths_of(good) == 0, "sorted, unique, prefix-free paths pass");
	ok(paths_of(twice) == MLREG_EINVALID && strstr(mlreg_error_message(), "listed twice"),
	   "a repeated path is refused");
	ok(paths_of(unsorted) == MLREG_EINVALID && strstr(mlreg_error_message(), "sorted"),
	   "unsorted paths are refused");
	ok(paths_of(prefix) == MLREG_EINVALID &&
	   strstr(mlreg_error_message(), "both 'a' and 'a/b'"), "'a' with 'a/b' is refused");
	ok(paths_of(prefix_apart) == MLREG_EINVALID &&
	   strstr(mlreg_error_message(), "both 'a' and 'a/b/c'"),
	   "'a' with 'a/b/c', 'a.txt' between them, is refused");
	ok(paths_of(deep) == MLREG_EINVALID && strstr(mlreg_error_message(), "both 'x/a' and"),
	   "a file that is a directory deeper down is refused");
	ok(paths_of(bytewise) == 0, "order is bytewise (strcmp), not the locale's");
	memset(hex, 'a', 64);
	hex[64] = '\0';
	json = xasprintf("[{\"path\":\"a\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0644\"},"
			 "{\"path\":\"b\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0755\"}]", hex, hex);
	ok(files_of(json) == 0, "files with modes 0644 and 0755 pass");
	free(json);
	json = xasprintf("[{\"path\":\"a\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"4755\"}]", hex);
	ok(files_of(json) == MLREG_ECORRUPT && strstr(mlreg_error_message(), "invalid mode"),
	   "mode 4755 is refused");
	free(json);
	json = xasprintf("[{\"path\":\"a\",\"size\":1,\"sha256\":\"%s\",\"mode\":7}]", hex);
	ok(files_of(json) == MLREG_ECORRUPT, "a mode that is not a string is refused");
	free(json);
	json = xasprintf("[{\"path\":\"a\",\"size\":1,\"sha256\":\"%s\"}]", hex);
	ok(files_of(json) == MLREG_ECORRUPT, "a missing mode is refused");
	free(json);
	json = xasprintf("[{\"path\":\"b\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0644\"},"
			 "{\"path\":\"a\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0644\"}]",
			 hex, hex);
	ok(files_of(json) == MLREG_ECORRUPT && strstr(mlreg_error_message(), "sorted"),
	   "a record's unsorted files are refused");
	free(json);
}

static void records(void)
{
	static const char rec[] =
		"{\"model\":\"m\",\"version\":1,\"parent\":null,\"files\":["
		"{\"path\":\"x\\u0000a\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0644\"},"
		"{\"path\":\"x\\u0000b\",\"size\":1,\"sha256\":\"%s\",\"mode\":\"0644\"}]}";
	char hex[65], *text;
	cJSON *out = NULL;

	memset(hex, 'b', 64);
	hex[64] = '\0';
	text = xasprintf(rec, hex, hex);
	ok(mlreg_version_parse(&out, text, strlen(text), "m", NULL, 1) == MLREG_ECORRUPT && !out &&
	   strstr(mlreg_error_message(), "NUL character"),
	   "a record whose paths differ after \\u0000 is refused");
	free(text);
	text = xasprintf("{\"model\":\"m\",\"version\":1,\"parent\":null,\"files\":["
			 "{\"path\":\"x\\\\u0000a\",\"size\":1,\"sha256\":\"%s\","
			 "\"mode\":\"0644\"}]}", hex);
	ok(mlreg_version_parse(&out, text, strlen(text), "m", NULL, 1) == 0,
	   "an escaped backslash before u0000 is no NUL");
	cJSON_Delete(out);
	free(text);
	ok(mlreg_doc_parse_record(&out, "\0{}", 3, "r") == MLREG_EINVALID,
	   "a record behind a NUL byte is refused");
	ok(mlreg_doc_parse_record(&out, "[]", 2, "r") == MLREG_EINVALID,
	   "a record that is not an object is refused");
}

static void text(void)
{
	static const char *const cases[][3] = {
		/* input, quoted as a value, escaped in a message */
		{ "plain text", "plain text", "plain text" },
		{ "say \"hi\" \\o/", "say \"hi\" \\o/", "say \"hi\" \\o/" },
		{ "a\nb", "\"a\\nb\"", "a\\nb" },
		{ "\x1b]0;x\x07\x1b[2J", "\"\\033]0;x\\a\\033[2J\"", "\\033]0;x\\a\\033[2J" },
		{ "t\tq\"\\", "\"t\\tq\\\"\\\\\"", "t\\tq\"\\" },
		{ "\x7f\x01", "\"\\177\\001\"", "\\177\\001" },
		{ "a\xc2\x9b" "b", "\"a\\302\\233b\"", "a\\302\\233b" },
		{ "caf\xe9", "\"caf\\351\"", "caf\\351" },
		{ "caf\xc3\xa9 \xe6\xa8\xa1 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\xa8\xa1 \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe6\xa8\xa1 \xf0\x9f\x98\x80" },
		{ "\xe6\xa8", "\"\\346\\250\"", "\\346\\250" },
		{ "\xed\xa0\x80", "\"\\355\\240\\200\"", "\\355\\240\\200" },
	};
	size_t i;
	char what[200];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = mlreg_quote(cases[i][0], strlen(cases[i][0]), MLREG_QUOTE_WRAP);
		char *m = mlreg_quote(cases[i][0], strlen(cases[i][0]), 0);
		snprintf(what, sizeof(what), "quoting case %zu: as a value %s, in a message %s",
			 i, cases[i][1], cases[i][2]);
		ok(!strcmp(q, cases[i][1]) && !strcmp(m, cases[i][2]), what);
		if (strcmp(q, cases[i][1]) || strcmp(m, cases[i][2]))
			diag("got %s and %s", q, m);
		free(q);
		free(m);
	}
	{
		char *q = mlreg_quote("a\0b", 3, MLREG_QUOTE_WRAP);
		ok(!strcmp(q, "\"a\\000b\""), "a NUL inside the bytes is escaped, not an end");
		free(q);
	}
	ok(mlreg_utf8_check("ok \xc3\xa9", 5) == 5, "UTF-8 passes");
	ok(mlreg_utf8_check("ab\xc3", 3) == 2, "a sequence cut at the end is invalid");
	ok(mlreg_utf8_check("ab\xc0\xaf", 4) == 2, "an overlong form is invalid");
	ok(mlreg_utf8_check("a\xf4\x90\x80\x80", 5) == 1, "past U+10FFFF is invalid");
	ok(mlreg_utf8_check("a\0b", 3) == 1, "a NUL byte is invalid");
	ok(mlreg_text_problem("caf\xc3\xa9") == NULL && mlreg_text_problem("a\x1b") &&
	   mlreg_text_problem("\xc2\x85"), "text problems: C0 and C1 controls, not UTF-8 letters");
}

/* Returns 1 when text parses to a document printing as want (compact). */
static int parses_to(const char *text, const char *want)
{
	cJSON *doc;
	char *got;
	int r;

	if (mlreg_doc_parse(&doc, text, strlen(text), "test") < 0)
		return 0;
	got = cJSON_PrintUnformatted(doc);
	r = !strcmp(got, want);
	if (!r) {
		diag("got %s", got);
		diag("want %s", want);
	}
	cJSON_free(got);
	cJSON_Delete(doc);
	return r;
}

static int fails(const char *text, const char *msg_part)
{
	cJSON *doc = NULL;
	int r = mlreg_doc_parse(&doc, text, strlen(text), "test") == MLREG_EINVALID &&
		strstr(mlreg_error_message(), msg_part) != NULL;

	cJSON_Delete(doc);
	return r;
}

static void documents(void)
{
	char deep[400];
	int i;

	ok(parses_to("a: 1\nb: true\nc: '1'\nd: ~\ne: 1.5\nf: [1, two]\ng: {h: null}\n"
		     "i: -7\nj: 0x10\nk: 1e3\nl: \"yes\"\nm: yes\nn: 012\n",
		     "{\"a\":1,\"b\":true,\"c\":\"1\",\"d\":null,\"e\":1.5,\"f\":[1,\"two\"],"
		     "\"g\":{\"h\":null},\"i\":-7,\"j\":16,\"k\":1000,\"l\":\"yes\",\"m\":\"yes\","
		     "\"n\":12}"),
	   "YAML scalars are typed by the 1.2 core schema");
	ok(parses_to("  {\"a\": [1, 2, {\"b\": \"c\"}]}", "{\"a\":[1,2,{\"b\":\"c\"}]}"),
	   "JSON is read as JSON");
	ok(fails("{\"a\": ", "malformed JSON"), "truncated JSON is an error");
	ok(fails("a: [1, 2\n", "malformed YAML"), "truncated YAML is an error");
	ok(fails("a: &x [1]\nb: *x\n", "aliases"), "YAML aliases are refused");
	ok(fails("a: 1\na: 2\n", "duplicate"), "duplicate YAML keys are refused");
	ok(fails("a: 1\n---\nb: 2\n", "more than one document"), "several YAML documents are refused");
	{
		cJSON *doc = NULL;
		ok(mlreg_doc_parse(&doc, "a\0b", 3, "test") == MLREG_EINVALID &&
		   strstr(mlreg_error_message(), "NUL"), "binary content is refused");
	}
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[100] = '\0';
	ok(fails(deep, "malformed JSON") || fails(deep, "deeper"), "deep JSON nesting is refused");
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	strcpy(deep + 100, "x");
	memcpy(deep, "a: ", 3);
	ok(fails(deep, "malformed YAML"), "deep YAML nesting is refused");
	ok(fails("{\"a\": \"x\\u0000y\"}", "NUL character"), "JSON \\u0000 in a value is refused");
	ok(fails("{\"a\\u0000b\": 1}", "NUL character"), "JSON \\u0000 in a key is refused");
	ok(parses_to("{\"a\": \"x\\\\u0000y\"}", "{\"a\":\"x\\\\u0000y\"}"),
	   "JSON: an escaped backslash then u0000 is text");
	ok(fails("{\"a\": \"caf\xe9\"}", "not valid UTF-8"), "JSON that is not UTF-8 is refused");
	ok(fails("{\"lr\": 1e999}", "the number at key 'lr' is out of range"),
	   "JSON 1e999 is refused, naming the key");
	ok(fails("{\"a\": [1, {\"b\": -1e999}]}", "key 'b'"), "JSON -1e999 deep down is refused");
	ok(fails("[1e400]", "the number is out of range"), "JSON 1e400 at the top is refused");
	ok(parses_to("{\"a\": 1e-999}", "{\"a\":0}"), "an underflow is a number (0)");
	ok(fails("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
		 "\"j\":10,\"e\":11}", "repeats key 'e'"), "a large object repeating a key is refused");
	{
		cJSON *d = cJSON_Parse("{\"a\":1,\"b\":{\"x\":1,\"x\":2,\"y\":3,\"x\":4},\"a\":2}");
		char *t;
		ok(mlreg_doc_drop_repeated_keys(d) == 3, "repeated keys dropped, at any depth");
		t = cJSON_PrintUnformatted(d);
		ok(!strcmp(t, "{\"a\":1,\"b\":{\"x\":1,\"y\":3}}"), "the first of each is kept");
		cJSON_free(t);
		cJSON_Delete(d);
	}
	ok(fails("a: \"x\\0y\"\n", "NUL character"), "YAML \\0 in a string is refused");
	ok(fails("a: 1e999\n", "the number 1e999 is out of range"), "YAML 1e999 is refused");
	ok(fails("a: caf\xe9\n", "malformed YAML"), "YAML that is not UTF-8 is refused");
	ok(parses_to("a: .inf\nb: -.inf\nc: \"1e999\"\n",
		     "{\"a\":\".inf\",\"b\":\"-.inf\",\"c\":\"1e999\"}"),
	   "YAML .inf and a quoted 1e999 stay strings (documented)");
}

static void writing(void)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "c0", "\x1b[2J\x07");
	cJSON_AddStringToObject(o, "c1", "a\xc2\x9b" "b\xc2\xa0");
	cJSON_AddStringToObject(o, "bad", "caf\xe9!");
	static const char want[] = "{\"c0\":\"\\u001b[2J\\u0007\",\"c1\":\"a\\u009bb\xc2\xa0\","
				   "\"bad\":\"caf\\ufffd!\"}\n";

	s = mlreg_doc_print(o);
	is(s, want,
	   "the JSON writer escapes C0 and C1 controls, and writes U+FFFD for bytes not UTF-8");
	free(s);
	cJSON_Delete(o);
}

static void kv(void)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	ok(mlreg_doc_set_kv(o, "k=v=w") == 0, "KEY=VALUE with '=' in the value");
	ok(mlreg_doc_set_kv(o, "n:=10") == 0, "KEY:=JSON number");
	ok(mlreg_doc_set_kv(o, "l:=[1,\"a\"]") == 0, "KEY:=JSON array");
	ok(mlreg_doc_set_kv(o, "k=again") == 0, "a key set twice keeps the last value");
	s = cJSON_PrintUnformatted(o);
	ok(!strcmp(s, "{\"k\":\"again\",\"n\":10,\"l\":[1,\"a\"]}"), "values are typed as asked");
	cJSON_free(s);
	ok(mlreg_doc_set_kv(o, "novalue") == MLREG_EUSAGE, "missing '=' is a usage error");
	ok(mlreg_doc_set_kv(o, "=v") == MLREG_EUSAGE, "empty key is a usage error");
	ok(mlreg_doc_set_kv(o, "k:=[") == MLREG_EUSAGE, "bad JSON after ':=' is a usage error");
	ok(mlreg_doc_set_kv(o, "k:=1 2") == MLREG_EUSAGE, "trailing text after ':=' JSON is an error");
	ok(mlreg_doc_set_kv(o, "k:=1e999") == MLREG_EUSAGE &&
	   strstr(mlreg_error_message(), "out of range"), "KEY:=1e999 is refused");
	ok(mlreg_doc_set_kv(o, "k:=\"a\\u0000b\"") == MLREG_EUSAGE &&
	   strstr(mlreg_error_message(), "NUL character"), "KEY:=\"a\\u0000b\" is refused");
	ok(mlreg_doc_set_kv(o, "k=caf\xe9") == MLREG_EUSAGE &&
	   strstr(mlreg_error_message(), "UTF-8"), "KEY=VALUE that is not UTF-8 is refused");
	ok(mlreg_doc_set_kv(o, "caf\xe9=v") == MLREG_EUSAGE, "a KEY that is not UTF-8 is refused");
	ok(mlreg_doc_set_kv(o, "k:={\"a\":1,\"a\":2}") == MLREG_EUSAGE &&
	   strstr(mlreg_error_message(), "repeats key"), "KEY:=JSON repeating a key is refused");
	mlreg_error_set(MLREG_ERROR, "inner");
	mlreg_error_set(MLREG_ERROR, "outer: %s", mlreg_error_message());
	ok(!strcmp(mlreg_error_message(), "outer: inner"), "a message may quote the last one");
	cJSON_Delete(o);
}

static void hashing(void)
{
	char hex[MLREG_HEX_LEN + 1];

	mlreg_sha256_hex("abc", 3, hex);
	ok(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "SHA-256 of 'abc' (FIPS 180-2 vector)");
	ok(mlreg_is_hex64(hex) && !mlreg_is_hex64("BA78") , "hex64 recognises digests");
}

static void remotes(void)
{
	static const char *bad_names[] = { "", ".a", "-a", "a b", "a/b", "a:b", "a\x01", NULL };
	static const char *bad_urls[] = { "http://x", "s3://", "s3://ab", "s3://-bucket",
					  "s3://b ucket", "s3://key:secret@bucket", "s3://u@bucket",
					  "s3://bucket/a//b", "s3://bucket/../x", "s3://bucket/a/./b",
					  "s3://bucket/a\\b", "file://relative", "file:x",
					  "file:///a%00b", "s3://bucket/a\tb", NULL };
	struct mlreg_remote r = { 0 };
	char buf[128];
	int i;

	ok(mlreg_remote_name_validate("origin") == 0, "remote name 'origin'");
	ok(mlreg_remote_name_validate("team.backup_2-eu") == 0, "remote name with . _ -");
	for (i = 0; bad_names[i]; i++) {
		snprintf(buf, sizeof(buf), "invalid remote name '%s'", bad_names[i]);
		ok(mlreg_remote_name_validate(bad_names[i]) == MLREG_EINVALID, buf);
	}
	ok(mlreg_remote_parse_url(&r, "s3://my-bucket") == 0 && r.kind == MLREG_REMOTE_S3 &&
	   !strcmp(r.bucket, "my-bucket") && !strcmp(r.prefix, ""), "s3 URL without a prefix");
	ok(mlreg_remote_parse_url(&r, "s3://my.bucket/team/models///") == 0 &&
	   !strcmp(r.bucket, "my.bucket") && !strcmp(r.prefix, "team/models"),
	   "s3 URL: trailing slashes of the prefix dropped");
	ok(mlreg_remote_parse_url(&r, "file:///srv/reg%20one/") == 0 &&
	   r.kind == MLREG_REMOTE_FILE && !strcmp(r.path, "/srv/reg one"),
	   "file URL: %XX decoded, trailing slash dropped");
	ok(mlreg_remote_parse_url(&r, "file://localhost/srv") == 0 && !strcmp(r.path, "/srv"),
	   "file://localhost/PATH");
	for (i = 0; bad_urls[i]; i++) {
		snprintf(buf, sizeof(buf), "invalid remote URL '%s'", bad_urls[i]);
		ok(mlreg_remote_parse_url(&r, bad_urls[i]) == MLREG_EINVALID, buf);
	}
	ok(mlreg_remote_parse_url(&r, "s3://AKIA:verysecret@bucket") == MLREG_EINVALID &&
	   !strstr(mlreg_error_message(), "verysecret"), "a URL's secret is not echoed");
	ok(mlreg_remote_check_endpoint("http://127.0.0.1:9000") == 0, "endpoint with a port");
	ok(mlreg_remote_check_endpoint("https://s3.example.com/") == 0, "endpoint with a slash");
	ok(mlreg_remote_check_endpoint("https://u:p@s3.example.com") == MLREG_EINVALID &&
	   !strstr(mlreg_error_message(), "u:p"), "endpoint with credentials refused, unechoed");
	ok(mlreg_remote_check_endpoint("https://s3.example.com/path") == MLREG_EINVALID,
	   "endpoint with a path refused");
	ok(mlreg_remote_check_endpoint("ftp://x") == MLREG_EINVALID, "endpoint not http(s)");
	free(r.bucket);
	free(r.prefix);
	free(r.path);
}

/* Parses text as an index of pack expect; returns the result code. */
static int idx_parse(const char *text, const char *expect)
{
	struct mlreg_pack_index idx;
	int err = mlreg_pack_index_parse(&idx, text, strlen(text), expect);

	mlreg_pack_index_free(&idx);
	return err;
}

static void packs(void)
{
	struct mlreg_pack_index idx = { 0 }, back;
	char a[65], b[65], p[65], *text, *t;
	size_t len;

	memset(a, 'a', 64);
	memset(b, 'b', 64);
	memset(p, 'c', 64);
	a[64] = b[64] = p[64] = '\0';
	memcpy(idx.pack, p, 65);
	idx.size = 15;
	idx.n = 2;
	idx.v = calloc(2, sizeof(*idx.v));
	memcpy(idx.v[0].hex, a, 65);
	idx.v[0].size = 5;
	memcpy(idx.v[1].hex, b, 65);
	idx.v[1].off = 5;
	idx.v[1].size = 10;
	text = mlreg_pack_index_format(&idx, &len);
	ok(mlreg_pack_index_parse(&back, text, len, p) == 0 && back.n == 2 &&
	   back.size == 15 && back.v[1].off == 5 && back.v[1].size == 10,
	   "pack index: format then parse gives it back");
	ok(mlreg_pack_index_find(&back, b) == &back.v[1] && !mlreg_pack_index_find(&back, p),
	   "pack index: find by hash");
	mlreg_pack_index_free(&back);
	ok(idx_parse(text, a) == MLREG_ECORRUPT, "pack index of another pack refused");
	t = xasprintf("mlreg pack index 2\n%s", strchr(text, '\n') + 1);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: unknown version refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 15 2\n%s 0 5\n%s 5 10\n", p, b, a);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: unsorted refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 15 2\n%s 0 5\n%s 4 11\n", p, a, b);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: overlapping objects refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 16 2\n%s 0 5\n%s 5 10\n", p, a, b);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: a gap at the end refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 15 99999999999\n%s 0 5\n", p, a);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: impossible count refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 18446744073709551615 2\n%s 0 "
		      "18446744073709551615\n%s 18446744073709551615 0\n", p, a, b);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: offsets past 2^64 refused");
	free(t);
	t = xasprintf("mlreg pack index 1\npack %s 015 2\n%s 0 5\n%s 5 10\n", p, a, b);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: leading zeros refused");
	free(t);
	t = xasprintf("%sextra\n", text);
	ok(idx_parse(t, NULL) == MLREG_ECORRUPT, "pack index: trailing bytes refused");
	free(t);
	text[strlen(text) - 2] = '1';
	ok(idx_parse(text, NULL) == MLREG_ECORRUPT, "pack index: wrong size refused");
	free(text);
	mlreg_pack_index_free(&idx);
}

int main(void)
{
	names();
	encoding();
	refs();
	urls();
	redaction();
	locks();
	paths();
	file_lists();
	records();
	text();
	documents();
	writing();
	kv();
	hashing();
	remotes();
	packs();
	return done();
}
