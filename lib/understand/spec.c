/*
 * The dispatcher of the seed formats (see spec.h): it finds in a set of
 * files (and the spec and contract given beside them) what each seed
 * system's reader understands, runs the readers (mlx.c, contract.c,
 * determined.c, ads.c, and inspect.h for model files), and turns their
 * notes (seed.h) into register's error and warnings or validate's report,
 * so that the two commands always judge a file alike.  The formats are
 * the entries of formats[], walked in order: what each recognises (its
 * own rule, kept with its reader where it reads the files) and how its
 * findings are gathered.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "error.h"
#include "fs.h"
#include "inspect/inspect.h"
#include "redact.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

cJSON *mlreg_framework_from_string(const char *s, int dash_version)
{
	cJSON *f = cJSON_CreateObject();
	const char *sep = strchr(s, ':');
	size_t i;

	if (!sep && dash_version) {
		/* Determined writes "tensorflow-1.14.0", "torch-1.7.1" */
		for (i = strlen(s); i > 0; i--)
			if (s[i - 1] == '-' && isdigit((unsigned char)s[i])) {
				sep = s + i - 1;
				break;
			}
	}
	if (sep) {
		char *n = xstrndup(s, (size_t)(sep - s));
		cJSON_AddStringToObject(f, "name", n);
		free(n);
		if (sep[1])
			cJSON_AddStringToObject(f, "version", sep + 1);
		else
			cJSON_AddNullToObject(f, "version");
	} else {
		cJSON_AddStringToObject(f, "name", s);
		cJSON_AddNullToObject(f, "version");
	}
	return f;
}

static void warnf(const struct mlreg_understand_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(const struct mlreg_understand_opts *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o || !o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->ctx, msg);
}

/* An error kept to be returned later: its code and message. */
struct kept {
	int code;	/* 0 when none */
	char msg[1024];
};

static void keep_error(struct kept *k, int code)
{
	if (k->code)
		return;
	k->code = code;
	snprintf(k->msg, sizeof(k->msg), "%s", mlreg_error_message());
}


/*
 * Returns 0 and the stored form of an MLX spec file, noting findings in n;
 * the error of a file that cannot be read or parsed, or of a refusal.
 */
static int read_spec(cJSON **out, const char *path, const struct mlreg_understand_opts *o,
		     struct mlreg_seed_notes *notes, int name_given)
{
	struct mlreg_docpos *pos;
	cJSON *doc;
	const char *base = strrchr(path, '/');
	const char *shown = o && o->spec_shown ? o->spec_shown : path;
	int err = mlreg_docpos_parse_file(&doc, &pos, path, shown), n;

	*out = NULL;
	if (err < 0) {
		mlreg_seed_note(notes, MLREG_SEED_REFUSE, NULL, NULL, "%s", mlreg_error_message());
		return err;
	}
	notes->pos = pos;
	mlreg_mlx_check(doc, notes, name_given);
	notes->pos = NULL;
	mlreg_docpos_free(pos);
	if ((err = mlreg_seed_refusal(notes, "MLX model spec")) < 0) {
		cJSON_Delete(doc);
		return err;
	}
	if ((n = mlreg_redact_doc(doc)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, path);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "kind", "mlx");
	cJSON_AddItemToObject(*out, "types", mlreg_mlx_kinds(doc));
	cJSON_AddStringToObject(*out, "file", base ? base + 1 : path);
	cJSON_AddItemToObject(*out, "document", doc);
	return 0;
}

/* What the files, and the spec and contract given beside them, say. */
struct gathered {
	struct mlreg_seed_notes spec_n;		/* about the spec */
	struct mlreg_seed_notes contract_n;	/* about the contract */
	struct mlreg_seed_notes files_n;	/* about metadata.json */
	struct kept spec_err, contract_err;	/* why the spec or the contract failed */
	cJSON *spec;			/* the spec's stored form, or NULL */
	cJSON *sigs, *info;		/* the contract's signatures and object, or NULL */
	cJSON *arts;			/* the inspections of the model files */
	cJSON *unread;			/* {path, message} of each file that failed inspection */
	cJSON *inspect_warnings;	/* "'path': warning" */
	cJSON *intro;			/* the ADS introspection report, or NULL */
	cJSON *cp;			/* the Determined checkpoint, or NULL */
};

/* What to gather beside the files. */
struct gather_opts {
	const char *spec_file, *contract_file;	/* given with --spec, --contract; or NULL */
	int name_given;		/* the spec needs no name (import --name) */
	int archive;		/* the files come from a zip archive */
	const struct mlreg_understand_opts *uo;	/* register's warnings, or NULL */
};

/* Returns the directory part of path ("." when none), newly allocated. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* Reads the contract: the one given, else serving.yaml (or .yml) at the top. */
static void gather_contract(struct gathered *g, const struct mlreg_entries *e,
			    const struct gather_opts *o)
{
	const struct mlreg_entry *serving = mlreg_contract_find(e);
	struct mlreg_contract_files files = { e, "", NULL, 0 };
	const char *path, *shown;
	char *dir = NULL;
	int err;

	if (o->contract_file) {
		path = shown = o->contract_file;
		files.disk_dir = dir = dir_of(o->contract_file);
		files.given = 1;
	} else if (serving) {
		path = serving->src;
		shown = serving->path;
	} else {
		return;
	}
	g->contract_n.file = shown;
	err = mlreg_contract_read(&g->sigs, &g->info, path, &g->contract_n, &files);
	if (!err && !g->sigs && g->info &&
	    strcmp(mlreg_doc_str(g->info, "kind", ""), "Model")) {
		/* a serving.yaml of kind: Application: left aside, with a warning */
		cJSON_Delete(g->info);
		g->info = NULL;
	}
	if (err < 0) {
		keep_error(&g->contract_err, err);
		cJSON_Delete(g->sigs);
		cJSON_Delete(g->info);
		g->sigs = g->info = NULL;
	} else if (g->info) {
		cJSON_AddStringToObject(g->info, "source", "contract");
		cJSON_AddStringToObject(g->info, "file", o->contract_file
					? (strrchr(shown, '/') ? strrchr(shown, '/') + 1 : shown)
					: shown);
	}
	free(dir);
}

/*
 * Returns 1 when arts (understand opts' known_artifacts) are objects in
 * strictly ascending path order, which the merge in gather_artifacts()
 * needs, with the first in *first (NULL when empty); else 0 (every file is
 * inspected).
 */
static int known_first(const cJSON **first, const cJSON *arts)
{
	const cJSON *a;
	const char *prev = NULL;

	*first = NULL;
	if (!cJSON_IsArray(arts))
		return 0;
	cJSON_ArrayForEach(a, arts) {
		const char *p = mlreg_doc_str(a, "path", NULL);
		if (!cJSON_IsObject(a) || !p || (prev && strcmp(prev, p) >= 0))
			return 0;
		prev = p;
	}
	*first = arts->child;
	return 1;
}

/* Inspects every file (but those known, see spec.h), keeping the errors and warnings. */
static void gather_artifacts(struct gathered *g, const struct mlreg_entries *e,
			     const struct gather_opts *o)
{
	const cJSON *known = NULL;
	int reuse = o->uo && o->uo->known && known_first(&known, o->uo->known_artifacts);
	size_t i;

	g->arts = cJSON_CreateArray();
	g->unread = cJSON_CreateArray();
	g->inspect_warnings = cJSON_CreateArray();
	for (i = 0; i < e->n; i++) {
		cJSON *r = NULL, *out;
		const cJSON *item;
		if (reuse && o->uo->known[i]) {
			/* proven unchanged (spec.h): the inspection it had, if any */
			while (known && strcmp(mlreg_doc_str(known, "path", ""), e->v[i].path) < 0)
				known = known->next;
			if (!known || strcmp(mlreg_doc_str(known, "path", ""), e->v[i].path))
				continue;
			out = cJSON_Duplicate(known, 1);
			goto add;
		}
		if (mlreg_inspect_path(&r, e->v[i].src, e->v[i].path) < 0) {
			cJSON *u = cJSON_CreateObject();
			cJSON_AddStringToObject(u, "path", e->v[i].path);
			cJSON_AddStringToObject(u, "message", mlreg_error_message());
			cJSON_AddItemToArray(g->unread, u);
			continue;
		}
		if (!r)
			continue;
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "path", e->v[i].path);
		cJSON_ArrayForEach(item, r)
			cJSON_AddItemToObject(out, item->string, cJSON_Duplicate(item, 1));
		cJSON_Delete(r);
add:
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(out, "warnings"))
			if (cJSON_IsString(item)) {
				char *s = xasprintf("'%s': %s", e->v[i].path, item->valuestring);
				cJSON_AddItemToArray(g->inspect_warnings, cJSON_CreateString(s));
				free(s);
			}
		cJSON_AddItemToArray(g->arts, out);
	}
}

/* Reads the spec given with --spec. */
static void gather_spec(struct gathered *g, const struct mlreg_entries *e,
			const struct gather_opts *o)
{
	int err = read_spec(&g->spec, o->spec_file, o->uo, &g->spec_n, o->name_given);

	if (err < 0)
		keep_error(&g->spec_err, err);
}

/* Runs ADS's introspection checks on the artifact. */
static void gather_ads(struct gathered *g, const struct mlreg_entries *e,
		       const struct gather_opts *o)
{
	g->intro = mlreg_ads_check(e, o->archive);
}

/* Reads the Determined checkpoint's metadata.json. */
static void gather_checkpoint(struct gathered *g, const struct mlreg_entries *e,
			      const struct gather_opts *o)
{
	g->cp = mlreg_determined_checkpoint(mlreg_determined_find(e)->src, &g->files_n);
}

/* Returns 1 when a spec was given. */
static int spec_given(const struct mlreg_entries *e, const struct gather_opts *o)
{
	return o->spec_file != NULL;
}

/* Returns 1 when a contract was given or serving.yaml (.yml) is at the top. */
static int contract_found(const struct mlreg_entries *e, const struct gather_opts *o)
{
	return o->contract_file || mlreg_contract_find(e);
}

/* Returns 1: every file is inspected (an empty set gives empty lists). */
static int any_files(const struct mlreg_entries *e, const struct gather_opts *o)
{
	return 1;
}

/* Returns 1 when the files hold an ADS artifact (ads.c's rule). */
static int ads_found(const struct mlreg_entries *e, const struct gather_opts *o)
{
	return mlreg_ads_recognise(e);
}

/* Returns 1 when metadata.json is at the top. */
static int checkpoint_found(const struct mlreg_entries *e, const struct gather_opts *o)
{
	return mlreg_determined_find(e) != NULL;
}

/*
 * The seed formats, in the order their readers run: what each recognises
 * among the files (or in the options) and how its reader's findings are
 * gathered.  Each reader notes its findings in its own notes of struct
 * gathered, so the order changes no message; a new format is an entry
 * here, its reader in a file of its own declared in seed.h, its part of
 * struct gathered, and its place in mlreg_understand() and
 * mlreg_validate_entries().
 */
static const struct seed_format {
	const char *name;	/* what the format is, for the reader of this table */
	int (*recognise)(const struct mlreg_entries *e, const struct gather_opts *o);
	void (*apply)(struct gathered *g, const struct mlreg_entries *e,
		      const struct gather_opts *o);
} formats[] = {
	{ "MLX model spec", spec_given, gather_spec },
	{ "Hydrosphere model definition or contract", contract_found, gather_contract },
	{ "model files", any_files, gather_artifacts },
	{ "ADS artifact", ads_found, gather_ads },
	{ "Determined checkpoint", checkpoint_found, gather_checkpoint },
};

/* Runs the reader of every format found among the files or given beside them. */
static void gather(struct gathered *g, const struct mlreg_entries *e,
		   const struct gather_opts *o)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	mlreg_seed_notes_init(&g->spec_n, !o->spec_file ? "" : o->uo && o->uo->spec_shown
			      ? o->uo->spec_shown : o->spec_file, NULL);
	mlreg_seed_notes_init(&g->contract_n, "", NULL);	/* named when one is read */
	mlreg_seed_notes_init(&g->files_n, "metadata.json", NULL);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].recognise(e, o))
			formats[i].apply(g, e, o);
}

/* Frees what g holds. */
static void gathered_free(struct gathered *g)
{
	mlreg_seed_notes_free(&g->spec_n);
	mlreg_seed_notes_free(&g->contract_n);
	mlreg_seed_notes_free(&g->files_n);
	cJSON_Delete(g->spec);
	cJSON_Delete(g->sigs);
	cJSON_Delete(g->info);
	cJSON_Delete(g->arts);
	cJSON_Delete(g->unread);
	cJSON_Delete(g->inspect_warnings);
	cJSON_Delete(g->intro);
	cJSON_Delete(g->cp);
}

/* Returns the first inferred signatures of the inspections (a copy), and their file. */
static cJSON *inferred(const cJSON *arts, const char **file)
{
	const cJSON *a, *x;
	cJSON *sigs;

	cJSON_ArrayForEach(a, arts) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(a, "signatures");
		if (cJSON_GetArraySize(s) > 0) {
			sigs = cJSON_Duplicate(s, 1);
			cJSON_ArrayForEach(x, sigs)
				cJSON_AddBoolToObject((cJSON *)x, "inferred", 1);
			*file = mlreg_doc_str(a, "path", "");
			return sigs;
		}
	}
	return NULL;
}

/*
 * Decides the version's signatures and contract object: the contract's,
 * else those inferred from a model file (keeping what a Hydrosphere
 * definition without a contract says, under "definition").
 */
static void choose_contract(cJSON **sigs, cJSON **info, struct gathered *g)
{
	const char *file = NULL;
	cJSON *inf;

	*sigs = NULL;
	*info = NULL;
	if (g->sigs) {
		*sigs = g->sigs;
		*info = g->info;
		g->sigs = g->info = NULL;
		return;
	}
	if (!(inf = inferred(g->arts, &file))) {
		if (g->info) {	/* a definition without contract, and nothing to infer */
			*sigs = cJSON_CreateArray();
			*info = g->info;
			g->info = NULL;
		}
		return;
	}
	*sigs = inf;
	*info = cJSON_CreateObject();
	cJSON_AddStringToObject(*info, "source", "inferred");
	cJSON_AddStringToObject(*info, "file", file);
	if (g->info) {
		const cJSON *c;
		cJSON_AddStringToObject(*info, "definition", mlreg_doc_str(g->info, "file", ""));
		cJSON_ArrayForEach(c, g->info)
			if (strcmp(c->string, "source") && strcmp(c->string, "file"))
				cJSON_AddItemToObject(*info, c->string, cJSON_Duplicate(c, 1));
	}
}

/* Returns the version's framework, most explicit source first (--framework is the caller's). */
static cJSON *choose_framework(const cJSON *info, const cJSON *spec, const cJSON *cp,
			       const cJSON *arts)
{
	const cJSON *fw = mlreg_seed_at(cJSON_GetObjectItemCaseSensitive(spec, "document"),
					"framework");
	const cJSON *a;
	cJSON *f;

	if (info && (f = mlreg_contract_framework(info)))
		return f;
	if (mlreg_doc_str(fw, "name", NULL)) {
		const cJSON *ver = cJSON_GetObjectItemCaseSensitive(fw, "version");
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", mlreg_doc_str(fw, "name", ""));
		if (cJSON_IsString(ver)) {
			cJSON_AddStringToObject(f, "version", ver->valuestring);
		} else if (cJSON_IsNumber(ver)) {
			char b[32];
			snprintf(b, sizeof(b), "%g", ver->valuedouble);
			cJSON_AddStringToObject(f, "version", b);
		} else {
			cJSON_AddNullToObject(f, "version");
		}
		return f;
	}
	if (cp && cJSON_GetObjectItemCaseSensitive(cp, "framework"))
		return cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cp, "framework"), 1);
	cJSON_ArrayForEach(a, arts) {
		const char *name = mlreg_doc_str(a, "framework", NULL);
		const cJSON *det = cJSON_GetObjectItemCaseSensitive(a, "details");
		const char *ver = NULL;
		if (!name)
			continue;
		/* the version, where the file records the framework's */
		if (!strcmp(name, "tensorflow"))
			ver = mlreg_doc_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
				det, "meta_graphs"), 0), "tensorflow_version", NULL);
		else if (!strcmp(name, "keras"))
			ver = mlreg_doc_str(det, "keras_version", NULL);
		f = mlreg_framework_from_string(name, 0);
		if (ver && *ver)
			cJSON_ReplaceItemInObjectCaseSensitive(f, "version", cJSON_CreateString(ver));
		return f;
	}
	return NULL;
}

/* Passes the notes at level of n to register's warnings. */
static void warn_notes(const struct mlreg_understand_opts *o, const struct mlreg_seed_notes *n,
		       enum mlreg_seed_level level)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, n->list[level])
		warnf(o, "%s", c->valuestring);
}

int mlreg_understand(cJSON **out, const struct mlreg_entries *e,
		     const struct mlreg_understand_opts *o)
{
	struct gather_opts go = { o->spec_file, o->contract_file, o->spec_name_given, 0, o };
	struct gathered g;
	cJSON *u, *sigs, *info;
	const cJSON *c;
	int err = 0, level, n;

	*out = NULL;
	gather(&g, e, &go);
	if (g.spec_err.code)
		err = mlreg_error_set(g.spec_err.code, "%s", g.spec_err.msg);
	else if (g.contract_err.code)
		err = mlreg_error_set(g.contract_err.code, "%s", g.contract_err.msg);
	if (err < 0) {
		gathered_free(&g);
		return err;
	}
	for (level = MLREG_SEED_FAIL; level <= MLREG_SEED_WARN; level++) {
		warn_notes(o, &g.spec_n, level);
		warn_notes(o, &g.contract_n, level);
		warn_notes(o, &g.files_n, level);
	}
	cJSON_ArrayForEach(c, g.inspect_warnings)
		warnf(o, "%s", c->valuestring);
	cJSON_ArrayForEach(c, g.unread)
		warnf(o, "'%s' was not inspected: %s", mlreg_doc_str(c, "path", ""),
		      mlreg_doc_str(c, "message", ""));
	if (g.intro && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g.intro, "passed"))) {
		int failed = 0;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(g.intro, "checks"))
			failed += cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "success"));
		warnf(o, "ADS artifact introspection: %d check(s) failed (see 'mlreg validate')",
		      failed);
	}
	u = cJSON_CreateObject();
	choose_contract(&sigs, &info, &g);
	/* What the contract and checkpoint keep is redacted as a spec is (redact.h). */
	if ((n = mlreg_redact_doc(info)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, mlreg_doc_str(info, "file", ""));
	if ((n = mlreg_redact_doc(g.cp)) > 0)
		warnf(o, "%d secret value(s) in '%s' were replaced by <redacted> and not stored",
		      n, "metadata.json");
	cJSON_AddItemToObject(u, "artifacts", g.arts);
	g.arts = NULL;
	cJSON_AddItemToObject(u, "signatures", sigs ? sigs : cJSON_CreateArray());
	cJSON_AddItemToObject(u, "contract", info ? info : cJSON_CreateNull());
	cJSON_AddItemToObject(u, "spec", g.spec ? g.spec : cJSON_CreateNull());
	g.spec = NULL;
	cJSON_AddItemToObject(u, "introspection", g.intro ? g.intro : cJSON_CreateNull());
	g.intro = NULL;
	cJSON_AddItemToObject(u, "checkpoint", g.cp ? g.cp : cJSON_CreateNull());
	g.cp = NULL;
	{
		cJSON *fw = choose_framework(info, cJSON_GetObjectItemCaseSensitive(u, "spec"),
					     cJSON_GetObjectItemCaseSensitive(u, "checkpoint"),
					     cJSON_GetObjectItemCaseSensitive(u, "artifacts"));
		cJSON_AddItemToObject(u, "framework", fw ? fw : cJSON_CreateNull());
	}
	gathered_free(&g);
	*out = u;
	return 0;
}

/* Appends the notes of n at the levels from..to to the array dst. */
static void copy_levels(cJSON *dst, const struct mlreg_seed_notes *n, int from, int to)
{
	int level;

	for (level = from; level <= to; level++)
		mlreg_seed_copy(dst, n, level);
}

cJSON *mlreg_validate_entries(const struct mlreg_entries *e, const struct mlreg_validate_opts *o)
{
	struct gather_opts go = { o->spec_file, o->contract_file, o->name_given, o->archive, NULL };
	cJSON *rep = cJSON_CreateObject(), *problems = cJSON_CreateArray();
	cJSON *warnings = cJSON_CreateArray();
	struct gathered g;
	const cJSON *c;
	int spec_problems = 0;

	gather(&g, e, &go);
	if (o->stored_spec) {
		/* a stored spec is checked again as stored (its name is the model's) */
		struct mlreg_seed_notes n;
		const cJSON *doc = cJSON_GetObjectItemCaseSensitive(o->stored_spec, "document");
		mlreg_seed_notes_init(&n, mlreg_doc_str(o->stored_spec, "file", ""), NULL);
		mlreg_mlx_check(doc, &n, 1);
		spec_problems = mlreg_seed_count(&n, MLREG_SEED_REFUSE) +
				mlreg_seed_count(&n, MLREG_SEED_FAIL);
		copy_levels(problems, &n, MLREG_SEED_REFUSE, MLREG_SEED_FAIL);
		copy_levels(warnings, &n, MLREG_SEED_WARN, MLREG_SEED_HINT);
		mlreg_seed_notes_free(&n);
		if (!g.spec)
			g.spec = cJSON_Duplicate(o->stored_spec, 1);
	}
	copy_levels(problems, &g.spec_n, MLREG_SEED_REFUSE, MLREG_SEED_FAIL);
	copy_levels(problems, &g.contract_n, MLREG_SEED_REFUSE, MLREG_SEED_FAIL);
	copy_levels(problems, &g.files_n, MLREG_SEED_REFUSE, MLREG_SEED_FAIL);
	copy_levels(warnings, &g.spec_n, MLREG_SEED_WARN, MLREG_SEED_HINT);
	copy_levels(warnings, &g.contract_n, MLREG_SEED_WARN, MLREG_SEED_HINT);
	copy_levels(warnings, &g.files_n, MLREG_SEED_WARN, MLREG_SEED_HINT);
	cJSON_ArrayForEach(c, g.inspect_warnings)
		cJSON_AddItemToArray(warnings, cJSON_CreateString(c->valuestring));
	cJSON_ArrayForEach(c, g.unread) {
		char *s = xasprintf("'%s': %s", mlreg_doc_str(c, "path", ""),
				    mlreg_doc_str(c, "message", ""));
		cJSON_AddItemToArray(problems, cJSON_CreateString(s));
		free(s);
	}
	if (g.spec) {
		cJSON_AddItemToObject(rep, "spec", g.spec);
		g.spec = NULL;
	}
	if (g.info) {	/* a definition without a contract has no signatures of its own */
		cJSON_AddItemToObject(rep, "signatures", g.sigs ? g.sigs : cJSON_CreateArray());
		cJSON_AddItemToObject(rep, "contract", g.info);
		g.sigs = g.info = NULL;
	}
	cJSON_AddItemToObject(rep, "artifacts", g.arts);
	g.arts = NULL;
	if (g.intro) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(g.intro, "checks"))
			if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "success"))) {
				char *s = xasprintf("ADS check %s failed: %s",
						    mlreg_doc_str(c, "key", ""),
						    mlreg_doc_str(c, "message", ""));
				cJSON_AddItemToArray(problems, cJSON_CreateString(s));
				free(s);
			}
		cJSON_AddItemToObject(rep, "introspection", g.intro);
		g.intro = NULL;
	}
	if (g.cp) {
		cJSON_AddItemToObject(rep, "checkpoint", g.cp);
		g.cp = NULL;
	}
	cJSON_AddNumberToObject(rep, "spec_problems", spec_problems +
				mlreg_seed_count(&g.spec_n, MLREG_SEED_REFUSE) +
				mlreg_seed_count(&g.spec_n, MLREG_SEED_FAIL));
	cJSON_AddNumberToObject(rep, "contract_problems",
				mlreg_seed_count(&g.contract_n, MLREG_SEED_REFUSE) +
				mlreg_seed_count(&g.contract_n, MLREG_SEED_FAIL));
	gathered_free(&g);
	cJSON_AddBoolToObject(rep, "ok", cJSON_GetArraySize(problems) == 0);
	cJSON_AddItemToObject(rep, "problems", problems);
	cJSON_AddItemToObject(rep, "warnings", warnings);
	return rep;
}

cJSON *mlreg_validate_files(const struct mlreg_entries *e, const char *spec_file,
			    const char *contract_file)
{
	struct mlreg_validate_opts o = { spec_file, contract_file, 0, 0, NULL };

	return mlreg_validate_entries(e, &o);
}
