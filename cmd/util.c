/*
 * What the commands share: error reporting with stable exit codes, option
 * parsing with one-line errors, and JSON printing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd.h"

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
	fprintf(stderr, "%s: %s\n", code == EXIT_FATAL ? "fatal" : "error", msg);
	return code;
}

int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'mlreg %s -h')\n", current_cmd ? current_cmd->name : "");
	return EXIT_USAGE;
}

int cmd_getopt(int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int prev = optind ? optind : 1, c;
	char spec[128];

	opterr = 0;
	snprintf(spec, sizeof(spec), ":%s", optstring);
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?' || c == ':') {
		const char *arg = argv[optind - 1 >= prev ? optind - 1 : prev];
		char what[256];

		if (!strncmp(arg, "--", 2))	/* a long option, without any "=value" */
			snprintf(what, sizeof(what), "%.*s", (int)strcspn(arg, "="), arg);
		else
			snprintf(what, sizeof(what), "-%c", optopt > 32 && optopt < 127 ? optopt : '?');
		if (c == '?')
			cmd_usage_error("unknown option '%s'", what);
		else
			cmd_usage_error("option '%s' needs a value", what);
		return '?';
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
 * Returns 0 after adding each KEY=VALUE of kv (and first the file, when
 * given) to a new object in *out; an exit code after printing the error.
 */
int cmd_build_object(cJSON **out, const char *file, char **kv, size_t nkv)
{
	size_t i;
	int err;

	*out = NULL;
	if (file) {
		if ((err = mlreg_doc_parse_object_file(out, file)) < 0)
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

int cmd_stderr_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return cols && atoi(cols) > 0 ? atoi(cols) : 80;
}

void cmd_warn(void *ctx, const char *msg)
{
	fprintf(stderr, "warning: %s\n", msg);
}
