/*
 * Understanding what a version is, from the files the seed systems write:
 *  - MLX model YAML (trainable/servable templates), given with --spec;
 *  - Hydrosphere contracts (--contract FILE or serving.yaml): signatures of
 *    typed, shaped, profiled input and output fields;
 *  - Oracle ADS artifacts (runtime.yaml, score.py, input_schema.json,
 *    output_schema.json): the introspection checks, reading score.py as
 *    text, never running it;
 *  - Determined checkpoints (metadata.json): framework, format, hparams,
 *    metrics, batch number, uuid;
 *  - model files themselves (inspect.h), for inferred signatures.
 * Problems are collected as a list of one-line strings so that `mlreg
 * validate` can print them all; the first one is also the error message.
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
 * "introspection": ..., "artifacts": ...}.
 */
cJSON *mlreg_validate_files(const struct mlreg_entries *e, const char *spec_file,
			    const char *contract_file);

#endif
