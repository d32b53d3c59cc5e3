/*
 * What the commands share: error reporting with stable exit codes, option
 * parsing with one-line errors, and the printing layer.
 *
 * Everything people read leaves through here, so that no string from a
 * record, a remote, a file name or a model file can put a raw control
 * character on the terminal (lib/text.h says what is escaped, and how):
 * cmd_printf() quotes each value it prints, cmd_fail(), cmd_usage_error()
 * and cmd_warn() escape whole messages, and cmd_print_json() writes JSON,
 * whose writer escapes control characters itself (exact, for scripts).
 */
#define CMD_PRINTING_LAYER	/* the one file that may use printf() and friends */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "text.h"

void cmd_print_message(FILE *f, const char *lead, const char *msg)
{
	char *q = mlreg_quote(msg, strlen(msg), 0);

	fprintf(f, "%s%s\n", lead, q);
	free(q);
}

void cmd_printf(const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt;

	va_start(ap, fmt);
	while (*p) {
		char flags[8], len[3] = "", spec[48], conv;
		size_t nf = 0, nl = 0;
		int width = 0, has_width = 0, prec = -1;

		if (*p != '%' || p[1] == '%') {
			size_t run = *p == '%' ? 1 : strcspn(p, "%");
			fwrite(p, 1, run, stdout);
			p += *p == '%' ? 2 : run;
			continue;
		}
		p++;
		while (*p && strchr("-+ #0", *p) && nf < sizeof(flags) - 1)
			flags[nf++] = *p++;
		flags[nf] = '\0';
		if (*p == '*') {
			width = va_arg(ap, int);	/* negative: the '-' flag, as printf */
			has_width = 1;
			p++;
		} else if (*p >= '0' && *p <= '9') {
			width = (int)strtol(p, (char **)&p, 10);
			has_width = 1;
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				prec = va_arg(ap, int);	/* negative: as if none */
				p++;
			} else {
				prec = (int)strtol(p, (char **)&p, 10);
			}
		}
		while (*p && strchr("hlLzjt", *p) && nl < sizeof(len) - 1)
			len[nl++] = *p++;
		conv = *p ? *p++ : '\0';
		if (has_width)
			snprintf(spec, sizeof(spec), "%%%s%d", flags, width);
		else
			snprintf(spec, sizeof(spec), "%%%s", flags);
		if (conv == 's' || conv == 'c') {	/* a value: quoted when it must be */
			char one[1], *q;
			const char *v;
			size_t vlen;
			if (conv == 'c') {
				one[0] = (char)va_arg(ap, int);
				v = one;
				vlen = 1;
			} else {
				if (!(v = va_arg(ap, const char *)))
					v = "(null)";
				/* the precision cuts the value, before quoting makes it longer */
				vlen = prec >= 0 ? strnlen(v, (size_t)prec) : strlen(v);
			}
			q = mlreg_quote(v, vlen, MLREG_QUOTE_WRAP);
			strcat(spec, "s");
			fprintf(stdout, spec, q);
			free(q);
			continue;
		}
		if (prec >= 0)
			snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ".%d", prec);
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), "%s%c", len, conv);
		switch (conv) {
		case 'd': case 'i':
			if (!strcmp(len, "ll"))
				fprintf(stdout, spec, va_arg(ap, long long));
			else if (!strcmp(len, "l"))
				fprintf(stdout, spec, va_arg(ap, long));
			else if (!strcmp(len, "z"))
				fprintf(stdout, spec, va_arg(ap, ssize_t));
			else if (!strcmp(len, "j"))
				fprintf(stdout, spec, va_arg(ap, intmax_t));
			else if (!strcmp(len, "t"))
				fprintf(stdout, spec, va_arg(ap, ptrdiff_t));
			else
				fprintf(stdout, spec, va_arg(ap, int));
			break;
		case 'u': case 'o': case 'x': case 'X':
			if (!strcmp(len, "ll"))
				fprintf(stdout, spec, va_arg(ap, unsigned long long));
			else if (!strcmp(len, "l"))
				fprintf(stdout, spec, va_arg(ap, unsigned long));
			else if (!strcmp(len, "z"))
				fprintf(stdout, spec, va_arg(ap, size_t));
			else if (!strcmp(len, "j"))
				fprintf(stdout, spec, va_arg(ap, uintmax_t));
			else if (!strcmp(len, "t"))
				fprintf(stdout, spec, va_arg(ap, ptrdiff_t));
			else
				fprintf(stdout, spec, va_arg(ap, unsigned));
			break;
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (!strcmp(len, "L"))
				fprintf(stdout, spec, va_arg(ap, long double));
			else
				fprintf(stdout, spec, va_arg(ap, double));
			break;
		case 'p':
			fprintf(stdout, spec, va_arg(ap, void *));
			break;
		default:	/* %n, or a typo the compiler's format check let through */
			fputs("fatal: cmd_printf: unsupported conversion\n", stderr);
			abort();
		}
	}
	va_end(ap);
}

int cmd_fail(int err)
{
	const char *msg = mlreg_error_message();
	int code;

	if (!*msg)
		msg = "unknown error";
	switch (err) {
	case MLREG_EUSAGE:
		code = EXIT_USAGE;
		break;
	case MLREG_ENOTFOUND:
	case MLREG_EEXISTS:
	case MLREG_ECORRUPT:
	case MLREG_ELOCKED:
	case MLREG_ECONFLICT:
		code = EXIT_FAIL;
		break;
	default:
		code = EXIT_FATAL;
		break;
	}
	cmd_print_message(stderr, code == EXIT_FATAL ? "fatal: " : "error: ", msg);
	return code;
}

int cmd_usage_error(const char *fmt, ...)
{
	char msg[1024], *full;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (current_cmd)
		full = xasprintf("%s (see 'mlreg %s -h')", msg, current_cmd->name);
	else
		full = xasprintf("%s (see 'mlreg help')", msg);
	cmd_print_message(stderr, "error: ", full);
	free(full);
	return EXIT_USAGE;
}

/*
 * Returns the edit distance between a and b (insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1: Damerau's), or a
 * large number when either is longer than 64 characters.
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[66][66];

	if (la > 64 || lb > 64)
		return (size_t)-1 / 2;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *cmd_suggest(const char *word, const char *const *names, size_t n)
{
	size_t i, best = (size_t)-1, len = strlen(word), prefixed = 0;
	const char *pick = NULL, *prefix = NULL;

	/* a word that starts exactly one name: what an abbreviation meant */
	for (i = 0; i < n; i++)
		if (len >= 3 && !strncmp(names[i], word, len) && names[i][len]) {
			prefix = names[i];
			prefixed++;
		}
	if (prefixed == 1)
		return prefix;
	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
		} else if (d == best) {
			pick = NULL;	/* a tie: no single guess */
		}
	}
	/* close enough: one edit in a short word, two from 6 characters, three from 10 */
	if (!pick || best == 0 || best > (len < 6 ? 1 : len < 10 ? 2 : 3))
		return NULL;
	return pick;
}

/*
 * Prints "unknown option 'what'" as a usage error, with the closest long
 * option of longopts (or --help) when one is close enough.
 */
static void unknown_option(const char *what, const struct option *longopts)
{
	const char *names[64], *guess = NULL;
	char *dashed[64];
	size_t n = 0, i;

	if (!strncmp(what, "--", 2)) {
		for (i = 0; longopts[i].name && n < 63; i++) {
			dashed[n] = xasprintf("--%s", longopts[i].name);
			names[n] = dashed[n];
			n++;
		}
		dashed[n] = xstrdup("--help");
		names[n] = dashed[n];
		n++;
		guess = cmd_suggest(what, names, n);
	}
	if (guess)
		cmd_usage_error("unknown option '%s'; did you mean '%s'?", what, guess);
	else
		cmd_usage_error("unknown option '%s'", what);
	for (i = 0; i < n; i++)
		free(dashed[i]);
}

/*
 * getopt_long() without its abbreviations: "--metric" is not taken for
 * "--metrics-file" (a guess that can mislead), so a long option must be
 * spelled in full, and a near miss is suggested instead.
 */
int cmd_getopt(int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int prev = optind ? optind : 1, c, idx = -1;
	char spec[128], what[256];

	opterr = 0;
	snprintf(spec, sizeof(spec), ":%s", optstring);
	c = getopt_long(argc, argv, spec, longopts, &idx);
	if (c == '?' || c == ':') {
		const char *arg = argv[optind - 1 >= prev ? optind - 1 : prev];

		if (!strncmp(arg, "--", 2))	/* a long option, without any "=value" */
			snprintf(what, sizeof(what), "%.*s", (int)strcspn(arg, "="), arg);
		else
			snprintf(what, sizeof(what), "-%c", optopt > 32 && optopt < 127 ? optopt : '?');
		if (c == '?')
			unknown_option(what, longopts);
		else
			cmd_usage_error("option '%s' needs a value", what);
		return '?';
	}
	if (c != -1 && idx >= 0) {	/* a long option: the word as it was typed */
		const char *word = argv[optind - 1];
		size_t len;

		/* "--name VALUE": the option is the word before its value */
		if (optarg && optarg == argv[optind - 1] && optind >= 2)
			word = argv[optind - 2];
		len = strcspn(word + 2, "=");
		if (strncmp(word, "--", 2) || len != strlen(longopts[idx].name) ||
		    strncmp(word + 2, longopts[idx].name, len)) {
			snprintf(what, sizeof(what), "%.*s", (int)strcspn(word, "="), word);
			unknown_option(what, longopts);
			return '?';
		}
	}
	return c;
}

void cmd_print_json(const cJSON *item)
{
	char *s = mlreg_doc_print_pretty(item);

	fputs(s, stdout);
	free(s);
}

const char *cmd_str(const cJSON *obj, const char *key)
{
	return mlreg_doc_str(obj, key, "");
}

/*
 * Returns 0 and in *out the mapping read from standard input (at most
 * MLREG_DOC_MAX_BYTES, as a file); an error code with a message otherwise.
 */
static int parse_stdin_object(cJSON **out)
{
	struct mlreg_buf b = MLREG_BUF_INIT;
	char chunk[65536];
	ssize_t got;
	int err = 0;

	*out = NULL;
	for (;;) {
		got = read(0, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = mlreg_error_set(MLREG_EOS, "cannot read standard input: %s",
					      strerror(errno));
			goto done;
		}
		if (got == 0)
			break;
		if (b.len + (size_t)got > MLREG_DOC_MAX_BYTES) {
			err = mlreg_error_set(MLREG_EINVALID,
					      "standard input is larger than %u bytes",
					      MLREG_DOC_MAX_BYTES);
			goto done;
		}
		mlreg_buf_add(&b, chunk, (size_t)got);
	}
	if ((err = mlreg_doc_parse(out, b.p ? b.p : "", b.len, "standard input")) < 0)
		goto done;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		err = mlreg_error_set(MLREG_EINVALID, "standard input must hold a mapping "
				      "of keys to values at its top level");
	}
done:
	mlreg_buf_release(&b);
	return err;
}

/*
 * Returns 0 after adding each KEY=VALUE of kv (and first the file, when
 * given: "-" is standard input) to a new object in *out; an exit code after
 * printing the error.
 */
int cmd_build_object(cJSON **out, const char *file, char **kv, size_t nkv)
{
	size_t i;
	int err;

	*out = NULL;
	if (file) {
		err = strcmp(file, "-") ? mlreg_doc_parse_object_file(out, file)
					: parse_stdin_object(out);
		if (err < 0)
			return cmd_fail(err);
	} else {
		*out = cJSON_CreateObject();
	}
	for (i = 0; i < nkv; i++)
		if ((err = mlreg_doc_set_kv(*out, kv[i])) < 0) {
			cJSON_Delete(*out);
			*out = NULL;
			return cmd_usage_error("%s", mlreg_error_message());
		}
	return 0;
}

void cmd_warn(void *ctx, const char *msg)
{
	cmd_print_message(stderr, "warning: ", msg);
}

int cmd_resolve(const struct mlreg_store *store, const char *spec, char **name, long *n,
		int warn)
{
	cJSON *model = NULL;
	int err;

	if ((err = mlreg_ref_resolve(store, spec, name, n)) < 0)
		return cmd_fail(err);
	if (warn && mlreg_model_load(&model, store, *name) == 0 &&
	    mlreg_model_deprecated(model, *n)) {
		char *msg = xasprintf("%s@%ld is deprecated", *name, *n);
		cmd_warn(NULL, msg);
		free(msg);
	}
	cJSON_Delete(model);
	return EXIT_OK;
}

void cmd_print_version_json(const struct mlreg_store *store, cJSON *version)
{
	cJSON *model = NULL;

	if (mlreg_model_load(&model, store, mlreg_doc_str(version, "model", "")) == 0)
		mlreg_lifecycle_annotate(version, model);
	else
		mlreg_lifecycle_annotate(version, NULL);
	cJSON_Delete(model);
	cmd_print_json(version);
}
