#!/bin/sh
test_description='hostile names, records and JSON on the command line and in the store:
file names a record cannot hold are refused before anything is stored; every
reader checks records (unique, sorted, prefix-free paths, modes, strict
JSON); JSON input is never changed without a word; no control character a
record or a name holds reaches the terminal'
. "$(dirname "$0")/lib.sh"

SEEDS=$TEST_DIRECTORY/data/seeds
NL='
'
ESC=$(printf '\033')
ATTACK=$(printf '\033]0;pwned\a\033[2J')		# a title, a bell, a screen clear
ATTACK_SHOWN='\\033]0;pwned\\a\\033\[2J'		# as mlreg prints it, a grep pattern

test_expect_success 'setup' '
	mlreg init &&
	printf "weights\n" >w.bin &&
	mlreg create m
'

# Names (issue 8, item 1): nothing is stored, the name is shown escaped.

test_expect_success 'register refuses a file name with a newline, naming it escaped' '
	printf x >"a${NL}b" &&
	test_fails 128 "^fatal: cannot store .a\\\\nb.: its name holds a control character$" \
		mlreg register m "a${NL}b" &&
	test_no_control_chars "$ERR" &&
	test "$(count_objects)" = 0
'

test_expect_success 'register refuses a control character in a name inside a directory' '
	mkdir -p dir/sub && printf x >dir/ok.bin && printf y >"dir/sub/e${ATTACK}f" &&
	test_fails 128 "^fatal: cannot store .dir/sub/e${ATTACK_SHOWN}f.: its name holds a control character$" \
		mlreg register m dir &&
	test_no_control_chars "$ERR" &&
	test "$(count_objects)" = 0 &&
	test_fails 128 "^fatal: cannot store .dir/sub/e${ATTACK_SHOWN}f.: its name holds a control character$" \
		mlreg validate dir &&
	test_no_control_chars "$ERR"
'

test_expect_success 'register refuses a name that is not UTF-8' '
	printf x >"$(printf "caf\351")" &&
	test_fails 128 "^fatal: cannot store .caf\\\\351.: its name is not valid UTF-8$" \
		mlreg register m "$(printf "caf\351")"
'

test_expect_success 'register refuses a file and a directory of one name' '
	mkdir -p two/a && printf 1 >two/a/b && printf 2 >a &&
	test_fails 128 "^fatal: cannot store these files together: both .a. and .a/b. are listed (a file cannot also be a directory)$" \
		mlreg register m a two
'

test_expect_success 'register refuses a spec or a contract whose name holds a control character' '
	cp "$SEEDS/mlx-trainable.yaml" "spec${ESC}.yaml" &&
	test_fails 128 "^fatal: cannot register with the spec .spec\\\\033\.yaml.: its name holds a control character$" \
		mlreg register m w.bin --spec "spec${ESC}.yaml" &&
	cp "$SEEDS/hydrosphere/serving.yaml" "c${NL}.yaml" &&
	test_fails 128 "^fatal: cannot register with the contract .c\\\\n\.yaml.: its name holds a control character$" \
		mlreg register m w.bin --contract "c${NL}.yaml"
'

test_expect_success 'import refuses a .tar.gz member, or a file, whose name holds a control character' '
	mkdir pkg && cp "$SEEDS/mlx-trainable.yaml" "pkg/m${ESC}[2J.yaml" &&
	tar czf evil.tgz -C pkg . &&
	test_fails 128 "^fatal: cannot import .m\\\\033\[2J\.yaml. from .evil\.tgz.: its name holds a control character$" \
		mlreg import evil.tgz --name imp &&
	test_no_control_chars "$ERR" &&
	cp "$SEEDS/mlx-trainable.yaml" "t${NL}.yaml" &&
	test_fails 128 "^fatal: cannot import .t\\\\n\.yaml. from .t\\\\n\.yaml.: its name holds a control character$" \
		mlreg import "t${NL}.yaml" --name imp
'

# JSON input (item 7): refused, naming the file or the key.

test_expect_success 'metadata that is not UTF-8 is refused, JSON or YAML' '
	printf "{\"k\": \"caf\351\"}\n" >latin1.json &&
	test_fails 128 "^fatal: malformed JSON in .latin1\.json. at line 1: not valid UTF-8$" \
		mlreg metadata m --add-file latin1.json &&
	printf "k: caf\351\n" >latin1.yaml &&
	test_fails 128 "^fatal: malformed YAML in .latin1\.yaml. .*UTF-8" \
		mlreg metadata m --add-file latin1.yaml &&
	test_fails 129 "^error: malformed .k=caf\\\\351.: not valid UTF-8 (see .mlreg metadata -h.)$" \
		mlreg metadata m --add "k=$(printf "caf\351")" &&
	test_fails 128 "not valid UTF-8" \
		mlreg register m w.bin --metrics-file latin1.json
'

test_expect_success 'numbers out of range are refused, not stored as null' '
	printf "{\"lr\": 1e999}\n" >inf.json &&
	test_fails 128 "^fatal: .inf\.json.: the number at key .lr. is out of range$" \
		mlreg register m w.bin --hparams-file inf.json &&
	printf "{\"a\": {\"loss\": [1, -1e999]}}\n" >neginf.json &&
	test_fails 128 "^fatal: .neginf\.json.: the number at key .loss. is out of range$" \
		mlreg register m w.bin --metrics-file neginf.json &&
	printf "lr: 1e999\n" >inf.yaml &&
	test_fails 128 "^fatal: malformed YAML in .inf\.yaml. at line 1: the number 1e999 is out of range$" \
		mlreg metadata m --add-file inf.yaml &&
	test_fails 129 "^error: malformed .lr:=1e999.: a number is out of range" \
		mlreg metadata m --add lr:=1e999 &&
	test_fails 129 "malformed .x:=\[-1e999\]." mlreg create n -m "x:=[-1e999]" &&
	printf "lr: .inf\n" >dotinf.yaml &&
	mlreg metadata m --add-file dotinf.yaml --json >out &&
	json_assert out "d[\"lr\"] == \".inf\""
'

test_expect_success 'a NUL inside a string is refused, not cut' '
	printf "{\"k\": \"x\\\\u0000y\"}\n" >nul.json &&
	grep -q -F "x\\u0000y" nul.json &&
	test_fails 128 "^fatal: malformed JSON in .nul\.json. at line 1: a string holds a NUL character (\\\\u0000)$" \
		mlreg metadata m --add-file nul.json &&
	printf "k: \"x\\\\0y\"\n" >nul.yaml &&
	test_fails 128 "^fatal: malformed YAML in .nul\.yaml. at line 1: a string holds a NUL character$" \
		mlreg metadata m --add-file nul.yaml &&
	test_fails 129 "^error: malformed .k:=\"x\\\\u0000y\".: a string holds a NUL character" \
		mlreg metadata m --add "k:=\"x\\u0000y\"" &&
	printf "{\"k\\\\u0000a\": 1, \"k\\\\u0000b\": 2}\n" >nulkeys.json &&
	test_fails 128 "NUL character" mlreg create n --metadata-file nulkeys.json
'

test_expect_success 'an escaped backslash before u0000 is text, not a NUL' '
	printf "{\"k\": \"x\\\\\\\\u0000y\"}\n" >bs.json &&
	mlreg metadata m --add-file bs.json --json >out &&
	json_assert out "d[\"k\"] == \"x\\\\u0000y\""
'

test_expect_success 'a model file whose JSON repeats a key registers with the key once, and a warning' - <<-\EOF
	"$PYTHON" -c '
import struct
h = b"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"__metadata__\":{\"a\":\"x\",\"a\":\"y\"}}"
open("dup.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0\0\0\0")' &&
	mlreg register --create dupkeys dup.safetensors 2>err &&
	test_grep "^warning: .dup\.safetensors.: 1 repeated key(s) in what the file holds were kept once (the first)$" err &&
	mlreg fsck &&
	mlreg describe dupkeys --json >d.json &&
	json_assert d.json "d[\"version\"][\"artifacts\"][0][\"details\"][\"metadata\"] == {\"a\": \"x\"}"
EOF

# Records (item 2): every reader refuses a record whose paths are not
# unique, sorted and prefix-free, or whose modes are not the documented ones.

# bad_record NAME EDIT: model NAME whose one version's record is edited by
# python EDIT on t (its bytes), with model.json naming the result, so that
# only the record checks can tell.
bad_record () {
	mkdir -p "src-$1/d" && printf a >"src-$1/a" && printf b >"src-$1/b" &&
	printf c >"src-$1/d/c" &&
	mlreg register --create "$1" "src-$1" >/dev/null &&
	rewrite_latest_record "$1" "$2"
}

# readers_refuse NAME PATTERN: describe, list-versions, checkout, export
# and validate fail (exit 1) with PATTERN and "run 'mlreg fsck'"; fsck
# reports it.
readers_refuse () {
	for cmd in "describe $1" "list-versions $1" "checkout $1 co-$1" \
		"export $1 -o $1.zip" "validate $1@1"
	do
		test_fails 1 "^error: .*$2.*; run .mlreg fsck.$" mlreg $cmd || return 1
	done &&
	test_path_is_missing "co-$1" &&
	test_path_is_missing "$1.zip" &&
	test_expect_code 1 mlreg fsck >fsck.out &&
	test_grep "^corrupt version record .$1.@1: .*$2" fsck.out
}

test_expect_success 'a record listing a path twice is refused by every reader' - <<-\EOF
	bad_record twice "t = t.replace(b'\"path\":\"b\"', b'\"path\":\"a\"')" &&
	readers_refuse twice ".a. is listed twice"
EOF

test_expect_success 'a record whose two paths a \u0000 would make one is refused by every reader' - <<-\EOF
	bad_record nul "t = t.replace(b'\"path\":\"a\"', b'\"path\":\"x\\\\u0000a\"').replace(b'\"path\":\"b\"', b'\"path\":\"x\\\\u0000b\"')" &&
	grep -q -F "\"x\\u0000a\"" .mlreg/models/nul/versions/1.json &&
	readers_refuse nul "a string holds a NUL character (\\\\u0000)"
EOF

test_expect_success 'a record listing a file and a directory of one name is refused by every reader' - <<-\EOF
	bad_record prefix "t = t.replace(b'\"path\":\"b\"', b'\"path\":\"d\"')" &&
	readers_refuse prefix "both .d. and .d/c. are listed (a file cannot also be a directory)"
EOF

test_expect_success 'a record with unsorted paths is refused by every reader' - <<-\EOF
	bad_record unsorted "t = t.replace(b'\"path\":\"a\"', b'\"path\":\"c\"')" &&
	readers_refuse unsorted ".b. is listed after .c. (paths must be sorted)"
EOF

test_expect_success 'a record with a mode other than 0644 or 0755 is refused by every reader' - <<-\EOF
	bad_record setuid "t = t.replace(b'\"mode\":\"0644\"', b'\"mode\":\"4755\"', 1)" &&
	readers_refuse setuid "gives .a. an invalid mode"
EOF

# Output (item 6): control characters are escaped wherever people read.

test_expect_success 'a description, a message and metadata with terminal escapes are printed escaped' '
	mlreg create shown -d "$ATTACK" -m "k=$ATTACK" >out 2>err &&
	mlreg register shown w.bin --message "$ATTACK${NL}body" >>out 2>>err &&
	mlreg list >>out 2>>err &&
	mlreg list-versions shown >>out 2>>err &&
	mlreg describe shown >d.out 2>>err &&
	mlreg metadata shown >>out 2>>err &&
	test_must_be_empty err &&
	test_no_control_chars out d.out &&
	test_grep "  \"$ATTACK_SHOWN\"$" out &&
	test_grep "^description:  \"$ATTACK_SHOWN\"$" d.out &&
	test_grep "^message:      \"${ATTACK_SHOWN}\\\\nbody\"$" d.out &&
	test_grep "^metadata:     {\"k\":\"\\\\u001b]0;pwned\\\\u0007\\\\u001b\[2J\"}$" d.out &&
	mlreg describe shown --json >d.json &&
	json_assert d.json "d[\"description\"] == \"\\x1b]0;pwned\\x07\\x1b[2J\"" \
		"d[\"version\"][\"message\"] == \"\\x1b]0;pwned\\x07\\x1b[2J\\nbody\""
'

test_expect_success 'a C1 control and bytes that are not UTF-8 are escaped too' '
	mlreg create c1 -d "$(printf "a\302\233b")" &&
	mlreg list --name c1 >out &&
	test_grep "\"a\\\\302\\\\233b\"$" out &&
	mlreg describe c1 --json >d.json &&
	grep -q -F "a\\u009bb" d.json &&
	json_assert d.json "d[\"description\"] == \"a\\x9bb\"" &&
	test_no_control_chars out d.json
'

test_expect_success 'error messages escape what they quote: names, paths, arguments' '
	test_fails 128 "^fatal: cannot open .x\\\\033\[2J.: No such file or directory$" \
		mlreg register m "x${ESC}[2J" &&
	test_no_control_chars "$ERR" &&
	test_fails 128 "cannot open .x\\\\033\]0;pwned\\\\a\\\\033\[2J\.onnx." \
		mlreg inspect "x${ATTACK}.onnx" &&
	test_no_control_chars "$ERR" &&
	test_fails 129 "unknown option .--\\\\033\[2J." mlreg list "--${ESC}[2J" &&
	test_no_control_chars "$ERR" &&
	test_fails 129 "unknown command .x\\\\033\[2J." mlreg "x${ESC}[2J" &&
	test_no_control_chars "$ERR"
'

test_expect_success 'inspect quotes a path with a control character' '
	printf "not a model" >"i${ESC}[2J.bin" &&
	mlreg inspect "i${ESC}[2J.bin" >out 2>err &&
	test_grep "^\"i\\\\033\[2J\.bin\": " out &&
	test_no_control_chars out err
'

test_expect_success 'validate escapes what its problem lines quote from a spec' - <<-\EOF
	sed "s/data_store: cloud_training_datastore/data_store: \"x\\\\e[2J\"/" \
		"$SEEDS/mlx-trainable.yaml" >badstore.yaml &&
	test_expect_code 1 mlreg validate w.bin --spec badstore.yaml >out 2>err &&
	test_grep "^\(problem\|warning\)   .*names data store .x\\\\033\[2J., which .data_stores. does not define" out &&
	test_grep "^validation FAILED$" out &&
	test_no_control_chars out err
EOF

test_expect_success 'remote list quotes what a hand-edited config says' '
	git config -f .mlreg/config "remote.evil.url" "file:///srv/r" &&
	git config -f .mlreg/config "remote.evil.profile" "p${ATTACK}" &&
	mlreg remote -v >out 2>err &&
	test_grep "^evil	file:///srv/r profile=\"p$ATTACK_SHOWN\"$" out &&
	test_no_control_chars out err
'

test_expect_success 'a warning quoting a file name is escaped' '
	mkdir "w${ESC}[2J" &&
	sed "s|<model_docker_image>|img|" "$SEEDS/mlx-servable.yaml" >"w${ESC}[2J/ok.yaml" &&
	printf "data_stores:\n  - name: store\n    connection:\n      secret_access_key: wJalrXUtnFEMIK7MDENGbPxRfiCY\n" \
		>>"w${ESC}[2J/ok.yaml" &&
	mlreg register m w.bin --spec "w${ESC}[2J/ok.yaml" >out 2>err &&
	test_grep "^warning: 1 secret value(s) in .w\\\\033\[2J/ok\.yaml. were replaced" err &&
	test_no_control_chars out err
'

test_done
