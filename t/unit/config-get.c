/*
 * Reads one key of a git-config file with lib/config.c, printing what
 * 'git config -f FILE [--bool] --get KEY' prints, for t0115 to compare
 * the two on many files:
 *
 *	config-get FILE KEY          the value and a newline
 *	config-get --bool FILE KEY   "true" or "false"
 *
 * Exits 0, 1 when the key is not set (printing nothing), or 128 with
 * "error: MESSAGE" on stderr; 129 on bad arguments.  Whether lib/config.c
 * needed libgit2 shows in LD_DEBUG=files (git-dl.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"

int main(int argc, char **argv)
{
	int as_bool = argc == 4 && !strcmp(argv[1], "--bool"), b, err;
	char *v = NULL;

	if (argc != 3 + as_bool) {
		fprintf(stderr, "usage: config-get [--bool] FILE KEY\n");
		return 129;
	}
	if (as_bool) {
		err = mlreg_config_get_bool(&b, argv[2], argv[3], -1);
		if (!err && b < 0)
			return 1;
		if (!err)
			printf("%s\n", b ? "true" : "false");
	} else {
		err = mlreg_config_get_string(&v, argv[1], argv[2]);
		if (err == MLREG_ENOTFOUND)
			return 1;
		if (!err)
			printf("%s\n", v);
		free(v);
	}
	if (err < 0) {
		fprintf(stderr, "error: %s\n", mlreg_error_message());
		return 128;
	}
	return 0;
}
