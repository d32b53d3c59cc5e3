#!/bin/sh
test_description='the stat cache (.mlreg/statcache, store-format.md 2.1) and
registering unchanged content: a second register makes no version and
prints NAME@N without opening the files; a touched, rewritten (same size,
mtime set back) or replaced file is read again; a cache that is racy,
corrupt, truncated or foreign is ignored and rewritten; an object removed
behind the cache is stored again; --force, --no-if-changed and
register.ifChanged=false make a version; MLREG_STATCACHE=0 and
register.statCache=false turn the cache off.'
. "$(dirname "$0")/lib.sh"

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null
then
	test_set_prereq STRACE
else
	say "strace cannot trace here: skipping the tests that count opens (apt-get install strace)"
fi

# opens FILE COMMAND...: runs COMMAND under strace (stdout to out, stderr
# to err) and prints how many times it opened FILE (a path as register
# got it, e.g. d/a).
opens () {
	op_file_=$1 &&
	shift &&
	# (LeakSanitizer cannot run under ptrace: off for this one command)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o trace -e trace=open,openat "$@" >out 2>err &&
	grep -c "\"$op_file_\"" trace || :
}

# latest NAME: the model's latest version number.
latest () {
	mlreg describe "$1" --json >latest.json &&
	json_get latest.json 'd["latest_version"]'
}

# same REF COMMAND...: COMMAND exits 0, prints REF and the notice, and
# makes no version.
same () {
	printf '%s\n' "$1" >expect.out &&
	printf '%s is unchanged: no new version\n' "$1" >expect.err &&
	sm_ref_=$1 &&
	shift &&
	"$@" >actual.out 2>actual.err &&
	test_cmp expect.out actual.out &&
	test_cmp expect.err actual.err &&
	test "$(latest "${sm_ref_%@*}")" = "${sm_ref_##*@}"
}

test_expect_success 'setup: a first register writes the cache' - <<-\EOF
	mlreg init &&
	mkdir d &&
	printf "weights one\n" >d/a &&
	printf "labels\n" >d/b &&
	echo m@1 >expect &&
	mlreg register --create m d >out 2>err &&
	test_cmp expect out &&
	test_must_be_empty err &&
	test_path_is_file .mlreg/statcache &&
	printf MLREGSC1 >magic &&
	head -c 8 .mlreg/statcache >got &&
	test_cmp magic got &&
	# a second run may hash again what was racy with the first cache
	same m@1 mlreg register m d
EOF

test_expect_success 'the same files again: NAME@N, a notice, no version, nothing written' '
	store_snapshot >before &&
	cp .mlreg/statcache cache.before &&
	same m@1 mlreg register m d &&
	store_snapshot >after &&
	test_cmp before after &&
	cmp cache.before .mlreg/statcache &&
	test_path_is_missing .mlreg/tmp/obj-statcache-*
'

test_expect_success STRACE 'a cache hit does not open the file' '
	test "$(opens d/a mlreg register m d)" = 0 &&
	test "$(opens d/b mlreg register m d)" = 0 &&
	echo m@1 >expect && test_cmp expect out
'

test_expect_success STRACE 'MLREG_STATCACHE=0: every file is opened, the cache is left alone' '
	cp .mlreg/statcache cache.before &&
	test "$(opens d/a env MLREG_STATCACHE=0 mlreg register m d)" -ge 1 &&
	echo m@1 >expect && test_cmp expect out &&
	cmp cache.before .mlreg/statcache
'

test_expect_success STRACE 'register.statCache=false: the same; a bad value is fatal' '
	git config -f .mlreg/config register.statCache false &&
	test "$(opens d/a mlreg register m d)" -ge 1 &&
	git config -f .mlreg/config register.statCache maybe &&
	test_fails 128 "register.statCache" mlreg register m d &&
	git config -f .mlreg/config --unset register.statCache
'

test_expect_success STRACE 'a touched file with the same bytes: read again, still no version' '
	touch d/a &&
	test "$(opens d/a mlreg register m d)" -ge 1 &&
	test "$(opens d/b mlreg register m d)" = 0 &&
	echo m@1 >expect && test_cmp expect out
'

test_expect_success 'other bytes, same size, mtime set back: hashed again, a new version' '
	touch -r d/a ref &&
	printf "weights two\n" >d/a &&
	touch -r ref d/a &&
	echo m@2 >expect &&
	mlreg register m d >out 2>err &&
	test_cmp expect out &&
	test_must_be_empty err &&
	mlreg describe m@2 --json >v2.json &&
	sha=$(sha256sum d/a | cut -c1-64) &&
	json_assert v2.json "[f[\"sha256\"] for f in d[\"version\"][\"files\"] if f[\"path\"] == \"a\"] == [\"$sha\"]"
'

test_expect_success STRACE 'a file replaced by a copy (new inode, same times): read again' '
	cp -p d/b b.new &&
	mv b.new d/b &&
	test "$(opens d/b mlreg register m d)" -ge 1 &&
	echo m@2 >expect && test_cmp expect out
'

test_expect_success STRACE 'racy: entries not older than the cache file are hashed again' '
	same m@2 mlreg register m d &&
	touch -d "2001-01-01" .mlreg/statcache &&
	test "$(opens d/a mlreg register m d)" -ge 1 &&
	echo m@2 >expect && test_cmp expect out &&
	# rewritten: now trusted
	test "$(opens d/a mlreg register m d)" = 0
'

test_expect_success STRACE 'a garbage, truncated or damaged cache is ignored and rewritten' - <<-\EOF
	for how in garbage truncated flipped empty
	do
		case $how in
		garbage) echo "not a cache" >.mlreg/statcache ;;
		truncated) head -c 100 .mlreg/statcache >c && mv c .mlreg/statcache ;;
		flipped) flip_byte .mlreg/statcache 60 ;;
		empty) : >.mlreg/statcache ;;
		esac &&
		test "$(opens d/a mlreg register m d)" -ge 1 &&
		echo m@2 >expect && test_cmp expect out &&
		echo "m@2 is unchanged: no new version" >expect.err &&
		test_cmp expect.err err &&
		head -c 8 .mlreg/statcache >got &&
		test_cmp magic got &&
		test "$(opens d/a mlreg register m d)" = 0 ||
		return 1
	done
EOF

test_expect_success 'a cache that is a directory or a symlink is not followed and not fatal' - <<-\EOF
	rm .mlreg/statcache &&
	echo secret >outside &&
	ln -s ../outside .mlreg/statcache &&
	echo m@2 >expect &&
	mlreg register m d >out 2>err &&
	test_cmp expect out &&
	echo secret >expect.outside && test_cmp expect.outside outside &&
	test_path_is_file .mlreg/statcache &&
	! test -h .mlreg/statcache
EOF

test_expect_success 'an object removed behind the cache is stored again' - <<-\EOF
	sha=$(sha256sum d/b | cut -c1-64) &&
	obj=$(object_path $sha) &&
	chmod u+w "$obj" && rm -f "$obj" &&
	echo m@2 >expect &&
	mlreg register m d >out 2>/dev/null &&
	test_cmp expect out &&
	test_path_is_file "$obj" &&
	echo "$sha  $obj" | sha256sum -c --quiet &&
	mlreg fsck >fsck.out 2>&1
EOF

test_expect_success '--force, --no-if-changed and register.ifChanged=false make a version' - <<-\EOF
	echo m@3 >expect &&
	mlreg register --force m d >out 2>err &&
	test_cmp expect out && test_must_be_empty err &&
	echo m@4 >expect &&
	mlreg register --no-if-changed m d >out 2>err &&
	test_cmp expect out && test_must_be_empty err &&
	git config -f .mlreg/config register.ifChanged false &&
	echo m@5 >expect &&
	mlreg register -q m d >out &&
	test_cmp expect out &&
	same m@5 mlreg register --if-changed m d &&
	git config -f .mlreg/config --unset register.ifChanged &&
	same m@5 mlreg register m d
EOF

test_expect_success '--json says "unchanged": true; with --force no member' - <<-\EOF
	mlreg register --json -q m d >j.json &&
	json_assert j.json 'd["unchanged"] is True' 'd["version"] == 5' &&
	mlreg register --force --json -q m d >j.json &&
	json_assert j.json '"unchanged" not in d' 'd["version"] == 6'
EOF

test_expect_success 'files named by a relative and an absolute path share the entry' - <<-\EOF
	same m@6 mlreg register m "$PWD/d" &&
	(cd d && mlreg register m . >../rel.out 2>../rel.err) &&
	echo m@6 >expect &&
	test_cmp expect rel.out &&
	test "$(latest m)" = 6
EOF

test_expect_success 'two registers at once: both correct, the cache stays valid' - <<-\EOF
	printf "weights three\n" >d/a &&
	{ mlreg register -q m d >o1 & } &&
	mlreg register -q m d >o2 &&
	wait &&
	test "$(cat o1 o2 | sort -u)" = m@7 &&
	test "$(latest m)" = 7 &&
	mlreg fsck >fsck.out 2>&1 &&
	same m@7 mlreg register m d
EOF

test_expect_success 'fsck says when the cache is damaged, and does not fail for it' - <<-\EOF
	mlreg fsck >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	echo "not a cache" >.mlreg/statcache &&
	mlreg fsck >out 2>err &&
	test_must_be_empty out &&
	test_grep "^warning: stat cache .*statcache.*: not a stat cache (bad magic) (ignored; the next register rewrites it)" err
EOF

test_done
