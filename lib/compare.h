/*
 * Comparing two version records (mlreg diff): their files, framework,
 * metrics, hparams, metadata and signatures, as one JSON document that the
 * tool prints for people or as it is.  Only records are read, never
 * objects, so a version downloaded without its files (a partial version)
 * compares like any other.  Ids, times, messages and provenance are not
 * compared: two registrations of the same content do not differ.
 *
 * Signature compatibility, the rule a gate on "can B replace A" needs
 * (man/mlreg-diff.1 states it for users): signatures are matched by name;
 * within one, fields by name.  B is a compatible replacement for A when
 * every signature of A is in B and, in each,
 *   - every input of A is an input of B with the same type and a shape no
 *     narrower: an unknown shape (null or absent) accepts any; otherwise
 *     the ranks are equal and each dimension of B is -1 or A's own size;
 *   - B has no input A lacks: a record has no optional marker, so every
 *     input is required and a new one is breaking;
 *   - every output of A is an output of B with the same type and a shape no
 *     wider: A's unknown shape allows any; otherwise B's is known, of the
 *     same rank, and each dimension of A is -1 or B's own size;
 *   - outputs B adds, and signatures B adds, are compatible changes;
 *   - a map's fields follow the same rules, as inputs or outputs.
 * A changed profile is reported and never breaking.  Nothing here prints.
 */
#ifndef MLREG_COMPARE_H
#define MLREG_COMPARE_H

#include <cjson/cJSON.h>

/*
 * Returns a new object {"verdict", "changes"} comparing signature arrays a
 * and b (version records' "signatures"; NULL reads as []): verdict
 * "identical" (equal, and not both empty), "none" (neither has one),
 * "compatible" or "breaking"; changes an array of {"signature", "kind"
 * ("signature", "input" or "output"), "name", "breaking", "reason"}.
 */
cJSON *mlreg_compare_signatures(const cJSON *a, const cJSON *b);

/*
 * Returns a new diff document of version records a and b: "differ",
 * "files" {added, removed, changed}, "framework" (null or {a, b}),
 * "metrics" (every key: {key, a, b, status, delta}), "hparams" and
 * "metadata" ({added, removed, changed}), "signature" (as above); the
 * layout is documented in man/mlreg-diff.1.
 */
cJSON *mlreg_compare_versions(const cJSON *a, const cJSON *b);

#endif
