#!/bin/sh
test_description='a full disk during a download: one-line error, nothing visible, a rerun succeeds'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

# A 4 MiB tmpfs holds the downloading store; mounting needs root (CI is root).
if test_have_prereq ROOT && mkdir small && mount -t tmpfs -o size=4m tmpfs small 2>/dev/null
then
	test_set_prereq SMALLFS
	test_atexit 'umount "$SCRATCH/small" 2>/dev/null'
fi

test_expect_success SMALLFS 'setup: a remote holding a version larger than the disk' '
	mlreg init big && remote_add big/.mlreg origin shared &&
	make_files m 1 6000000 && make_files m/small 20 1000 &&
	mlreg --store big/.mlreg register --create m m >/dev/null &&
	printf "tiny\n" >tiny && mlreg --store big/.mlreg register --create t tiny >/dev/null &&
	mlreg --store big/.mlreg upload >/dev/null &&
	STORE=$SCRATCH/small/.mlreg && mlreg init small && remote_add "$STORE" origin shared
'

test_expect_success SMALLFS 'download fails with a one-line no-space error, nothing visible' '
	test_fails_remote 128 "^fatal: cannot store object [0-9a-f]*: .*No space left on device" \
		mlreg --store "$STORE" download m &&
	mlreg --store "$STORE" list --json >l && json_equal l "[]" &&
	mlreg --store "$STORE" fsck
'

test_expect_success SMALLFS 'the failed copy left no temporary file' '
	find "$STORE/tmp" -type f >left &&
	test_must_be_empty left
'

test_expect_success SMALLFS 'what fits is downloaded; the rest, once there is room' '
	echo t@1 >expect &&
	mlreg --store "$STORE" download t >out && test_cmp expect out &&
	mlreg --store "$STORE" checkout t tt && cmp tiny tt/tiny &&
	umount small && mlreg init small && remote_add "$STORE" origin shared &&
	mlreg --store "$STORE" download m >out && echo m@1 >expect && test_cmp expect out &&
	mlreg --store "$STORE" checkout m mm && diff -r m mm &&
	mlreg --store "$STORE" fsck
'

test_done
