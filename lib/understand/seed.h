/*
 * What the readers of the seed systems' files share (MLX specs in mlx.c,
 * Hydrosphere contracts in contract.c with contract-fields.c and
 * contract-prototxt.c, whose own shared part is contract-int.h, Determined
 * checkpoints in determined.c, ADS artifacts in ads.c); spec.h is the
 * public face of the family and spec.c its dispatcher.  Nothing outside
 * the family includes this header.
 *
 * A reader does not fail at the first problem: it notes every finding, with
 * the file, the line (docpos.h) and the field it concerns, at one of four
 * levels that say what the seed system itself does with the file.  The
 * dispatcher turns them into register's error or warnings and validate's
 * problems or warnings, so the two commands always agree on a file:
 *
 *   level    the seed system...                     register   validate
 *   REFUSE   refuses it too                         fails      problem
 *   FAIL     takes it, but it cannot work as is     warns      problem
 *            (a template placeholder, a payload
 *            file that is not there, ADS's checks)
 *   WARN     takes it, and mlreg records it         warns      warning
 *            differently from how it is written
 *            (an unknown profile becomes none)
 *   HINT     takes it, but would not run it, or     -          warning
 *            ignores part of it
 *
 * A note is one line: "'FILE' line N: FIELD: what is wrong; what the seed
 * system does", with the line and the field left out when unknown.
 */
#ifndef MLREG_SEED_H
#define MLREG_SEED_H

#include <cjson/cJSON.h>

#include "docpos.h"
#include "spec.h"

enum mlreg_seed_level {
	MLREG_SEED_REFUSE,
	MLREG_SEED_FAIL,
	MLREG_SEED_WARN,
	MLREG_SEED_HINT,
	MLREG_SEED_LEVELS
};

/* The findings about one file. */
struct mlreg_seed_notes {
	const char *file;		/* the file's name as shown to the user */
	const struct mlreg_docpos *pos;	/* the lines of its nodes, or NULL */
	cJSON *list[MLREG_SEED_LEVELS];	/* one array of strings per level */
};

/* Starts an empty set of notes about file (pos may be NULL). */
void mlreg_seed_notes_init(struct mlreg_seed_notes *n, const char *file,
			   const struct mlreg_docpos *pos);

/* Frees the notes' arrays. */
void mlreg_seed_notes_free(struct mlreg_seed_notes *n);

/*
 * Records a finding about node (for its line; may be NULL) at field (a
 * dotted path; may be NULL or "") at level.
 */
void mlreg_seed_note(struct mlreg_seed_notes *n, enum mlreg_seed_level level,
		     const cJSON *node, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Returns the number of notes at level. */
int mlreg_seed_count(const struct mlreg_seed_notes *n, enum mlreg_seed_level level);

/*
 * Returns 0 when nothing was refused, else MLREG_EINVALID with the message
 * "invalid WHAT <first refusal>" (and a pointer to validate when there are
 * more).
 */
int mlreg_seed_refusal(const struct mlreg_seed_notes *n, const char *what);

/* Appends copies of the notes at level to the array dst. */
void mlreg_seed_copy(cJSON *dst, const struct mlreg_seed_notes *n, enum mlreg_seed_level level);

/* Returns the file at root + name among e ("" for the top, "model/" one folder down), or NULL. */
const struct mlreg_entry *mlreg_seed_entry(const struct mlreg_entries *e, const char *root,
					   const char *name);

/* Returns the node at a dotted path ("serve.serving_container_image"), or NULL. */
const cJSON *mlreg_seed_at(const cJSON *doc, const char *path);

/* Returns 1 when v is present: not missing, not null, not an empty string. */
int mlreg_seed_present(const cJSON *v);

/* Returns a new "parent.key" (or "key" when parent is empty). */
char *mlreg_seed_path(const char *parent, const char *key);

/*
 * Returns 1 and the first template placeholder in s in buf (n bytes):
 * "<model_id>", "<registry>" of "<registry>/x:latest", "$released_version$"
 * (the forms the seed systems' templates and docs use); 0 when there is
 * none.  HTML tags ("<b>", "<br>") and "<redacted>" (what mlreg writes in
 * place of a secret) are not placeholders.
 */
int mlreg_seed_placeholder(const char *s, char *buf, size_t n);

/*
 * Notes at level FAIL every string value below doc (at dotted path prefix)
 * that still holds a placeholder.  Returns how many.
 */
int mlreg_seed_placeholders(struct mlreg_seed_notes *n, const cJSON *doc, const char *prefix);

/*
 * mlx.c: checks an MLX model spec, noting every finding (see mlx.c for the
 * rules and their levels).  name_given says the model's name comes from
 * elsewhere (MLX's upload with a name, mlreg import --name), so the spec
 * needs none.
 */
void mlreg_mlx_check(const cJSON *doc, struct mlreg_seed_notes *n, int name_given);

/* How contract.c finds a file a contract names (payload, a prototxt). */
struct mlreg_contract_files {
	const struct mlreg_entries *e;	/* the version's files, or NULL */
	const char *base;		/* the contract's directory among them ("" at the top) */
	const char *disk_dir;		/* the directory of the file on disk, or NULL */
	int given;			/* given on its own (--contract): a non-model is refused */
};

/*
 * contract.c: reads a Hydrosphere model definition or contract file (path;
 * shown as n->file) in any layout Hydrosphere has used, noting findings in
 * n; returns 0 with the signatures and the contract object (section 6.2
 * of store-format.md) in *sigs and *info, or MLREG_EINVALID when the file
 * cannot be read as one (then the notes say why) or when nothing in it is
 * a model (*sigs NULL, no error: a kind: Application).
 */
int mlreg_contract_read(cJSON **sigs, cJSON **info, const char *path,
			struct mlreg_seed_notes *n, const struct mlreg_contract_files *files);

/*
 * contract.c: returns the model definition Hydrosphere's CLI reads from
 * the top of a model's folder, serving.yaml (else serving.yml), among the
 * files, or NULL.
 */
const struct mlreg_entry *mlreg_contract_find(const struct mlreg_entries *e);

/*
 * contract.c: returns the framework {name, version} a contract object names
 * with its model-type ("python:3.6") or its runtime image
 * ("hydrosphere/serving-runtime-python-3.6:2.4.0"), or NULL.
 */
cJSON *mlreg_contract_framework(const cJSON *info);

/* determined.c: returns the metadata.json at the top of the files, or NULL. */
const struct mlreg_entry *mlreg_determined_find(const struct mlreg_entries *e);

/*
 * determined.c: returns the checkpoint object of a Determined metadata.json
 * at path (store-format.md section 6.5), from any layout Determined has
 * written since 0.12, or NULL when the file is not one (with a note at
 * level WARN when it is not even JSON).
 */
cJSON *mlreg_determined_checkpoint(const char *path, struct mlreg_seed_notes *n);

/*
 * ads.c: returns the directory ("" for the top, "dir/" one level down)
 * that holds the ADS artifact among the files, or NULL when they are none:
 * runtime.yaml or score.py at the top, else both in exactly one directory
 * one level down.
 */
const char *mlreg_ads_root(const struct mlreg_entries *e, char *buf, size_t n);

/*
 * ads.c: returns the introspection report of the files (as
 * mlreg_ads_introspect()); archive says they come from a zip, where ADS
 * takes the artifact's files one folder down as well.
 */
cJSON *mlreg_ads_check(const struct mlreg_entries *e, int archive);

#endif
