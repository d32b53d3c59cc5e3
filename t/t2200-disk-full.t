#!/bin/sh
test_description='a full disk: one-line error, nothing visible, a rerun succeeds'
. "$(dirname "$0")/lib.sh"

# A 4 MiB tmpfs holds the store; mounting needs root (CI runs as root).
if test_have_prereq ROOT && mkdir small && mount -t tmpfs -o size=4m tmpfs small 2>/dev/null
then
	test_set_prereq SMALLFS
fi

test_expect_success SMALLFS 'setup a store on a small filesystem' '
	MLREG_DIR=$SCRATCH/small/.mlreg &&
	export MLREG_DIR &&
	mlreg init &&
	mlreg create m &&
	head -c 8388608 /dev/urandom >big.bin &&
	printf small >small.bin
'

test_expect_success SMALLFS 'register fails with a one-line no-space error' '
	test_expect_code 128 mlreg register m big.bin >out 2>err &&
	test_must_be_empty out &&
	test_line_count = 1 err &&
	test_grep "^fatal: cannot store .big.bin.*No space left on device" err
'

test_expect_success SMALLFS 'no version is visible and the store is consistent' '
	mlreg list-versions m --json >versions.json &&
	json_equal versions.json "[]" &&
	mlreg fsck
'

test_expect_success SMALLFS 'the failed copy left no temporary file' '
	find "$MLREG_DIR/tmp" -type f >left &&
	test_must_be_empty left
'

test_expect_success SMALLFS 'once there is room, a rerun registers version 1' '
	printf "m@1\n" >expect &&
	mlreg register m small.bin >actual &&
	test_cmp expect actual &&
	mlreg fsck
'

test_have_prereq SMALLFS && umount small
test_done
