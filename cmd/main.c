/*
 * mlreg's entry point: global options, the command table, and the store
 * each command needs, opened once here (git's RUN_SETUP).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

const struct cmd *current_cmd;
const char *store_option;

/* Alphabetical. */
static const struct cmd commands[] = {
	{ "checkout", cmd_checkout, NEED_STORE, "write a version's files into a directory",
	  "usage: mlreg checkout NAME[@N] DIR [--force]\n"
	  "\n"
	  "    -f, --force           overwrite files in DIR that have other content\n" },
	{ "create", cmd_create, NEED_STORE, "create a model",
	  "usage: mlreg create NAME [-d TEXT] [-m KEY=VALUE]... [--metadata-file FILE] [--json]\n"
	  "\n"
	  "    -d, --description TEXT   the model's description\n"
	  "    -m, --metadata KEY=VALUE set a metadata key (KEY:=JSON for a typed value)\n"
	  "    --metadata-file FILE     metadata from a JSON or YAML mapping\n"
	  "    --json                   print the new model as JSON\n" },
	{ "describe", cmd_describe, NEED_STORE, "show a model and one of its versions",
	  "usage: mlreg describe NAME[@N] [--json]\n"
	  "\n"
	  "    --json                print the model, with \"version\", as JSON\n" },
	{ "download", cmd_download, NEED_STORE, "bring versions from a remote into the store",
	  "usage: mlreg download [REMOTE] [NAME[@N]...] [--all] [--json] [-q] [-j N]\n"
	  "\n"
	  "Brings NAME@N (NAME: the remote's latest version; no NAME: every model)\n"
	  "with its files, and the records of the versions before it.  REMOTE\n"
	  "defaults to 'origin', or to the only remote.\n"
	  "\n"
	  "    --all                 also the files of every earlier version\n"
	  "    --json                print a summary as JSON instead of NAME@N lines\n"
	  "    -q, --quiet           no progress meter\n"
	  "    -j, --jobs N          requests in flight at most (default 8)\n" },
	{ "export", cmd_export, NEED_STORE, "write a version as a zip or tar.gz artifact archive",
	  "usage: mlreg export NAME[@N] [--format zip|tar.gz] -o FILE|-\n"
	  "\n"
	  "    --format FORMAT       zip or tar.gz (default: from FILE's extension)\n"
	  "    -o, --output FILE     the archive to write (a regular file); - for stdout\n"
	  "    -f, --force           write to stdout even when it is a terminal\n" },
	{ "fsck", cmd_fsck, NEED_STORE, "verify the objects and records of the store",
	  "usage: mlreg fsck [--json]\n"
	  "\n"
	  "    --json                print {\"problems\": [...]} instead of lines\n" },
	{ "help", cmd_help, 0, "show help for mlreg or a command",
	  "usage: mlreg help [COMMAND]\n" },
	{ "import", cmd_import, NEED_STORE, "register a model from an MLX model YAML, .tar.gz or URL",
	  "usage: mlreg import FILE|URL [--name NAME] [--message TEXT] [--json]\n"
	  "\n"
	  "    --name NAME           the model name (default: the spec's model_identifier)\n"
	  "    --message TEXT        the version's message\n"
	  "    --json                print the version as JSON instead of NAME@N\n" },
	{ "init", cmd_init, 0, "create a store",
	  "usage: mlreg init [DIR]\n"
	  "\n"
	  "Creates DIR/.mlreg (DIR defaults to the current directory), or the store\n"
	  "named by --store or MLREG_DIR when DIR is not given.\n" },
	{ "inspect", cmd_inspect, 0, "read model files: format, details, signatures",
	  "usage: mlreg inspect FILE... [--json]\n"
	  "\n"
	  "    --json                print an array of inspection objects\n" },
	{ "list", cmd_list, NEED_STORE, "list models",
	  "usage: mlreg list [--sort-by KEY] [--order-by asc|desc] [--name SUBSTR]\n"
	  "                  [--description SUBSTR] [--remote REMOTE] [--json]\n"
	  "\n"
	  "    --sort-by KEY         name (default), description, creation_time or\n"
	  "                          last_updated_time\n"
	  "    --order-by ORDER      asc (default) or desc\n"
	  "    --name SUBSTR         only models whose name contains SUBSTR\n"
	  "    --description SUBSTR  only models whose description contains SUBSTR\n"
	  "    --remote REMOTE       the models of a remote (nothing is downloaded)\n"
	  "    --json                print an array of model objects\n" },
	{ "list-versions", cmd_list_versions, NEED_STORE, "list a model's versions, newest first",
	  "usage: mlreg list-versions NAME [--remote REMOTE] [--json]\n"
	  "\n"
	  "    --remote REMOTE       the versions on a remote (no file is downloaded)\n"
	  "    --json                print an array of version objects\n" },
	{ "metadata", cmd_metadata, NEED_STORE, "show or change a model's metadata",
	  "usage: mlreg metadata NAME [--add KEY=VALUE]... [--add-file FILE] [--remove KEY]...\n"
	  "                      [--json]\n"
	  "\n"
	  "    --add KEY=VALUE       set a top-level key (KEY:=JSON for a typed value)\n"
	  "    --add-file FILE       merge the top-level keys of a JSON or YAML mapping\n"
	  "    --remove KEY          delete a top-level key\n"
	  "    --json                print the resulting metadata\n" },
	{ "register", cmd_register, NEED_STORE, "store files as the next version of a model",
	  "usage: mlreg register NAME PATH... [-m KEY=VALUE]... [--message TEXT]\n"
	  "                      [--framework NAME[:VERSION]] [--metrics-file FILE]\n"
	  "                      [--hparams-file FILE] [--spec FILE] [--contract FILE]\n"
	  "                      [--create] [--json] [-q]\n"
	  "\n"
	  "    -m, --metadata KEY=VALUE  set version metadata (KEY:=JSON for a typed value)\n"
	  "    --message TEXT            describe the version\n"
	  "    --framework NAME[:VER]    the framework that made the model\n"
	  "    --metrics-file FILE       metrics from a JSON or YAML mapping\n"
	  "    --hparams-file FILE       hyperparameters from a JSON or YAML mapping\n"
	  "    --spec FILE               an MLX model YAML (trainable/servable), kept with the version\n"
	  "    --contract FILE           a Hydrosphere contract (else serving.yaml, else inferred)\n"
	  "    --create                  create the model if it does not exist\n"
	  "    --json                    print the version as JSON instead of NAME@N\n"
	  "    -q, --quiet               no progress bar\n" },
	{ "remote", cmd_remote, NEED_STORE, "add, list or remove remotes",
	  "usage: mlreg remote [list] [-v] [--json]\n"
	  "   or: mlreg remote add NAME URL [--endpoint URL] [--region REGION]\n"
	  "                        [--profile PROFILE] [--[no-]path-style]\n"
	  "   or: mlreg remote remove|rm NAME\n"
	  "\n"
	  "URL is s3://BUCKET[/PREFIX] or file:///PATH.\n"
	  "\n"
	  "    -v, --verbose         list URLs and settings too\n"
	  "    --json                print the remotes as JSON\n"
	  "    --endpoint URL        an S3-compatible server (default: AWS, or\n"
	  "                          $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL)\n"
	  "    --region REGION       the bucket's region (default: $AWS_REGION...)\n"
	  "    --profile PROFILE     the AWS profile holding the credentials\n"
	  "    --path-style          address the bucket in the path, not the host name\n"
	  "                          (the default with --endpoint or an IP address)\n"
	  "    --no-path-style       address it in the host name (BUCKET.HOST)\n" },
	{ "template", cmd_template, 0, "print an MLX model spec skeleton for a repository",
	  "usage: mlreg template trainable|servable [DIR]\n" },
	{ "upload", cmd_upload, NEED_STORE, "send versions the remote lacks",
	  "usage: mlreg upload [REMOTE] [NAME[@N]...] [--json] [-q] [-j N]\n"
	  "\n"
	  "Sends versions 1..N of NAME (NAME: all of them; no NAME: every model)\n"
	  "that the remote lacks: objects first, then version records, then the\n"
	  "model records.  REMOTE defaults to 'origin', or to the only remote.\n"
	  "\n"
	  "    --json                print a summary as JSON instead of NAME@N lines\n"
	  "    -q, --quiet           no progress meter\n"
	  "    -j, --jobs N          requests in flight at most (default 8)\n" },
	{ "validate", cmd_validate, TRY_STORE, "run a version's, a directory's or an archive's checks",
	  "usage: mlreg validate NAME[@N]|PATH [--spec FILE] [--contract FILE] [--json]\n"
	  "\n"
	  "    PATH                  files, a directory, or a .zip/.tar.gz artifact\n"
	  "    --spec FILE           also validate an MLX model YAML\n"
	  "    --contract FILE       also validate a Hydrosphere model definition\n"
	  "    --json                print the report as JSON\n" },
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

static void main_usage(FILE *f)
{
	size_t i;

	fputs("usage: mlreg [--store PATH] [--version] [-h] COMMAND [ARGS]\n"
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
		return cmd_usage_error("unknown command '%s'", argv[1]);
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
		} else if (!strcmp(a, "--store") || !strcmp(a, "-C")) {
			if (i + 1 >= argc)
				return cmd_usage_error("option '%s' needs a value", a);
			store_option = argv[++i];
		} else if (!strncmp(a, "--store=", 8)) {
			store_option = a + 8;
		} else {
			return cmd_usage_error("unknown option '%s'", a);
		}
	}
	if (i >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!(c = cmd_lookup(argv[i])))
		return cmd_usage_error("unknown command '%s'", argv[i]);
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
