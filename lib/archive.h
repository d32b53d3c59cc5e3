/*
 * Archives: writing a version as a zip or tar.gz artifact archive (what
 * ADS-style tools read: the files at the top level), and finding a YAML
 * file inside a .tar.gz/.tgz (what MLX accepts for a model spec).
 */
#ifndef MLREG_ARCHIVE_H
#define MLREG_ARCHIVE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "store.h"

/*
 * Returns 0 after writing the files of version (a version object) to path as
 * format "zip" or "tar.gz", each object verified against its SHA-256 while
 * copied.  The archive is written to a temporary file beside path and
 * renamed over it only when complete, with mode 0666 less the umask, so a
 * failure leaves what was at path.  Only a regular file is replaced: when
 * path is a symbolic link (never followed), a directory, a FIFO, a device
 * or a socket, MLREG_ECONFLICT and nothing is written.
 */
int mlreg_export(const struct mlreg_store *store, const cJSON *version, const char *format,
		 const char *path);

/*
 * Returns 0 after writing the same archive to the open file out (a pipe, a
 * terminal, anything): the archive is first made whole in an unnamed
 * temporary file in the store's tmp/ (a zip needs to seek, and nothing is
 * written to out unless every object verified), then copied; what names
 * out in messages.
 */
int mlreg_export_fd(const struct mlreg_store *store, const cJSON *version, const char *format,
		    int out, const char *what);

/*
 * Returns 0 and in *out (malloc'd, *len bytes) the first regular file whose
 * name ends in .yaml or .yml in the gzip-compressed tar buf; its name in
 * *name (malloc'd).  Members are read in the ustar, pax (the "path" and
 * "size" records of an 'x' header) and GNU (././@LongLink 'L' names)
 * formats.  MLREG_EINVALID for a damaged archive or none found, and for
 * what cannot be read: a malformed pax header, a name longer than 4096
 * bytes, a sparse .yaml member.  Sizes are capped so that a hostile archive
 * cannot exhaust memory.
 */
int mlreg_targz_find_yaml(char **out, size_t *len, char **name, const unsigned char *buf,
			  size_t buflen, const char *what);

#endif
