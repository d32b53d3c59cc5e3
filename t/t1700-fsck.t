#!/bin/sh
test_description='fsck: verifying objects and records'
. "$(dirname "$0")/lib.sh"

# fsck_finds PATTERN: fsck exits 1, prints problems one a line on stdout, one
# of them matching PATTERN, and changes nothing in the store.
fsck_finds () {
	store_snapshot >fsck.before &&
	test_expect_code 1 mlreg fsck >fsck.out 2>fsck.err &&
	store_snapshot >fsck.after &&
	test_cmp fsck.before fsck.after &&
	test_line_count -ge 1 fsck.out &&
	test_grep -e "$1" fsck.out
}

# fsck_clean: fsck is quiet and exits 0.
fsck_clean () {
	mlreg fsck >fsck.out 2>fsck.err &&
	test_must_be_empty fsck.out &&
	test_must_be_empty fsck.err
}

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	printf 'one\n' >a.bin &&
	printf 'two\n' >b.bin &&
	mkdir dir &&
	printf 'three\n' >dir/c.bin &&
	printf 'four\n' >dir/d.bin &&
	mlreg register --create m a.bin &&
	mlreg register m b.bin dir &&
	mlreg register --create team/other a.bin -m k=v &&
	mlreg create empty &&
	cp -a "$MLREG_DIR" pristine
EOF

# restore: put the pristine store back.
restore () {
	rm -rf "$MLREG_DIR" &&
	cp -a pristine "$MLREG_DIR"
}

test_expect_success 'a clean store passes quietly' '
	fsck_clean
'

test_expect_success 'an empty store passes quietly' '
	MLREG_DIR="$SCRATCH/empty-store" mlreg init &&
	MLREG_DIR="$SCRATCH/empty-store" mlreg fsck >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err
'

test_expect_success 'a flipped byte in an object' - <<-\EOF
	test_when_finished restore &&
	h=$(sha256_of dir/c.bin) &&
	obj=$(object_path $h) &&
	chmod u+w "$obj" &&
	printf 'T' | dd of="$obj" bs=1 seek=0 conv=notrunc 2>/dev/null &&
	bad=$(sha256_of "$obj") &&
	fsck_finds "^corrupt object $h: content hashes to $bad\$"
EOF

test_expect_success 'a deleted object' - <<-\EOF
	test_when_finished restore &&
	h=$(sha256_of b.bin) &&
	rm "$(object_path $h)" &&
	fsck_finds "^missing object $h (model 'm' version 2 file 'b.bin')\$"
EOF

test_expect_success 'an object shared by two models, deleted: both are named' - <<-\EOF
	test_when_finished restore &&
	h=$(sha256_of a.bin) &&
	rm "$(object_path $h)" &&
	fsck_finds "^missing object $h (model 'm' version 1 file 'a.bin')\$" &&
	test_grep -e "^missing object $h (model 'team/other' version 1 file 'a.bin')\$" fsck.out
EOF

test_expect_success 'a truncated object' - <<-\EOF
	test_when_finished restore &&
	h=$(sha256_of dir/d.bin) &&
	obj=$(object_path $h) &&
	chmod u+w "$obj" &&
	truncate -s 2 "$obj" &&
	fsck_finds "$h"
EOF

test_expect_success 'a truncated version record' - <<-\EOF
	test_when_finished restore &&
	rec=$(version_record m 1) &&
	chmod u+w "$rec" &&
	truncate -s 10 "$rec" &&
	fsck_finds "^corrupt version record 'm'@1: "
EOF

test_expect_success 'a version record of another number' - <<-\EOF
	test_when_finished restore &&
	chmod u+w "$(version_record m 1)" "$(version_record m 2)" &&
	cp "$(version_record m 1)" "$(version_record m 2)" &&
	fsck_finds "'m'@2"
EOF

test_expect_success 'a version record moved to another model' - <<-\EOF
	test_when_finished restore &&
	rec=$(version_record team/other 1) &&
	chmod u+w "$rec" &&
	cp "$(version_record m 1)" "$rec" &&
	fsck_finds "'team/other'@1"
EOF

test_expect_success 'a version record edited (its id no longer matches)' - <<-\EOF
	test_when_finished restore &&
	rec=$(version_record m 1) &&
	chmod u+w "$rec" &&
	json_edit "$rec" 'd["message"] = "rewritten history"' &&
	fsck_finds "'m'@[12]"
EOF

test_expect_success 'a missing version record' - <<-\EOF
	test_when_finished restore &&
	rm "$(version_record m 1)" &&
	fsck_finds "'m'@1"
EOF

test_expect_success 'garbage in model.json' - <<-\EOF
	test_when_finished restore &&
	f="$(model_dir team/other)/model.json" &&
	chmod u+w "$f" &&
	printf 'garbage{\n' >"$f" &&
	fsck_finds "team/other"
EOF

test_expect_success 'a model.json naming another model' - <<-\EOF
	test_when_finished restore &&
	f="$(model_dir empty)/model.json" &&
	chmod u+w "$f" &&
	json_edit "$f" 'd["name"] = "m"' &&
	fsck_finds "empty"
EOF

test_expect_success 'a model.json whose latest version does not exist' - <<-\EOF
	test_when_finished restore &&
	f="$(model_dir m)/model.json" &&
	chmod u+w "$f" &&
	json_edit "$f" 'd["latest_version"] = 5' &&
	fsck_finds "'m'"
EOF

test_expect_success 'several problems: one line each' - <<-\EOF
	test_when_finished restore &&
	rm "$(object_path $(sha256_of b.bin))" &&
	rm "$(object_path $(sha256_of dir/c.bin))" &&
	fsck_finds "missing object" &&
	test_line_count = 2 fsck.out
EOF

test_expect_success '--json: the same problems, as {"problems": [...]}' - <<-\EOF
	test_when_finished restore &&
	rm "$(object_path $(sha256_of b.bin))" &&
	test_expect_code 1 mlreg fsck >lines &&
	test_expect_code 1 mlreg fsck --json >out &&
	json_get out '"\n".join(d["problems"])' >problems &&
	test_cmp lines problems &&
	json_assert out 'list(d) == ["problems", "unreferenced"]'
EOF

test_expect_success '--json on a clean store: no problems, exit 0' '
	mlreg fsck --json >out &&
	json_equal out "{\"problems\": [], \"unreferenced\": {\"count\": 0, \"bytes\": 0}}"
'

test_expect_success 'after all the repairs the store is clean' '
	fsck_clean
'

test_expect_success 'fsck takes no arguments' '
	test_fails 129 "" mlreg fsck m
'

test_done
