/*
 * Model names and version references.  A name is what users type, what
 * appears in S3 keys and in file names of the store, so it is kept to a
 * portable alphabet: ASCII letters, digits, '.', '_', '-', '+', with '/'
 * separating non-empty segments ("team/detector").  At most 128 bytes; no
 * segment starts with '.' or '-'; '@' is reserved for NAME@N.
 */
#ifndef MLREG_NAME_H
#define MLREG_NAME_H

#define MLREG_NAME_MAX 128

/* Returns 0 when name is valid, else MLREG_EINVALID with the reason set. */
int mlreg_name_validate(const char *name);

/* Returns the store's directory name for a valid name ('/' as "%2F"), malloc'd. */
char *mlreg_name_encode(const char *name);

/* Returns the name for an encoded directory name, or NULL when it is not one. */
char *mlreg_name_decode(const char *enc);

/*
 * Returns 0 after splitting "NAME" or "NAME@N" into a malloc'd *name and
 * *version (0 for "latest"); MLREG_EINVALID for a bad name or version.
 */
int mlreg_ref_parse(const char *spec, char **name, long *version);

#endif
