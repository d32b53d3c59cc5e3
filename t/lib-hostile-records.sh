# t/lib-hostile-records.sh: hostile version and model records, the same
# attacks on every kind of remote; sourced by t/t6510-hostile-records-file.t
# (REMOTE_KIND=file) and t/t6511-hostile-records-s3.t (REMOTE_KIND=s3) after
# t/lib-remote.sh and t/lib-hostile.sh.
#
# Every record a remote serves is checked before anything of it is stored
# (store-format.md, sections 4 and 6: paths safe, sorted, unique, prefix-free;
# modes 0644 or 0755; strict JSON: UTF-8, no \u0000, no number out of
# range, no repeated key), every local record before it is sent, and no
# string a record holds reaches the terminal with a raw control character.

# A title, a bell and a screen clear: what a hostile record would print.
ATTACK='"\x1b]0;pwned\x07\x1b[2J"'		# as a python string
ATTACK_SHOWN='\\033]0;pwned\\a\\033\[2J'	# as mlreg prints it, a grep pattern

# hostile_store NAME: a fresh store $SCRATCH/NAME/.mlreg, in $S.
hostile_store () {
	S="$SCRATCH/$1/.mlreg" &&
	mlreg init "$1"
}

# refused NAME PATTERN EDIT...: a fresh store and remote NAME, the remote
# forged with model m's records made by the EDITs (t/lib-hostile.sh); then
# download fails with exit status 1 and one message matching PATTERN,
# without a control character, and leaves the store as it was.
refused () {
	test_rf_name_=$1 test_rf_pat_=$2
	shift 2
	hostile_store "$test_rf_name_" &&
	remote_add "$S" "$test_rf_name_" &&
	forge_remote "$test_rf_name_" m "$@" &&
	STORE=$S test_fails_remote 1 "$test_rf_pat_" \
		mlreg --store "$S" download "$test_rf_name_" m &&
	test_no_control_chars "$ERR"
}

test_expect_success 'a path holding a newline is refused, escaped in the message' '
	refused nl "corrupt: the record of m@1: the version record lists an unsafe path .a\\\\nb.$" \
		"r[\"files\"][0][\"path\"] = \"a\\nb\""
'

test_expect_success 'a path holding terminal escapes is refused; no escape is printed' - <<-\EOF
	refused esc "unsafe path .x$ATTACK_SHOWN.$" \
		"r['files'][0]['path'] = 'x' + $ATTACK"
EOF

test_expect_success 'a path listed twice is refused' - <<-\EOF
	refused twice "the version record.s files: .w\.bin. is listed twice" \
		"r['files'].append(dict(r['files'][0]))"
EOF

test_expect_success 'two paths that differ after a \u0000 are refused, not cut to one' - <<-\EOF
	refused nul "at line 1: a string holds a NUL character (\\\\u0000)$" \
		"r['files'] = [obj('harmless', 'x\0a'), obj('evil', 'x\0b')]" &&
	remote_get nul models/m/versions/1.json rec &&
	grep -q -F "\"x\\u0000a\"" rec
EOF

test_expect_success 'unsorted paths are refused' - <<-\EOF
	refused unsorted ".a\.bin. is listed after .b\.bin. (paths must be sorted)" \
		"r['files'] = [obj('b', 'b.bin'), obj('a', 'a.bin')]"
EOF

test_expect_success 'a path that is also the directory of another is refused' - <<-\EOF
	refused prefix "both .a. and .a/b. are listed (a file cannot also be a directory)" \
		"r['files'] = [obj('1', 'a'), obj('2', 'a/b')]" &&
	refused prefix2 "both .a. and .a/b/c. are listed" \
		"r['files'] = [obj('1', 'a'), obj('2', 'a.txt'), obj('3', 'a/b/c')]"
EOF

test_expect_success 'modes other than "0644" and "0755" are refused' - <<-\EOF
	refused setuid "gives .w\.bin. an invalid mode (only \"0644\" and \"0755\" are valid)" \
		"r['files'][0]['mode'] = '4755'" &&
	refused number "gives .w\.bin. an invalid mode" \
		"r['files'][0]['mode'] = 7" &&
	refused nomode "gives .w\.bin. an invalid mode" \
		"del r['files'][0]['mode']" &&
	refused exec "gives .w\.bin. an invalid mode" \
		"r['files'][0]['mode'] = '0777'"
EOF

test_expect_success 'a version record that is not UTF-8 is refused' - <<-\EOF
	refused latin1 "at line 1: not valid UTF-8$" \
		"raw = compact(r).replace(b'\"message\":\"\"', b'\"message\":\"caf\\xe9\"')"
EOF

test_expect_success 'a number out of range in a version record is refused, not made null' - <<-\EOF
	refused inf "the number at key .loss. is out of range$" \
		"raw = compact(r).replace(b'\"metrics\":{}', b'\"metrics\":{\"loss\":1e999}')" &&
	refused neginf "the number at key .lr. is out of range$" \
		"raw = compact(r).replace(b'\"hparams\":{}', b'\"hparams\":{\"lr\":-1e999}')"
EOF

test_expect_success 'a version record repeating a key is refused' - <<-\EOF
	refused dupkey "an object repeats key .files." \
		"raw = compact(r).replace(b'\"framework\"', b'\"files\":[],\"framework\"')"
EOF

test_expect_success 'list-versions --remote checks records as download does' - <<-\EOF
	test_fails_remote 1 "remote .nul.: models/m/versions/1.json is corrupt: .*NUL character" \
		mlreg --store "$SCRATCH/nul/.mlreg" list-versions --remote nul m &&
	test_no_control_chars "$ERR"
EOF

test_expect_success 'a remote model record that is not UTF-8 or holds 1e999 is refused' - <<-\EOF
	hostile_store badmodel &&
	remote_add "$S" badmodel &&
	forge_remote badmodel m "" &&
	remote_get badmodel models/m/model.json mj &&
	"$PYTHON" -c "
import sys
t = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(t.replace(b'\"description\":\"\"', b'\"description\":\"\\xff\"'))
open(sys.argv[3], 'wb').write(t.replace(b'\"metadata\":{}', b'\"metadata\":{\"x\":1e999}'))
" mj mj.latin1 mj.inf &&
	remote_put badmodel models/m/model.json mj.latin1 &&
	STORE=$S test_fails_remote 1 "the record of model .m. is corrupt" \
		mlreg --store "$S" download badmodel m &&
	STORE=$S test_fails_remote 1 "the record of model .m. is corrupt" \
		mlreg --store "$S" list --remote badmodel &&
	remote_put badmodel models/m/model.json mj.inf &&
	STORE=$S test_fails_remote 1 "the record of model .m. is corrupt" \
		mlreg --store "$S" download badmodel m
EOF

test_expect_success 'terminal escapes in remote records are escaped in every listing; --json stays exact' - <<-\EOF
	hostile_store shown &&
	remote_add "$S" shown &&
	forge_remote shown m \
		"r['message'] = $ATTACK; r['metadata'] = {'k': $ATTACK}; r['provenance']['user'] = $ATTACK; model['description'] = $ATTACK" &&
	mlreg --store "$S" list --remote shown >out 2>err &&
	test_grep "$ATTACK_SHOWN" out &&
	mlreg --store "$S" list-versions --remote shown m >>out 2>>err &&
	test_grep "  \"$ATTACK_SHOWN\"$" out &&
	mlreg --store "$S" download shown m >>out 2>>err &&
	mlreg --store "$S" list >>out 2>>err &&
	mlreg --store "$S" list-versions m >>out 2>>err &&
	mlreg --store "$S" describe m >d.out 2>>err &&
	test_grep "^description:  \"$ATTACK_SHOWN\"$" d.out &&
	test_grep "^message:      \"$ATTACK_SHOWN\"$" d.out &&
	test_grep "^registered:   by \"$ATTACK_SHOWN\" on forge$" d.out &&
	test_grep "^metadata:     {\"k\":\"\\\\u001b]0;pwned\\\\u0007\\\\u001b\[2J\"}$" d.out &&
	test_must_be_empty err &&
	test_no_control_chars out d.out &&
	mlreg --store "$S" describe m --json >d.json &&
	json_assert d.json "d['description'] == $ATTACK" \
		"d['version']['message'] == $ATTACK" "d['version']['metadata']['k'] == $ATTACK" &&
	mlreg --store "$S" list-versions --remote shown m --json >v.json &&
	json_assert v.json "d[0]['provenance']['user'] == $ATTACK"
EOF

test_expect_success 'a conflict message quoting the user a remote record names is escaped' - <<-\EOF
	hostile_store conflict &&
	remote_add "$S" conflict &&
	forge_remote conflict m "r['provenance']['user'] = $ATTACK" &&
	printf "mine\n" >mine.bin &&
	mlreg --store "$S" register --create m mine.bin &&
	STORE=$S test_fails_remote 1 "another m@1 (id [0-9a-f]\{12\}, registered by $ATTACK_SHOWN on forge" \
		mlreg --store "$S" upload conflict m &&
	test_no_control_chars "$ERR" &&
	STORE=$S test_fails_remote 1 "another m@1 than the local store (registered by $ATTACK_SHOWN on forge" \
		mlreg --store "$S" download conflict m &&
	test_no_control_chars "$ERR"
EOF

test_expect_success 'upload refuses a hand-edited local record with ../../evil, and sends nothing' - <<-\EOF
	hostile_store upevil &&
	remote_add "$S" upevil &&
	printf "payload\n" >w.bin &&
	mlreg --store "$S" register --create m w.bin &&
	STORE=$S rewrite_latest_record m "t = t.replace(b'\"path\":\"w.bin\"', b'\"path\":\"../../evil\"')" &&
	STORE=$S test_fails_remote 1 "^error: the record of m@1: the version record lists an unsafe path .\.\./\.\./evil.; run .mlreg fsck.$" \
		mlreg --store "$S" upload upevil m &&
	remote_keys upevil >keys &&
	echo mlreg-remote >expect &&
	test_cmp expect keys
EOF

test_expect_success 'upload refuses a local record whose paths a \u0000 makes one' - <<-\EOF
	hostile_store upnul &&
	remote_add "$S" upnul &&
	mkdir twofiles && printf 1 >twofiles/xa && printf 2 >twofiles/xb &&
	mlreg --store "$S" register --create m twofiles &&
	STORE=$S rewrite_latest_record m "t = t.replace(b'\"path\":\"xa\"', b'\"path\":\"x\\\\u0000a\"').replace(b'\"path\":\"xb\"', b'\"path\":\"x\\\\u0000b\"')" &&
	grep -q -F "x\\u0000a" "$S/models/m/versions/1.json" &&
	STORE=$S test_fails_remote 1 "^error: malformed JSON in .m@1. at line 1: a string holds a NUL character (\\\\u0000); run .mlreg fsck.$" \
		mlreg --store "$S" upload upnul &&
	remote_keys upnul >keys &&
	echo mlreg-remote >expect &&
	test_cmp expect keys
EOF
