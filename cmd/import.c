/*
 * mlreg import FILE|URL [--name NAME]: register a model from an MLX model
 * YAML, a .tar.gz/.tgz holding one, or an http(s) URL to either (MLX's
 * "Register a Model").  The spec is checked as MLX's upload checks it (a
 * name given with --name stands for the spec's own, as MLX's upload
 * takes one), before anything is created; the model is created when
 * missing; the YAML becomes the version's one file and its spec.
 * As register's, importing the same YAML again prints the latest NAME@N
 * and makes no version (--if-changed, the default unless register.ifChanged
 * is false); --force (or --no-if-changed) makes one anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "cmd.h"
#include "fetch.h"
#include "fs.h"
#include "redact.h"
#include "register.h"
#include "understand/spec.h"

#define SOURCE_MAX (64u << 20)

/* Returns the model name a spec suggests: model_identifier, else name. */
static const char *spec_name(const cJSON *doc)
{
	const char *id = mlreg_doc_str(doc, "model_identifier", NULL);

	return id && *id ? id : mlreg_doc_str(doc, "name", NULL);
}

/* What 'mlreg import -h' prints: kept beside the options parsed below. */
const char cmd_import_usage[] =
	"usage: mlreg import FILE|URL [--name NAME] [--message TEXT]\n"
	"                    [--force | --if-changed | --no-if-changed] [--json] [-q]\n"
	"\n"
	"    --name NAME           the model name (default: the spec's model_identifier)\n"
	"    --message TEXT        the version's message\n"
	"    --force               make a new version even when it equals the latest\n"
	"    --if-changed          no new version when it equals the latest: print the\n"
	"                          latest's NAME@N (the default, unless\n"
	"                          register.ifChanged is false)\n"
	"    --no-if-changed       always make a new version: --force\n"
	"    --json                print the version as JSON instead of NAME@N\n"
	"    -q, --quiet           no notice of an unchanged version\n";

int cmd_import(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_NAME = 256, OPT_JSON, OPT_IF_CHANGED, OPT_NO_IF_CHANGED, OPT_FORCE };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "message", required_argument, NULL, 'M' },
		{ "if-changed", no_argument, NULL, OPT_IF_CHANGED },
		{ "no-if-changed", no_argument, NULL, OPT_NO_IF_CHANGED },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	const char *name = NULL, *src, *message = NULL;
	char *buf = NULL, *yaml = NULL, *member = NULL, *dir = NULL, *file = NULL, *shown = NULL;
	char *msg = NULL;
	size_t len = 0, ylen = 0;
	cJSON *doc = NULL, *version = NULL, *model = NULL;
	struct mlreg_register_opts o = { 0 };
	int c, err, json = 0, quiet = 0, ret = EXIT_OK, redacted;
	int if_changed = -1, unchanged = 0;	/* -1: as register.ifChanged says */

	while ((c = cmd_getopt(argc, argv, "q", opts)) != -1) {
		switch (c) {
		case OPT_NAME: name = optarg; break;
		case 'M': message = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_IF_CHANGED: if_changed = 1; break;
		case OPT_NO_IF_CHANGED: if_changed = 0; break;
		case OPT_FORCE: if_changed = 0; break;
		case 'q': quiet = 1; break;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(argc - optind ? "too many arguments" : "missing FILE or URL");
	if (if_changed < 0 &&
	    (err = mlreg_store_config_bool(&if_changed, store, "register.ifChanged", 1)) < 0)
		return cmd_fail(err);
	src = argv[optind];
	shown = mlreg_redact_str(src, NULL);
	if (!strncmp(src, "http://", 7) || !strncmp(src, "https://", 8))
		err = mlreg_fetch_url(&buf, &len, src, SOURCE_MAX);
	else
		err = mlreg_fs_read_file(&buf, &len, src, SOURCE_MAX, src);
	if (err < 0) {
		ret = cmd_fail(err == MLREG_ENOTFOUND ? MLREG_EOS : err);
		goto done;
	}
	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		if ((err = mlreg_targz_find_yaml(&yaml, &ylen, &member, (unsigned char *)buf, len,
						 shown)) < 0) {
			ret = cmd_fail(err);
			goto done;
		}
	} else {
		/* The last segment of the path (a URL's without its query, which
		 * a presigned URL fills, nor its fragment), as the man page says. */
		size_t end = strstr(src, "://") ? strcspn(shown, "?#") : strlen(shown), n;
		const char *base = shown + end;
		yaml = buf;
		ylen = len;
		buf = NULL;
		while (base > shown && base[-1] != '/')
			base--;
		n = (size_t)(shown + end - base);
		if ((n > 5 && !strncmp(shown + end - 5, ".yaml", 5)) ||
		    (n > 4 && !strncmp(shown + end - 4, ".yml", 4)))
			member = xstrndup(base, n);
		else
			member = xstrdup("model.yaml");
	}
	if (mlreg_path_problem(member)) {	/* the version's file, and its spec's name */
		ret = cmd_fail(mlreg_error_set(MLREG_EINVALID, "cannot import '%s' from '%s': "
					       "its name %s", member, shown,
					       mlreg_path_problem(member)));
		goto done;
	}
	/* Checked here, before the model is created; the YAML itself names the lines. */
	if ((err = mlreg_mlx_parse(&doc, yaml, ylen, buf ? member : shown, name != NULL)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	if ((redacted = mlreg_redact_doc(doc)) > 0) {
		/* Never store the secrets: keep the redacted document (JSON is YAML). */
		char *w = xasprintf("%d secret value(s) in '%s' were replaced by <redacted> "
				    "and not stored", redacted, shown);
		cmd_warn(NULL, w);
		free(w);
		free(yaml);
		yaml = mlreg_doc_print_pretty(doc);
		ylen = strlen(yaml);
	}
	if (!name && !(name = spec_name(doc))) {
		ret = cmd_fail(mlreg_error_set(MLREG_EINVALID, "'%s' names no model; use --name", shown));
		goto done;
	}
	if ((err = mlreg_name_validate(name)) < 0) {
		ret = cmd_fail(mlreg_error_set(err, "%s (choose another with --name)",
					       mlreg_error_message()));
		goto done;
	}
	/* The YAML goes in as a file of its own, from a private temporary directory. */
	dir = mlreg_store_path(store, "tmp/import-XXXXXX");
	if (!mkdtemp(dir)) {
		ret = cmd_fail(mlreg_error_os("cannot create '%s'", dir));
		free(dir);
		dir = NULL;
		goto done;
	}
	file = xasprintf("%s/%s", dir, member);
	if ((err = mlreg_fs_write_atomic(file, yaml, ylen)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	err = mlreg_model_load(&model, store, name);
	if (err == MLREG_ENOTFOUND)
		err = mlreg_model_create(NULL, store, name, mlreg_doc_str(doc, "description", ""),
					 NULL);
	if (err < 0 && err != MLREG_EEXISTS) {
		ret = cmd_fail(err);
		goto done;
	}
	msg = message ? xstrdup(message) : xasprintf("imported from %s", shown);
	o.name = name;
	o.paths = &dir;
	o.npaths = 1;
	if (!strstr(src, "://"))	/* git provenance of the source file, not of tmp/ */
		o.provenance_paths = &argv[optind];
	o.nprovenance_paths = o.provenance_paths ? 1 : 0;
	o.message = msg;
	o.spec_file = file;
	o.spec_shown = buf ? member : shown;	/* not the temporary copy's path */
	o.spec_name_given = 1;		/* the model is named by now */
	o.warn = cmd_warn;
	o.if_changed = if_changed;
	o.unchanged = &unchanged;
	o.no_statcache = 1;	/* its one file is a temporary copy: never seen again */
	if ((err = mlreg_register(&version, store, &o)) < 0) {
		ret = cmd_fail(err);
		goto done;
	}
	cmd_print_registered(store, version, name, json, if_changed, unchanged, quiet);
done:
	if (file)
		unlink(file);
	if (dir)
		rmdir(dir);
	free(file);
	free(dir);
	free(buf);
	free(yaml);
	free(member);
	free(shown);
	free(msg);
	cJSON_Delete(doc);
	cJSON_Delete(model);
	cJSON_Delete(version);
	return ret;
}
