/*
 * mlreg template trainable|servable [DIR]: an MLX model spec skeleton whose
 * defaults come from the model's repository, as the MAX training skeleton's
 * installer derives them: the name and identifier from the directory, the
 * description from the README's first paragraph, the website from the git
 * remote, readme_url from the README on the branch checked out (or the
 * commit, on a detached HEAD), the framework and its version from the first
 * model file found.  What cannot be learned is a placeholder, and the
 * output's header lists those fields: validate fails until they are filled.
 */
/* It writes a YAML document (quoting its values itself), not text for people. */
#define CMD_PRINTING_LAYER
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "fs.h"
#include "inspect/inspect.h"
#include "provenance.h"

struct facts {
	char root[PATH_MAX];	/* repository root, or DIR */
	char *website;		/* https URL of the remote, or NULL */
	char *branch;		/* branch checked out (or HEAD's commit when detached), or NULL */
	char *readme;		/* README file name in root, or NULL */
	char *description;	/* the README's first paragraph, one line, or NULL */
	char *framework;	/* from the first recognised model file, or NULL */
	char *framework_version;	/* the version that file records, or NULL */
};

/*
 * Returns an https URL for a git remote URL (scp-like and ssh forms too;
 * its credentials already stripped by provenance.h), or NULL.
 */
static char *web_url(const char *s)
{
	char *r;
	size_t n;

	if (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)) {
		r = xstrdup(s);
	} else if (!strncmp(s, "ssh://", 6) || !strncmp(s, "git://", 6)) {
		const char *host = s + 6, *at = strchr(host, '@'), *slash;
		if (at && at < strchr(host, '/'))
			host = at + 1;
		slash = strchr(host, '/');
		r = slash ? xasprintf("https://%.*s%s", (int)(strcspn(host, ":/")), host, slash)
			  : NULL;
	} else if (strchr(s, '@') && strchr(s, ':')) {
		const char *host = strchr(s, '@') + 1, *colon = strchr(host, ':');
		r = colon ? xasprintf("https://%.*s/%s", (int)(colon - host), host, colon + 1) : NULL;
	} else {
		r = NULL;
	}
	if (r && (n = strlen(r)) > 4 && !strcmp(r + n - 4, ".git"))
		r[n - 4] = '\0';
	return r;
}

/* Fills in what the repository holding dir says: its root, website and branch. */
static void repo_facts(struct facts *f, const char *dir)
{
	struct mlreg_repo_facts r;

	mlreg_provenance_repo(&r, dir);
	if (r.root)
		snprintf(f->root, sizeof(f->root), "%s", r.root);
	if (r.remote)
		f->website = web_url(r.remote);
	f->branch = r.head;
	r.head = NULL;
	mlreg_repo_facts_free(&r);
}

/* Returns 1 when a README line is no prose: a heading, badge, rule, list, quote, table, code, HTML. */
static int not_prose(const char *line)
{
	if (!*line)
		return 1;
	if (strchr("#=-*+|>`<~_:.", *line) || !strncmp(line, "[!", 2))
		return 1;
	/* a list item "1. ", an RST directive ".. " */
	if (isdigit((unsigned char)*line) && line[strspn(line, "0123456789")] == '.')
		return 1;
	return !(isalnum((unsigned char)*line) || *line == '[' || *line == '"' || *line == '\'' ||
		 *line == '(' || (unsigned char)*line >= 0x80);
}

/* Appends a line of prose to the paragraph p, dropping markdown's markup. */
static void add_prose(char **p, const char *line)
{
	size_t n = *p ? strlen(*p) : 0, i;
	char *out = xrealloc(*p, n + strlen(line) + 2), *o;

	o = out + n;
	if (n)
		*o++ = ' ';
	for (i = 0; line[i]; i++) {
		int word = (i > 0 && line[i - 1] != ' ') || (line[i + 1] && line[i + 1] != ' ');
		if (line[i] == '`' || (line[i] == '*' && word) ||
		    (line[i] == '_' && (line[i + 1] == '_' || (i > 0 && line[i - 1] == '_'))))
			continue;	/* code and emphasis marks, not "5 * 3" nor snake_case */
		if (line[i] == '[') {
			/* [text](url): the text alone */
			const char *mid = strstr(line + i, "](");
			const char *close = mid ? strchr(mid, ')') : NULL;
			if (close) {
				memcpy(o, line + i + 1, (size_t)(mid - line - i - 1));
				o += mid - line - i - 1;
				i = (size_t)(close - line);
				continue;
			}
		}
		if ((unsigned char)line[i] >= 0x20 || line[i] == '\t')
			*o++ = line[i] == '\t' ? ' ' : line[i];
	}
	*o = '\0';
	*p = out;
}

static void readme_facts(struct facts *f)
{
	static const char *const names[] = { "README.md", "README.rst", "README.txt", "README",
					     "readme.md", "Readme.md", NULL };
	size_t i;

	for (i = 0; names[i]; i++) {
		char *p = xasprintf("%s/%s", f->root, names[i]), *buf = NULL, *line, *next;
		int rc = mlreg_fs_read_file(&buf, NULL, p, 1 << 20, p), fence = 0, front = 0;
		free(p);
		if (rc < 0)
			continue;
		f->readme = xstrdup(names[i]);
		/* the first paragraph of prose: its lines up to a blank or non-prose one */
		for (line = buf; line && *line; line = next) {
			char *t;
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			line[strcspn(line, "\r")] = '\0';
			if (line == buf && !strcmp(line, "---"))
				front = 1;	/* YAML front matter */
			else if (front) {
				front = strcmp(line, "---") != 0;
				continue;
			}
			if (!strncmp(line, "```", 3) || !strncmp(line, "~~~", 3))
				fence = !fence;
			if (fence || (line[0] == ' ' && line[1] == ' ' && line[2] == ' ' &&
				      line[3] == ' ' && !f->description))
				continue;	/* code */
			for (t = line; *t == ' ' || *t == '\t'; t++)
				;
			if (next && *next && strchr("=-~^", *next) && !f->description &&
			    strspn(next, "=-~^") >= 3) {
				continue;	/* an RST or setext title, underlined next */
			}
			if (not_prose(t)) {
				if (f->description)
					break;
				continue;
			}
			add_prose(&f->description, t);
		}
		free(buf);
		break;
	}
}

static void framework_fact(struct facts *f, const char *dir, int depth)
{
	struct dirent **names;
	int n, i;

	if (depth > 2 || f->framework)
		return;
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]->d_name);
		struct stat st;
		if (names[i]->d_name[0] != '.' && !f->framework && lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				framework_fact(f, p, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				cJSON *r = NULL;
				if (mlreg_inspect_path(&r, p, NULL) == 0 && r &&
				    mlreg_doc_str(r, "framework", NULL)) {
					/* the version, where the file records the framework's */
					const cJSON *det = cJSON_GetObjectItemCaseSensitive(r, "details");
					const char *ver = mlreg_doc_str(cJSON_GetArrayItem(
						cJSON_GetObjectItemCaseSensitive(det, "meta_graphs"), 0),
						"tensorflow_version", NULL);
					if (!ver)
						ver = mlreg_doc_str(det, "keras_version", NULL);
					f->framework = xstrdup(mlreg_doc_str(r, "framework", ""));
					if (ver && *ver)
						f->framework_version = xstrdup(ver);
				}
				cJSON_Delete(r);
			}
		}
		free(p);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* Where the spec is written, and the fields still left as placeholders. */
struct out {
	FILE *f;		/* the spec's text, header aside */
	char todo[1024];	/* ", "-separated fields that need a value */
};

/* Writes s as a double-quoted YAML scalar. */
static void q(struct out *o, const char *s)
{
	putc('"', o->f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', o->f);
		if ((unsigned char)*s >= 0x20)
			putc(*s, o->f);
	}
	putc('"', o->f);
}

/*
 * Writes "INDENTkey: VALUE\n", VALUE quoted: value, or placeholder when
 * value is NULL, in which case field (a dotted path) joins the to-do list.
 */
static void field(struct out *o, const char *indent, const char *key, const char *value,
		  const char *placeholder, const char *dotted)
{
	fprintf(o->f, "%s%s: ", indent, key);
	q(o, value ? value : placeholder);
	putc('\n', o->f);
	if (!value && strlen(o->todo) + strlen(dotted) + 3 < sizeof(o->todo))
		snprintf(o->todo + strlen(o->todo), sizeof(o->todo) - strlen(o->todo), "%s%s",
			 *o->todo ? ", " : "", dotted);
}

/* Writes into ident (n bytes) an MLX identifier from a name: as kfp-tekton sanitizes one. */
static void identifier(char *ident, size_t n, const char *base)
{
	size_t i, k = 0;

	for (i = 0; base[i] && k < n - 1 && k < 57; i++) {
		char c = isalnum((unsigned char)base[i]) ? (char)tolower((unsigned char)base[i]) : '-';
		if (c == '-' && (k == 0 || ident[k - 1] == '-'))
			continue;
		ident[k++] = c;
	}
	while (k > 0 && ident[k - 1] == '-')
		k--;
	ident[k] = '\0';
	if (!k)
		snprintf(ident, n, "model");
}

int cmd_template(int argc, char **argv, struct mlreg_store *unused)
{
	static const struct option opts[] = { { 0 } };
	struct facts f;
	struct out o;
	const char *kind, *dir, *base;
	char name[256], ident[64], *text = NULL, *url = NULL;
	size_t i, len = 0;
	int c, trainable;

	while ((c = cmd_getopt(argc, argv, "", opts)) != -1)
		return EXIT_USAGE;
	if (argc - optind < 1 || argc - optind > 2)
		return cmd_usage_error(argc - optind ? "too many arguments"
				       : "missing trainable or servable");
	kind = argv[optind];
	if (strcmp(kind, "trainable") && strcmp(kind, "servable"))
		return cmd_usage_error("invalid template '%s' (trainable or servable)", kind);
	trainable = !strcmp(kind, "trainable");
	dir = argc - optind == 2 ? argv[optind + 1] : ".";
	memset(&f, 0, sizeof(f));
	if (!realpath(dir, f.root))
		return cmd_fail(mlreg_error_os("cannot open '%s'", dir));
	repo_facts(&f, f.root);
	readme_facts(&f);
	framework_fact(&f, f.root, 0);
	base = strrchr(f.root, '/');
	base = base && base[1] ? base + 1 : "model";
	for (i = 0; base[i] && i < sizeof(name) - 1; i++)
		name[i] = base[i] == '-' || base[i] == '_' ? ' ' : base[i];
	name[i] = '\0';
	identifier(ident, sizeof(ident), base);
	if (f.readme && f.website) {
		const char *branch = f.branch ? f.branch : "<branch>";
		if (strstr(f.website, "://github.com/"))
			url = xasprintf("https://raw.githubusercontent.com/%s/%s/%s",
					strstr(f.website, "://github.com/") + 14, branch, f.readme);
		else
			url = xasprintf("%s/raw/%s/%s", f.website, branch, f.readme);
	}

	memset(&o, 0, sizeof(o));
	if (!(o.f = open_memstream(&text, &len)))
		return cmd_fail(mlreg_error_os("cannot write the template"));
	field(&o, "", "name", name, NULL, "name");
	field(&o, "", "model_identifier", ident, NULL, "model_identifier");
	field(&o, "", "description", f.description, "<model_description>", "description");
	if (trainable) {
		fprintf(o.f, "author:\n");
		field(&o, "  ", "name", NULL, "<author_name>", "author.name");
		field(&o, "  ", "email", NULL, "<author_email>", "author.email");
	}
	fprintf(o.f, "framework:\n");
	field(&o, "  ", "name", f.framework, "<framework_name>", "framework.name");
	field(&o, "  ", "version", f.framework_version, "<framework_version>",
	      "framework.version");
	if (trainable)
		fprintf(o.f, "  runtimes:\n    name: python\n    version: \"3\"\n");
	fprintf(o.f, "license: \"Apache 2.0\"\n");
	field(&o, "", "domain", NULL, "<domain>", "domain");
	field(&o, "", "website", f.website, "<model_website>", "website");
	if (url && f.branch)
		field(&o, "", "readme_url", url, NULL, "readme_url");
	else if (url)	/* a HEAD that names no branch nor commit */
		field(&o, "", "readme_url", NULL, url, "readme_url");
	else	/* MLX's UI fetches a URL: a file name alone is no use to it */
		field(&o, "", "readme_url", NULL, "<readme_url>", "readme_url");
	if (trainable) {
		fprintf(o.f, "train:\n"
			"  trainable: true\n"
			"  credentials_required: true\n"
			"  tested_platforms:\n    - WatsonML\n"
			"  model_source:\n    initial_model:\n"
			"      data_store: cloud_training_datastore\n"
			"      bucket: %s-model\n      path: model.zip\n"
			"  model_training_results:\n    trained_model:\n"
			"      data_store: cloud_training_datastore\n"
			"      bucket: %s-results\n"
			"  data_source:\n    training_data:\n"
			"      data_store: cloud_training_datastore\n"
			"      bucket: %s-data\n      path: data\n"
			"  mount_type: mount_cos\n"
			"  execution:\n    command: ./train-max-model.sh\n"
			"    compute_configuration:\n      name: k80\n      nodes: 1\n"
			"process:\n  - name: training_process\n    params:\n"
			"      staging_dir: training_output/\n"
			"      trained_model_path: trained_model/\n"
			"data_stores:\n  - name: cloud_training_datastore\n    type: s3\n"
			"    connection:\n", ident, ident, ident);
		field(&o, "      ", "endpoint", NULL, "<object_storage_endpoint>",
		      "data_stores[0].connection.endpoint");
	} else {
		char *image = xasprintf("<registry>/%s:latest", ident);
		fprintf(o.f, "serve:\n"
			"  servable: true\n"
			"  tested_platforms:\n    - kubernetes\n    - knative\n"
			"  serving_container_image:\n");
		field(&o, "    ", "container_image_url", NULL, image,
		      "serve.serving_container_image.container_image_url");
		/* quoted: MLX's model-config step writes the port as text */
		fprintf(o.f, "    container_port: \"5000\"\n");
		free(image);
	}
	fclose(o.f);

	printf("# MLX %s model spec, generated by 'mlreg template %s' from %s.\n", kind, kind,
	       f.root);
	if (*o.todo)
		printf("# Still to fill in (mlreg validate fails until then): %s.\n", o.todo);
	printf("# Check every value; register with: mlreg register NAME FILES... --spec FILE\n");
	fwrite(text, 1, len, stdout);
	free(text);
	free(url);
	free(f.website);
	free(f.branch);
	free(f.readme);
	free(f.description);
	free(f.framework);
	free(f.framework_version);
	return EXIT_OK;
}
