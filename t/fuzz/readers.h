/*
 * The bodies of two fuzz targets, shared by the libFuzzer programs
 * (t/fuzz/fuzz-record.c, t/fuzz/fuzz-spec.c) and by t/fuzz/replay.c, so
 * that 'make test' replays every kept input through exactly what the fuzzer
 * ran.  Each takes any bytes, never fails, and aborts when a promise of the
 * library is broken.
 */
#ifndef MLREG_FUZZ_READERS_H
#define MLREG_FUZZ_READERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc.h"
#include "error.h"
#include "redact.h"
#include "registry.h"
#include "understand/spec.h"
#include "util.h"
#include "walk.h"

/* A record as download reads one: a JSON object, checked before it is stored. */
static void fuzz_record(const uint8_t *data, size_t size)
{
	cJSON *rec = NULL, *v;
	const cJSON *f;
	const char *name;
	long n;
	size_t i = 0;

	while (i < size && strchr(" \t\r\n", data[i]))
		i++;
	if (i == size || data[i] != '{' ||
	    mlreg_doc_parse(&rec, (const char *)data, size, "record") < 0) {
		cJSON_Delete(rec);
		return;
	}
	/* the model and version it claims, so that the deeper checks are reached */
	name = mlreg_doc_str(rec, "model", "m");
	n = (long)mlreg_doc_int(rec, "version", 1);
	if (mlreg_version_check(rec, name, NULL, n) == 0) {
		if (mlreg_files_check(cJSON_GetObjectItemCaseSensitive(rec, "files")) < 0)
			abort();
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(rec, "files")) {
			const cJSON *sz = cJSON_GetObjectItemCaseSensitive(f, "size");
			if (!mlreg_path_is_safe(mlreg_doc_str(f, "path", "")) ||
			    !mlreg_is_hex64(mlreg_doc_str(f, "sha256", "")) || !cJSON_IsNumber(sz) ||
			    sz->valuedouble < 0)
				abort();
		}
		v = mlreg_version_with_id(rec, "0000000000000000000000000000000000000000000000000000000000000000");
		if (!v || strcmp(mlreg_doc_str(v, "model", ""), name))
			abort();
		cJSON_Delete(v);
	} else if (!*mlreg_error_message()) {
		abort();	/* a refusal always says why */
	}
	v = mlreg_model_public(rec);	/* the same bytes as a model record */
	cJSON_Delete(v);
	cJSON_Delete(rec);
}

/* Writes size bytes of data to dir/name; returns 0, or -1 (the input is then skipped). */
static int fuzz_put(const char *dir, const char *name, const uint8_t *data, size_t size)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, size, f) == size;

	if (f && fclose(f) != 0)
		ok = 0;
	free(path);
	return ok ? 0 : -1;
}

static const char *const fuzz_spec_files[] = { "input_schema.json", "metadata.json",
					       "runtime.yaml", "score.py", "serving.yaml" };
static char fuzz_spec_dir[4096];

/* Removes the scratch directory of fuzz_spec() (at exit). */
static void fuzz_spec_cleanup(void)
{
	size_t i;

	for (i = 0; i < sizeof(fuzz_spec_files) / sizeof(fuzz_spec_files[0]); i++) {
		char *path = xasprintf("%s/%s", fuzz_spec_dir, fuzz_spec_files[i]);
		unlink(path);
		free(path);
	}
	rmdir(fuzz_spec_dir);
}

/* The seed systems' readers, on one input. */
static void fuzz_spec(const uint8_t *data, size_t size)
{
	const char *const *files = fuzz_spec_files;
	char *dir = fuzz_spec_dir;
	struct mlreg_entries e = { 0 };
	struct mlreg_understand_opts o = { 0 };
	cJSON *doc = NULL, *problems = cJSON_CreateArray(), *sigs = NULL, *info = NULL, *u = NULL;
	char *spec;
	size_t i;
	int mlx = 0;

	if (mlreg_doc_parse(&doc, (const char *)data, size, "spec.yaml") == 0) {
		cJSON *kinds;
		mlx = mlreg_mlx_validate(doc, "spec.yaml", problems) == 0;
		kinds = mlreg_mlx_kinds(doc);
		if (!cJSON_IsArray(kinds))
			abort();
		cJSON_Delete(kinds);
		if (mlreg_contract_parse(&sigs, &info, doc, "serving.yaml", problems) == 0 &&
		    (!cJSON_IsArray(sigs) || !cJSON_IsObject(info)))
			abort();
		cJSON_Delete(sigs);
		cJSON_Delete(info);
		mlreg_redact_doc(doc);
		if (mlreg_redact_doc(doc) != 0)
			abort();	/* the rule, applied twice, finds nothing more */
	}
	cJSON_Delete(doc);
	cJSON_Delete(problems);

	/* The files a registration reads, in a directory of their own. */
	if (!dir[0]) {
		snprintf(fuzz_spec_dir, sizeof(fuzz_spec_dir), "%s/mlreg-fuzz-spec-XXXXXX",
			 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(fuzz_spec_dir)) {
			dir[0] = '\0';
			return;
		}
		atexit(fuzz_spec_cleanup);
	}
	e.n = e.alloc = sizeof(fuzz_spec_files) / sizeof(fuzz_spec_files[0]);
	e.v = xcalloc(e.n, sizeof(*e.v));
	for (i = 0; i < e.n; i++) {
		e.v[i].path = xstrdup(files[i]);
		e.v[i].src = xasprintf("%s/%s", dir, files[i]);
		if (fuzz_put(dir, files[i], data, size) < 0)
			goto done;
	}
	/* an invalid --spec stops understand early: give it only a valid one */
	spec = xasprintf("%s/serving.yaml", dir);
	o.spec_file = mlx ? spec : NULL;
	if (mlreg_understand(&u, &e, &o) == 0 && !cJSON_IsObject(u))
		abort();
	cJSON_Delete(u);
	u = mlreg_validate_files(&e, spec, NULL);
	if (!cJSON_IsObject(u))
		abort();
	cJSON_Delete(u);
	free(spec);
done:
	mlreg_entries_free(&e);
}

#endif
