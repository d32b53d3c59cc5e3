/*
 * The mlreg tool: a thin layer over lib/ that parses arguments, prints and
 * chooses exit codes.
 *
 * Adding a command FOO (lib/README has the other checklists):
 *   1. cmd/FOO.c defines int cmd_FOO(int argc, char **argv, struct mlreg_store *store)
 *      and, beside its struct option table and cmd_getopt() string,
 *      const char cmd_FOO_usage[] (what 'mlreg FOO -h' prints);
 *   2. declare both below and add FOO, alphabetically, to commands[] in
 *      cmd/main.c with its flags (NEED_STORE...), summary and usage;
 *   3. the Makefile picks every cmd file up by itself;
 *   4. a test t/tNNNN-FOO.t for its success and failure paths;
 *   5. a man page man/mlreg-FOO.1 (each option an .It line) and a line in
 *      man/mlreg.1;
 *   6. its options in contrib/completion/mlreg.bash (_mlreg_opts, and
 *      _mlreg_takes_arg for those taking a value), in the zsh completion
 *      contrib/completion/_mlreg (an _mlreg_cmd_FOO function and an entry
 *      in _mlreg_commands) and in the fish one, contrib/completion/mlreg.fish.
 * t/t0020-options.t fails when an option is missing from the usage, the man
 * page or the completion; a file serving several commands (transfer.c) is
 * listed in its FILES table.
 * Progress on stderr goes through cmd/progress.h, never a meter of its own.
 */
#ifndef MLREG_CMD_H
#define MLREG_CMD_H

#include <getopt.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "checkout.h"
#include "doc.h"
#include "error.h"
#include "lifecycle.h"
#include "name.h"
#include "registry.h"
#include "store.h"
#include "util.h"

/* Exit codes, as git's. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_FATAL 128
#define EXIT_USAGE 129

#define NEED_STORE 1	/* main() opens the store before calling the command */
#define TRY_STORE 2	/* main() opens the store when there is one, else passes NULL */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct mlreg_store *store);
	unsigned flags;
	const char *summary;	/* one line for 'mlreg help' */
	const char *usage;	/* synopsis and options for 'mlreg CMD -h' */
};

extern const struct cmd *current_cmd;
extern const char *store_option;	/* --store PATH, or NULL */

int cmd_alias(int argc, char **argv, struct mlreg_store *store);
int cmd_checkout(int argc, char **argv, struct mlreg_store *store);
int cmd_create(int argc, char **argv, struct mlreg_store *store);
int cmd_delete(int argc, char **argv, struct mlreg_store *store);
int cmd_deprecate(int argc, char **argv, struct mlreg_store *store);
int cmd_describe(int argc, char **argv, struct mlreg_store *store);
int cmd_diff(int argc, char **argv, struct mlreg_store *store);
int cmd_download(int argc, char **argv, struct mlreg_store *store);
int cmd_export(int argc, char **argv, struct mlreg_store *store);
int cmd_fsck(int argc, char **argv, struct mlreg_store *store);
int cmd_gc(int argc, char **argv, struct mlreg_store *store);
int cmd_help(int argc, char **argv, struct mlreg_store *store);
int cmd_import(int argc, char **argv, struct mlreg_store *store);
int cmd_inspect(int argc, char **argv, struct mlreg_store *store);
int cmd_init(int argc, char **argv, struct mlreg_store *store);
int cmd_list(int argc, char **argv, struct mlreg_store *store);
int cmd_list_versions(int argc, char **argv, struct mlreg_store *store);
int cmd_metadata(int argc, char **argv, struct mlreg_store *store);
int cmd_register(int argc, char **argv, struct mlreg_store *store);
int cmd_remote(int argc, char **argv, struct mlreg_store *store);
int cmd_rename(int argc, char **argv, struct mlreg_store *store);
int cmd_search(int argc, char **argv, struct mlreg_store *store);
int cmd_template(int argc, char **argv, struct mlreg_store *store);
int cmd_undeprecate(int argc, char **argv, struct mlreg_store *store);
int cmd_upload(int argc, char **argv, struct mlreg_store *store);
int cmd_validate(int argc, char **argv, struct mlreg_store *store);

/*
 * Each command's usage text ('mlreg CMD -h': synopsis and options), defined
 * in the command's file beside the options it parses, so that an option is
 * added in one place (t/t0020-options.t checks the usage, man page and
 * completion against the option tables).
 */
extern const char cmd_alias_usage[], cmd_deprecate_usage[], cmd_checkout_usage[], cmd_create_usage[], cmd_describe_usage[],
	cmd_diff_usage[], cmd_download_usage[], cmd_export_usage[], cmd_fsck_usage[], cmd_import_usage[],
	cmd_init_usage[], cmd_inspect_usage[], cmd_list_usage[], cmd_list_versions_usage[],
	cmd_metadata_usage[], cmd_register_usage[], cmd_remote_usage[], cmd_upload_usage[],
	cmd_validate_usage[], cmd_search_usage[];
extern const char cmd_gc_usage[];
extern const char cmd_rename_usage[];
extern const char cmd_delete_usage[];

/* Returns the command named name, or NULL. */
const struct cmd *cmd_lookup(const char *name);

/* Prints the usage of c on f. */
void cmd_print_usage(const struct cmd *c, FILE *f);

/*
 * Returns the exit code for the library's last error (code err) after
 * printing its message as one line: "error: ..." (1, 129) or "fatal: ..." (128).
 */
int cmd_fail(int err);

/* Prints "error: <formatted> (see 'mlreg CMD -h')" and returns EXIT_USAGE. */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long() that reports unknown options (with the closest one when it
 * is close: "did you mean") and missing arguments as one line, and takes a
 * long option only spelled in full (never an abbreviation); returns the option, -1 at the end, or '?' after printing the error
 * (the caller returns EXIT_USAGE).  -h/--help is returned as 'h'.
 */
int cmd_getopt(int argc, char **argv, const char *optstring, const struct option *longopts);

/*
 * Returns the one of the n names closest to word (git's "did you mean"):
 * the only name word abbreviates, else the nearest by edit distance when
 * it is close enough for the length of word and no other is as near; NULL
 * when none is.
 */
const char *cmd_suggest(const char *word, const char *const *names, size_t n);

/* Prints item as indented JSON plus a newline on stdout (exact: see cmd/util.c). */
void cmd_print_json(const cJSON *item);

/*
 * printf() to stdout for people: every %s argument is printed through
 * mlreg_quote() (text.h): unchanged when it is plain text, else in double
 * quotes with C escapes ("a\nb", "\033]0;x\a"), as git prints unusual
 * paths; a precision (%.*s) cuts the value before it is quoted.  The format
 * itself is trusted.
 */
void cmd_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints lead (as it is: "error: ") then msg and a newline on f, msg's
 * control characters escaped (text.h) without quotes: for messages, which
 * quote their own subjects.
 */
void cmd_print_message(FILE *f, const char *lead, const char *msg);

/*
 * Human output leaves only through the functions above, so a value cannot
 * reach the terminal unescaped by accident: as git's banned.h does, the
 * functions that print to stdout are banned in cmd/ (a use fails to
 * compile, naming the function).  fprintf() and fputs() stay, for stderr's
 * progress lines (with values quoted by mlreg_quote()) and fixed texts.  A
 * file that writes a document of its own making (template's YAML) or the
 * printing layer itself defines CMD_PRINTING_LAYER before including this
 * header, and answers for it.
 */
#ifndef CMD_PRINTING_LAYER
#define CMD_BANNED(func) sorry_##func##_is_banned_in_cmd_use_cmd_printf
#undef printf
#define printf(...) CMD_BANNED(printf)
#undef vprintf
#define vprintf(...) CMD_BANNED(vprintf)
#undef puts
#define puts(...) CMD_BANNED(puts)
#undef putchar
#define putchar(...) CMD_BANNED(putchar)
#endif

/*
 * Returns 0 and in *out a new object made from a JSON/YAML mapping file (when
 * file is not NULL) with each "KEY=VALUE" / "KEY:=JSON" of kv set on top; an
 * exit code after printing the error otherwise.
 */
int cmd_build_object(cJSON **out, const char *file, char **kv, size_t nkv);

/*
 * Returns EXIT_OK after resolving spec (NAME, NAME@N, NAME@ALIAS,
 * NAME@latest: lifecycle.h) to *name (malloc'd) and *n; an exit code after
 * printing the error otherwise.  With warn, a deprecated version gets a
 * "warning: NAME@N is deprecated" line on stderr.
 */
int cmd_resolve(const struct mlreg_store *store, const char *spec, char **name, long *n,
		int warn);

/*
 * Prints version (a version object) as cmd_print_json() does, with the
 * "aliases" and "deprecated" members describe and list-versions give it.
 */
void cmd_print_version_json(const struct mlreg_store *store, cJSON *version);

/*
 * Prints what register and import registered (cmd/register.c): NAME@N or
 * the --json object (with "unchanged" when if_changed), and the notice of
 * an unchanged version on stderr unless quiet.
 */
void cmd_print_registered(const struct mlreg_store *store, cJSON *version,
			  const char *name, int json, int if_changed, int unchanged, int quiet);

/* Prints "warning: msg" on stderr (a warn callback of the library). */
void cmd_warn(void *ctx, const char *msg);

/* Returns a string column from a record, "" when absent. */
const char *cmd_str(const cJSON *obj, const char *key);

/*
 * A query over version records (list-versions and search, in
 * cmd/list-versions.c): the --filter expressions (ANDed), --sort-by,
 * --order-by, --limit, --columns and --json shared by both commands.
 */
struct mlreg_filter;
struct cmd_query {
	struct mlreg_filter **filters;	/* all must match */
	size_t nfilters, capfilters;
	const char *sort_by;		/* NULL: newest first, streamed */
	int order;			/* 0 not given, 1 asc, 2 desc */
	long limit;			/* -1: no limit */
	char **columns;			/* from --columns, checked */
	size_t ncolumns;
	int json;
	int search;			/* print NAME@N rows (search) */
	int deleted;			/* list deleted versions (tombstones) too */
};
#define CMD_QUERY_INIT { NULL, 0, 0, NULL, 0, -1, NULL, 0, 0, 0, 0 }
enum { CMD_OPT_FILTER = 512, CMD_OPT_SORT_BY, CMD_OPT_ORDER_BY, CMD_OPT_LIMIT,
       CMD_OPT_COLUMNS };

/*
 * Returns 0 after taking option c (a CMD_OPT_*) with argument arg into q;
 * an exit code after printing the error.
 */
int cmd_query_option(struct cmd_query *q, int c, const char *arg);

/*
 * Returns an exit code after printing the versions of the models in names
 * (n of them; all models' versions with q->search) that q selects, or,
 * with remote_list (an array of one model's version records, newest first),
 * those of that array.
 */
int cmd_query_run(struct cmd_query *q, struct mlreg_store *store, char **names, size_t n,
		  const cJSON *remote_list);

/* Frees what q holds. */
void cmd_query_release(struct cmd_query *q);

#endif
