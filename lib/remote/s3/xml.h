/*
 * A bounded reader of the XML that S3 answers with (ListObjectsV2's
 * ListBucketResult, Error, the multipart upload results and listings).  It
 * is not a general XML parser: it builds a small tree of elements, each with
 * its local name and the decoded text directly inside it, and ignores
 * attributes, comments and processing instructions.  The server is not
 * trusted, so the input is checked for well-formedness, nesting and element
 * count are bounded, and document type declarations are refused: no entity
 * other than the five predefined ones and character references is ever
 * expanded.  Text comes back as decoded UTF-8 bytes (an S3 key may hold any
 * character, control characters included); callers validate what they use.
 */
#ifndef MLREG_XML_H
#define MLREG_XML_H

#include <stddef.h>

#define MLREG_XML_MAX_DEPTH 32		/* the root element is at depth 1 */
#define MLREG_XML_MAX_ELEMENTS 2000000

struct mlreg_xml;	/* opaque parsed document */

/*
 * Returns 0 and the parsed document in *out; MLREG_EINVALID with a message
 * ("malformed XML at byte N: ...") for anything not well-formed.  Bounds:
 * depth <= 32, at most 2,000,000 elements, input up to len bytes (caller
 * bounds len).
 */
int mlreg_xml_parse(struct mlreg_xml **out, const char *buf, size_t len);

/* Frees a parsed document and every handle into it; NULL is a no-op. */
void mlreg_xml_free(struct mlreg_xml *doc);

/* An element handle; NULL means none. */
typedef const struct mlreg_xml_node mlreg_xml_node;

/* Returns the root element of doc (NULL for a NULL doc). */
mlreg_xml_node *mlreg_xml_root(const struct mlreg_xml *doc);

/* Returns the local name (namespace prefix removed) of an element. */
const char *mlreg_xml_name(mlreg_xml_node *n);

/* Returns the first child element of n with local name name (NULL name: any), or NULL. */
mlreg_xml_node *mlreg_xml_child(mlreg_xml_node *n, const char *name);

/* Returns the next sibling element after n with local name name (NULL: any), or NULL. */
mlreg_xml_node *mlreg_xml_next(mlreg_xml_node *n, const char *name);

/*
 * Returns the decoded text content directly inside n (concatenated text and
 * CDATA children), "" when none; never NULL for a non-NULL n.
 */
const char *mlreg_xml_text(mlreg_xml_node *n);

/* Returns the text of the first child named name, or NULL when there is no such child. */
const char *mlreg_xml_child_text(mlreg_xml_node *n, const char *name);

#endif
