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
	char msg[sizeof(last_msg)];
	va_list ap;

	/* Format first: the arguments may include the current message. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(last_msg, msg, sizeof(msg));
	last_code = code;
	return code;
}

/* Returns MLREG_EOS after storing the message with strerror(errno) appended. */
int mlreg_error_os(const char *fmt, ...)
{
	char msg[sizeof(last_msg)];
	int saved = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = strlen(msg);
	snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(saved));
	memcpy(last_msg, msg, sizeof(msg));
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
