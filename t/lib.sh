# t/lib.sh: the test library of mlreg, sourced by every t/tNNNN-*.t script.
#
# Modelled on git's t/test-lib.sh at mblaze's scale.  A script sets
# test_description, sources this file, runs test_expect_success and friends
# and ends with test_done.  Each script gets its own scratch directory
# ($SCRATCH, which is also $HOME and the working directory of every test)
# under ${TMPDIR:-/tmp}, removed at the end unless a test failed or
# MLREG_TEST_KEEP=1.  Standard output is pure TAP for prove(1); what the
# tests' commands print goes to stderr with -v, and is otherwise shown only
# when a test fails.
#
# Options:  -v, --verbose    show the commands' output on stderr
#           -x               trace the test bodies (set -x), implies -v
#           -i, --immediate  stop at the first failing test
#           -d, --debug      keep the scratch directory
# Environment:  MLREG=PATH        the binary to test (default: ../mlreg)
#               MLREG_TEST_KEEP=1 keep the scratch directory
#               PYTHON=PATH       python3 used to read JSON
#
# This file is POSIX sh (the scripts run under dash as well as bash).

test_verbose_= test_trace_= test_immediate_= test_keep_=${MLREG_TEST_KEEP:-}
while test $# -gt 0
do
	case $1 in
	-v|--verbose) test_verbose_=t ;;
	-x) test_trace_=t test_verbose_=t ;;
	-i|--immediate) test_immediate_=t ;;
	-d|--debug) test_keep_=1 ;;
	-h|--help)
		printf 'usage: %s [-v] [-x] [-i] [-d]\n' "$0"
		exit 0 ;;
	*)
		printf 'error: unknown test option %s\n' "$1" >&2
		exit 1 ;;
	esac
	shift
done

# Where the scripts and the binary are; resolved before we leave the cwd.
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd -P) || exit 1
TEST_NAME=$(basename "$0" .t)
MLREG_BIN=${MLREG:-$TEST_DIRECTORY/../mlreg}
case $MLREG_BIN in
/*) ;;
*) MLREG_BIN=$(pwd -P)/$MLREG_BIN ;;
esac
if ! test -f "$MLREG_BIN" || ! test -x "$MLREG_BIN"
then
	printf 'Bail out! no mlreg binary at %s (run make first)\n' "$MLREG_BIN"
	exit 1
fi
PYTHON=${PYTHON:-/usr/bin/python3}
test -x "$PYTHON" || PYTHON=$(command -v python3) || {
	printf 'Bail out! the tests need python3\n'
	exit 1
}

# A clean environment: no MLREG_* (nor git's own variables) from the caller,
# C locale, UTC, and a known identity for git.
for test_var_ in $(env | sed -n 's/^\(MLREG_[A-Za-z0-9_]*\)=.*/\1/p')
do
	unset "$test_var_"
done
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_CONFIG GIT_CONFIG_PARAMETERS \
	GIT_CONFIG_COUNT GIT_NAMESPACE GIT_PREFIX XDG_CONFIG_HOME COLUMNS \
	CDPATH MLREG_DIR
LC_ALL=C LANG=C TZ=UTC
GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL=author@example.com
GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL=committer@example.com
GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 EDITOR=: PAGER=cat
export LC_ALL LANG TZ GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME \
	GIT_COMMITTER_EMAIL GIT_CONFIG_NOSYSTEM GIT_TERMINAL_PROMPT EDITOR PAGER
umask 022

# The scratch directory.  Its name holds a space, as git's "trash directory"
# does, so that quoting mistakes in mlreg show up.  Beside it, outside the
# tests' sight: bin/ (mlreg first in PATH) and the files the library uses.
TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mlreg-$TEST_NAME.XXXXXX") || {
	printf 'Bail out! cannot create a scratch directory\n'
	exit 1
}
TEST_ROOT=$(cd "$TEST_ROOT" && pwd -P)
SCRATCH="$TEST_ROOT/trash dir"
mkdir "$SCRATCH" "$TEST_ROOT/bin" || exit 1
ln -s "$MLREG_BIN" "$TEST_ROOT/bin/mlreg" || exit 1
PATH="$TEST_ROOT/bin:$PATH"
HOME=$SCRATCH
MLREG_DIR="$SCRATCH/.mlreg"
GIT_CEILING_DIRECTORIES=$TEST_ROOT
export PATH HOME MLREG_DIR GIT_CEILING_DIRECTORIES
OUT="$TEST_ROOT/stdout"		# test_fails keeps the command's output here
ERR="$TEST_ROOT/stderr"
test_output_="$TEST_ROOT/test-output"
SQ="'"
LF='
'
cd "$SCRATCH" || exit 1

test_count=0 test_success=0 test_failure=0 test_fixed=0 test_broken=0
test_skipped=0 test_prereqs_=' '

# fd 5 is the TAP stream (our stdout), fd 6 the caller's stderr.
exec 5>&1 6>&2

test_cleanup_dir_ () {
	cd / &&
	chmod -R u+rwx "$TEST_ROOT" 2>/dev/null
	rm -rf "$TEST_ROOT"
}

# test_atexit COMMANDS: run COMMANDS once when the script ends, however it
# ends (test_done, a BUG, an unexpected exit, INT or TERM), before the
# scratch directory goes; last registered, first run; their output goes to
# stderr.  For what outlives a test, e.g. the servers of t/lib-s3.sh.
test_atexit_=
test_atexit () {
	test_atexit_="{ $*
		}; $test_atexit_"
}

test_run_atexit_ () {
	test_ra_=$test_atexit_
	test_atexit_=
	test -z "$test_ra_" || eval "$test_ra_" </dev/null >&6 2>&6
}

test_unexpected_exit_ () {
	test_code_=$?
	test_run_atexit_
	printf 'error: %s exited unexpectedly with code %s (scratch kept in %s)\n' \
		"$0" "$test_code_" "$TEST_ROOT" >&6
	exit 1
}
trap 'test_unexpected_exit_' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# say MESSAGE: a TAP comment line.
say () {
	printf '# %s\n' "$*" >&5
}

# BUG MESSAGE: a mistake in a test script itself.
BUG () {
	trap - EXIT
	test_run_atexit_
	printf 'Bail out! BUG in %s: %s\n' "$0" "$*" >&5
	exit 1
}

# test_set_prereq NAME: from now on, tests needing NAME run.
test_set_prereq () {
	test_prereqs_="$test_prereqs_$1 "
}

# test_have_prereq A,B,!C: true when A and B are set and C is not.
test_have_prereq () {
	test_hp_ok_=0
	test_hp_save_=$IFS
	IFS=,
	for test_hp_p_ in $1
	do
		case $test_hp_p_ in
		!*)
			case $test_prereqs_ in
			*" ${test_hp_p_#!} "*) test_hp_ok_=1 ;;
			esac ;;
		*)
			case $test_prereqs_ in
			*" $test_hp_p_ "*) ;;
			*) test_hp_ok_=1 ;;
			esac ;;
		esac
	done
	IFS=$test_hp_save_
	return $test_hp_ok_
}

if test "$(id -u)" = 0
then
	test_set_prereq ROOT
else
	test_set_prereq SANITY	# chmod 000 makes a file unreadable
fi

# test_when_finished COMMANDS: run COMMANDS after the current test, whether
# it passes or fails (last registered, first run).
test_when_finished () {
	test_cleanup_="{ $*
		} && (exit \"\$test_eval_ret_\"); test_eval_ret_=\$?; $test_cleanup_"
}

test_eval_inner_ () {
	if test -n "$test_trace_"
	then
		set -x
	fi
	eval "$1"
	test_eval_ret_=$?
	set +x
	return $test_eval_ret_
}

# test_run_ BODY: evaluates BODY in this shell (as git does, so a test can set
# variables and prerequisites for later ones), stdin from /dev/null, output to
# stderr (-v) or to $test_output_; then runs the cleanups and returns to
# $SCRATCH.  Returns BODY's status.
test_run_ () {
	test_cleanup_=:
	cd "$SCRATCH"
	if test -n "$test_verbose_"
	then
		test_eval_inner_ "$1" </dev/null >&6 2>&6
		test_eval_ret_=$?
		eval "$test_cleanup_" </dev/null >&6 2>&6
	else
		test_eval_inner_ "$1" </dev/null >"$test_output_" 2>&1
		test_eval_ret_=$?
		eval "$test_cleanup_" </dev/null >>"$test_output_" 2>&1
	fi
	cd "$SCRATCH"
	return $test_eval_ret_
}

# test_show_failure_ TITLE BODY: the failing commands as TAP comments and,
# unless -v already showed it, what they printed on stderr for prove.
test_show_failure_ () {
	printf '%s\n' "$2" | sed -e 's/^/#	/' >&5
	if test -z "$test_verbose_" && test -s "$test_output_"
	then
		printf '%s: output of failed test %d - %s:\n' \
			"$TEST_NAME" "$test_count" "$1" >&6
		tail -n 40 "$test_output_" | sed -e 's/^/	/' >&6
	fi
}

test_parse_args_ () {
	test_prereq_=
	if test $# = 3
	then
		test_prereq_=$1
		shift
	fi
	test $# = 2 || BUG "test_expect_* needs 2 or 3 arguments, got $#: $*"
	test_title_=$1
	test_body_=$2
}

# test_skip_if_missing_: true (and prints the skip line) when a prerequisite
# of the current test is missing.
test_skip_if_missing_ () {
	if test -n "$test_prereq_" && ! test_have_prereq "$test_prereq_"
	then
		test_skipped=$((test_skipped + 1))
		printf 'ok %d # skip %s (missing %s)\n' \
			"$test_count" "$test_title_" "$test_prereq_" >&5
		return 0
	fi
	return 1
}

# test_expect_success [PREREQ] TITLE BODY: BODY ("-" reads it from stdin,
# e.g. a <<-\EOF here-document, which may hold single quotes) must succeed.
test_expect_success () {
	test_parse_args_ "$@"
	test "x$test_body_" = x- && test_body_=$(cat)
	test_count=$((test_count + 1))
	test_skip_if_missing_ && return 0
	if test_run_ "$test_body_"
	then
		test_success=$((test_success + 1))
		printf 'ok %d - %s\n' "$test_count" "$test_title_" >&5
	else
		test_failure=$((test_failure + 1))
		printf 'not ok %d - %s\n' "$test_count" "$test_title_" >&5
		test_show_failure_ "$test_title_" "$test_body_"
		if test -n "$test_immediate_"
		then
			test_keep_=1
			test_done
		fi
	fi
}

# test_expect_failure [PREREQ] TITLE BODY: a known breakage: BODY is expected
# to fail, reported as TAP TODO.
test_expect_failure () {
	test_parse_args_ "$@"
	test "x$test_body_" = x- && test_body_=$(cat)
	test_count=$((test_count + 1))
	test_skip_if_missing_ && return 0
	if test_run_ "$test_body_"
	then
		test_fixed=$((test_fixed + 1))
		printf 'ok %d - %s # TODO known breakage vanished\n' \
			"$test_count" "$test_title_" >&5
	else
		test_broken=$((test_broken + 1))
		printf 'not ok %d - %s # TODO known breakage\n' \
			"$test_count" "$test_title_" >&5
	fi
}

# test_done: the plan and the verdict; exits 0 when no test failed.
test_done () {
	trap - EXIT
	test_run_atexit_
	if test "$test_count" = 0 && test -n "$skip_all"
	then
		printf '1..0 # SKIP %s\n' "$skip_all" >&5
		test_cleanup_dir_
		exit 0
	fi
	test $test_fixed = 0 ||
		say "$test_fixed known breakage(s) vanished; please update test(s)"
	test $test_broken = 0 ||
		say "still have $test_broken known breakage(s)"
	if test $test_failure = 0
	then
		say "passed all $test_count test(s)"
		printf '1..%d\n' "$test_count" >&5
		if test -z "$test_keep_"
		then
			test_cleanup_dir_
		else
			printf '%s: scratch directory kept in %s\n' \
				"$TEST_NAME" "$TEST_ROOT" >&6
		fi
		exit 0
	fi
	say "failed $test_failure among $test_count test(s)"
	printf '1..%d\n' "$test_count" >&5
	printf '%s: scratch directory kept in %s\n' "$TEST_NAME" "$TEST_ROOT" >&6
	exit 1
}

#
# Assertions for test bodies.  Each returns non-zero and says why on stderr.
#

# test_must_fail COMMAND...: COMMAND must exit non-zero, but not crash: death
# by a signal (exit 130..192) fails, as does 127 (not found) and 126.
# mlreg's own 128 (fatal) and 129 (usage) count as ordinary failures.
test_must_fail () {
	"$@"
	test_mf_code_=$?
	if test $test_mf_code_ = 0
	then
		printf 'test_must_fail: command succeeded: %s\n' "$*" >&2
		return 1
	elif test $test_mf_code_ -gt 129 && test $test_mf_code_ -le 192
	then
		printf 'test_must_fail: died by signal %d: %s\n' \
			$((test_mf_code_ - 128)) "$*" >&2
		return 1
	elif test $test_mf_code_ = 127 || test $test_mf_code_ = 126
	then
		printf 'test_must_fail: command not found or not runnable: %s\n' \
			"$*" >&2
		return 1
	fi
	return 0
}

# test_expect_code CODE COMMAND...: COMMAND must exit with CODE.
test_expect_code () {
	test_ec_want_=$1
	shift
	"$@"
	test_ec_got_=$?
	test "$test_ec_got_" = "$test_ec_want_" && return 0
	printf 'test_expect_code: exit %s, wanted %s: %s\n' \
		"$test_ec_got_" "$test_ec_want_" "$*" >&2
	return 1
}

# test_cmp EXPECTED ACTUAL
test_cmp () {
	diff -u "$@"
}

# test_grep [!] [GREP-OPTIONS] PATTERN FILE: FILE has (or, with !, has no)
# a line matching PATTERN; otherwise shows FILE.
test_grep () {
	test_grep_neg_=
	if test "x$1" = "x!"
	then
		test_grep_neg_=t
		shift
	fi
	test $# -ge 2 || BUG "test_grep needs a pattern and a file"
	eval "test_grep_file_=\${$#}"
	test -f "$test_grep_file_" || {
		printf 'test_grep: no file %s\n' "$test_grep_file_" >&2
		return 1
	}
	grep "$@" >/dev/null
	test_grep_rc_=$?
	if test -z "$test_grep_neg_" && test $test_grep_rc_ = 0
	then
		return 0
	elif test -n "$test_grep_neg_" && test $test_grep_rc_ = 1
	then
		return 0
	fi
	if test -n "$test_grep_neg_"
	then
		printf 'test_grep: unexpected match for: %s\n' "$*" >&2
	else
		printf 'test_grep: no match for: %s\n' "$*" >&2
	fi
	printf 'test_grep: %s holds:\n' "$test_grep_file_" >&2
	sed -e 's/^/| /' "$test_grep_file_" >&2
	return 1
}

# test_line_count OP N FILE: e.g. test_line_count = 3 out
test_line_count () {
	test $# = 3 || BUG "test_line_count needs 3 arguments"
	test_lc_n_=$(wc -l <"$3") || return 1
	test "$test_lc_n_" "$1" "$2" && return 0
	printf 'test_line_count: %s has %s lines, wanted %s %s:\n' \
		"$3" "$test_lc_n_" "$1" "$2" >&2
	sed -e 's/^/| /' "$3" >&2
	return 1
}

# test_must_be_empty FILE
test_must_be_empty () {
	test -f "$1" || {
		printf 'test_must_be_empty: no file %s\n' "$1" >&2
		return 1
	}
	test -s "$1" || return 0
	printf 'test_must_be_empty: %s is not empty:\n' "$1" >&2
	sed -e 's/^/| /' "$1" >&2
	return 1
}

# test_no_control_chars FILE...: no FILE holds a byte a terminal would obey
# (a C0 control but newline and tab, DEL, or a UTF-8 encoded C1 control),
# as mlreg's human output must not, whatever a record or a remote says.
test_no_control_chars () {
	"$PYTHON" - "$@" <<-\EOF
	import re, sys
	bad = 0
	for name in sys.argv[1:]:
	    data = open(name, "rb").read()
	    m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", data)
	    if m:
	        sys.stderr.write("test_no_control_chars: %s has %r at offset %d\n"
	                         % (name, m.group(0), m.start()))
	        bad = 1
	sys.exit(bad)
	EOF
}

test_path_is_file () {
	test -f "$1" && return 0
	printf 'test_path_is_file: not a file: %s\n' "$1" >&2
	return 1
}

test_path_is_dir () {
	test -d "$1" && return 0
	printf 'test_path_is_dir: not a directory: %s\n' "$1" >&2
	return 1
}

test_path_is_missing () {
	test -e "$1" || test -L "$1" || return 0
	printf 'test_path_is_missing: exists: %s\n' "$1" >&2
	ls -ld "$1" >&2
	return 1
}

# test_write_lines LINE...: one argument a line on stdout.
test_write_lines () {
	printf '%s\n' "$@"
}

#
# mlreg's own helpers.
#

# sha256_of FILE: the SHA-256 of FILE's bytes, lowercase hex.
sha256_of () {
	sha256sum <"$1" | cut -d' ' -f1
}

# object_path HEX: where the store keeps the object HEX.
object_path () {
	printf '%s/objects/%s/%s\n' "${STORE:-$MLREG_DIR}" \
		"$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-)"
}

# model_dir NAME: the store's directory of model NAME ('/' as %2F).
model_dir () {
	printf '%s/models/%s\n' "${STORE:-$MLREG_DIR}" \
		"$(printf %s "$1" | sed -e 's|/|%2F|g')"
}

# version_record NAME N: the version record file of NAME@N.
version_record () {
	printf '%s/versions/%s.json\n' "$(model_dir "$1")" "$2"
}

# flip_byte FILE OFFSET: XOR the byte at OFFSET of FILE with 1, in place:
# it always changes, whatever it was (writing a fixed byte does not when the
# byte already was that one).
flip_byte () {
	"$PYTHON" -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    if len(b) != 1:
        sys.exit("flip_byte: %s has no byte at %s" % (sys.argv[1], sys.argv[2]))
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 1]))' "$1" "$2"
}

# free_port: a TCP port on 127.0.0.1 that nobody listens on now.
free_port () {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rewrite_latest_record NAME EDIT: runs python EDIT on t, the bytes of the
# record of NAME's latest version, writes them back, and makes model.json
# name them (latest_id), so that only the checks of the record can tell.
rewrite_latest_record () {
	"$PYTHON" - "$(model_dir "$1")" "$2" <<-\EOF
	import hashlib, json, os, sys
	d, code = sys.argv[1:3]
	m = json.load(open(os.path.join(d, "model.json")))
	rec = os.path.join(d, "versions", "%d.json" % m["latest_version"])
	env = {"t": open(rec, "rb").read()}
	exec(code, env)
	open(rec, "wb").write(env["t"])
	m["latest_id"] = hashlib.sha256(env["t"]).hexdigest()
	open(os.path.join(d, "model.json"), "w").write(json.dumps(m, separators=(",", ":")) + "\n")
	EOF
}

# count_objects: how many object files the store holds.
count_objects () {
	find "${STORE:-$MLREG_DIR}/objects" -type f | wc -l | tr -d ' '
}

# store_snapshot [STORE]: everything in the store that a command could have
# changed: each path, and each regular file's checksum.  The tmp directory
# itself is left out (it may be created or emptied at will); anything left
# inside it is not.  The stat cache (statcache) is left out: a cache, which
# any register may rewrite (t1340-statcache.t checks it).
store_snapshot () {
	test_ss_dir_=${1:-${STORE:-$MLREG_DIR}}
	if ! test -d "$test_ss_dir_"
	then
		printf '(no store at %s)\n' "$test_ss_dir_"
		return 0
	fi
	(
		cd "$test_ss_dir_" &&
		find . ! -path ./tmp ! -path ./statcache -print | sort &&
		find . -type f ! -path ./statcache -exec sha256sum {} + | sort
	)
}

# test_fails CODES PATTERN COMMAND...: COMMAND must exit with one of CODES
# ("128", or alternatives such as "1|128"), print nothing on stdout and
# exactly one line on stderr, which starts with "error: " (exit 1 and 129) or
# "fatal: " (exit 128), reads as git's messages do (no capital first, no
# full stop at the end) and matches the basic regular expression PATTERN;
# and the store ($STORE or $MLREG_DIR) must be exactly as it was (as
# store_snapshot, or the function named by $test_snapshot_, sees it).  The
# output stays in $OUT and $ERR.
test_fails () {
	test $# -ge 3 || BUG "test_fails needs CODES PATTERN COMMAND..."
	test_tf_codes_=$1 test_tf_pat_=$2
	shift 2
	${test_snapshot_:-store_snapshot} >"$TEST_ROOT/snapshot.before"
	"$@" >"$OUT" 2>"$ERR"
	test_tf_got_=$?
	${test_snapshot_:-store_snapshot} >"$TEST_ROOT/snapshot.after"
	test_tf_bad_=
	case "|$test_tf_codes_|" in
	*"|$test_tf_got_|"*) ;;
	*)
		printf 'test_fails: exit %s, wanted %s: %s\n' \
			"$test_tf_got_" "$test_tf_codes_" "$*" >&2
		test_tf_bad_=t ;;
	esac
	case $test_tf_got_ in
	128) test_tf_prefix_='fatal: ' ;;
	*) test_tf_prefix_='error: ' ;;
	esac
	if test -s "$OUT"
	then
		printf 'test_fails: unexpected output on stdout:\n' >&2
		sed -e 's/^/| /' "$OUT" >&2
		test_tf_bad_=t
	fi
	test_tf_lines_=$(wc -l <"$ERR")
	test_tf_line_=$(sed -n 1p "$ERR")
	if test "$test_tf_lines_" != 1
	then
		printf 'test_fails: %s lines on stderr, wanted one\n' \
			"$test_tf_lines_" >&2
		test_tf_bad_=t
	fi
	case $test_tf_line_ in
	"$test_tf_prefix_"[A-Z]*)
		printf 'test_fails: message starts with a capital\n' >&2
		test_tf_bad_=t ;;
	*.)
		printf 'test_fails: message ends with a full stop\n' >&2
		test_tf_bad_=t ;;
	"$test_tf_prefix_"*) ;;
	*)
		printf 'test_fails: message does not start with "%s"\n' \
			"$test_tf_prefix_" >&2
		test_tf_bad_=t ;;
	esac
	if ! grep -e "$test_tf_pat_" "$ERR" >/dev/null
	then
		printf 'test_fails: message does not match: %s\n' \
			"$test_tf_pat_" >&2
		test_tf_bad_=t
	fi
	if ! diff -u "$TEST_ROOT/snapshot.before" "$TEST_ROOT/snapshot.after" >&2
	then
		printf 'test_fails: the store changed (diff above)\n' >&2
		test_tf_bad_=t
	fi
	if test -n "$test_tf_bad_"
	then
		printf 'test_fails: stderr was:\n' >&2
		sed -e 's/^/| /' "$ERR" >&2
		return 1
	fi
	return 0
}

# Fixtures: the model files that t/helpers/make-*.py write with numpy, onnx,
# torch and the like are made once and kept in $TEST_FIXTURE_CACHE, from
# which each test that asks gets a copy: importing torch alone takes
# seconds.  The cache never serves a stale file: it has a directory for each
# python3 and set of libraries (test_fixture_stamp_: their versions, paths
# and modification times) and in it one for each helper's content hash.  A
# fixture not there yet is made on first use, under a lock (flock(1), when
# there is one) so that scripts that prove runs in parallel make it once,
# and under a temporary name renamed into place so that nobody copies half
# a file.  Removing the cache is always safe; when it cannot be written,
# the helper writes into the test's file directly.  Files of many megabytes
# (the helpers' "big" kinds) are not kept: copying costs what writing does.
TEST_FIXTURE_CACHE="$TEST_DIRECTORY/.fixture-cache"
test_fixture_stamp_=

# test_fixture_stamp_dir_: sets test_fixture_dir_ to the cache's directory
# for the python3 and libraries at hand, created; fails when it cannot be.
test_fixture_stamp_dir_ () {
	if test -z "$test_fixture_stamp_"
	then
		test_fs_out_=$("$PYTHON" -c '
import os, sys
from importlib import metadata, util
print(sys.version, os.path.realpath(sys.executable), sys.path)
for n in ("numpy", "onnx", "google.protobuf", "torch", "h5py", "joblib"):
    try:
        v = metadata.version(n.replace("google.", ""))
    except metadata.PackageNotFoundError:
        v = None
    try:
        o = util.find_spec(n).origin
    except (AttributeError, ImportError, ValueError):
        o = None
    print(n, v, o, o and os.path.exists(o) and os.stat(o).st_mtime_ns)
') || return 1
		test_fixture_stamp_=$(printf '%s\n' "$test_fs_out_" |
			sha256sum | cut -c1-16) || return 1
	fi
	test_fixture_dir_="$TEST_FIXTURE_CACHE/$test_fixture_stamp_" &&
	mkdir -p "$test_fixture_dir_" 2>/dev/null
}

# test_python_imports MODULE...: true when python3 can import every MODULE
# (the answer is kept with the fixtures, for the same python3 and
# libraries).
test_python_imports () {
	test_pi_mods_=$(printf '%s,' "$@")
	test_pi_mods_=${test_pi_mods_%,}
	test_pi_file_=
	test_fixture_stamp_dir_ &&
		test_pi_file_="$test_fixture_dir_/import-$test_pi_mods_"
	if test -n "$test_pi_file_" && test -f "$test_pi_file_.yes"
	then
		return 0
	elif test -n "$test_pi_file_" && test -f "$test_pi_file_.no"
	then
		return 1
	fi
	if "$PYTHON" -c "import $test_pi_mods_" 2>/dev/null
	then
		test -z "$test_pi_file_" || : >"$test_pi_file_.yes"
		return 0
	fi
	test -z "$test_pi_file_" || : >"$test_pi_file_.no"
	return 1
}

# test_fixture HELPER KIND OUT: OUT becomes a copy of what
# t/helpers/HELPER writes for KIND (e.g. test_fixture make-onnx.py linear
# m.onnx, as "$PYTHON" t/helpers/make-onnx.py linear m.onnx would); fails
# when the helper does.
test_fixture () {
	test $# = 3 || BUG "test_fixture needs HELPER KIND OUT"
	test_fx_helper_="$TEST_DIRECTORY/helpers/$1"
	test_fx_hash_=$(sha256sum <"$test_fx_helper_" | cut -c1-16) &&
	test_fixture_stamp_dir_ &&
	test_fx_dir_="$test_fixture_dir_/$1-$test_fx_hash_" &&
	mkdir -p "$test_fx_dir_" 2>/dev/null || {
		"$PYTHON" "$test_fx_helper_" "$2" "$3"
		return
	}
	test_fx_file_="$test_fx_dir_/$2"
	test_fx_tmp_="$test_fx_file_.$$.tmp"
	if ! test -f "$test_fx_file_"
	then
		(
			command -v flock >/dev/null && flock 9
			test -f "$test_fx_file_" && exit 0
			"$PYTHON" "$test_fx_helper_" "$2" "$test_fx_tmp_" &&
			mv -f "$test_fx_tmp_" "$test_fx_file_" ||
			{ rm -f "$test_fx_tmp_"; exit 1; }
		) 9>>"$test_fx_dir_/lock" || return 1
	fi
	cp "$test_fx_file_" "$3"
}

# JSON, read with python3's json module (t/lib-json.py).
#   json_get FILE EXPR           print EXPR of the document d (strings raw,
#                                anything else as compact JSON)
#   json_assert FILE EXPR...     each EXPR must be true
#   json_equal FILE JSON         the document equals JSON (parsed)
#   json_schema KIND FILE [EXPR] check a model, described-model, version,
#                                models or versions document
#   json_edit FILE CODE          run python CODE on d and write it back
#   json_batch FILE CMD ARG... [-- CMD ARG...]...
#                                several of get EXPR, assert EXPR...,
#                                equal JSON and schema KIND [EXPR] on FILE
#                                in one python3 start-up: the same as
#                                json_CMD FILE ARG... && json_CMD ..., each
#                                run only when the ones before passed
# FILE "-" reads stdin.  python3 -S: lib-json.py needs only the standard
# library, and site's start-up would be a third of each call's time.
json_get () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" get "$@"
}
json_assert () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" assert "$@"
}
json_equal () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" equal "$@"
}
json_schema () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" schema "$@"
}
json_edit () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" edit "$@"
}
json_batch () {
	"$PYTHON" -S "$TEST_DIRECTORY/lib-json.py" batch "$@"
}
