#!/bin/sh
test_description='list: the models index, a derived cache that never changes a listing'
. "$(dirname "$0")/lib.sh"

# models.idx (store-format.md section 6.9) holds what 'mlreg list' prints of
# each model; a line is used only when model.json's inode, size, mtime and
# ctime are those it names, and not racily new.  Whatever the index holds,
# the listing must be the one of the records.

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
fi

IDX=.mlreg/models.idx

# check_list: list (text, in three forms) with the index as it is equals the
# listing read from the records alone (the index removed first).
check_list () {
	mlreg list >actual1 &&
	mlreg list --sort-by description --order-by desc >actual2 &&
	mlreg list --name a >actual3 &&
	mv "$IDX" idx.used &&
	mlreg list >expect1 &&
	rm "$IDX" &&
	mlreg list --sort-by description --order-by desc >expect2 &&
	rm "$IDX" &&
	mlreg list --name a >expect3 &&
	mv idx.used "$IDX" &&
	test_cmp expect1 actual1 &&
	test_cmp expect2 actual2 &&
	test_cmp expect3 actual3
}

test_expect_success 'setup: models, a first listing writes the index' '
	mlreg init &&
	mlreg create alpha -d "first
second line" &&
	mlreg create beta -d "100% beta" &&
	mlreg create team/gamma &&
	printf x >x.bin &&
	mlreg register beta x.bin &&
	! test -e "$IDX" &&
	mlreg list >out &&
	test -f "$IDX" &&
	head -n 1 "$IDX" >header &&
	echo "mlreg models index 1" >expect &&
	test_cmp expect header &&
	test_line_count = 4 "$IDX" &&
	grep "^beta	.*	m	1	.*	100%25 beta\$" "$IDX" &&
	grep "^alpha	.*	first%0Asecond line\$" "$IDX" &&
	check_list
'

test_expect_success STRACE 'a warm list stats each model.json, opens none' '
	mlreg list >expect &&
	# (LeakSanitizer cannot run under ptrace: off for this one command)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=open,openat -o trace mlreg list >actual &&
	test_cmp expect actual &&
	grep models.idx trace &&
	! grep model.json trace
'

test_expect_success 'index missing, truncated, garbage: the records, index rewritten' '
	rm "$IDX" &&
	check_list &&
	head -c 100 "$IDX" >cut && mv cut "$IDX" &&
	check_list &&
	printf "mlreg models index 1\nnot a line\n\001\002\n" >"$IDX" &&
	check_list &&
	printf "garbage" >"$IDX" &&
	check_list &&
	mlreg list >/dev/null &&
	test_line_count = 4 "$IDX"
'

test_expect_success 'a symbolic link: not followed, replaced by a file' '
	mlreg list >/dev/null &&
	cp "$IDX" target &&
	sed "s/	m	1	/	m	9	/" target >target.lie &&
	cp target.lie target &&
	ln -sf "$PWD/target" "$IDX" &&
	mlreg list >out &&
	! grep "  9  " out &&
	test_cmp target.lie target &&
	! test -h "$IDX" &&
	test -f "$IDX"
'

test_expect_success 'stale: a model added, deleted, renamed, recreated, its metadata changed' '
	mlreg list >/dev/null &&
	mlreg create delta -d "new" &&
	check_list &&
	mlreg delete team/gamma &&
	check_list &&
	! grep gamma actual1 &&
	mlreg rename alpha zeta &&
	check_list &&
	grep "^zeta " actual1 &&
	! grep "^alpha " actual1 &&
	mlreg create team/gamma -d "born again" &&
	check_list &&
	grep "born again" actual1 &&
	mlreg metadata beta --add k=v &&
	check_list &&
	mlreg register beta x.bin --force &&
	check_list &&
	grep "^beta  *2 " actual1
'

test_expect_success 'a planted line can change the text of a model, not print a control character' '
	mlreg list >/dev/null &&
	awk -F "	" "BEGIN { OFS = FS } \$1 == \"beta\" { \$10 = \"%1B[31mred\" } { print }" \
		"$IDX" >planted &&
	touch -d "+1 minute" planted &&
	mv planted "$IDX" &&
	mlreg list >out &&
	grep "^beta .*red" out &&
	! grep "$(printf "\033")" out &&
	awk -F "	" "BEGIN { OFS = FS } \$1 == \"beta\" { \$10 = \"raw\033[31m\" } { print }" \
		"$IDX" >planted &&
	touch -d "+1 minute" planted &&
	mv planted "$IDX" &&
	check_list
'

test_expect_success 'a planted line cannot list a model that does not exist' '
	mlreg list >/dev/null &&
	grep "^beta	" "$IDX" | sed "s/^beta	/ghost	/" >>"$IDX" &&
	grep "^beta	" "$IDX" | sed "s/^beta	/aaa	/" >line &&
	{ head -n 1 "$IDX" && cat line && sed 1d "$IDX"; } >planted &&
	touch -d "+1 minute" planted &&
	mv planted "$IDX" &&
	mlreg list >out &&
	! grep ghost out &&
	! grep "^aaa " out &&
	check_list
'

test_expect_success 'racy: a record changed in the index tick is read' '
	mlreg list >/dev/null &&
	grep "^beta	" "$IDX" >line &&
	touch -d "-1 minute" "$IDX" &&
	check_list
'

test_expect_success 'fsck: a right, stale or garbled index is fine; a wrong one reported, removed' '
	mlreg list >/dev/null &&
	mlreg fsck >out &&
	test_must_be_empty out &&
	touch -d "-1 minute" "$IDX" &&
	mlreg fsck >out &&
	test_must_be_empty out &&
	printf "garbage" >"$IDX" &&
	mlreg fsck >out &&
	test_must_be_empty out &&
	test -f "$IDX" &&
	mlreg list >/dev/null &&
	sed "s/	m	2	/	m	7	/" "$IDX" >planted &&
	touch -d "+1 minute" planted &&
	mv planted "$IDX" &&
	mlreg list >out &&
	grep "^beta  *7 " out &&
	test_expect_code 1 mlreg fsck >out &&
	test_grep "models index is wrong about model .beta." out &&
	! test -e "$IDX" &&
	mlreg list >out &&
	grep "^beta  *2 " out &&
	mlreg fsck >out &&
	test_must_be_empty out
'

test_expect_success SANITY 'a read-only store: listed from the records, nothing written' '
	rm -f "$IDX" &&
	chmod a-w .mlreg &&
	mlreg list >out 2>err &&
	chmod u+w .mlreg &&
	test_must_be_empty err &&
	! test -e "$IDX" &&
	ls .mlreg >files &&
	! grep models.idx files &&
	mlreg list >expect &&
	test_cmp expect out
'

test_done
