/*
 * TAP for the C unit tests (t/unit/NAME.c), the one copy: what prove reads
 * from a test binary, as the shell tests print it through t/lib.sh.
 *
 * A test calls ok() or is() once per check, in any order and number, then
 * returns done() from main(): done() prints the plan "1..N" after the
 * checks (TAP allows it at the end) unless plan() printed it first, and
 * returns the exit status (0 when every check passed, else 1).  A failed
 * check prints the library's last error message (error.h) as a comment,
 * is() also what it got and wanted; diag() adds comments of the test's
 * own.  Comments are lines starting with "#", which prove shows and never
 * counts, so nothing a failing check prints can break the stream.
 *
 * Header only (static inline functions, counters per test binary): each
 * test is one .c file linked with libmlreg.a (the Makefile's t/unit/%).
 */
#ifndef MLREG_TAP_H
#define MLREG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int tap_n;		/* checks so far */
static int tap_failed;		/* of which failed */
static int tap_planned;		/* plan() printed the plan */

/* Prints the plan "1..n" before the checks (else done() prints it after them). */
static inline void plan(int n)
{
	printf("1..%d\n", n);
	tap_planned = 1;
}

/* Prints a TAP comment "#   ..." of the formatted text (one line). */
static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("#   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Returns cond after printing "ok N - what" (or "not ok", with the last error). */
static inline int ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, what);
	if (!cond) {
		tap_failed++;
		diag("last error: %s", mlreg_error_message());
	}
	return cond;
}

/* Prints s (NULL: "(null)") with its newlines as \n after lead, as one comment line. */
static inline void tap_show(const char *lead, const char *s)
{
	fputs(lead, stdout);
	for (s = s ? s : "(null)"; *s; s++)
		fputs(*s == '\n' ? "\\n" : (char[2]){ *s, '\0' }, stdout);
	putchar('\n');
}

/* Returns 1 when the strings got (may be NULL) and want are equal, checked as ok(). */
static inline int is(const char *got, const char *want, const char *what)
{
	int same = got && want && !strcmp(got, want);

	if (!ok(same, what)) {
		tap_show("#   got:  ", got);
		tap_show("#   want: ", want);
	}
	return same;
}

/* Returns the exit status of the test after printing the plan if plan() did not. */
static inline int done(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
