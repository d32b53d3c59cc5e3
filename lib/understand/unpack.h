/*
 * Unpacking an artifact archive (a zip or a tar.gz, as mlreg export and ADS
 * write them) so that its members can be checked as the files of a version:
 * `mlreg validate ARTIFACT.zip`.  Members are written to a new private
 * directory, each under a number, never under its own name, so no name in
 * the archive can place a file anywhere else; the names are only checked
 * (relative once a leading "./" is dropped, no empty, "." or ".." segment,
 * no control character or backslash, no duplicate) and become the entries'
 * paths.  Directories are skipped; links and special files are refused.
 *
 * Memory stays flat: a zip member is inflated a chunk at a time to at most
 * the size the archive declares, its CRC checked (zip.h); a tar.gz is
 * inflated as a stream, a block at a time, with pax 'path' records and
 * GNU long names read up to a bound.  Disk use is the unpacked size, and a
 * full disk, like a damaged archive, is an error that leaves nothing behind.
 */
#ifndef MLREG_UNPACK_H
#define MLREG_UNPACK_H

#include "walk.h"

/*
 * Returns 0 and the entries of the archive at path (a zip or a
 * gzip-compressed tar, told apart by their first bytes) in *out, their
 * contents in files below the new directory *dir (malloc'd; made with
 * mkdtemp() under tmpdir); MLREG_EINVALID naming the archive and the
 * member for a damaged archive, an unsafe name or a link, MLREG_EOS for a
 * read or write error, with nothing left on disk.
 */
int mlreg_unpack(struct mlreg_entries *out, char **dir, const char *path, const char *tmpdir);

/* Removes what mlreg_unpack() wrote, frees the entries and the directory's name. */
void mlreg_unpack_remove(struct mlreg_entries *e, char *dir);

#endif
