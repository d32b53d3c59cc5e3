#!/bin/sh
test_description='download stores its objects as one batch: two syncfs, then the records'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

# A download writes the objects it fetches whole or from packs into a
# batch directory, tmp/batch-XXXXXX (store-format.md sections 2 and 10.3),
# and makes them durable and visible together before any record names
# them: here all 70 form one batch.  (That a batch is named while a large
# object still travels is t6310's 'kill -9 in the middle of a download'.)  The kills here are real
# SIGKILLs delivered by strace at an exact system call (the first syncfs,
# the Kth object rename), so no test waits on timing.

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
else
	say "strace cannot trace here: skipping the order and kill tests (apt-get install strace)"
fi

# (LeakSanitizer cannot run under ptrace: off for the traced commands)
NOLEAKS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# fresh NAME: a new empty store $SCRATCH/NAME/.mlreg with remote r; sets D.
fresh () {
	mlreg init "$1" >/dev/null &&
	D=$SCRATCH/$1/.mlreg &&
	remote_add "$D" r rem
}

# objects_in STORE: how many object files STORE holds.
objects_in () {
	find "$1/objects" -type f | wc -l | tr -d ' '
}

# batch_files STORE: the files left in batch directories of STORE's tmp/.
batch_files () {
	find "$1/tmp" -path "*/batch-*/*" -type f | wc -l | tr -d ' '
}

# same_as_source STORE: m@1 and m@2 check out of STORE as registered.
same_as_source () {
	mlreg --store "$1" checkout m@1 "$SCRATCH/co1-$$" &&
	diff -r a "$SCRATCH/co1-$$" &&
	mlreg --store "$1" checkout m@2 "$SCRATCH/co2-$$" &&
	diff -r b "$SCRATCH/co2-$$" &&
	rm -rf "$SCRATCH/co1-$$" "$SCRATCH/co2-$$"
}

test_expect_success 'setup: 70 small objects in a pack, one loose' '
	mlreg init &&
	make_files a 40 4096 &&
	make_files b 29 4096 &&
	make_files big 1 1200000 &&
	cp big/f1 b/large &&
	mlreg register --create m a >/dev/null &&
	mlreg register m b >/dev/null &&
	remote_add "$MLREG_DIR" r rem &&
	mlreg upload r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	remote_keys rem >keys &&
	test "$(grep -c "^packs/.*\.pack$" keys)" = 1 &&
	test "$(grep -c "^objects/" keys)" = 1
'

test_expect_success 'download --all brings every object and version' '
	fresh plain &&
	mlreg --store "$D" download --all r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	test "$(objects_in "$D")" = 70 &&
	ls "$D/tmp" >left && test_must_be_empty left &&
	same_as_source "$D" &&
	mlreg --store "$D" fsck
'

# The invariant of a batch (object.h): no object has its name before its
# bytes are on the disk, and the record comes after every object is.
test_expect_success STRACE 'one syncfs before any object is named, one after, then the records' - <<-\EOF
	fresh traced &&
	ASAN_OPTIONS=$NOLEAKS strace -f -qq -o trace \
		-e trace=syncfs,fsync,rename,renameat,renameat2 \
		mlreg --store "$D" download --all r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	grep -n "syncfs(\|objects/\|versions/[12]\.json\"\|model\.json\"" trace >steps &&
	test "$(grep -c "syncfs(" steps)" = 2 &&
	test "$(grep -c "rename.*objects/" steps)" = 70 &&
	test "$(grep -c "fsync(" trace)" -lt 20 &&
	first_sync=$(grep -m1 "syncfs(" steps | cut -d: -f1) &&
	last_sync=$(grep "syncfs(" steps | tail -n 1 | cut -d: -f1) &&
	first_obj=$(grep -m1 "rename.*objects/" steps | cut -d: -f1) &&
	last_obj=$(grep "rename.*objects/" steps | tail -n 1 | cut -d: -f1) &&
	record=$(grep -m1 "rename.*versions/1.json\"" steps | cut -d: -f1) &&
	commit=$(grep -m1 "rename.*model.json\"" steps | cut -d: -f1) &&
	test "$first_sync" -lt "$first_obj" &&
	test "$last_obj" -lt "$last_sync" &&
	test "$last_sync" -lt "$record" &&
	test "$record" -lt "$commit" &&
	same_as_source "$D"
EOF

test_expect_success STRACE 'kill -9 at the first syncfs: objects only in the batch, nothing visible' - <<-\EOF
	fresh killed &&
	mlreg --store "$D" list >before &&
	ASAN_OPTIONS=$NOLEAKS strace -f -qq -o /dev/null \
		-e trace=syncfs -e inject=syncfs:signal=KILL:when=1 \
		mlreg --store "$D" download --all r m >out 2>err
	test $? = 137 &&
	test_must_be_empty out &&
	test "$(objects_in "$D")" = 0 &&
	test "$(batch_files "$D")" = 70 &&
	test_path_is_missing "$D/models/m" &&
	mlreg --store "$D" list >after &&
	test_cmp before after &&
	mlreg --store "$D" fsck
EOF

test_expect_success STRACE 'the rerun finishes it; the dead batch stays while recent' - <<-\EOF
	mlreg --store "$D" download --all r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	test "$(objects_in "$D")" = 70 &&
	test "$(batch_files "$D")" = 70 &&
	same_as_source "$D" &&
	mlreg --store "$D" fsck
EOF

test_expect_success STRACE 'the next download removes a dead batch, unless locked' - <<-\EOF
	dead=$(ls -d "$D"/tmp/batch-*) &&
	touch -d "2 minutes ago" "$dead"/* "$dead" &&
	flock "$dead" mlreg --store "$D" download r m >out &&
	test_path_is_dir "$dead" &&
	mlreg --store "$D" download r m >out &&
	test_must_be_empty out &&
	test_path_is_missing "$dead" &&
	ls "$D/tmp" >left && test_must_be_empty left &&
	mlreg --store "$D" fsck
EOF

test_expect_success STRACE 'kill -9 among the renames: named objects are whole, no version' - <<-\EOF
	fresh renames &&
	ASAN_OPTIONS=$NOLEAKS strace -f -qq -o /dev/null \
		-e trace=renameat -e inject=renameat:signal=KILL:when=30 \
		mlreg --store "$D" download --all r m >out 2>err
	test $? = 137 &&
	test "$(objects_in "$D")" = 29 &&
	test_path_is_missing "$D/models/m" &&
	mlreg --store "$D" fsck &&
	for o in "$D"/objects/*/*
	do
		h=$(basename "$(dirname "$o")")$(basename "$o") &&
		test "$(sha256_of "$o")" = "$h" || return 1
	done &&
	mlreg --store "$D" download --all r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	same_as_source "$D" &&
	mlreg --store "$D" fsck
EOF

# The pack holds objects sorted by hash: its last byte is the last one's.
test_expect_success 'a corrupt object fails the download; the others arrive, no version' - <<-\EOF
	fresh corrupt &&
	pack=$(ls "$SCRATCH"/remotes/rem/packs/*.pack) &&
	cp "$pack" pack.good &&
	chmod u+w "$pack" &&
	flip_byte "$pack" $(($(wc -c <"$pack") - 1)) &&
	STORE=$D &&
	test_fails_remote 1 "^error: remote .r.: object [0-9a-f]* is corrupt (packs/pack-" \
		mlreg --store "$D" download --all r m &&
	unset STORE &&
	test "$(objects_in "$D")" = 69 &&
	ls "$D/tmp" >left && test_must_be_empty left &&
	test_path_is_missing "$D/models/m" &&
	mlreg --store "$D" fsck &&
	cp pack.good "$pack" &&
	mlreg --store "$D" download --all r m >out &&
	printf "m@1\nm@2\n" >expect && test_cmp expect out &&
	same_as_source "$D"
EOF

test_expect_success 'a store whose tmp/ cannot hold a batch: the download fails, nothing changed' - <<-\EOF
	fresh notmp &&
	rmdir "$D/tmp" && : >"$D/tmp" &&
	test_when_finished "rm -f \"$D/tmp\"; mkdir \"$D/tmp\"" &&
	STORE=$D &&
	test_fails_remote 128 "^fatal: cannot create a temporary directory in .*/tmp.: Not a directory$" \
		mlreg --store "$D" download --all r m &&
	unset STORE &&
	test "$(objects_in "$D")" = 0 &&
	test_path_is_missing "$D/models/m"
EOF

test_done
