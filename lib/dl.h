/*
 * Loading a shared library on first use, by its soname (dlopen), and
 * finding the functions mlreg calls in it (dlsym): the plumbing that
 * curl-dl.c (libcurl) and git-dl.c (libgit2) share.
 *
 * Why: libcurl and libgit2 bring some thirty shared libraries between them
 * (Kerberos, LDAP, GnuTLS, SSH, mbedTLS, PCRE2...), whose loading and
 * relocation was most of mlreg's start-up, where most commands use neither.
 * Each shim defines the library's functions under their own names, and each
 * definition calls mlreg_dl_load() before calling the real function through
 * the pointer it found.
 *
 * Safety: only the soname is ever given to dlopen, never a path, so the
 * library is the one the dynamic loader finds by its own rules (ld.so.cache,
 * the system directories, and what ld.so itself honours: LD_LIBRARY_PATH,
 * ignored for set-uid programs); mlreg reads no variable of its own for it.
 * The soname carries the ABI version, so an incompatible build of the
 * library is never loaded; a missing function is refused as a whole (no
 * half-loaded library).  The first call is assumed to come from one thread.
 */
#ifndef MLREG_DL_H
#define MLREG_DL_H

#include <stddef.h>

/* One function to find: its symbol name and where its address goes. */
struct mlreg_dl_sym {
	const char *name;	/* the symbol, "curl_easy_init" */
	void **ptr;		/* the shim's function pointer, set by the load */
};

/* One library, loaded at most once (a failure is remembered, not retried). */
struct mlreg_dl {
	const char *soname;	/* "libgit2.so.1.5": the file name and ABI */
	const char *package;	/* what to install when it is missing */
	const char *need;	/* the version that has every symbol */
	const struct mlreg_dl_sym *syms;	/* the functions to find */
	size_t nsyms;
	int tried, ok;		/* the state: loaded once, failed once */
	char why[256];		/* why it could not be loaded, else "" */
};

/*
 * Returns 0 once every symbol of d is found (loading the library on the
 * first call), else -1 with the reason, one line, in d->why.
 */
int mlreg_dl_load(struct mlreg_dl *d);

#endif
