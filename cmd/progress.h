/*
 * The progress meter of the tool, the one register and the transfers
 * (upload, download) draw: curl's meter is the model.
 *
 * Rules: it is drawn on stderr only, and only when stderr is a terminal and
 * --quiet was not given (a pipe or a log file never sees it, stdout never
 * does); it is one line, redrawn in place ("\r\033[K") at most about ten
 * times a second (the last state of an item is always drawn), cut to the
 * terminal's width (the columns of the terminal on stderr, else $COLUMNS,
 * else 80) so it never wraps; sizes are human ("1.5 MiB", util.h).  The line
 * is cleared before a warning is printed and when the work ends, so what
 * stays on the terminal is exactly what would be there without the meter.
 * Callers quote untrusted values in the line (mlreg_quote(), text.h).
 *
 * Use:
 *	struct cmd_progress m;
 *	cmd_progress_start(&m, quiet);
 *	... in the library's progress callback:
 *	if (cmd_progress_due(&m, done == total))
 *		cmd_progress_draw(&m, "storing %s %3d%%", path, pct);
 *	... before a warning, and at the end:
 *	cmd_progress_clear(&m);
 */
#ifndef MLREG_CMD_PROGRESS_H
#define MLREG_CMD_PROGRESS_H

struct cmd_progress {
	int on;		/* stderr is a terminal and not --quiet: draw */
	int width;	/* columns the line may take */
	int shown;	/* a line is on the terminal (to clear) */
	double start;	/* monotonic seconds at cmd_progress_start(), for rates */
	double last;	/* monotonic seconds of the last redraw; 0: redraw at the next update */
};

/* Sets m up: on when stderr is a terminal and quiet is 0. */
void cmd_progress_start(struct cmd_progress *m, int quiet);

/*
 * Returns 1 when m should be redrawn now: it is on, and final is set (the
 * last state of an item) or a tenth of a second has passed since the last
 * redraw; 0 otherwise.
 */
int cmd_progress_due(struct cmd_progress *m, int final);

/* Replaces the line on stderr by the formatted text, cut to m's width. */
void cmd_progress_draw(struct cmd_progress *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears the line when one is shown (before a warning, and at the end). */
void cmd_progress_clear(struct cmd_progress *m);

#endif
