/*
 * Errors, libgit2 style: a function returns 0 on success or a negative
 * MLREG_E* code, and sets a one-line message describing the last error that
 * the caller reads with mlreg_error_message().  The library never prints and
 * never exits; the tool decides what an error means for the user.
 */
#ifndef MLREG_ERROR_H
#define MLREG_ERROR_H

enum {
	MLREG_OK        =  0,
	MLREG_ERROR     = -1,	/* generic failure */
	MLREG_ENOTFOUND = -3,	/* model, version or object does not exist */
	MLREG_EEXISTS   = -4,	/* the thing to create already exists */
	MLREG_EINVALID  = -5,	/* bad input: a name, a file's content */
	MLREG_ECORRUPT  = -6,	/* the store holds something inconsistent */
	MLREG_ELOCKED   = -7,	/* a lock could not be taken in time */
	MLREG_EOS       = -8,	/* a system call failed (I/O, permission) */
	MLREG_EUSAGE    = -9,	/* malformed command-line argument */
	MLREG_ECONFLICT = -10,	/* a write would clobber something */
	MLREG_EREMOTE   = -11,	/* a remote refused or failed: unreachable, credentials,
				   no such bucket, server errors after retries */
};

/* Sets the last error and returns code, so callers can `return mlreg_error_set(...)`. */
int mlreg_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like mlreg_error_set(MLREG_EOS, ...) with ": strerror(errno)" appended; returns MLREG_EOS. */
int mlreg_error_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns the message of the last error ("" when none was set). */
const char *mlreg_error_message(void);

/* Returns the code of the last error (0 when none was set). */
int mlreg_error_code(void);

/* Forgets the last error. */
void mlreg_error_clear(void);

#endif
