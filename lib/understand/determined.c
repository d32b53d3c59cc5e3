/*
 * Determined checkpoints (seed 004): the metadata.json at the top of a
 * checkpoint directory, in every layout Determined has written since 0.12
 * (read from determined-ai/determined's harness across its history and the
 * ancient-checkpoints fixtures it keeps for them):
 *
 *   written by         members
 *   0.12 harness       cluster_id, det_version, experiment_id, trial_id,
 *                      torch_version or tensorflow_version (no batch)
 *   0.12.10-0.17.6     determined_version, framework ("torch-1.4.0"), format,
 *   Checkpoint         experiment_id, trial_id, hparams, experiment_config,
 *   .download()        metadata (no batch)
 *   0.17.0-0.17.x      latest_batch, framework, format
 *   0.18 to today      steps_completed, framework, format, determined_version
 *                      (and what the user's metadata adds)
 *   the REST API's     uuid, batchNumber (to 0.17) or metadata.steps_completed
 *   checkpoint, as     (0.18 on), experimentId, trialId, hparams, metrics
 *   `det ... --json`   {validationMetrics} (to 0.17) or training
 *   prints it          {trialId, experimentId, hparams, validationMetrics
 *                      {avgMetrics}} (0.18 on), in camelCase or snake_case
 *
 * All of them become one checkpoint object (store-format.md, section 6.5):
 * the batch comes from batch_number, batchNumber, latest_batch or
 * steps_completed, at the top or inside "metadata", and a batch written as
 * an object ({"latest_batch": N}) is read through; the framework from
 * "framework" or from torch_version/tensorflow_version.  A metadata.json
 * that names none of a checkpoint's identity (uuid, batch, version,
 * framework and format) is somebody else's file and is left alone.
 */
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

#define TEXT_MAX (16u << 20)	/* largest metadata.json read */

/* Returns the first member of obj named one of keys (NULL-terminated), or NULL. */
static const cJSON *first(const cJSON *obj, const char *const *keys)
{
	const cJSON *v;

	if (!cJSON_IsObject(obj))
		return NULL;
	for (; *keys; keys++)
		if ((v = cJSON_GetObjectItemCaseSensitive(obj, *keys)) && !cJSON_IsNull(v))
			return v;
	return NULL;
}

/* Returns the batch number a value gives: a number, or an object holding one. */
static const cJSON *batch_of(const cJSON *v, int depth)
{
	static const char *const keys[] = { "batch_number", "batchNumber", "latest_batch",
					    "latestBatch", "steps_completed", "stepsCompleted",
					    NULL };

	if (cJSON_IsNumber(v))
		return v;
	if (cJSON_IsObject(v) && depth < 2)
		return batch_of(first(v, keys), depth + 1);
	return NULL;
}

/* Returns a number for an id written as a number or as a string of digits. */
static cJSON *id_of(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return cJSON_CreateNumber(v->valuedouble);
	if (cJSON_IsString(v) && *v->valuestring &&
	    strspn(v->valuestring, "0123456789") == strlen(v->valuestring) &&
	    strlen(v->valuestring) < 16)
		return cJSON_CreateNumber(strtod(v->valuestring, NULL));
	return NULL;
}

/* Returns the metrics object of the layouts: flat, {validationMetrics}, {avgMetrics}. */
static const cJSON *metrics_of(const cJSON *v)
{
	static const char *const inner[] = { "validationMetrics", "validation_metrics",
					     "avgMetrics", "avg_metrics", NULL };
	const cJSON *m;
	int i;

	for (i = 0; i < 3 && cJSON_IsObject(v); i++) {
		if (!(m = first(v, inner)))
			return v;
		v = m;
	}
	return cJSON_IsObject(v) ? v : NULL;
}

const struct mlreg_entry *mlreg_determined_find(const struct mlreg_entries *e)
{
	return mlreg_seed_entry(e, "", "metadata.json");
}

cJSON *mlreg_determined_checkpoint(const char *path, struct mlreg_seed_notes *n)
{
	static const char *const batch_keys[] = { "batch_number", "batchNumber", "latest_batch",
						  "latestBatch", "steps_completed",
						  "stepsCompleted", NULL };
	static const char *const exp_keys[] = { "experiment_id", "experimentId", NULL };
	static const char *const trial_keys[] = { "trial_id", "trialId", NULL };
	static const char *const ver_keys[] = { "determined_version", "determinedVersion",
						"det_version", NULL };
	static const char *const metric_keys[] = { "metrics", "validation_metrics",
						   "validationMetrics", NULL };
	static const char *const training_keys[] = { "training", NULL };
	static const char *const meta_keys[] = { "metadata", NULL };
	const cJSON *meta, *training, *v;
	cJSON *doc = NULL, *out;
	char *buf;
	size_t len;
	int identity = 0;

	if (mlreg_fs_read_file(&buf, &len, path, TEXT_MAX, "metadata.json") < 0)
		return NULL;
	if (mlreg_doc_parse(&doc, buf, len, "metadata.json") < 0) {
		mlreg_seed_note(n, MLREG_SEED_WARN, NULL, NULL, "not a Determined checkpoint: %s",
				mlreg_error_message());
		free(buf);
		return NULL;
	}
	free(buf);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	meta = first(doc, meta_keys);		/* the REST API's checkpoint metadata */
	training = first(doc, training_keys);	/* the REST API's training, 0.18 on */
	out = cJSON_CreateObject();
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "uuid"))) {
		cJSON_AddStringToObject(out, "uuid", v->valuestring);
		identity = 1;
	}
	if ((v = batch_of(first(doc, batch_keys), 0)) || (v = batch_of(first(meta, batch_keys), 0))) {
		cJSON_AddNumberToObject(out, "batch_number", v->valuedouble);
		identity = 1;
	}
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "format")) ||
	    cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(meta, "format")))
		cJSON_AddStringToObject(out, "format", v->valuestring);
	if ((v = first(doc, exp_keys)) || (v = first(training, exp_keys))) {
		cJSON *id = id_of(v);
		if (id)
			cJSON_AddItemToObject(out, "experiment_id", id);
	}
	if ((v = first(doc, trial_keys)) || (v = first(training, trial_keys))) {
		cJSON *id = id_of(v);
		if (id)
			cJSON_AddItemToObject(out, "trial_id", id);
	}
	if (cJSON_IsString(v = first(doc, ver_keys)) || cJSON_IsString(v = first(meta, ver_keys))) {
		cJSON_AddStringToObject(out, "determined_version", v->valuestring);
		identity = 1;
	}
	if (cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(doc, "hparams")) ||
	    cJSON_IsObject(v = cJSON_GetObjectItemCaseSensitive(training, "hparams")))
		cJSON_AddItemToObject(out, "hparams", cJSON_Duplicate(v, 1));
	if ((v = metrics_of(first(doc, metric_keys))) ||
	    (v = metrics_of(first(training, metric_keys))))
		cJSON_AddItemToObject(out, "metrics", cJSON_Duplicate(v, 1));
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "framework")) ||
	    cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(meta, "framework"))) {
		/* "torch-1.9.0+cpu", "tensorflow-2.4.4" */
		cJSON_AddItemToObject(out, "framework",
				      mlreg_framework_from_string(v->valuestring, 1));
		cJSON_AddStringToObject(out, "framework_string", v->valuestring);
		identity |= cJSON_GetObjectItemCaseSensitive(out, "format") != NULL;
	} else {
		/* 0.12's harness: the framework's own version under its name */
		static const struct { const char *key, *name; } fw[] = {
			{ "torch_version", "torch" }, { "tensorflow_version", "tensorflow" },
		};
		size_t i;
		for (i = 0; i < sizeof(fw) / sizeof(fw[0]); i++)
			if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, fw[i].key))) {
				cJSON *f = cJSON_CreateObject();
				char *s = xasprintf("%s-%s", fw[i].name, v->valuestring);
				cJSON_AddStringToObject(f, "name", fw[i].name);
				cJSON_AddStringToObject(f, "version", v->valuestring);
				cJSON_AddItemToObject(out, "framework", f);
				cJSON_AddStringToObject(out, "framework_string", s);
				free(s);
				identity |= cJSON_GetObjectItemCaseSensitive(out, "experiment_id") ||
					    cJSON_GetObjectItemCaseSensitive(out, "trial_id") ||
					    cJSON_GetObjectItemCaseSensitive(doc, "cluster_id");
				break;
			}
	}
	cJSON_Delete(doc);
	if (!identity) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}
