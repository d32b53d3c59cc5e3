/*
 * Registering a version: the paths given are walked, understood (what the
 * seed systems' files and the model files say, understand/spec.h), stored
 * as objects, and their record appended to the model (registry.h) with the
 * provenance of the registration (provenance.h).
 */
#ifndef MLREG_REGISTER_H
#define MLREG_REGISTER_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "object.h"
#include "store.h"

/* What register stores, and what it was given beside the files. */
struct mlreg_register_opts {
	const char *name;		/* model name */
	char *const *paths;		/* files and directories to store */
	size_t npaths;
	const char *message;		/* may be NULL */
	const char *framework;		/* "name[:version]", may be NULL */
	const cJSON *metadata;		/* may be NULL; copied */
	const cJSON *metrics;		/* may be NULL; copied */
	const cJSON *hparams;		/* may be NULL; copied */
	const char *spec_file;		/* MLX model YAML, may be NULL */
	const char *contract_file;	/* Hydrosphere contract, may be NULL */
	char *const *provenance_paths;	/* paths whose git state to record; NULL: paths */
	size_t nprovenance_paths;
	int create;			/* create the model when missing */
	void (*warn)(void *ctx, const char *msg);	/* non-fatal findings, may be NULL */
	mlreg_progress_fn progress;	/* per-file progress, may be NULL */
	void (*file_start)(void *ctx, const char *path, uint64_t size); /* may be NULL */
	void *ctx;
	int spec_name_given;		/* the spec needs no name (import --name gave one) */
	const char *spec_shown;		/* the spec's name in messages; NULL: spec_file */
	int if_changed;			/* no new version when it equals the latest */
	int *unchanged;			/* may be NULL; set to 1 when, with if_changed,
					   nothing was written (*out is then the latest
					   version), else 0 */
	int no_statcache;		/* neither read nor write the stat cache
					   (statcache.h): files never seen again */
};

/*
 * Returns 0 after storing the paths as the next version of the model; *out
 * gets the version object (with its id).  Nothing is visible on failure.
 * With o->if_changed, when the version would equal the model's latest (as
 * register.c's table of record members says), no record is written and
 * *out is the latest version: its objects may have been stored (they are
 * the latest's own).
 */
int mlreg_register(cJSON **out, struct mlreg_store *store, const struct mlreg_register_opts *o);

#endif
