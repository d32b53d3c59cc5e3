/*
 * libcurl, loaded when a command first needs it (dlopen of libcurl.so.4),
 * not when mlreg starts.
 *
 * Why: libcurl brings some twenty shared libraries of its own (Kerberos,
 * LDAP, GnuTLS for RTMP, SSH, nghttp2, brotli...), and loading them cost
 * every command about 50 ms, half of mlreg's start-up, where only upload,
 * download, list-versions --remote and the fetching of a URL use HTTP.  Git
 * puts its HTTP transport in a separate program (git-remote-http) for the
 * same reason; one program with a lazily loaded library keeps mlreg a single
 * binary and its transports behind their table (lib/remote/transport.c).
 *
 * How: lib/curl-dl.c defines the libcurl functions mlreg calls, with their
 * own names and prototypes (from <curl/curl.h>), and mlreg is not linked
 * with -lcurl: each definition loads the library at its first call and
 * calls the real function through a pointer found by dlsym (22 of them;
 * lib/dl.c loads and finds them, for git-dl.c too).  Callers
 * include <curl/curl.h> as usual and see no difference.  The variadic ones
 * pass their one argument on by the type libcurl's option or info number
 * encodes (CURLOPTTYPE_*, CURLINFO_TYPEMASK).  A function mlreg starts to
 * use must be added there (the link fails until it is).
 *
 * When the library cannot be loaded, curl_global_init() returns
 * CURLE_FAILED_INIT, the init functions return NULL and the others an
 * error code, and mlreg_curl_error() says why, for the caller's one-line
 * message.  Only libcurl's ABI 4 (the soname since 2006) is accepted.
 */
#ifndef MLREG_CURL_DL_H
#define MLREG_CURL_DL_H

/* Returns 0 once libcurl is loaded (loading it on the first call), else -1. */
int mlreg_curl_load(void);

/* Returns why libcurl could not be loaded ("" when it was, or was not tried). */
const char *mlreg_curl_error(void);

#endif
