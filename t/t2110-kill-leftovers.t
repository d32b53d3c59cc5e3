#!/bin/sh
test_description='what a checkout or an upload killed with SIGKILL leaves, the next run removes'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

# Each command is killed for real while it holds a temporary file.  To
# catch it there without timing, the object it copies from is a FIFO that
# nobody writes: its open(2) blocks once the temporary file exists.  (For
# upload, one writer lets the first read, which hashes the pack, see the
# empty object end; the second, which sends it, blocks: the kill waits
# for that first read, as a kill before it would leave the writer blocked.)  A leftover is
# removed only when no process holds it locked and it has not changed for
# a grace period (a minute for checkout, an hour on a remote): the tests
# set the files' times, they never wait.

EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# block_object HEX: replaces object HEX by a FIFO (put back by unblock_object).
block_object () {
	test_bo_path_=$(object_path "$1") &&
	cp "$test_bo_path_" "$TEST_ROOT/saved-$1" &&
	rm -f "$test_bo_path_" &&
	mkfifo "$test_bo_path_"
}

unblock_object () {
	test_ub_path_=$(object_path "$1") &&
	rm -f "$test_ub_path_" &&
	cp "$TEST_ROOT/saved-$1" "$test_ub_path_" &&
	chmod 444 "$test_ub_path_"
}

# leftovers DIR PATTERN: the files below DIR whose names match PATTERN.
leftovers () {
	find "$1" -name "$2" -type f 2>/dev/null | sort
}

# has_leftover DIR PATTERN: there is one.
has_leftover () {
	test -n "$(leftovers "$1" "$2")"
}

# kill_it PID: SIGKILL it and reap it.
kill_it () {
	kill -9 "$1" &&
	{ wait "$1"; test $? = 137; }
}

test_expect_success 'setup' '
	mlreg init &&
	printf "weights\n" >w.bin &&
	mlreg register --create m w.bin >/dev/null &&
	W=$(sha256_of w.bin)
'

test_expect_success 'kill -9 in the middle of a checkout: its temporary file stays' - <<-\EOF
	block_object $W &&
	{ mlreg checkout m co >co.out 2>&1 & } &&
	pid=$! &&
	wait_until 60 has_leftover co ".mlreg-checkout-*" &&
	kill_it $pid &&
	unblock_object $W &&
	leftovers co ".mlreg-checkout-*" >left &&
	test_line_count = 1 left &&
	grep "^co/\.mlreg-checkout-$pid-0$" left &&
	test_path_is_missing co/w.bin
EOF

test_expect_success 'register of the directory does not take it' - <<-\EOF
	printf "new\n" >co/new.bin &&
	mlreg register m co >out &&
	echo m@2 >expect && test_cmp expect out &&
	mlreg describe m --json >d.json &&
	json_assert d.json '[f["path"] for f in d["version"]["files"]] == ["new.bin"]'
EOF

test_expect_success 'the next checkout removes it, unless it is locked or recent' - <<-\EOF
	left=$(cat left) &&
	touch -d "+1 hour" "$left" &&
	mlreg checkout m@1 co &&
	test_path_is_file "$left" &&
	touch -d "2 minutes ago" "$left" &&
	flock "$left" mlreg checkout m@1 co &&
	test_path_is_file "$left" &&
	mlreg checkout m@1 co &&
	test_path_is_missing "$left" &&
	cmp w.bin co/w.bin
EOF

test_expect_success 'in every directory it writes to, only files named as its own' - <<-\EOF
	mkdir -p tree/sub/deeper && printf "a\n" >tree/a && printf "b\n" >tree/sub/deeper/b &&
	mlreg register --create t tree >/dev/null &&
	mkdir -p co3/sub/deeper co3/other &&
	for f in co3/.mlreg-checkout-1-0 co3/sub/deeper/.mlreg-checkout-22-3 \
		co3/other/.mlreg-checkout-1-0 co3/.mlreg-checkout-x-1 co3/.mlreg-checkout-1-2.bak \
		co3/.mlreg-tmp-1
	do
		printf "junk\n" >"$f" && touch -d "2 minutes ago" "$f" || return 1
	done &&
	printf "target\n" >target && touch -h -d "2 minutes ago" target &&
	ln -s "$SCRATCH/target" co3/.mlreg-checkout-5-5 &&
	touch -h -d "2 minutes ago" co3/.mlreg-checkout-5-5 &&
	mlreg checkout t co3 &&
	test_path_is_missing co3/.mlreg-checkout-1-0 &&
	test_path_is_missing co3/sub/deeper/.mlreg-checkout-22-3 &&
	test_path_is_file co3/other/.mlreg-checkout-1-0 &&
	test_path_is_file co3/.mlreg-checkout-x-1 &&
	test_path_is_file co3/.mlreg-checkout-1-2.bak &&
	test_path_is_file co3/.mlreg-tmp-1 &&
	test -h co3/.mlreg-checkout-5-5 &&
	echo target >expect && test_cmp expect target &&
	cmp tree/sub/deeper/b co3/sub/deeper/b
EOF

test_expect_success 'kill -9 in the middle of an upload to a file:// remote: its temporary file stays' - <<-\EOF
	: >empty &&
	mlreg register --create e empty >/dev/null &&
	remote_add "$MLREG_DIR" r rem &&
	R="$SCRATCH/remotes/rem" &&
	block_object $EMPTY &&
	# the writer says when a reader took it: the upload has then hashed the
	# pack and blocks on its second open.  Killed before that, the upload
	# would leave the writer waiting for a reader for ever.
	{ { : >"$(object_path $EMPTY)" && : >writer.done; } & } &&
	writer=$! &&
	test_when_finished "kill $writer 2>/dev/null; true" &&
	{ mlreg upload r e >up.out 2>&1 & } &&
	pid=$! &&
	wait_until 60 test -f writer.done &&
	wait_until 60 has_leftover "$R" ".mlreg-tmp-*" &&
	kill_it $pid &&
	wait $writer &&
	unblock_object $EMPTY &&
	leftovers "$R" ".mlreg-tmp-*" >rleft &&
	test_line_count = 1 rleft &&
	grep "^$R/packs/\.mlreg-tmp-" rleft &&
	! test -e "$R/models/e/versions/1.json"
EOF

test_expect_success 'the next upload removes it, unless it is locked or recent' - <<-\EOF
	left=$(cat rleft) &&
	touch -d "+1 hour" "$left" &&
	mlreg upload r e >out &&
	echo e@1 >expect && test_cmp expect out &&
	test_path_is_file "$left" &&
	touch -d "2 hours ago" "$left" &&
	flock "$left" mlreg upload r &&
	test_path_is_file "$left" &&
	mkdir -p "$R/models/e/versions" &&
	printf "x\n" >"$R/models/e/versions/.mlreg-tmp-abc" &&
	printf "x\n" >"$R/.mlreg-tmp-def" &&
	touch -d "2 hours ago" "$R/models/e/versions/.mlreg-tmp-abc" "$R/.mlreg-tmp-def" &&
	mlreg upload r >out &&
	test_must_be_empty out &&
	leftovers "$R" ".mlreg-tmp-*" >now &&
	test_must_be_empty now &&
	mlreg init s2 &&
	remote_add "$SCRATCH/s2/.mlreg" r rem &&
	mlreg --store "$SCRATCH/s2/.mlreg" download r e >out &&
	echo e@1 >expect && test_cmp expect out &&
	mlreg --store "$SCRATCH/s2/.mlreg" checkout e e-out &&
	test_must_be_empty e-out/empty
EOF

# A register writes its objects in a batch directory, tmp/batch-XXXXXX,
# locked while it lives (object.h).  What a killed one leaves is made here
# by hand, as the kill would leave it: a directory of files, unlocked.
test_expect_success 'a dead batch directory: the next register removes it, unless locked or recent' - <<-\EOF
	T=$MLREG_DIR/tmp &&
	mkdir "$T/batch-dead" "$T/batch-held" "$T/batch-new" &&
	for d in dead held new
	do
		printf "half\n" >"$T/batch-$d/obj-abc" &&
		printf "whole\n" >"$T/batch-$d/$(printf whole | sha256sum | cut -c1-64)" || return 1
	done &&
	touch -d "2 minutes ago" "$T"/batch-dead/* "$T/batch-dead" "$T"/batch-held/* "$T/batch-held" &&
	printf "again\n" >again.bin &&
	flock "$T/batch-held" mlreg register --create b again.bin >out &&
	echo b@1 >expect && test_cmp expect out &&
	test_path_is_missing "$T/batch-dead" &&
	test_path_is_dir "$T/batch-held" &&
	test_path_is_dir "$T/batch-new" &&
	ls "$T" >left &&
	printf "batch-held\nbatch-new\n" >expect && test_cmp expect left &&
	mlreg fsck
EOF

test_expect_success 'gc removes a dead batch directory, counting its files' - <<-\EOF
	T=$MLREG_DIR/tmp &&
	touch -d "2 minutes ago" "$T"/batch-new/* "$T/batch-new" &&
	mlreg gc --json >gc.json &&
	json_assert gc.json "d[\"temporary\"][\"count\"] == 4" &&
	test_path_is_missing "$T/batch-held" &&
	test_path_is_missing "$T/batch-new" &&
	mlreg checkout b@1 co-b && cmp again.bin co-b/again.bin
EOF

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
else
	say "strace cannot trace here: skipping the order-of-syncs test (apt-get install strace)"
fi

# The invariant of a batch (object.h): no object has its name before its
# bytes are on the disk, and the record comes after every object is.
test_expect_success STRACE 'register: one syncfs before any object is named, one after, then the record' - <<-\EOF
	mkdir three &&
	printf "one\n" >three/a && printf "two\n" >three/b && printf "three\n" >three/c &&
	# (LeakSanitizer cannot run under ptrace: off for this one command)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o trace -e trace=syncfs,fsync,rename,renameat,renameat2 \
		mlreg register --create s three >out &&
	echo s@1 >expect && test_cmp expect out &&
	grep -n "syncfs(\|objects/\|versions/1.json" trace >steps &&
	first_sync=$(grep -m1 "syncfs(" steps | cut -d: -f1) &&
	last_sync=$(grep "syncfs(" steps | tail -n 1 | cut -d: -f1) &&
	test "$(grep -c "syncfs(" steps)" = 2 &&
	first_obj=$(grep -m1 "rename.*objects/" steps | cut -d: -f1) &&
	last_obj=$(grep "rename.*objects/" steps | tail -n 1 | cut -d: -f1) &&
	record=$(grep -m1 "rename.*versions/1.json" steps | cut -d: -f1) &&
	test "$(grep -c "rename.*objects/" steps)" = 3 &&
	test "$first_sync" -lt "$first_obj" &&
	test "$last_obj" -lt "$last_sync" &&
	test "$last_sync" -lt "$record" &&
	mlreg checkout s@1 co-s && cmp three/b co-s/b
EOF

test_done
