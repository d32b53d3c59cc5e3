/*
 * mlreg's entry point: global options, the command table, and the store
 * each command needs, opened once here (git's RUN_SETUP).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const struct cmd *current_cmd;
const char *store_option;

/* Alphabetical. */
static const struct cmd commands[] = {
	{ "alias", cmd_alias, NEED_STORE, "set, remove, list and log a model's aliases (stages)",
	  cmd_alias_usage },
	{ "checkout", cmd_checkout, NEED_STORE, "write a version's files into a directory",
	  cmd_checkout_usage },
	{ "create", cmd_create, NEED_STORE, "create a model",
	  cmd_create_usage },
	{ "deprecate", cmd_deprecate, NEED_STORE, "mark a version as one not to use",
	  cmd_deprecate_usage },
	{ "delete", cmd_delete, NEED_STORE, "delete versions or a model, keeping tombstones",
	  cmd_delete_usage },
	{ "describe", cmd_describe, NEED_STORE, "show a model and one of its versions",
	  cmd_describe_usage },
	{ "diff", cmd_diff, NEED_STORE, "show what changed between two versions",
	  cmd_diff_usage },
	{ "download", cmd_download, NEED_STORE, "bring versions from a remote into the store",
	  cmd_download_usage },
	{ "export", cmd_export, NEED_STORE, "write a version as a zip or tar.gz artifact archive",
	  cmd_export_usage },
	{ "fsck", cmd_fsck, NEED_STORE, "verify the objects and records of the store",
	  cmd_fsck_usage },
	{ "gc", cmd_gc, NEED_STORE, "remove unreferenced objects and dead temporary files",
	  cmd_gc_usage },
	{ "help", cmd_help, 0, "show help for mlreg or a command",
	  "usage: mlreg help [COMMAND]\n" },
	{ "import", cmd_import, NEED_STORE, "register a model from an MLX model YAML, .tar.gz or URL",
	  cmd_import_usage },
	{ "init", cmd_init, 0, "create a store",
	  cmd_init_usage },
	{ "inspect", cmd_inspect, 0, "read model files: format, details, signatures",
	  cmd_inspect_usage },
	{ "list", cmd_list, NEED_STORE, "list models",
	  cmd_list_usage },
	{ "list-versions", cmd_list_versions, NEED_STORE, "list a model's versions, newest first",
	  cmd_list_versions_usage },
	{ "metadata", cmd_metadata, NEED_STORE, "show or change a model's metadata",
	  cmd_metadata_usage },
	{ "register", cmd_register, NEED_STORE, "store files as the next version of a model",
	  cmd_register_usage },
	{ "remote", cmd_remote, NEED_STORE, "add, list or remove remotes",
	  cmd_remote_usage },
	{ "rename", cmd_rename, NEED_STORE, "give a model a new name (the old one redirects)",
	  cmd_rename_usage },
	{ "search", cmd_search, NEED_STORE, "find versions across models by a filter expression",
	  cmd_search_usage },
	{ "template", cmd_template, 0, "print an MLX model spec skeleton for a repository",
	  "usage: mlreg template trainable|servable [DIR]\n" },
	{ "undeprecate", cmd_undeprecate, NEED_STORE, "clear a version's deprecation",
	  cmd_deprecate_usage },
	{ "upload", cmd_upload, NEED_STORE, "send versions the remote lacks",
	  cmd_upload_usage },
	{ "validate", cmd_validate, TRY_STORE, "run a version's, a directory's or an archive's checks",
	  cmd_validate_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cmd *cmd_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void cmd_print_usage(const struct cmd *c, FILE *f)
{
	fputs(c->usage, f);
}

/* Prints why mlreg cannot change to dir (git's words) and returns EXIT_FATAL. */
static int cannot_chdir(const char *dir)
{
	char *msg = xasprintf("cannot change to '%s': %s", dir, strerror(errno));

	cmd_print_message(stderr, "fatal: ", msg);
	free(msg);
	return EXIT_FATAL;
}

/* Prints "unknown command 'name'" with the closest command when one is near. */
static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS], *guess;
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	if ((guess = cmd_suggest(name, names, NCOMMANDS)) != NULL)
		return cmd_usage_error("unknown command '%s'; did you mean '%s'?", name, guess);
	return cmd_usage_error("unknown command '%s'", name);
}

static void main_usage(FILE *f)
{
	size_t i;

	fputs("usage: mlreg [-C DIR] [--store PATH] [--version] [-h] COMMAND [ARGS]\n"
	      "\n"
	      "   -C DIR          run as if started in DIR (several: each from the last)\n"
	      "   --store PATH    the store (else $MLREG_DIR, else .mlreg upwards)\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "   %-15s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'mlreg help COMMAND' or 'mlreg COMMAND -h' shows a command's options;\n"
	      "'man mlreg' the whole manual.\n", f);
}

int cmd_help(int argc, char **argv, struct mlreg_store *store)
{
	const struct cmd *c;

	if (argc > 2)
		return cmd_usage_error("too many arguments");
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		main_usage(stdout);
		return EXIT_OK;
	}
	if (!(c = cmd_lookup(argv[1]))) {
		current_cmd = NULL;	/* "(see 'mlreg help')" */
		return unknown_command(argv[1]);
	}
	fprintf(stdout, "mlreg %s: %s\n\n", c->name, c->summary);
	cmd_print_usage(c, stdout);
	fprintf(stdout, "\nSee 'man mlreg-%s' for the whole description.\n", c->name);
	return EXIT_OK;
}

/* Returns 0 and the open store, or the exit code after printing why not. */
static int open_store(struct mlreg_store **store)
{
	const char *path = store_option ? store_option : getenv("MLREG_DIR");
	char *found = NULL;
	int err;

	if (path && *path) {
		err = mlreg_store_open(store, path);
	} else {
		if ((err = mlreg_store_discover(&found, ".")) < 0)
			return cmd_fail(MLREG_EINVALID);
		err = mlreg_store_open(store, found);
		free(found);
	}
	return err < 0 ? cmd_fail(err == MLREG_ENOTFOUND ? MLREG_EINVALID : err) : 0;
}

int main(int argc, char **argv)
{
	struct mlreg_store *store = NULL;
	const struct cmd *c;
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--version")) {
			cmd_printf("mlreg %s\n", MLREG_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			main_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-C")) {
			/* git's -C: each is taken from where the last one left */
			if (i + 1 >= argc)
				return cmd_usage_error("option '%s' needs a value", a);
			if (*argv[++i] && chdir(argv[i]) < 0)
				return cannot_chdir(argv[i]);
		} else if (!strcmp(a, "--store")) {
			if (i + 1 >= argc)
				return cmd_usage_error("option '%s' needs a value", a);
			store_option = argv[++i];
		} else if (!strncmp(a, "--store=", 8)) {
			store_option = a + 8;
		} else {
			static const char *const globals[] = { "--help", "--store", "--version" };
			const char *guess = cmd_suggest(a, globals, 3);
			if (guess)
				return cmd_usage_error("unknown option '%s'; did you mean '%s'?",
						       a, guess);
			return cmd_usage_error("unknown option '%s'", a);
		}
	}
	if (i >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = cmd_lookup(argv[i])))
		return unknown_command(argv[i]);
	current_cmd = c;
	/* -h anywhere among a command's arguments shows its usage, store or not. */
	for (int j = i + 1; j < argc && strcmp(argv[j], "--"); j++)
		if (!strcmp(argv[j], "-h") || !strcmp(argv[j], "--help")) {
			cmd_print_usage(c, stdout);
			return EXIT_OK;
		}
	if ((c->flags & NEED_STORE) && (ret = open_store(&store)) != 0)
		return ret;
	if (c->flags & TRY_STORE) {
		char *found = NULL;
		const char *path = store_option ? store_option : getenv("MLREG_DIR");
		if ((!path || !*path) && mlreg_store_discover(&found, ".") == 0)
			path = found;
		if (path && *path && mlreg_store_open(&store, path) < 0)
			store = NULL;
		free(found);
		mlreg_error_clear();
	}
	ret = c->fn(argc - i, argv + i, store);
	mlreg_store_free(store);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("fatal: cannot write output");
		return EXIT_FATAL;
	}
	return ret;
}
