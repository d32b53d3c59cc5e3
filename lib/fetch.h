/*
 * Fetching a small document over http(s) with libcurl (mlreg import URL).
 */
#ifndef MLREG_FETCH_H
#define MLREG_FETCH_H

#include <stddef.h>

/*
 * Returns 0 and the body of url in *out (malloc'd, NUL-terminated, *len
 * bytes); MLREG_EINVALID when it is larger than max, MLREG_EOS when the
 * server cannot be reached or answers with an HTTP error.  Only http and
 * https are followed, through at most 5 redirects.
 */
int mlreg_fetch_url(char **out, size_t *len, const char *url, size_t max);

#endif
