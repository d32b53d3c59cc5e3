/*
 * Where each node of a parsed document was written: a table from the nodes
 * of a tree that mlreg_doc_parse() built to the line of the text each came
 * from, so that a refusal of a seed system's file can name the line as well
 * as the field.  doc.c builds trees without positions (cJSON has no room
 * for them); this module reads the same text a second time, alongside the
 * tree, in the same order doc.c did, and records the pointer of each node.
 *
 * A mapping's member is placed on the line of its key ("inputs:" for the
 * block under it), a list item and the root on the line of the value.
 * The table is only valid while the tree is not changed or freed: it holds
 * pointers, never owns them.  Its size is one entry per node, which doc.c
 * already bounds (MLREG_DOC_MAX_NODES); a text that does not match the tree
 * (never the case for the text the tree came from) leaves the rest of the
 * nodes without a line, never a wrong one past the point where the two
 * part.
 */
#ifndef MLREG_DOCPOS_H
#define MLREG_DOCPOS_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct mlreg_docpos;

/* Returns a new table of the lines of doc's nodes, read from text (len bytes). */
struct mlreg_docpos *mlreg_docpos_build(const cJSON *doc, const char *text, size_t len);

/*
 * Returns a new empty table, for a reader of another text format that
 * places its nodes itself with mlreg_docpos_add() (the protobuf text
 * format of contract-prototxt.c).
 */
struct mlreg_docpos *mlreg_docpos_new(void);

/* Records that node was written at line. */
void mlreg_docpos_add(struct mlreg_docpos *pos, const cJSON *node, int line);

/* Returns the line (from 1) where node was written, or 0 when unknown or pos is NULL. */
int mlreg_docpos_line(const struct mlreg_docpos *pos, const cJSON *node);

/* Frees the table (NULL is fine). */
void mlreg_docpos_free(struct mlreg_docpos *pos);

/*
 * Returns 0 after reading and parsing the file at path as
 * mlreg_doc_parse_file() does, with the lines of its nodes in *pos
 * (freed by the caller with mlreg_docpos_free()); shown names the file in
 * messages.  Errors as mlreg_doc_parse_file().
 */
int mlreg_docpos_parse_file(cJSON **out, struct mlreg_docpos **pos, const char *path,
			    const char *shown);

#endif
