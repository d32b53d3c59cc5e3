#!/bin/sh
test_description='init: creating a store'
. "$(dirname "$0")/lib.sh"

# check_store DIR: DIR is a fresh, empty store of format 1.
check_store () {
	printf 'mlreg store format 1\n' >expect.format &&
	test_cmp expect.format "$1/format" &&
	test_path_is_dir "$1/objects" &&
	test_path_is_dir "$1/models" &&
	test_path_is_file "$1/config" &&
	test "$(find "$1/objects" "$1/models" ! -type d | wc -l)" = 0
}

test_expect_success 'init in the working directory creates .mlreg, quietly' '
	(
		unset MLREG_DIR &&
		mkdir proj &&
		cd proj &&
		mlreg init >../out 2>../err
	) &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	check_store proj/.mlreg
'

test_expect_success 'the new store is usable and empty' '
	(
		cd proj &&
		unset MLREG_DIR &&
		mlreg list >../out &&
		mlreg list --json >../out.json &&
		mlreg fsck
	) &&
	test_must_be_empty out &&
	json_equal out.json "[]"
'

test_expect_success 'init DIR creates DIR/.mlreg, and DIR and its parents if missing' '
	(
		unset MLREG_DIR &&
		mlreg init new/deep/dir >out 2>err
	) &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	check_store new/deep/dir/.mlreg &&
	test_path_is_missing new/.mlreg &&
	test_path_is_missing .mlreg
'

test_expect_success 'init DIR with DIR existing' '
	mkdir existing &&
	echo keep >existing/file &&
	(unset MLREG_DIR && mlreg init existing) &&
	check_store existing/.mlreg &&
	echo keep >expect &&
	test_cmp expect existing/file
'

test_expect_success 'init with MLREG_DIR creates the store exactly there' '
	MLREG_DIR="$SCRATCH/custom/store" mlreg init >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	check_store custom/store &&
	test_path_is_missing custom/store/.mlreg &&
	test_path_is_missing .mlreg
'

test_expect_success 'init with --store creates the store exactly there' '
	mlreg --store "$SCRATCH/other-store" init &&
	check_store other-store &&
	test_path_is_missing other-store/.mlreg &&
	test_path_is_missing .mlreg
'

test_expect_success 'the default store of the tests' '
	mlreg init &&
	check_store .mlreg
'

test_expect_success 'init again on an existing store is a quiet no-op' '
	mlreg create m -d "kept" -m k=v &&
	store_snapshot >before &&
	mlreg init >out 2>err &&
	store_snapshot >after &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test_cmp before after &&
	(unset MLREG_DIR && mlreg init >out 2>err) &&
	store_snapshot >after &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test_cmp before after &&
	mlreg describe m --json >d.json &&
	json_assert d.json "d[\"description\"] == \"kept\"" "d[\"metadata\"] == {\"k\": \"v\"}"
'

test_expect_success 'init where .mlreg is a regular file is fatal and leaves it alone' '
	mkdir clash &&
	echo "not a store" >clash/.mlreg &&
	(
		unset MLREG_DIR &&
		test_fails 128 "\.mlreg" mlreg init clash
	) &&
	echo "not a store" >expect &&
	test_cmp expect clash/.mlreg &&
	(
		cd clash &&
		unset MLREG_DIR &&
		test_fails 128 "\.mlreg" mlreg init
	) &&
	test_cmp expect clash/.mlreg &&
	test "$(ls -A clash)" = .mlreg
'

test_expect_success 'init with MLREG_DIR naming a regular file is fatal' '
	echo "plain file" >plain &&
	(
		MLREG_DIR="$SCRATCH/plain" &&
		test_fails 128 "plain" mlreg init
	) &&
	echo "plain file" >expect &&
	test_cmp expect plain
'

test_expect_success 'init DIR where DIR is a regular file is fatal' '
	echo "a file" >afile &&
	(
		unset MLREG_DIR &&
		test_fails 128 "afile" mlreg init afile
	) &&
	echo "a file" >expect &&
	test_cmp expect afile
'

test_expect_success 'init takes at most one directory' '
	(
		unset MLREG_DIR &&
		test_fails 129 "" mlreg init x y
	) &&
	test_path_is_missing x &&
	test_path_is_missing y
'

test_done
