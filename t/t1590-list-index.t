#!/bin/sh
test_description='versions index: list-versions reads models/ENC/versions.idx,
prints what the records say whatever the index holds (missing, truncated,
garbage, another model'"'"'s, stale), writers keep it right, fsck checks it'
. "$(dirname "$0")/lib.sh"

MLREG_AUTHOR='Ann <ann@example.com>'
export MLREG_AUTHOR
IDX=.mlreg/models/m/versions.idx

# from_records [ARGS]: the listing of m read from the records alone (the
# index removed, and the model's lock held so that none is written).
from_records () {
	mv $IDX idx.saved 2>/dev/null
	flock .mlreg/models/m/model.json.lock mlreg list-versions m "$@"
	st=$?
	rm -f .mlreg/models/m/model.json.lock
	test -f idx.saved && mv idx.saved $IDX
	return $st
}

# same_listing: list-versions m, with and without --deleted, equals the records'.
same_listing () {
	mlreg list-versions m >got &&
	from_records >want &&
	test_cmp want got &&
	mlreg list-versions m --deleted >got &&
	from_records --deleted >want &&
	test_cmp want got
}

test_expect_success 'setup: m@1..6 with odd messages, an alias, a deprecation, a deletion' - <<-\EOF
	mlreg init &&
	mlreg create m &&
	mlreg create other &&
	echo o >o.bin &&
	mlreg register other o.bin >/dev/null &&
	long=$("$PYTHON" -c 'print("x" * 5000)') &&
	for msg in "plain" "*" "doomed" "$long" "tab	and 100% and ESC $(printf '\033')[31m" "two
lines"
	do
		echo "$msg" >>w.bin &&
		mlreg register m w.bin --message "$msg" >/dev/null || return 1
	done &&
	mlreg alias set m@2 prod >/dev/null &&
	mlreg deprecate m@1 >/dev/null &&
	mlreg delete m@3 -m "gone	now" >/dev/null
EOF

test_expect_success 'the index is written and matches the model record' - <<-\EOF
	test_path_is_file $IDX &&
	head -n 1 $IDX >head &&
	echo "mlreg versions index 1 6 $(json_get .mlreg/models/m/model.json 'd["latest_id"]')" >expect &&
	test_cmp expect head &&
	test_line_count = 7 $IDX &&
	grep "^4	.*	\*$" $IDX &&
	grep "^3	.*	gone%09now	Ann <ann@example.com>	" $IDX &&
	grep "tab%09and 100%25 and ESC %1B\[31m$" $IDX &&
	grep "^2	.*	%2A$" $IDX
EOF

test_expect_success 'the listing equals the records'"'"', and is escaped' - <<-\EOF
	same_listing &&
	test_no_control_chars got &&
	grep -q "(prod) \*$" got && grep -q "x\{5000\}$" got && grep -q " two$" got && grep "\[deprecated\] plain" got &&
	grep "\[deleted by Ann <ann@example.com> on .*\] " got
EOF

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
else
	say "strace cannot trace here: skipping the count of opened records (apt-get install strace)"
fi

# (LeakSanitizer cannot run under ptrace: off for the traced commands)
test_expect_success STRACE 'a warm listing opens only the record too long for the index, a cold one all' - <<-\EOF
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -e trace=open,openat -o trace mlreg list-versions m >/dev/null &&
	grep "versions/[0-9]*\.json" trace >opened &&
	test_line_count = 1 opened &&
	grep "versions/4\.json" opened &&
	rm $IDX &&
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -e trace=open,openat -o trace mlreg list-versions m >/dev/null &&
	grep "versions/[0-9]*\.json" trace >opened &&
	test_line_count = 7 opened &&
	test_path_is_file $IDX
EOF

test_expect_success 'a missing index is rebuilt, the same bytes' - <<-\EOF
	cp $IDX good.idx &&
	rm $IDX &&
	same_listing &&
	mlreg list-versions m >/dev/null &&
	cmp good.idx $IDX
EOF

test_expect_success 'truncated, garbage, empty, a link: the records are listed, the index rebuilt' - <<-\EOF
	for bad in trunc garbage empty midline link
	do
		case $bad in
		trunc) head -c 300 good.idx >$IDX ;;
		garbage) printf "\001\002 not an index\n" >$IDX ;;
		empty) : >$IDX ;;
		midline) sed "3s/^[0-9]*	/9	/" good.idx >$IDX ;;
		link) rm $IDX && ln -s /dev/zero $IDX ;;
		esac &&
		same_listing &&
		mlreg list-versions m >/dev/null &&
		cmp good.idx $IDX || return 1
	done
EOF

test_expect_success 'a link planted as versions.idx.tmp is not written through' - <<-\EOF
	echo keep >victim &&
	ln -s "$PWD/victim" .mlreg/models/m/versions.idx.tmp &&
	rm $IDX &&
	mlreg list-versions m >/dev/null &&
	echo keep >expect && test_cmp expect victim &&
	cmp good.idx $IDX &&
	test_path_is_missing .mlreg/models/m/versions.idx.tmp
EOF

test_expect_success 'another model'"'"'s index is stale: never read' - <<-\EOF
	mlreg list-versions other >/dev/null &&
	cp .mlreg/models/other/versions.idx $IDX &&
	same_listing &&
	mlreg list-versions m >/dev/null &&
	cmp good.idx $IDX
EOF

test_expect_success 'an index left stale by one registration (killed after its commit)' - <<-\EOF
	echo six >>w.bin &&
	mlreg register m w.bin --message six >/dev/null &&
	grep "^7	" $IDX &&
	cp good.idx $IDX &&
	same_listing &&
	grep "six" got &&
	mlreg list-versions m >/dev/null &&
	grep "^mlreg versions index 1 7 " $IDX &&
	test_line_count = 8 $IDX &&
	cp $IDX good.idx
EOF

test_expect_success 'delete removes it before the tombstone and writes it after' - <<-\EOF
	mlreg delete m@7 -m again >/dev/null &&
	grep "^7	.*	again	Ann" $IDX &&
	same_listing &&
	cp $IDX good.idx
EOF

test_expect_success 'aliases and deprecations come from model.json, not the index' - <<-\EOF
	mlreg alias set m@6 staging >/dev/null &&
	mlreg undeprecate m@1 >/dev/null &&
	cmp good.idx $IDX &&
	same_listing &&
	grep "(staging) two" got && ! grep deprecated got
EOF

test_expect_success 'rename moves a valid index' - <<-\EOF
	mlreg list-versions m >before &&
	mlreg rename m n >/dev/null &&
	cmp good.idx .mlreg/models/n/versions.idx &&
	mlreg list-versions n >after &&
	test_cmp before after &&
	mlreg rename n m >/dev/null
EOF

test_expect_success 'download writes the index of the versions it brings' - <<-\EOF
	mkdir remote &&
	mlreg remote add origin "file://$PWD/remote" &&
	mlreg upload -q origin m >/dev/null &&
	B=$PWD/b/.mlreg &&
	mlreg --store "$B" init &&
	mlreg --store "$B" remote add origin "file://$PWD/remote" &&
	mlreg --store "$B" download -q --all origin m >/dev/null &&
	cmp $IDX "$B/models/m/versions.idx" &&
	mlreg --store "$B" list-versions m --deleted >got &&
	from_records --deleted >want &&
	test_cmp want got
EOF

test_expect_success 'fsck: a lying index is reported and removed; a stale one is no problem' - <<-\EOF
	sed "s/	plain$/	%1B]0;owned%07 lie/" good.idx >$IDX &&
	mlreg list-versions m >got &&
	test_no_control_chars got &&
	test_must_fail mlreg fsck >out 2>err &&
	grep "^model .m.: the versions index.s entry of version 1 does not match its record (removed; the next listing rebuilds it)$" out &&
	test_path_is_missing $IDX &&
	mlreg list-versions m >/dev/null &&
	cmp good.idx $IDX &&
	mlreg fsck >out 2>err &&
	test_must_be_empty out &&
	head -n 3 good.idx >$IDX &&
	test_must_fail mlreg fsck 2>err >out &&
	echo "model 'm': the versions index's entry of version 5 is missing (the index is cut short) (removed; the next listing rebuilds it)" >expect &&
	test_cmp expect out &&
	test_path_is_missing $IDX &&
	sed "1s/ 7 / 6 /" good.idx >$IDX &&
	mlreg fsck >out 2>err && test_must_be_empty out &&
	mlreg list-versions m >/dev/null && cmp good.idx $IDX
EOF

test_expect_success 'filters, sorts, columns and --json read the records (the index is not enough)' - <<-\EOF
	sed "s/	plain$/	lie/" good.idx >$IDX &&
	mlreg list-versions m --json >j &&
	! grep lie j &&
	mlreg list-versions m --sort-by version >s &&
	! grep lie s &&
	mlreg list-versions m --limit 10 >l &&
	grep lie l &&
	cp good.idx $IDX
EOF

test_done
