/*
 * The progress meter (see progress.h): when to redraw, how wide, and the
 * terminal control sequences, in one place for every command that shows
 * progress.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

/* Returns the columns of the terminal on stderr, else $COLUMNS, else 80. */
static int stderr_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return cols && atoi(cols) > 0 ? atoi(cols) : 80;
}

void cmd_progress_start(struct cmd_progress *m, int quiet)
{
	m->on = !quiet && isatty(STDERR_FILENO);
	m->width = m->on ? stderr_width() : 80;
	m->shown = 0;
	m->start = mlreg_monotonic();
	m->last = 0;
}

int cmd_progress_due(struct cmd_progress *m, int final)
{
	double t;

	if (!m->on)
		return 0;
	t = mlreg_monotonic();
	if (!final && t - m->last < 0.1)
		return 0;	/* about ten redraws a second, as curl's meter */
	m->last = t;
	return 1;
}

void cmd_progress_draw(struct cmd_progress *m, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one column short of the width: a full line would wrap on some terminals */
	fprintf(stderr, "\r\033[K%.*s", m->width > 1 ? m->width - 1 : 1, line);
	m->shown = 1;
}

void cmd_progress_clear(struct cmd_progress *m)
{
	if (m->shown)
		fputs("\r\033[K", stderr);
	m->shown = 0;
}
