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

test_expect_success 'upload refuses --all, which only download has' '
	mlreg init &&
	test_fails 129 "^error: unknown option .--all. (see .mlreg upload -h.)$" \
		mlreg upload --all
'

test_done
