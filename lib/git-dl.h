/*
 * libgit2, loaded when a command first needs it (dlopen of
 * libgit2.so.1.5, the soname of the headers mlreg is built with), not when
 * mlreg starts: the same design as curl-dl.h, whose comment says why; lib/dl.c
 * does the loading for both.
 *
 * Why: libgit2 brings libssh2, mbedTLS, http-parser, PCRE2 and their own
 * dependencies (eight libraries on Debian 12), loaded and relocated by every
 * command, where only these read git: register (provenance: the source
 * repository's commit and state, when its files are inside a git work tree),
 * alias --git-tag, init (the store kept out of the surrounding work tree),
 * template, the commands that record who acted (git's user.name, unless
 * $MLREG_AUTHOR is set), and the remotes' configuration (remote, upload,
 * download, list --remote...).  The store's config file, read by register,
 * is first read by lib/config.c without libgit2 (config.h).  A helper program
 * (git's git-remote-http) would have meant a protocol and a second binary
 * for a few calls; a shim keeps the callers' code as it was.
 *
 * How: lib/git-dl.c defines each libgit2 function mlreg calls (48 of them),
 * with libgit2's names and prototypes, and mlreg is not linked with -lgit2.
 * A function that returns something loads the library at its first call;
 * git_libgit2_init() only counts until then (the count is passed on at the
 * load), so a command that initialises libgit2 but finds no repository to
 * open never loads it; the free and dispose functions never load it.  A
 * function mlreg starts to use must be added there (the link fails until
 * it is).
 *
 * When the library cannot be loaded, each function returns libgit2's own
 * error value and git_error_last() says why ("cannot load libgit2.so.1.5
 * (install libgit2-1.5): ..."), so callers' one-line messages, which fold
 * git_error_last() in already, say it too (alias --git-tag checks first,
 * so as not to blame the tag's name).  A registration records no git facts
 * then, as outside a work tree: provenance never fails one (provenance.h).
 */
#ifndef MLREG_GIT_DL_H
#define MLREG_GIT_DL_H

/* Returns 0 once libgit2 is loaded (loading it on the first call), else -1. */
int mlreg_git_load(void);

/* Returns why libgit2 could not be loaded ("" when it was, or was not tried). */
const char *mlreg_git_error(void);

#endif
