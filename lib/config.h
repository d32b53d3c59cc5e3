/*
 * Reading one key of a git-config file (the store's config, .mlreg/config),
 * without loading libgit2 when the file keeps to what mlreg itself writes.
 *
 * The file stays git-config: 'git config -f .mlreg/config' reads and edits
 * it, and libgit2 writes it (remote add).  So a hand-edited file may use
 * anything git's syntax allows.  This reader handles a subset, and for
 * anything outside it asks libgit2 (git-dl.h loads it then): never a wrong
 * answer, at worst the slow path.  The subset, one line at a time:
 *   - blank lines, and comments starting with '#' or ';';
 *   - "[section]" and "[section "subsection"]" (escapes \" and \\ in the
 *     subsection), with nothing but a comment after the ']';
 *   - "name = value" and a bare "name" (true), with the value's quotes,
 *     escapes \n \t \b \" \\, inline comments outside quotes, and spaces
 *     (a tab or another blank inside a value outside quotes is not in it);
 *   - section and key names case-insensitive, subsections case-sensitive;
 *     the last of several values wins, as git config --get.
 * Outside the subset, so libgit2 reads the file: [include] and [includeIf]
 * sections, a line ending in a backslash (continuation), other escapes, an
 * unclosed quote, "[section.sub]", a key before any section or on a section's
 * line, CR, NUL, a byte-order mark, a file over 1 MiB or one that cannot be
 * read, and a boolean other than true/yes/on/false/no/off, an empty value
 * or a plain decimal number (libgit2 reads 1k, 0x10; or says it is not a
 * boolean, the error).
 */
#ifndef MLREG_CONFIG_H
#define MLREG_CONFIG_H

/*
 * Returns 0 and in *out the last value of key ("section.name" or
 * "section.subsection.name") in the config file at path, malloc'd ("" for a
 * bare name); MLREG_ENOTFOUND when the file does not set it or does not
 * exist; MLREG_EOS or MLREG_EINVALID when libgit2 cannot read it.
 */
int mlreg_config_get_string(char **out, const char *path, const char *key);

/*
 * Returns 0 and in *out key as a git boolean (0 or 1), or dflt when the
 * file does not set it or does not exist; MLREG_EINVALID naming the key
 * when its value is not a boolean; MLREG_EOS when the file cannot be read.
 */
int mlreg_config_get_bool(int *out, const char *path, const char *key, int dflt);

#endif
