/*
 * Structured documents: JSON and YAML files read into cJSON trees, with
 * bounds on size, depth and node count so a hostile file gets an error, not
 * a crash or a huge allocation; and the KEY=VALUE / KEY:=JSON arguments.
 *
 * Nothing is taken changed without a word: a document (or argument) that
 * cannot be stored exactly as it reads is refused, naming the file or key:
 * text that is not UTF-8 (records must be, and other JSON readers refuse
 * them otherwise); a string holding a NUL, which cJSON and libyaml would
 * cut there (JSON's \u0000 is found in the raw text, before cJSON reads
 * it: see json_text_problem() in doc.c; YAML's "\0" by the scalar's length);
 * a number too large for a double (1e999 would become infinity, and then
 * null); an object that repeats a key (readers disagree on which wins).
 */
#ifndef MLREG_DOC_H
#define MLREG_DOC_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define MLREG_DOC_MAX_BYTES (64u << 20)	/* largest metadata/metrics file */
#define MLREG_DOC_MAX_DEPTH 64		/* deepest nesting accepted */
#define MLREG_DOC_MAX_NODES 1000000	/* most YAML nodes accepted */
#define MLREG_RECORD_MAX_DEPTH 256	/* records hold documents some levels down
					   (spec.document, artifacts[].details) */

/*
 * Returns 0 and the parsed document in *out; MLREG_EINVALID when the text is
 * not valid JSON (when it starts with '{' or '[') or YAML, the message naming
 * what (a file name) and the line.
 */
int mlreg_doc_parse(cJSON **out, const char *text, size_t len, const char *what);

/*
 * Returns 0 and the JSON object of a record (a model or version record, of
 * the store or of a remote) in *out, read as strictly as a JSON document
 * above; MLREG_EINVALID naming what otherwise.
 */
int mlreg_doc_parse_record(cJSON **out, const char *text, size_t len, const char *what);

/* Returns 0 and the file's document in *out (a JSON or YAML file), or an error. */
int mlreg_doc_parse_file(cJSON **out, const char *path);

/* Like mlreg_doc_parse_file() but the top level must be a mapping. */
int mlreg_doc_parse_object_file(cJSON **out, const char *path);

/*
 * Returns 0 after setting one key of obj from "KEY=VALUE" (a string) or
 * "KEY:=JSON" (a typed value); MLREG_EUSAGE when arg is malformed.
 */
int mlreg_doc_set_kv(cJSON *obj, const char *arg);

/*
 * Returns how many members it removed from the objects in item (at any
 * depth) whose name an earlier member of the same object has; the first is
 * kept, the one cJSON's lookups find.  For documents mlreg did not read
 * itself (a model file's JSON, read by an inspector), before they go into
 * a record, which must not repeat a key.
 */
size_t mlreg_doc_drop_repeated_keys(cJSON *item);

/* Replaces (or adds) key in obj with item, which obj then owns. */
void mlreg_doc_set(cJSON *obj, const char *key, cJSON *item);

/*
 * Returns a new compact JSON text of item followed by '\n' (malloc'd).
 * Strings are exact, with every control character escaped (C0 and DEL,
 * and the C1 controls U+0080..U+009F as \u0080..\u009f, so the text is
 * safe on a terminal); a byte that is not UTF-8, which only a string read
 * from a model file can hold (input is refused above), is written as
 * U+FFFD, so what mlreg writes is always valid JSON.
 */
char *mlreg_doc_print(const cJSON *item);

/* Returns a new indented JSON text of item (two spaces, as jq) plus '\n' (malloc'd). */
char *mlreg_doc_print_pretty(const cJSON *item);

/* Returns the string value of key in obj, or dflt. */
const char *mlreg_doc_str(const cJSON *obj, const char *key, const char *dflt);

/* Returns the integer value of key in obj, or dflt when absent or not a number. */
long long mlreg_doc_int(const cJSON *obj, const char *key, long long dflt);

#endif
