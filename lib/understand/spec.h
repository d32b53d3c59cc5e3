/*
 * Understanding what a version is, from the files the seed systems write,
 * each read by a module of its own, as the system itself reads it:
 *  - MLX model YAML (trainable/servable templates), given with --spec
 *    (lib/understand/mlx.c);
 *  - Hydrosphere model definitions and contracts (--contract FILE or
 *    serving.yaml), in every layout Hydrosphere has used: signatures of
 *    typed, shaped, profiled input and output fields (lib/understand/contract.c);
 *  - Oracle ADS artifacts (runtime.yaml, score.py, input_schema.json,
 *    output_schema.json): the introspection checks, reading score.py as
 *    text, never running it (lib/understand/ads.c);
 *  - Determined checkpoints (metadata.json) of every version since 0.12:
 *    framework, format, hparams, metrics, batch number, uuid
 *    (lib/understand/determined.c);
 *  - model files themselves (inspect.h), for inferred signatures.
 * This file's functions (lib/understand/spec.c) dispatch to them.  Findings are
 * collected as one-line strings naming the file, the line and the field,
 * at four levels (lib/understand/seed.h) that say what the seed system would do: a
 * refusal fails register, and validate lists every finding.
 */
#ifndef MLREG_SPEC_H
#define MLREG_SPEC_H

#include <cjson/cJSON.h>

#include "walk.h"

/*
 * Returns 0 when doc is a valid MLX model spec, else MLREG_EINVALID with
 * each problem appended to problems (an array; may be NULL) and the first
 * one as the error message; what names the file.
 */
int mlreg_mlx_validate(const cJSON *doc, const char *what, cJSON *problems);

/*
 * Returns 0 and in *doc the MLX spec read from text (len bytes of YAML or
 * JSON, shown as what) when MLX would register it; the parse error, or
 * MLREG_EINVALID naming the file, the line and the field of the first
 * refusal, otherwise.  name_given says the model's name comes from
 * elsewhere (import --name), so the spec needs none.
 */
int mlreg_mlx_parse(cJSON **doc, const char *text, size_t len, const char *what,
		    int name_given);

/* Returns the kinds of an MLX spec: a new array of "trainable" and/or "servable". */
cJSON *mlreg_mlx_kinds(const cJSON *doc);

/*
 * Returns 0 and in *out the signatures (array) of a Hydrosphere contract
 * document, plus in *info {kind, name, model_type, payload}; MLREG_EINVALID
 * naming the field and the allowed values otherwise.
 */
int mlreg_contract_parse(cJSON **out, cJSON **info, const cJSON *doc, const char *what,
			 cJSON *problems);

/* Returns 1 when the files look like an ADS artifact (runtime.yaml or score.py at the top). */
int mlreg_ads_recognise(const struct mlreg_entries *e);

/* Returns the ADS introspection report {passed, checks: [...]} of the files. */
cJSON *mlreg_ads_introspect(const struct mlreg_entries *e);

/* Returns a new framework object {name, version} from "name:version", "name-1.2" or "name". */
cJSON *mlreg_framework_from_string(const char *s, int dash_version);

/* What register was given, beside the files. */
struct mlreg_understand_opts {
	const char *spec_file;		/* MLX model YAML, or NULL */
	const char *contract_file;	/* Hydrosphere contract, or NULL */
	void (*warn)(void *ctx, const char *msg);	/* non-fatal findings */
	void *ctx;
	int spec_name_given;		/* the model's name comes from elsewhere: the spec needs none */
	const char *spec_shown;		/* the spec's name in messages; NULL: spec_file */
	/*
	 * May be NULL: what inspecting files gave before, reused for the
	 * entries known[] marks (bytes proven those of the file of the same
	 * path in the version whose "artifacts" these are, by the stat cache
	 * and the same mlreg: inspect/ reads bytes only), which are then not
	 * opened; its items in path order, as gather_artifacts() makes them.
	 */
	const cJSON *known_artifacts;
	const unsigned char *known;	/* e->n flags, or NULL */
};

/*
 * Returns 0 and in *out an object with what the files say: "artifacts",
 * "signatures", "contract", "spec", "introspection", "checkpoint",
 * "framework" (each only when found).  A given spec or contract that is
 * invalid is MLREG_EINVALID; anything found in the files that is broken is
 * a warning and is left out.
 */
int mlreg_understand(cJSON **out, const struct mlreg_entries *e,
		     const struct mlreg_understand_opts *o);

/*
 * Returns the validation report of a file set (all the checks understand
 * runs, with none of them fatal): {"ok": bool, "problems": [...],
 * "warnings": [...], "introspection": ..., "artifacts": ...}.
 */
cJSON *mlreg_validate_files(const struct mlreg_entries *e, const char *spec_file,
			    const char *contract_file);

/* What validate checks beside the files. */
struct mlreg_validate_opts {
	const char *spec_file;		/* MLX model YAML, or NULL */
	const char *contract_file;	/* Hydrosphere contract, or NULL */
	int name_given;			/* the spec needs no name */
	int archive;			/* the files were unpacked from an artifact archive */
	const cJSON *stored_spec;	/* a version's spec object, checked again, or NULL */
};

/* Returns the validation report as mlreg_validate_files(), with more options. */
cJSON *mlreg_validate_entries(const struct mlreg_entries *e, const struct mlreg_validate_opts *o);

#endif
