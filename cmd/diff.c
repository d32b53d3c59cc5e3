/*
 * mlreg diff NAME[@N] NAME[@N]: what changed from one version to another
 * (files, framework, metrics, hparams, metadata, signatures), and whether
 * the second can replace the first.  The comparison is lib/compare.c's;
 * this file prints it.  Like git diff: nothing printed when nothing
 * differs, --exit-code makes a difference exit 1.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "compare.h"

/* What 'mlreg diff -h' prints: kept beside the options parsed below. */
const char cmd_diff_usage[] =
	"usage: mlreg diff [--json] [--exit-code | --signature-only]\n"
	"                  NAME[@N] NAME[@N]\n"
	"\n"
	"    --json              print the differences as JSON\n"
	"    --exit-code         exit 1 when the versions differ, else 0\n"
	"    --signature-only    only the signature verdict; exit 1 when\n"
	"                        the second breaks the first's signature\n";

/* Returns the member key of obj, NULL when absent. */
static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Returns the number of members of obj's array or object key (0: absent). */
static int count(const cJSON *obj, const char *key)
{
	return cJSON_GetArraySize(get(obj, key));
}

/*
 * Returns 0 after loading the version ref names ("NAME", "NAME@N",
 * "NAME@ALIAS", "NAME@latest") into *out; an exit code after printing the
 * error.
 */
static int load_ref(cJSON **out, struct mlreg_store *store, const char *ref)
{
	char *name = NULL;
	long n;
	int err, ret;

	if ((ret = cmd_resolve(store, ref, &name, &n, 0)) != EXIT_OK)
		return ret;
	if ((err = mlreg_version_load(out, store, name, n)) < 0)
		ret = cmd_fail(err);
	free(name);
	return ret;
}

/* Returns a one-line JSON text of v (malloc'd), "-" for NULL. */
static char *text(const cJSON *v)
{
	char *s;

	if (!v)
		return xstrdup("-");
	s = mlreg_doc_print(v);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Prints a framework as describe does: "name version"; "(none)" for null. */
static void print_framework(const cJSON *fw)
{
	const char *ver = mlreg_doc_str(fw, "version", NULL);

	if (!cJSON_IsObject(fw))
		cmd_printf("(none)");
	else
		cmd_printf("%s%s%s", cmd_str(fw, "name"), ver ? " " : "",
			   ver ? ver : "");
}

/* Prints the changes {added, removed, changed} of keys under title, if any. */
static void print_keys(const char *title, const cJSON *d)
{
	const cJSON *k;
	char *x, *y;

	if (!count(d, "added") && !count(d, "removed") && !count(d, "changed"))
		return;
	cmd_printf("%s:\n", title);
	cJSON_ArrayForEach(k, get(d, "removed")) {
		x = text(k);
		cmd_printf("  - %s: %s\n", k->string, x);
		free(x);
	}
	cJSON_ArrayForEach(k, get(d, "added")) {
		x = text(k);
		cmd_printf("  + %s: %s\n", k->string, x);
		free(x);
	}
	cJSON_ArrayForEach(k, get(d, "changed")) {
		x = text(get(k, "a"));
		y = text(get(k, "b"));
		cmd_printf("  ~ %s: %s -> %s\n", k->string, x, y);
		free(x);
		free(y);
	}
}

/* Prints the signature verdict and its changes, one a line. */
static void print_signature(const cJSON *sig)
{
	const cJSON *c;

	cmd_printf("signature: %s\n", cmd_str(sig, "verdict"));
	cJSON_ArrayForEach(c, get(sig, "changes")) {
		const char *kind = cmd_str(c, "kind");
		cmd_printf("  %s ", cJSON_IsTrue(get(c, "breaking"))
			   ? "breaking:  " : "compatible:");
		if (strcmp(kind, "signature"))	/* "SIG: input NAME: why" */
			cmd_printf("%s: %s ", cmd_str(c, "signature"), kind);
		cmd_printf("%s: %s\n", cmd_str(c, "name"),
			   cmd_str(c, "reason"));
	}
}

/* Prints diff d for people: a header, then each section that differs. */
static void print_diff(const cJSON *d, const char *la, const char *lb)
{
	const cJSON *files = get(d, "files");
	const cJSON *fw = get(d, "framework");
	const cJSON *metrics = get(d, "metrics");
	const cJSON *sig = get(d, "signature");
	const char *verdict = cmd_str(sig, "verdict");
	const cJSON *f, *m;
	int changed = 0;

	cmd_printf("diff %s %s\n", la, lb);
	if (count(files, "added") + count(files, "removed") +
	    count(files, "changed")) {
		cmd_printf("files:\n");
		cJSON_ArrayForEach(f, get(files, "removed"))
			cmd_printf("  - %s (%lld bytes)\n", cmd_str(f, "path"),
				   mlreg_doc_int(f, "size", 0));
		cJSON_ArrayForEach(f, get(files, "added"))
			cmd_printf("  + %s (%lld bytes)\n", cmd_str(f, "path"),
				   mlreg_doc_int(f, "size", 0));
		cJSON_ArrayForEach(f, get(files, "changed")) {
			const cJSON *a = get(f, "a");
			const cJSON *b = get(f, "b");
			cmd_printf("  ~ %s: %lld -> %lld bytes, "
				   "sha256 %.12s -> %.12s", cmd_str(f, "path"),
				   mlreg_doc_int(a, "size", 0),
				   mlreg_doc_int(b, "size", 0),
				   cmd_str(a, "sha256"), cmd_str(b, "sha256"));
			if (strcmp(cmd_str(a, "mode"), cmd_str(b, "mode")))
				cmd_printf(", mode %s -> %s",
					   cmd_str(a, "mode"),
					   cmd_str(b, "mode"));
			cmd_printf("\n");
		}
	}
	if (cJSON_IsObject(fw)) {
		cmd_printf("framework: ");
		print_framework(get(fw, "a"));
		cmd_printf(" -> ");
		print_framework(get(fw, "b"));
		cmd_printf("\n");
	}
	cJSON_ArrayForEach(m, metrics)
		changed += strcmp(cmd_str(m, "status"), "same") != 0;
	if (changed) {
		cmd_printf("metrics: %-20s %14s %14s %14s\n", "", la, lb,
			   "delta");
		cJSON_ArrayForEach(m, metrics) {
			const cJSON *delta = get(m, "delta");
			char *x = text(get(m, "a"));
			char *y = text(get(m, "b"));
			char dt[40];
			if (cJSON_IsNumber(delta))
				snprintf(dt, sizeof(dt), "%+.6g",
					 delta->valuedouble);
			else
				snprintf(dt, sizeof(dt), "%s",
					 cmd_str(m, "status"));
			cmd_printf("  %-27s %14s %14s %14s\n",
				   cmd_str(m, "key"), x, y, dt);
			free(x);
			free(y);
		}
	}
	print_keys("hparams", get(d, "hparams"));
	print_keys("metadata", get(d, "metadata"));
	if (strcmp(verdict, "identical") && strcmp(verdict, "none"))
		print_signature(sig);
}

int cmd_diff(int argc, char **argv, struct mlreg_store *store)
{
	enum { OPT_JSON = 256, OPT_EXIT_CODE, OPT_SIGNATURE_ONLY };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "exit-code", no_argument, NULL, OPT_EXIT_CODE },
		{ "signature-only", no_argument, NULL, OPT_SIGNATURE_ONLY },
		{ 0 }
	};
	cJSON *a = NULL, *b = NULL, *d = NULL, *out;
	int c, json = 0, exit_code = 0, sig_only = 0, ret;
	char *la = NULL, *lb = NULL;
	const char *verdict;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_EXIT_CODE)
			exit_code = 1;
		else if (c == OPT_SIGNATURE_ONLY)
			sig_only = 1;
		else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cmd_usage_error(argc - optind > 2 ? "too many arguments"
				       : "diff needs two versions");
	if (exit_code && sig_only)
		return cmd_usage_error("--exit-code and --signature-only "
				       "cannot be combined");
	if ((ret = load_ref(&a, store, argv[optind])) != EXIT_OK ||
	    (ret = load_ref(&b, store, argv[optind + 1])) != EXIT_OK)
		goto done;
	d = mlreg_compare_versions(a, b);
	verdict = cmd_str(get(d, "signature"), "verdict");
	la = xasprintf("%s@%lld", cmd_str(a, "model"),
		       mlreg_doc_int(a, "version", 0));
	lb = xasprintf("%s@%lld", cmd_str(b, "model"),
		       mlreg_doc_int(b, "version", 0));
	if (sig_only) {
		if (json) {
			static const char *const keep[] = {
				"a", "b", "signature"
			};
			size_t i;
			out = cJSON_CreateObject();
			for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
				cJSON_AddItemToObject(out, keep[i],
					cJSON_Duplicate(get(d, keep[i]), 1));
			cmd_print_json(out);
			cJSON_Delete(out);
		} else {
			print_signature(get(d, "signature"));
		}
		ret = strcmp(verdict, "breaking") ? EXIT_OK : EXIT_FAIL;
		goto done;
	}
	if (json)
		cmd_print_json(d);
	else if (cJSON_IsTrue(get(d, "differ")))
		print_diff(d, la, lb);
	if (exit_code && cJSON_IsTrue(get(d, "differ")))
		ret = EXIT_FAIL;
done:
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(d);
	free(la);
	free(lb);
	return ret;
}
