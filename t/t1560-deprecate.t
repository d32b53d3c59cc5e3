#!/bin/sh
test_description='deprecate/undeprecate: kept and listed, skipped by NAME and
NAME@latest, warned about on use, each change an event'
. "$(dirname "$0")/lib.sh"

MLREG_AUTHOR='Ann <ann@example.com>'
export MLREG_AUTHOR

test_expect_success 'setup: three versions' - <<-\EOF
	mlreg init &&
	mlreg create clf &&
	for i in 1 2 3
	do
		mkdir -p m$i && echo "weights $i" >m$i/w.bin &&
		mlreg register clf m$i --message "v$i" >/dev/null || return 1
	done
EOF

test_expect_success 'deprecate is quiet; NAME and NAME@latest skip the version' '
	mlreg deprecate clf@3 -m "leaks test data" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg describe clf --json >d.json &&
	json_assert d.json "d[\"version\"][\"version\"] == 2" "d[\"deprecated\"] == [3]" &&
	mlreg describe clf@latest --json | json_get - "d[\"version\"][\"version\"]" >v &&
	echo 2 >expect &&
	test_cmp expect v &&
	mlreg checkout clf co 2>err &&
	test_must_be_empty err &&
	test_cmp m2/w.bin co/w.bin
'

test_expect_success 'the version stays listed, marked, and usable by number with a warning' '
	mlreg list-versions clf >out &&
	test_grep "^3 .*  \[deprecated\] v3$" out &&
	mlreg describe clf@3 >out &&
	test_grep "^deprecated:   yes$" out &&
	mlreg describe clf@3 --json | json_get - "d[\"version\"][\"deprecated\"]" >v &&
	echo true >expect &&
	test_cmp expect v &&
	mlreg checkout clf@3 co3 2>err &&
	echo "warning: clf@3 is deprecated" >expect &&
	test_cmp expect err &&
	test_cmp m3/w.bin co3/w.bin &&
	mlreg export clf@3 -o x.zip 2>err &&
	test_cmp expect err &&
	mlreg validate clf@3 >/dev/null 2>err &&
	test_cmp expect err &&
	mlreg search "deprecated = true" >out &&
	echo clf@3 >expect &&
	test_cmp expect out &&
	mlreg list-versions clf --filter "deprecated = false" --json >l.json &&
	json_assert l.json "[v[\"version\"] for v in d] == [2, 1]"
'

test_expect_success 'an alias cannot move to a deprecated version; one already there stays' - <<-\EOF
	mlreg alias set clf@2 production &&
	test_fails 1 "^error: clf@3 is deprecated; run ${SQ}mlreg undeprecate clf@3${SQ} first$" \
		mlreg alias set clf@3 production &&
	mlreg deprecate clf@2 &&
	mlreg describe clf@production --json | json_get - 'd["version"]["version"]' >v &&
	echo 2 >expect &&
	test_cmp expect v &&
	mlreg checkout clf@production co4 2>err &&
	echo "warning: clf@2 is deprecated" >expect &&
	test_cmp expect err &&
	mlreg describe clf --json | json_get - 'd["version"]["version"]' >v &&
	echo 1 >expect &&
	test_cmp expect v
EOF

test_expect_success 'every version deprecated: NAME says to name one' - <<-\EOF
	mlreg deprecate clf@1 &&
	test_fails 1 "^error: every version of model ${SQ}clf${SQ} is deprecated; name one as clf@N$" \
		mlreg checkout clf co5 &&
	test_fails 1 "^error: every version of model ${SQ}clf${SQ} is deprecated" \
		mlreg describe clf@latest &&
	mlreg undeprecate clf@1 -m "needed after all" &&
	mlreg describe clf --json | json_get - 'd["version"]["version"]' >v &&
	echo 1 >expect &&
	test_cmp expect v
EOF

test_expect_success 'deprecating twice records nothing; --json prints the event or null' - <<-\EOF
	n=$(json_get "$(model_dir clf)/model.json" 'd["latest_event"]') &&
	mlreg deprecate clf@3 --json >e.json &&
	json_equal e.json null &&
	mlreg undeprecate clf@1 --json >e.json &&
	json_equal e.json null &&
	test "$(json_get "$(model_dir clf)/model.json" 'd["latest_event"]')" = "$n" &&
	mlreg undeprecate clf@2 --json >e.json &&
	json_assert e.json 'd["action"] == "undeprecate"' 'd["version"] == 2' \
		'd["user"] == "Ann <ann@example.com>"' 'd["event"] == '"$((n + 1))"
EOF

test_expect_success 'the log records each change' '
	mlreg alias log clf >log &&
	sed -e "s/^[0-9T:.Z-]*  //" log >got &&
	cat >expect <<-\LOG &&
	Ann <ann@example.com>  undeprecate clf@2
	Ann <ann@example.com>  undeprecate clf@1  needed after all
	Ann <ann@example.com>  deprecate clf@1
	Ann <ann@example.com>  deprecate clf@2
	Ann <ann@example.com>  production: (none) -> clf@2
	Ann <ann@example.com>  deprecate clf@3  leaks test data
	LOG
	test_cmp expect got &&
	mlreg fsck
'

test_expect_success 'errors: bare name, missing version, usage; nothing changes' - <<-\EOF
	test_fails 129 "^error: name the version: clf@N (see" mlreg deprecate clf &&
	test_fails 1 "^error: version 7 of model ${SQ}clf${SQ} not found$" mlreg deprecate clf@7 &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg undeprecate nope@1 &&
	test_fails 129 "^error: missing NAME@REF" mlreg deprecate &&
	test_fails 129 "^error: too many arguments" mlreg deprecate clf@1 clf@2 &&
	test_fails 128 "^fatal: invalid version in ${SQ}clf@Bad${SQ}" mlreg deprecate clf@Bad
EOF

test_expect_success 'fsck notices a deprecation the log does not have' - <<-\EOF
	dir=$(model_dir clf) &&
	cp "$dir/model.json" saved &&
	json_edit "$dir/model.json" 'd["deprecated"] = [1, 3]' &&
	test_expect_code 1 mlreg fsck >out 2>&1 &&
	test_grep "are not what its events say" out &&
	cp saved "$dir/model.json" &&
	mlreg fsck
EOF

test_done
