#!/bin/sh
test_description='every option a command parses is in its usage, its man page
and the bash completion: the options are read from the option tables and
the getopt strings of cmd/*.c, so a new option that one of the three lacks
fails here'
. "$(dirname "$0")/lib.sh"

TOP=$TEST_DIRECTORY/..

# options.py list CMDDIR: prints "COMMAND OPTION ARG" for every option of
# every command (ARG 1 when it takes a value, else 0), read from each
# cmd/FILE.c: the long names of its "struct option" tables and the letters
# of its cmd_getopt() strings ("m:q": -m takes a value, -q does not).
# FILE.c is command FILE, but for the files below.
# options.py check WHAT ...: reads "COMMAND OPTION ARG" lines on stdin and
# prints those missing from WHAT, which is
#   usage DIR     DIR/COMMAND holds 'mlreg COMMAND -h'
#   man MANDIR    an .It line of MANDIR/mlreg-COMMAND.1 has "Fl OPTION"
#   completion F  _mlreg_opts of F offers OPTION for COMMAND (or COMMAND:SUB)
#   takes-arg F   _mlreg_takes_arg of F knows that OPTION takes a value
cat >options.py <<\EOF
import os, re, sys

FILES = {
	"transfer": ["upload", "download"],	# cmd_sync, for both
	"deprecate": ["deprecate", "undeprecate"],
	"main": [], "util": [], "progress": [],	# no command of their own
}
ONLY = {("upload", "--all"): "download's only: cmd_sync refuses it for upload"}


def options(cmddir):
	for f in sorted(os.listdir(cmddir)):
		if not f.endswith(".c"):
			continue
		src = open(os.path.join(cmddir, f)).read()
		cmds = FILES.get(f[:-2], [f[:-2]])
		found = set()
		for table in re.findall(r"struct option \w+\[\] = \{(.*?)\n\s*\};", src, re.S):
			for name, arg in re.findall(r'\{ "([a-z0-9-]+)", (\w+)_argument', table):
				found.add(("--" + name, int(arg != "no")))
		for spec in re.findall(r'cmd_getopt\(argc, argv, "([^"]*)"', src):
			for letter, colon in re.findall(r"([A-Za-z0-9])(:?)", spec):
				found.add(("-" + letter, int(colon == ":")))
		for c in cmds:
			for opt, arg in sorted(found):
				if (c, opt) not in ONLY:
					print(c, opt, arg)


def body(path, func):
	text = open(path).read()
	start = text.index(func + "()")
	return text[start:text.index("\n}", start)]


def mentions(text, opt):
	return re.search(r"(^|[\s,\[|(=\"])" + re.escape(opt) + r"($|[\s,\]|=.\"])",
			 text, re.M) is not None


def check(what, where):
	if what == "completion":
		offered = {}
		for pats, opts in re.findall(r'^\s*([a-z:*| -]+)\) echo "([^"]*)"',
					     body(where, "_mlreg_opts"), re.M):
			for p in pats.split("|"):
				offered.setdefault(p.strip().split(":")[0], []).append(opts)
	if what == "takes-arg":
		known = set(re.findall(r"([a-z*-]+:-[-a-z0-9]+)",
				       body(where, "_mlreg_takes_arg")))
	missing = 0
	for line in sys.stdin:
		cmd, opt, arg = line.split()
		if what == "usage":
			ok = mentions(open(os.path.join(where, cmd)).read(), opt)
		elif what == "man":
			page = os.path.join(where, "mlreg-%s.1" % cmd)
			its = [l for l in open(page) if l.startswith(".It ")]
			ok = any(re.search(r"\bFl " + re.escape(opt[1:]) + r"(\s|$)", l)
				 for l in its)
		elif what == "completion":
			ok = any(mentions(o, opt) for o in offered.get(cmd, []))
		else:
			ok = arg == "0" or cmd + ":" + opt in known or "*:" + opt in known
		if not ok:
			print("missing from %s: mlreg %s %s" % (what, cmd, opt))
			missing += 1
	return 1 if missing else 0


if sys.argv[1] == "list":
	options(sys.argv[2])
else:
	sys.exit(check(sys.argv[2], sys.argv[3]))
EOF

test_expect_success 'setup: the options of every command, read from cmd/*.c' '
	"$PYTHON" options.py list "$TOP/cmd" >opts &&
	cut -d" " -f1 opts | sort -u >commands &&
	# the reader finds the tables: a dozen commands and their known options
	test_line_count -gt 12 commands &&
	test_line_count -gt 60 opts &&
	test_grep "^register --metrics-file 1$" opts &&
	test_grep "^register -q 0$" opts &&
	test_grep "^remote --no-path-style 0$" opts &&
	test_grep "^download --all 0$" opts &&
	test_grep "^upload --jobs 1$" opts &&
	test_grep ! "^upload --all" opts
'

test_expect_success 'every option is in the usage (mlreg COMMAND -h)' '
	mkdir usage &&
	while read -r c
	do
		mlreg "$c" -h >"usage/$c" || return 1
	done <commands &&
	"$PYTHON" options.py check usage usage <opts >missing &&
	test_must_be_empty missing
'

test_expect_success 'every option is described in the man page (an .It line)' '
	"$PYTHON" options.py check man "$TOP/man" <opts >missing &&
	test_must_be_empty missing
'

test_expect_success 'the bash completion offers every option' '
	"$PYTHON" options.py check completion "$TOP/contrib/completion/mlreg.bash" \
		<opts >missing &&
	test_must_be_empty missing
'

test_expect_success 'and knows which ones take a value' '
	"$PYTHON" options.py check takes-arg "$TOP/contrib/completion/mlreg.bash" \
		<opts >missing &&
	test_must_be_empty missing
'

test_expect_success 'the checks fail on an option that is missing' '
	echo "register --no-such-option 0" >fake &&
	test_must_fail "$PYTHON" options.py check usage usage <fake >missing &&
	test_grep "missing from usage: mlreg register --no-such-option" missing &&
	test_must_fail "$PYTHON" options.py check man "$TOP/man" <fake &&
	test_must_fail "$PYTHON" options.py check completion \
		"$TOP/contrib/completion/mlreg.bash" <fake &&
	echo "register --no-such-option 1" >fake &&
	test_must_fail "$PYTHON" options.py check takes-arg \
		"$TOP/contrib/completion/mlreg.bash" <fake
'

# shells.py bash F: prints "COMMAND OPTION -" for every option _mlreg_opts of
# the bash completion F offers (COMMAND:SUB counted as COMMAND).
# shells.py check zsh|fish F: reads "COMMAND OPTION ARG" lines (ARG 1 or 0
# as options.py prints them, - when unknown) and prints those that the zsh
# completion (_mlreg_cmd_COMMAND's _arguments specs: '--opt=[', {-o+,--opt=})
# or the fish one (complete ... -n '__mlreg_using COMMAND' -s O -l OPT, -x or
# -r for a value) lacks, or offers without (or with) a value wrongly.
cat >shells.py <<\EOF
import re, sys


def body(path, func):
	text = open(path).read()
	start = text.index(func + "()")
	return text[start:text.index("\n}", start)]


def bash(path):
	for pats, opts in re.findall(r'^\s*([a-z:*| -]+)\) echo "([^"]*)"',
				     body(path, "_mlreg_opts"), re.M):
		for p in pats.split("|"):
			for o in opts.split():
				print(p.strip().split(":")[0], o, "-")


def zsh(path):
	text = open(path).read()
	found = {}
	for cmd, fn in re.findall(r"^_mlreg_cmd_([a-z-]+)\(\) \{\n(.*?)\n\}", text, re.M | re.S):
		opts = found.setdefault(cmd, {})
		for group in re.findall(r"\{(-[^{}]*)\}'\[", fn):
			for item in group.split(","):
				opts[item.rstrip("=+")] = int(item[-1] in "=+")
		for opt, mark in re.findall(r"['*)](-{1,2}[A-Za-z0-9][a-z0-9-]*)([=+]?)-?\[", fn):
			opts[opt] = int(mark != "")
	return found


def fish(path):
	found = {}
	loop = None
	for line in open(path):
		line = line.strip()
		m = re.match(r"for c in (.*)", line)
		if m:
			loop = m.group(1).split()
			continue
		if line == "end":
			loop = None
			continue
		if not line.startswith("complete -c mlreg -n "):
			continue
		m = re.search(r"__mlreg_using (\$c|[a-z-]+)", line)
		if not m:
			continue
		cmds = loop if m.group(1) == "$c" else [m.group(1)]
		arg = int(re.search(r" -[xr]( |$)", line) is not None)
		names = ["-" + o for o in re.findall(r" -s ([A-Za-z0-9])", line)]
		names += ["--" + o for o in re.findall(r" -l ([a-z0-9-]+)", line)]
		for c in cmds:
			for n in names:
				found.setdefault(c, {})[n] = arg
	return found


def check(shell, path):
	found = zsh(path) if shell == "zsh" else fish(path)
	missing = 0
	for line in sys.stdin:
		cmd, opt, arg = line.split()
		got = found.get(cmd, {}).get(opt)
		if got is None:
			print("missing from %s: mlreg %s %s" % (shell, cmd, opt))
			missing += 1
		elif arg != "-" and got != int(arg):
			print("%s: mlreg %s %s should take %s" %
			      (shell, cmd, opt, "a value" if arg == "1" else "no value"))
			missing += 1
	return 1 if missing else 0


if sys.argv[1] == "bash":
	bash(sys.argv[2])
else:
	sys.exit(check(sys.argv[2], sys.argv[3]))
EOF

test_expect_success 'setup: the options the bash completion offers' '
	"$PYTHON" shells.py bash "$TOP/contrib/completion/mlreg.bash" >bash-opts &&
	test_line_count -gt 60 bash-opts &&
	test_grep "^register --metrics-file -$" bash-opts &&
	test_grep "^remote --no-path-style -$" bash-opts
'

for shell in zsh fish
do
	case $shell in
	zsh) file=$TOP/contrib/completion/_mlreg ;;
	fish) file=$TOP/contrib/completion/mlreg.fish ;;
	esac
	test_expect_success "the $shell completion offers every option of the bash one" '
		"$PYTHON" shells.py check $shell "$file" <bash-opts >missing &&
		test_must_be_empty missing
	'
	test_expect_success "the $shell completion offers every option, a value where it takes one" '
		"$PYTHON" shells.py check $shell "$file" <opts >missing &&
		test_must_be_empty missing
	'
	test_expect_success "the $shell check fails on an option missing or mistaken" '
		echo "register --no-such-option -" >fake &&
		test_must_fail "$PYTHON" shells.py check $shell "$file" <fake >missing &&
		test_grep "missing from $shell: mlreg register --no-such-option" missing &&
		echo "register --metrics-file 0" >fake &&
		test_must_fail "$PYTHON" shells.py check $shell "$file" <fake >missing &&
		test_grep "^$shell: mlreg register --metrics-file should take no value" missing &&
		echo "register --json 1" >fake &&
		test_must_fail "$PYTHON" shells.py check $shell "$file" <fake
	'
done

test_expect_success 'upload refuses --all, which only download has' '
	mlreg init &&
	test_fails 129 "^error: unknown option .--all. (see .mlreg upload -h.)$" \
		mlreg upload --all
'

test_done
