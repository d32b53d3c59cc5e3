/*
 * The store: a directory (normally ".mlreg") holding content-addressed
 * objects and model records.  Layout, encodings and locking are specified in
 * store-format.md; this module creates, finds and opens one.
 */
#ifndef MLREG_STORE_H
#define MLREG_STORE_H

#define MLREG_STORE_FORMAT 1
#define MLREG_STORE_DIRNAME ".mlreg"

struct mlreg_object_batch;

struct mlreg_store {
	char *path;	/* absolute path of the store directory */
	int format;	/* format version read from <path>/format */
	struct mlreg_object_batch *batch;	/* object.h: objects made durable together */
};

/* Returns 0 after creating a store at path (a no-op on an existing store), or an error. */
int mlreg_store_init(const char *path);

/* Returns 0 and an open store in *out for the store directory path, or an error. */
int mlreg_store_open(struct mlreg_store **out, const char *path);

/*
 * Returns 0 and, in *out (malloc'd), the nearest "<dir>/.mlreg" store found
 * from start upwards; MLREG_ENOTFOUND when there is none.
 */
int mlreg_store_discover(char **out, const char *start);

/* Frees the store handle. */
void mlreg_store_free(struct mlreg_store *store);

/* Returns a malloc'd path inside the store: "<store>/<formatted>". */
char *mlreg_store_path(const struct mlreg_store *store, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Returns 0 and in *out the boolean key ("section.name", as git config
 * spells it) of the store's config file, or dflt when it is unset (or the
 * file is missing); MLREG_EINVALID naming the key when its value is not a
 * git boolean.  For settings of commands (register.ifChanged); the remotes
 * have their own reader (remote/remote.h).
 */
int mlreg_store_config_bool(int *out, const struct mlreg_store *store, const char *key,
			    int dflt);

#endif
