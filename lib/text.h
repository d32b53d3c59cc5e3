/*
 * Text that crosses a trust boundary: UTF-8 checking, and quoting for the
 * terminal.
 *
 * Every string mlreg prints for people may come from somewhere hostile: a
 * version record a remote served, a file name, a model file's contents.  A
 * raw control character in it could move the cursor, retitle the window,
 * clear the screen or forge a line of output, so the tool prints none: it
 * passes every such string through mlreg_quote() (cmd/'s cmd_printf() and
 * error printer do it for all of them).  JSON output needs no quoting: its
 * strings are escaped by the JSON writer (doc.c) and stay exact.
 *
 * What is escaped (an "unsafe" byte):
 *   - the C0 controls U+0000..U+001F and DEL U+007F;
 *   - the C1 controls U+0080..U+009F, which some terminals obey when they
 *     arrive UTF-8 encoded (0xc2 0x80..0x9f) and 8-bit ones as raw bytes;
 *   - every byte that is not part of a valid UTF-8 sequence.
 * How: git's C-style quoting of unusual paths (core.quotePath): \a \b \t
 * \n \v \f \r, and three octal digits for any other unsafe byte (ESC is
 * \033, U+009B is \302\233).
 */
#ifndef MLREG_TEXT_H
#define MLREG_TEXT_H

#include <stddef.h>

/*
 * Returns the length of the UTF-8 sequence at s (n bytes available): 1 to
 * 4 when it is valid (shortest form, no surrogate, at most U+10FFFF), 0
 * when it is not (a NUL byte counts as invalid), -1 when it is a valid
 * beginning cut short by the end of the n bytes.
 */
int mlreg_utf8_len(const unsigned char *s, size_t n);

/* Returns the offset of the first byte of s that is not valid UTF-8 (or NUL), len when none. */
size_t mlreg_utf8_check(const char *s, size_t len);

/*
 * Returns NULL when s is valid UTF-8 without a control character (C0, DEL
 * or C1), else why not: "holds a control character" or "is not valid
 * UTF-8", for messages such as "'NAME' %s".  The rule for names mlreg
 * stores (file paths in records).
 */
const char *mlreg_text_problem(const char *s);

#define MLREG_QUOTE_WRAP 1	/* in double quotes, with \" and \\, when escaping is needed */

/*
 * Returns a new string (malloc'd): the len bytes of s with every unsafe
 * byte escaped as above.  With MLREG_QUOTE_WRAP (values in output, as git
 * prints paths), a string that needs escaping is also put in double quotes
 * and its '"' and '\' are escaped, so it reads back unambiguously; a
 * string that needs none is returned as it is.  Without it (whole
 * messages), nothing but the unsafe bytes changes.
 */
char *mlreg_quote(const char *s, size_t len, unsigned flags);

#endif
