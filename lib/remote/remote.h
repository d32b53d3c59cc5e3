/*
 * Remotes: where a store pushes versions to and pulls them from.  A remote
 * is a name in the store's config file (git-config syntax, read and written
 * through libgit2's config API, so the file stays editable with
 * 'git config -f .mlreg/config'):
 *
 *	[remote "origin"]
 *		url = s3://bucket/prefix	(or file:///srv/registry)
 *		endpoint = http://127.0.0.1:9000	(optional)
 *		region = eu-west-1		(optional)
 *		pathstyle = true		(optional)
 *		profile = dev			(optional: an AWS profile)
 *
 * No credential is ever stored here: they come from the environment or the
 * AWS files at run time (awsconf.h).
 */
#ifndef MLREG_REMOTE_H
#define MLREG_REMOTE_H

#include <cjson/cJSON.h>

#include "store.h"

#define MLREG_REMOTE_NAME_MAX 64

enum mlreg_remote_kind {
	MLREG_REMOTE_S3 = 1,	/* s3://BUCKET[/PREFIX] */
	MLREG_REMOTE_FILE = 2,	/* file:///PATH */
};

struct mlreg_remote {
	char *name;		/* its name in the config file */
	char *url;		/* as configured */
	enum mlreg_remote_kind kind;
	char *bucket;		/* S3: the bucket */
	char *prefix;		/* S3: key prefix without leading or trailing '/', "" for none */
	char *path;		/* file: the absolute directory */
	char *endpoint;		/* S3: configured endpoint URL, or NULL */
	char *region;		/* S3: configured region, or NULL */
	char *profile;		/* S3: configured AWS profile, or NULL */
	int path_style;		/* S3: 1 path-style, 0 virtual-hosted, -1 not set */
	char *cache;		/* <store>/remotes/<name>: local state kept for it */
};

/* Returns 0 when name can name a remote, else MLREG_EINVALID with the reason. */
int mlreg_remote_name_validate(const char *name);

/*
 * Returns 0 after checking that url is a remote URL mlreg can use and
 * filling kind, bucket, prefix and path of r (the other fields untouched);
 * MLREG_EINVALID with the reason otherwise.  Credentials in a URL are
 * refused: they would end up in the config file.
 */
int mlreg_remote_parse_url(struct mlreg_remote *r, const char *url);

/* Returns 0 when url is an http(s) endpoint without credentials, else MLREG_EINVALID. */
int mlreg_remote_check_endpoint(const char *url);

/*
 * Returns 0 after adding remote name to the store's config file;
 * MLREG_EEXISTS when one of that name exists.  endpoint, region and
 * profile may be NULL; path_style < 0 leaves it unset.
 */
int mlreg_remote_add(struct mlreg_store *store, const char *name, const char *url,
		     const char *endpoint, const char *region, const char *profile,
		     int path_style);

/* Returns 0 after removing remote name and its local state; MLREG_ENOTFOUND when absent. */
int mlreg_remote_remove(struct mlreg_store *store, const char *name);

/*
 * Returns 0 and in *out an array of {name, url, endpoint, region, profile,
 * path_style} objects sorted by name (endpoint, region, profile null and
 * path_style null when not set).
 */
int mlreg_remote_list(cJSON **out, const struct mlreg_store *store);

/*
 * Returns 0 and remote name in *out (NULL name: the default remote, which
 * is "origin" when it exists, else the only remote); MLREG_ENOTFOUND when
 * there is no such remote, or no default among several.
 */
int mlreg_remote_get(struct mlreg_remote **out, const struct mlreg_store *store,
		     const char *name);

/* Returns 1 when the store has a remote called name, else 0. */
int mlreg_remote_exists(const struct mlreg_store *store, const char *name);

/* Frees a remote. */
void mlreg_remote_free(struct mlreg_remote *r);

#endif
