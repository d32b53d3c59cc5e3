/*
 * mlreg template trainable|servable [DIR]: an MLX model spec skeleton whose
 * defaults come from the model's repository, as the MAX training skeleton's
 * installer derives them: the name and identifier from the directory, the
 * description from the README, the website from the git remote, readme_url
 * from the README, the framework from the first model file found.
 */
/* It writes a YAML document (quoting its values itself), not text for people. */
#define CMD_PRINTING_LAYER
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "cmd.h"
#include "fs.h"
#include "inspect.h"
#include "provenance.h"

struct facts {
	char root[PATH_MAX];	/* repository root, or DIR */
	char *website;		/* https URL of the remote, or NULL */
	char *branch;		/* current branch, or NULL */
	char *readme;		/* README file name in root, or NULL */
	char *description;	/* first paragraph line of the README, or NULL */
	char *framework;	/* from the first recognised model file, or NULL */
};

/* Returns an https URL for a git remote URL (scp-like and ssh forms too), or NULL. */
static char *web_url(const char *remote)
{
	char *clean = mlreg_url_strip_credentials(remote), *s = clean, *r;
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
	free(clean);
	if (r && (n = strlen(r)) > 4 && !strcmp(r + n - 4, ".git"))
		r[n - 4] = '\0';
	return r;
}

static void repo_facts(struct facts *f, const char *dir)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_reference *head = NULL;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, 0, getenv("GIT_CEILING_DIRECTORIES")) == 0 &&
	    git_repository_workdir(repo)) {
		if (!realpath(git_repository_workdir(repo), f->root))
			snprintf(f->root, sizeof(f->root), "%s", git_repository_workdir(repo));
		git_strarray names = { 0 };
		/* origin, else the first remote, as register's provenance does */
		if (git_remote_lookup(&remote, repo, "origin") < 0 &&
		    git_remote_list(&names, repo) == 0 && names.count > 0)
			git_remote_lookup(&remote, repo, names.strings[0]);
		git_strarray_dispose(&names);
		if (remote && git_remote_url(remote))
			f->website = web_url(git_remote_url(remote));
		if (git_repository_head(&head, repo) == 0 && git_reference_is_branch(head))
			f->branch = xstrdup(git_reference_shorthand(head));
	}
	git_reference_free(head);
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static void readme_facts(struct facts *f)
{
	static const char *const names[] = { "README.md", "README.rst", "README.txt", "README",
					     "readme.md", NULL };
	size_t i;

	for (i = 0; names[i]; i++) {
		char *p = xasprintf("%s/%s", f->root, names[i]), *buf = NULL, *line, *save;
		int rc = mlreg_fs_read_file(&buf, NULL, p, 1 << 20, p);
		free(p);
		if (rc < 0)
			continue;
		f->readme = xstrdup(names[i]);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			while (*line == ' ' || *line == '\t')
				line++;
			/* the first line of prose: not a heading, badge, rule or list */
			if (!*line || strchr("#=-*[!<|>`", *line) || !isalpha((unsigned char)*line))
				continue;
			line[strcspn(line, "\r")] = '\0';
			f->description = xstrdup(line);
			break;
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
				    mlreg_doc_str(r, "framework", NULL))
					f->framework = xstrdup(mlreg_doc_str(r, "framework", ""));
				cJSON_Delete(r);
			}
		}
		free(p);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* Prints s as a double-quoted YAML scalar. */
static void q(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

int cmd_template(int argc, char **argv, struct mlreg_store *unused)
{
	static const struct option opts[] = { { 0 } };
	struct facts f;
	const char *kind, *dir, *base;
	char name[256], ident[256];
	size_t i;
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
	for (i = 0; base[i] && i < sizeof(name) - 1; i++) {
		name[i] = base[i] == '-' || base[i] == '_' ? ' ' : base[i];
		ident[i] = isalnum((unsigned char)base[i]) ? (char)tolower((unsigned char)base[i]) : '-';
	}
	name[i] = ident[i] = '\0';

	printf("# MLX %s model spec, generated by 'mlreg template %s' from %s.\n", kind, kind,
	       f.root);
	printf("# Check every value; register with: mlreg register NAME FILES... --spec FILE\n");
	printf("name: ");
	q(name);
	printf("\nmodel_identifier: ");
	q(ident);
	printf("\ndescription: ");
	q(f.description ? f.description : "<model_description>");
	if (trainable)
		printf("\nauthor:\n  name: \"<author_name>\"\n  email: \"<author_email>\"");
	printf("\nframework:\n  name: ");
	q(f.framework ? f.framework : "<framework_name>");
	printf("\n  version: \"<framework_version>\"\n");
	if (trainable)
		printf("  runtimes:\n    name: python\n    version: \"3\"\n");
	printf("license: \"Apache 2.0\"\ndomain: \"<domain>\"\nwebsite: ");
	q(f.website ? f.website : "<model_website>");
	printf("\nreadme_url: ");
	if (f.readme && f.website && strstr(f.website, "://github.com/")) {
		const char *path = strstr(f.website, "://github.com/") + 14;
		printf("\"https://raw.githubusercontent.com/%s/%s/%s\"", path,
		       f.branch ? f.branch : "main", f.readme);
	} else if (f.readme && f.website) {
		printf("\"%s/raw/%s/%s\"", f.website, f.branch ? f.branch : "main", f.readme);
	} else {
		q(f.readme ? f.readme : "<readme_url>");
	}
	putchar('\n');
	if (trainable)
		printf("train:\n"
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
		       "    connection:\n      endpoint: \"<object_storage_endpoint>\"\n",
		       ident, ident, ident);
	else
		printf("serve:\n"
		       "  servable: true\n"
		       "  tested_platforms:\n    - kubernetes\n    - knative\n"
		       "  serving_container_image:\n"
		       "    container_image_url: \"<registry>/%s:latest\"\n"
		       "    container_port: 5000\n", ident);
	free(f.website);
	free(f.branch);
	free(f.readme);
	free(f.description);
	free(f.framework);
	return EXIT_OK;
}
