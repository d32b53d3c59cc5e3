#!/bin/sh
test_description='delete: tombstones keep numbers and ids, NAME skips them,
aliases need --force, models are deleted and made again, gc frees the files,
fsck and a file:// remote stay sound'
. "$(dirname "$0")/lib.sh"

MLREG_AUTHOR='Ann <ann@example.com>'
export MLREG_AUTHOR
BY='Ann <ann@example.com> on [0-9T:.Z-]*'

fsck_clean () {
	mlreg ${1:+--store "$1"} fsck >fsck.out 2>fsck.err &&
	test_must_be_empty fsck.out
}

test_expect_success 'setup: clf@1..3 sharing a file, production on clf@3' - <<-\EOF
	mlreg init &&
	mlreg create clf &&
	for i in 1 2 3
	do
		mkdir -p m$i && echo "shared weights" >m$i/shared.bin &&
		echo "own $i" >m$i/own.bin &&
		mlreg register clf m$i --message "v$i" >/dev/null || return 1
	done &&
	echo "a secret of v2" >m2/secret.txt &&
	mlreg alias set clf@3 production &&
	cp .mlreg/models/clf/versions/2.json v2.orig &&
	cp .mlreg/models/clf/model.json model.before
EOF

test_expect_success 'delete NAME@N writes a tombstone with the id of the record it replaced' - <<-\EOF
	mlreg delete clf@2 -m "registered a secret" >out 2>err &&
	echo "deleted clf@2" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	rec=.mlreg/models/clf/versions/2.json &&
	json_assert $rec "d[\"id\"] == \"$(sha256_of v2.orig)\"" \
		"d[\"parent\"] == \"$(json_get v2.orig 'd["parent"]')\"" \
		'd["files"] == [] and d["size"] == 0' \
		'd["deleted"]["user"] == "Ann <ann@example.com>"' \
		'd["deleted"]["message"] == "registered a secret"' \
		'sorted(d) == ["deleted", "files", "id", "model", "parent", "size", "version"]' &&
	test "$(tail -c 1 $rec | od -An -c | tr -d " ")" = "\n" &&
	test_cmp model.before .mlreg/models/clf/model.json &&
	fsck_clean
EOF

test_expect_success 'NAME@N of a deleted version fails everywhere with one line' - <<-\EOF
	for cmd in "describe clf@2" "describe clf@2 --json" "checkout clf@2 co" \
		"export clf@2 -o x.zip" "validate clf@2" "diff clf@1 clf@2" \
		"alias set clf@2 staging" "deprecate clf@2" "undeprecate clf@2"
	do
		test_fails 1 "^error: clf@2 was deleted by $BY$" mlreg $cmd || return 1
	done &&
	test_path_is_missing co
EOF

test_expect_success 'deleting it again prints nothing and changes nothing' '
	store_snapshot >before &&
	mlreg delete clf@2 >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg delete clf@2 --json >out &&
	json_assert out "d == {\"versions\": [], \"models\": []}" &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'list-versions leaves it out; --deleted lists it marked' - <<-\EOF
	mlreg list-versions clf --json >l.json &&
	json_assert l.json '[v["version"] for v in d] == [3, 1]' &&
	mlreg list-versions clf --deleted >out &&
	test_grep "^2 .*  \[deleted by $BY\] registered a secret$" out &&
	mlreg list-versions clf --deleted --json >l.json &&
	json_assert l.json '[v["version"] for v in d] == [3, 2, 1]' \
		'd[1]["deleted"]["message"] == "registered a secret"' \
		'"deleted" not in d[0]' &&
	mlreg search "has metrics.x or version >= 1" >out &&
	printf "clf@3\nclf@1\n" >expect &&
	test_cmp expect out
EOF

test_expect_success 'an aliased version needs --force, which records the alias removal' - <<-\EOF
	test_fails 1 "^error: clf@3 has aliases (production): --force removes them and deletes it$" \
		mlreg delete clf@3 &&
	test_fails 1 "^error: clf@3 has aliases (production)" mlreg delete clf@production &&
	mlreg delete --force clf@production >out &&
	echo "deleted clf@3" >expect &&
	test_cmp expect out &&
	mlreg alias log clf production >log &&
	test_grep "production: clf@3 -> (none)  deleted clf@3$" log &&
	test_fails 1 "^error: model .clf. has no alias .production." mlreg describe clf@production &&
	fsck_clean
EOF

test_expect_success 'NAME skips deleted versions; numbers are never reused' - <<-\EOF
	mlreg describe clf --json | json_get - 'd["version"]["version"]' >v &&
	echo 1 >expect &&
	test_cmp expect v &&
	mkdir m4 && echo "shared weights" >m4/shared.bin && echo "own 4" >m4/own.bin &&
	mlreg register clf m4 >out &&
	echo clf@4 >expect &&
	test_cmp expect out &&
	json_assert .mlreg/models/clf/versions/4.json \
		"d[\"parent\"] == \"$(json_get .mlreg/models/clf/versions/3.json 'd["id"]')\"" &&
	mlreg delete clf@1 clf@4 >out &&
	printf "deleted clf@1\ndeleted clf@4\n" >expect &&
	test_cmp expect out &&
	test_fails 1 "^error: every version of model .clf. is deleted or deprecated$" \
		mlreg describe clf &&
	mlreg register clf m4 >out &&
	echo clf@5 >expect &&
	test_cmp expect out &&
	fsck_clean
EOF

test_expect_success 'a mistyped argument deletes nothing; a missing version fails' - <<-\EOF
	test_fails 1 "^error: model .nope. not found$" mlreg delete clf@5 nope@1 &&
	test_fails 1 "^error: version 9 of model .clf. not found$" mlreg delete clf@9 &&
	test_fails 129 "^error: missing NAME or NAME@REF" mlreg delete &&
	test_fails 128 "invalid" mlreg delete "bad name@1"
EOF

test_expect_success 'gc frees what only deleted versions used, keeps the shared file' - <<-\EOF
	mlreg gc --prune=now --json >gc.json &&
	own2=$(printf "own 2\n" | wc -c) && own3=$(printf "own 3\n" | wc -c) &&
	own1=$(printf "own 1\n" | wc -c) &&
	json_assert gc.json "d[\"objects\"][\"count\"] == 3" \
		"d[\"objects\"][\"bytes\"] == $own1 + $own2 + $own3" &&
	test_path_is_missing "$(object_path "$(sha256_of m2/own.bin)")" &&
	test_path_is_file "$(object_path "$(sha256_of m1/shared.bin)")" &&
	test_path_is_file "$(object_path "$(sha256_of m4/own.bin)")" &&
	mlreg checkout clf@5 co5 &&
	test_cmp m4/shared.bin co5/shared.bin &&
	test_cmp m4/own.bin co5/own.bin &&
	fsck_clean &&
	test_must_be_empty fsck.err
EOF

test_expect_success 'a deprecated version deleted: both marks, fsck clean, NAME skips both' - <<-\EOF
	mlreg create dep &&
	mlreg register dep m1 >/dev/null && mlreg register dep m2 >/dev/null &&
	mlreg register dep m3 >/dev/null &&
	mlreg deprecate dep@3 && mlreg delete dep@3 >/dev/null &&
	mlreg delete dep@2 >/dev/null &&
	json_assert .mlreg/models/dep/model.json 'd["deprecated"] == [3]' &&
	mlreg list-versions dep --deleted >out &&
	test_grep "^3 .*  \[deprecated\] \[deleted by $BY\] $" out &&
	mlreg checkout dep co-dep 2>err &&
	test_must_be_empty err &&
	test_cmp m1/own.bin co-dep/own.bin &&
	fsck_clean
EOF

test_expect_success 'fsck: an alias naming a tombstone, a malformed tombstone' - <<-\EOF
	mlreg alias set clf@5 staging &&
	rec=.mlreg/models/clf/versions/5.json &&
	cp $rec v5.orig &&
	test_when_finished "cp v5.orig $rec" &&
	"$PYTHON" -S -c "
import json, hashlib, sys
raw = open(sys.argv[1], \"rb\").read()
d = json.loads(raw)
t = {\"model\": \"clf\", \"version\": 5, \"parent\": d[\"parent\"],
     \"id\": hashlib.sha256(raw).hexdigest(),
     \"deleted\": {\"time\": \"2026-01-01T00:00:00Z\", \"user\": \"x\", \"message\": \"\"},
     \"size\": 0, \"files\": []}
open(sys.argv[1], \"w\").write(json.dumps(t, separators=(\",\", \":\")) + \"\n\")
" $rec &&
	test_must_fail mlreg fsck >out &&
	test_grep "alias .staging. of model .clf. names a deleted version: clf@5 was deleted by x" out &&
	"$PYTHON" -S -c "
import json, sys
d = json.loads(open(sys.argv[1]).read())
d[\"files\"] = [{\"path\": \"a\", \"size\": 1, \"sha256\": \"0\" * 64, \"mode\": \"0644\"}]
open(sys.argv[1], \"w\").write(json.dumps(d, separators=(\",\", \":\")) + \"\n\")
" $rec &&
	test_must_fail mlreg fsck >out &&
	test_grep "corrupt version record .clf.@5: the record of clf@5 is a malformed tombstone: it lists files" out &&
	test_fails 1 "clf@5 is a malformed tombstone: it lists files; run .mlreg fsck." \
		mlreg list-versions clf --deleted &&
	cp v5.orig $rec &&
	dep2=.mlreg/models/dep/versions/2.json &&
	cp $dep2 dep2.orig &&
	test_when_finished "cp dep2.orig $dep2" &&
	sed "s/\"id\":\"[0-9a-f]*\"/\"id\":\"$(printf "%064d" 0)\"/" dep2.orig >$dep2 &&
	test_must_fail mlreg fsck >out &&
	test_grep "version record .dep.@2 hashes to 0000000000000000000000000000000000000000000000000000000000000000, expected " out
EOF

test_expect_success 'delete NAME: refused with aliases; a half-done deletion is finished' - <<-\EOF
	fsck_clean &&
	test_fails 1 "^error: model .clf. has aliases (staging): --force removes them" mlreg delete clf &&
	mlreg alias rm clf staging &&
	mkdir m6 && echo six >m6/own.bin && mlreg register clf m6 >/dev/null &&
	mlreg delete clf@6 >/dev/null &&
	mlreg delete clf -m "retired" >out &&
	printf "deleted clf@5\ndeleted model clf\n" >expect &&
	test_cmp expect out &&
	json_assert .mlreg/models/clf/model.json 'd["deleted"]["message"] == "retired"' \
		'd["latest_version"] == 6' &&
	store_snapshot >before &&
	mlreg delete clf >out &&
	test_must_be_empty out &&
	store_snapshot >after &&
	test_cmp before after &&
	fsck_clean
EOF

test_expect_success 'a deleted model is left out and refused until created again' - <<-\EOF
	mlreg create other &&
	mlreg list --json >l.json &&
	json_assert l.json '[m["name"] for m in d] == ["dep", "other"]' &&
	mlreg list >out &&
	test_grep -v "^clf " out &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg describe clf &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg describe clf@2 &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg list-versions clf &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg register --create clf m4 &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg metadata clf --add k=v &&
	test_fails 1 "^error: model .clf. was deleted by $BY; .mlreg create clf. makes it again$" \
		mlreg checkout clf co6 &&
	mlreg list-versions clf --deleted --json >l.json &&
	json_assert l.json 'all("deleted" in v for v in d) and len(d) == 6' &&
	mlreg create clf -d "again" &&
	mlreg register clf m4 >out &&
	echo clf@7 >expect &&
	test_cmp expect out &&
	json_assert .mlreg/models/clf/model.json '"deleted" not in d' 'd["description"] == "again"' &&
	mlreg list --json >l.json &&
	json_assert l.json '[m["name"] for m in d] == ["clf", "dep", "other"]' &&
	test_fails 1 "^error: model .clf. already exists$" mlreg create clf &&
	fsck_clean
EOF

test_expect_success 'deletes and registers at once: each applies, numbers stay unique' - <<-\EOF
	mlreg create race &&
	for i in 1 2 3
	do
		mlreg register race m$i >/dev/null || return 1
	done
	mlreg register race m4 >r1 & p1=$!
	mlreg delete race@1 race@2 >d1 & p2=$!
	mlreg register race m1 >r2 & p3=$!
	mlreg delete race@3 >d2 & p4=$!
	wait $p1 && wait $p2 && wait $p3 && wait $p4 &&
	cat r1 r2 | sort >got &&
	printf "race@4\nrace@5\n" >expect &&
	test_cmp expect got &&
	mlreg list-versions race --deleted --json >l.json &&
	json_assert l.json '[(v["version"], "deleted" in v) for v in d] == [(5, False), (4, False), (3, True), (2, True), (1, True)]' &&
	fsck_clean
EOF

test_expect_success 'upload sends a tombstone; a download stores it as it is' - <<-\EOF
	mlreg create up &&
	for i in 1 2 3
	do
		mlreg register up m$i >/dev/null || return 1
	done &&
	mlreg delete up@2 >/dev/null &&
	mkdir remote &&
	mlreg remote add origin "file://$PWD/remote" &&
	mlreg upload -q origin up >out &&
	printf "up@1\nup@2\nup@3\n" >expect &&
	test_cmp expect out &&
	cmp remote/models/up/versions/2.json .mlreg/models/up/versions/2.json &&
	B=$PWD/b/.mlreg &&
	mlreg --store "$B" init &&
	mlreg --store "$B" remote add origin "file://$PWD/remote" &&
	mlreg --store "$B" download -q --all origin up >/dev/null &&
	cmp .mlreg/models/up/versions/2.json "$B/models/up/versions/2.json" &&
	STORE=$B &&
	test_fails 1 "^error: up@2 was deleted by $BY$" mlreg --store "$B" describe up@2 &&
	unset STORE &&
	mlreg --store "$B" checkout up@3 bco &&
	test_cmp m3/own.bin bco/own.bin &&
	fsck_clean "$B" &&
	mlreg --store "$B" list-versions up --remote origin --deleted --json >l.json &&
	json_assert l.json '[("deleted" in v) for v in d] == [False, True, False]'
EOF

test_expect_success 'deleting after upload stays local: no conflict, no resurrection' - <<-\EOF
	mlreg create rem &&
	mlreg register rem m1 >/dev/null && mlreg register rem m3 >/dev/null &&
	mlreg upload -q origin rem >/dev/null &&
	cp remote/models/rem/versions/1.json rem1.remote &&
	mlreg delete rem@1 >/dev/null &&
	mlreg register rem m2 >/dev/null &&
	mlreg upload -q origin rem >out &&
	echo rem@3 >expect &&
	test_cmp expect out &&
	cmp rem1.remote remote/models/rem/versions/1.json &&
	B=$PWD/b/.mlreg &&
	mlreg --store "$B" download -q --all origin rem >/dev/null &&
	mlreg --store "$B" delete rem@2 >/dev/null &&
	cp "$B/models/rem/versions/2.json" tomb2 &&
	mlreg --store "$B" download -q --all origin rem >out &&
	cmp tomb2 "$B/models/rem/versions/2.json" &&
	mlreg --store "$B" upload -q origin rem >out &&
	test_must_be_empty out &&
	fsck_clean "$B" &&
	fsck_clean
EOF

test_expect_success 'another version against a remote tombstone is a conflict naming the deletion' - <<-\EOF
	mlreg create tc &&
	mlreg register tc m1 >/dev/null &&
	mlreg delete tc@1 -m gone >/dev/null &&
	mlreg upload -q origin tc >/dev/null &&
	D=$PWD/d/.mlreg &&
	mlreg --store "$D" init &&
	mlreg --store "$D" remote add origin "file://$PWD/remote" &&
	mlreg --store "$D" create tc &&
	mlreg --store "$D" register tc m2 >/dev/null &&
	: >"$D/gc.lock" &&
	STORE=$D &&
	test_when_finished "unset STORE" &&
	id=$(json_get .mlreg/models/tc/versions/1.json 'd["id"][:12]') &&
	test_fails 1 "^error: remote .origin. already has another tc@1 (id $id, deleted by Ann <ann@example.com> at [0-9T:.Z-]*): your tc@1" \
		mlreg --store "$D" upload -q origin tc &&
	test_fails 1 "^error: remote .origin. has another tc@1 than the local store (deleted by Ann <ann@example.com> at [0-9T:.Z-]*)" \
		mlreg --store "$D" download -q origin tc
EOF

test_expect_success 'a hostile remote tombstone is refused with one line' - <<-\EOF
	mlreg create bad &&
	mlreg register bad m1 >/dev/null && mlreg register bad m2 >/dev/null &&
	mlreg upload -q origin bad >/dev/null &&
	rec=remote/models/bad/versions/2.json &&
	cp $rec bad2.orig &&
	C=$PWD/c/.mlreg &&
	mlreg --store "$C" init &&
	mlreg --store "$C" remote add origin "file://$PWD/remote" &&
	: >"$C/gc.lock" &&
	STORE=$C &&
	test_when_finished "unset STORE" &&
	"$PYTHON" -S -c "
import json, sys
d = json.loads(open(sys.argv[1]).read())
t = {\"model\": \"bad\", \"version\": 2, \"parent\": d[\"parent\"], \"id\": \"not-an-id\",
     \"deleted\": {\"time\": \"t\", \"user\": \"u\", \"message\": \"\"}, \"size\": 0, \"files\": []}
open(sys.argv[1], \"w\").write(json.dumps(t, separators=(\",\", \":\")) + \"\n\")
" $rec &&
	test_fails 1 "models/bad/versions/2.json is corrupt: the record of bad@2 is a malformed tombstone: it has no valid .id.$" \
		mlreg --store "$C" download -q origin bad &&
	"$PYTHON" -S -c "
import json, sys, hashlib
raw = open(sys.argv[2], \"rb\").read()
d = json.loads(raw)
t = {\"model\": \"bad\", \"version\": 2, \"parent\": d[\"parent\"],
     \"id\": hashlib.sha256(raw).hexdigest(),
     \"deleted\": {\"time\": \"t\", \"user\": \"u\", \"message\": \"\"}, \"size\": 0,
     \"files\": d[\"files\"]}
open(sys.argv[1], \"w\").write(json.dumps(t, separators=(\",\", \":\")) + \"\n\")
" $rec bad2.orig &&
	test_fails 1 "models/bad/versions/2.json is corrupt: the record of bad@2 is a malformed tombstone: it lists files$" \
		mlreg --store "$C" download -q origin bad
EOF

test_done
