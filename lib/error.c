/*
 * The last-error slot of the library.  One message per thread, overwritten by
 * each new error, as libgit2's git_error_last().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;

/* Returns code after storing the formatted message. */
int mlreg_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

/* Returns MLREG_EOS after storing the message with strerror(errno) appended. */
int mlreg_error_os(const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	len = strlen(last_msg);
	snprintf(last_msg + len, sizeof(last_msg) - len, ": %s",
		 saved == ENOSPC ? "No space left on device" : strerror(saved));
	last_code = MLREG_EOS;
	errno = saved;
	return MLREG_EOS;
}

/* Returns the last message. */
const char *mlreg_error_message(void)
{
	return last_msg;
}

/* Returns the last code. */
int mlreg_error_code(void)
{
	return last_code;
}

/* Clears the slot. */
void mlreg_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}
