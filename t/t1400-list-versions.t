#!/bin/sh
test_description='list-versions: the versions of a model, newest first'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create m &&
	mlreg create team/none
EOF

test_expect_success 'no versions: nothing, and [] with --json' '
	mlreg list-versions m >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg list-versions team/none --json >out &&
	json_equal out "[]"
'

test_expect_success 'setup: three versions' - <<-\EOF
	printf 'one\n' >a.bin &&
	head -c 3000 /dev/zero >b.bin &&
	mkdir c &&
	printf 'c1' >c/x &&
	printf 'c22' >c/y &&
	mlreg register m a.bin --message "first version" &&
	mlreg register m b.bin &&
	mlreg register m c --message "third: a directory"
EOF

test_expect_success '--json: version objects, newest first' - <<-\EOF
	mlreg list-versions m --json >out 2>err &&
	test_must_be_empty err &&
	json_batch out schema versions -- assert \
		'[v["version"] for v in d] == [3, 2, 1]' \
		'all(v["model"] == "m" for v in d)' \
		'[v["message"] for v in d] == ["third: a directory", "", "first version"]' \
		'[v["size"] for v in d] == [5, 3000, 4]' \
		'[len(v["files"]) for v in d] == [2, 1, 1]'
EOF

test_expect_success 'ids are the SHA-256 of the version records' - <<-\EOF
	id1=$(sha256_of "$(version_record m 1)") &&
	id2=$(sha256_of "$(version_record m 2)") &&
	id3=$(sha256_of "$(version_record m 3)") &&
	json_assert out "[v['id'] for v in d if v['version'] == 1] == ['$id1']" \
		"[v['id'] for v in d if v['version'] == 2] == ['$id2']" \
		"[v['id'] for v in d if v['version'] == 3] == ['$id3']"
EOF

test_expect_success 'each version names the previous one as its parent' - <<-\EOF
	json_assert out 'd[0]["parent"] == d[1]["id"]' \
		'd[1]["parent"] == d[2]["id"]' \
		'd[2]["parent"] is None' \
		'len(set(v["id"] for v in d)) == 3'
EOF

test_expect_success 'the versions agree with describe' - <<-\EOF
	for n in 1 2 3
	do
		mlreg describe m@$n --json >d.json &&
		json_get d.json 'd["version"]' >one &&
		json_get out "[v for v in d if v['version'] == $n][0]" >two &&
		test_cmp one two || return 1
	done
EOF

test_expect_success 'human form: a header, then N, short id, created, size, message' - <<-\EOF
	mlreg list-versions m >human 2>err &&
	test_must_be_empty err &&
	test_line_count = 4 human &&
	head -n 1 human >header &&
	test_grep '^VERSION  *ID  *CREATED  *SIZE  *MESSAGE *$' header &&
	awk 'NR > 1 { print $1 }' human >numbers &&
	test_write_lines 3 2 1 >expect &&
	test_cmp expect numbers &&
	for n in 1 2 3
	do
		id=$(sha256_of "$(version_record m $n)" | cut -c1-12) &&
		test_grep "^$n  *$id  *[0-9-]*T[0-9:.]*Z  " human || return 1
	done &&
	test_grep '^3 .*third: a directory *$' human &&
	test_grep '^1 .*first version *$' human
EOF

test_expect_success 'versions of one model only' - <<-\EOF
	mlreg register team/none a.bin &&
	mlreg list-versions team/none --json >none.json &&
	json_assert none.json 'len(d) == 1' 'd[0]["model"] == "team/none"' \
		'd[0]["version"] == 1' 'd[0]["parent"] is None' &&
	mlreg list-versions m --json >out &&
	json_assert out 'len(d) == 3'
EOF

test_expect_success 'a version record beyond latest_version is not visible' - <<-\EOF
	cp "$(version_record m 3)" "$(version_record m 4)" &&
	test_when_finished "rm -f \"$(version_record m 4)\"" &&
	mlreg list-versions m --json >lv.json &&
	json_assert lv.json '[v["version"] for v in d] == [3, 2, 1]' &&
	mlreg describe m --json >d.json &&
	json_assert d.json 'd["version"]["version"] == 3' &&
	test_fails 1 "version 4 of model 'm' not found" mlreg describe m@4
EOF

test_expect_success 'a multi-line message still makes one line' - <<-\EOF
	mlreg register --create multi a.bin --message "subject line

body of the message" &&
	mlreg register multi b.bin --message "second" &&
	mlreg list-versions multi >human &&
	test_line_count = 3 human &&
	awk 'NR > 1 { print $1 }' human >numbers &&
	test_write_lines 2 1 >expect &&
	test_cmp expect numbers &&
	test_grep '^1 .*subject line' human
EOF

test_expect_success 'an unknown model fails' '
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg list-versions nope &&
	test_fails 1 "not found" mlreg list-versions nope --json
'

test_expect_success 'an invalid name is fatal' '
	test_fails 128 "invalid model name" mlreg list-versions "a b" &&
	test_fails 128 "invalid model name" mlreg list-versions ../x
'

test_expect_success 'missing or extra arguments are usage errors' '
	test_fails 129 "" mlreg list-versions &&
	test_fails 129 "" mlreg list-versions m team/none
'

test_expect_success 'list-versions changes nothing' '
	store_snapshot >before &&
	mlreg list-versions m >/dev/null &&
	mlreg list-versions m --json >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_done
