/*
 * Unpacking a zip artifact (what mlreg export and ADS write) so that its
 * members can be checked as the files of a version: `mlreg validate
 * ARTIFACT.zip`.  Members are written to a new private directory, each
 * under a number, never under its own name, so no name in the archive can
 * place a file anywhere else; the names are only checked (relative, no
 * empty, "." or ".." segment, no control character, no duplicate) and
 * become the entries' paths.  Directories are skipped.  Each member is
 * inflated a chunk at a time to at most the size the archive declares,
 * and its CRC checked (zip.h), so memory stays flat; disk use is the
 * unpacked size, and a full disk is an error that leaves nothing behind.
 */
#ifndef MLREG_UNZIP_H
#define MLREG_UNZIP_H

#include "walk.h"

/*
 * Returns 0 and the entries of the zip archive at path in *out, their
 * contents in files below the new directory *dir (malloc'd; made with
 * mkdtemp() under tmpdir); MLREG_EINVALID naming the archive and the
 * member for a damaged archive or an unsafe name, MLREG_EOS for a read or
 * write error, with nothing left on disk.
 */
int mlreg_unzip(struct mlreg_entries *out, char **dir, const char *path, const char *tmpdir);

/* Removes what mlreg_unzip() wrote, frees the entries and the directory's name. */
void mlreg_unzip_remove(struct mlreg_entries *e, char *dir);

#endif
