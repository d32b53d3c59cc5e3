#!/bin/sh
test_description='the command line: version, help, usage errors, store discovery'
. "$(dirname "$0")/lib.sh"

COMMANDS='init create register describe list list-versions metadata checkout fsck help'

test_expect_success '--version prints the version' '
	mlreg --version >out 2>err &&
	test_write_lines "mlreg 0.1.0" >expect &&
	test_cmp expect out &&
	test_must_be_empty err
'

test_expect_success '--help, -h and help print the usage on stdout' '
	for how in --help -h help
	do
		mlreg $how >out 2>err &&
		test_grep -i "usage" out &&
		test_must_be_empty err &&
		for c in $COMMANDS
		do
			test_grep -w -e "$c" out || return 1
		done || return 1
	done
'

test_expect_success 'every command takes -h and --help, without a store' '
	(
		MLREG_DIR="$SCRATCH/none" &&
		for c in $COMMANDS
		do
			for h in -h --help
			do
				mlreg $c $h >out 2>err &&
				test_must_be_empty err &&
				test_grep -i "usage" out &&
				test_grep -e "mlreg $c" out || exit 1
			done || exit 1
		done
	) &&
	test_path_is_missing none
'

test_expect_success 'help COMMAND shows that command'"'"'s usage' '
	for c in $COMMANDS
	do
		mlreg help $c >out 2>err &&
		test_must_be_empty err &&
		test_grep -e "mlreg $c" out || return 1
	done
'

test_expect_success 'an unknown command is a usage error' '
	test_fails 129 "bogus" mlreg bogus &&
	test_fails 129 "bogus" mlreg bogus --json
'

test_expect_success 'help for an unknown command fails' '
	test_fails "1|129" "bogus" mlreg help bogus
'

test_expect_success 'an unknown global option is a usage error' '
	test_fails 129 "unknown option ${SQ}--bogus${SQ}" mlreg --bogus list
'

test_expect_success 'setup: a store' '
	mlreg init >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test_path_is_file .mlreg/format
'

test_expect_success 'an unknown option of a command is a usage error' '
	for c in init create register describe list list-versions metadata checkout fsck
	do
		test_fails 129 "unknown option ${SQ}--bogus${SQ}" mlreg $c --bogus || return 1
	done
'

test_expect_success 'the unknown-option message points to the command help' '
	test_fails 129 "^error: unknown option ${SQ}--bogus${SQ} (see ${SQ}mlreg register -h${SQ})$" \
		mlreg register --bogus
'

test_expect_success 'an unknown short option is a usage error' '
	test_fails 129 "Z" mlreg list -Z
'

test_expect_success 'missing and extra arguments are usage errors' '
	test_fails 129 "" mlreg create &&
	test_fails 129 "" mlreg create a b &&
	test_fails 129 "" mlreg register &&
	test_fails 129 "" mlreg describe &&
	test_fails 129 "" mlreg describe a b &&
	test_fails 129 "" mlreg list extra &&
	test_fails 129 "" mlreg list-versions &&
	test_fails 129 "" mlreg metadata &&
	test_fails 129 "" mlreg checkout &&
	test_fails 129 "" mlreg fsck extra
'

test_expect_success 'an option that needs a value and has none is a usage error' '
	test_fails 129 "${SQ}-d${SQ}" mlreg create m -d &&
	test_fails 129 "${SQ}--description${SQ}\|${SQ}-d${SQ}" mlreg create m --description &&
	test_fails 129 "${SQ}--sort-by${SQ}" mlreg list --sort-by &&
	test_fails 129 "${SQ}--order-by${SQ}" mlreg list --json --order-by &&
	test_fails 129 "${SQ}--message${SQ}" mlreg register m x --message &&
	test_path_is_missing "$(model_dir m)"
'

test_expect_success 'options may follow positional arguments' '
	mlreg create perm1 -d "after" &&
	mlreg create -d "before" perm2 &&
	test "$(mlreg describe perm1 --json | json_get - "d[\"description\"]")" = after &&
	test "$(mlreg describe --json perm2 | json_get - "d[\"description\"]")" = before
'

test_expect_success '-- ends the options' '
	test_fails 128 "invalid model name" mlreg create -- --json &&
	test_fails 129 "" mlreg create -- plain --json &&
	mlreg create -- plain >out &&
	test_must_be_empty out &&
	mlreg describe plain --json >out &&
	test "$(json_get out "d[\"name\"]")" = plain
'

# The no-store message can only be seen where no directory above the
# scratch directory holds a .mlreg.
d=$TEST_ROOT
while test "$d" != / && ! test -e "$d/.mlreg"
do
	d=$(dirname "$d")
done
test -e "$d/.mlreg" || test_set_prereq NO_STORE_ABOVE

test_expect_success NO_STORE_ABOVE 'no store anywhere: fatal, and the message says mlreg init' '
	mkdir -p "$TEST_ROOT/nostore/sub" &&
	(
		cd "$TEST_ROOT/nostore/sub" &&
		unset MLREG_DIR &&
		test_fails 128 "^fatal: not an mlreg store (or any parent up to /): \.mlreg; run ${SQ}mlreg init${SQ}$" \
			mlreg list &&
		test_fails 128 "run ${SQ}mlreg init${SQ}" mlreg create m &&
		test_fails 128 "run ${SQ}mlreg init${SQ}" mlreg fsck
	) &&
	test_path_is_missing "$TEST_ROOT/nostore/sub/.mlreg" &&
	test_path_is_missing "$TEST_ROOT/nostore/.mlreg"
'

test_expect_success 'every command but init and help needs a store' '
	(
		MLREG_DIR="$SCRATCH/missing-store" &&
		test_fails 128 "" mlreg list &&
		test_fails 128 "" mlreg create m &&
		test_fails 128 "" mlreg describe m &&
		test_fails 128 "" mlreg list-versions m &&
		test_fails 128 "" mlreg metadata m &&
		test_fails 128 "" mlreg fsck &&
		test_fails 128 "" mlreg checkout m co-target &&
		echo x >f && test_fails 128 "" mlreg register --create m f
	) &&
	test_path_is_missing missing-store &&
	test_path_is_missing co-target
'

test_expect_success 'setup: three stores' '
	(
		unset MLREG_DIR &&
		mlreg init a &&
		mlreg init b &&
		mlreg init outer &&
		mlreg init outer/inner &&
		mkdir -p outer/inner/sub/deeper outer/other/deeper
	) &&
	test_path_is_file a/.mlreg/format &&
	test_path_is_file b/.mlreg/format &&
	test_path_is_file outer/.mlreg/format &&
	test_path_is_file outer/inner/.mlreg/format
'

test_expect_success '--store beats MLREG_DIR and the working directory' '
	(
		cd outer/inner/sub &&
		MLREG_DIR="$SCRATCH/b/.mlreg" mlreg --store "$SCRATCH/a/.mlreg" create s1
	) &&
	test_path_is_file a/.mlreg/models/s1/model.json &&
	test_path_is_missing b/.mlreg/models/s1 &&
	test_path_is_missing outer/inner/.mlreg/models/s1
'

test_expect_success '--store may be relative to the working directory' '
	(
		cd outer &&
		MLREG_DIR="$SCRATCH/b/.mlreg" mlreg --store ../a/.mlreg create s2
	) &&
	test_path_is_file a/.mlreg/models/s2/model.json
'

test_expect_success 'MLREG_DIR beats the working directory' '
	(
		cd outer/inner/sub &&
		MLREG_DIR="$SCRATCH/b/.mlreg" mlreg create e1
	) &&
	test_path_is_file b/.mlreg/models/e1/model.json &&
	test_path_is_missing outer/inner/.mlreg/models/e1
'

test_expect_success 'without either, the nearest .mlreg above the working directory' '
	(
		cd outer/inner/sub/deeper &&
		unset MLREG_DIR &&
		mlreg create n1
	) &&
	test_path_is_file outer/inner/.mlreg/models/n1/model.json &&
	test_path_is_missing outer/.mlreg/models/n1 &&
	(
		cd outer/other/deeper &&
		unset MLREG_DIR &&
		mlreg create n2
	) &&
	test_path_is_file outer/.mlreg/models/n2/model.json &&
	test_path_is_missing outer/inner/.mlreg/models/n2 &&
	(
		cd outer/inner &&
		unset MLREG_DIR &&
		mlreg create n3
	) &&
	test_path_is_file outer/inner/.mlreg/models/n3/model.json
'

test_expect_success 'a discovered store is used from inside it too' '
	(
		cd outer/inner/.mlreg/models &&
		unset MLREG_DIR &&
		mlreg describe n1 --json >"$SCRATCH/out"
	) &&
	test "$(json_get out "d[\"name\"]")" = n1
'

test_expect_success '--store or MLREG_DIR naming something that is not a store is fatal' '
	mkdir not-a-store &&
	test_fails 128 "not-a-store" mlreg --store not-a-store list &&
	(
		MLREG_DIR="$SCRATCH/not-a-store" &&
		test_fails 128 "not-a-store" mlreg list
	) &&
	test_fails 128 "" mlreg --store "$SCRATCH/nowhere" list &&
	test_path_is_missing nowhere &&
	find not-a-store >actual &&
	echo not-a-store >expect &&
	test_cmp expect actual
'

test_expect_success '--store without a value is a usage error' '
	test_fails 129 "" mlreg --store
'

test_done
