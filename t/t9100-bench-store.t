#!/bin/sh
test_description='bench/mkstore.py: the benchmarks'\'' store builder writes records fsck accepts'
. "$(dirname "$0")/lib.sh"

# bench/run builds its 100,000-version stores with bench/mkstore.py, which
# writes the records of store-format.md sections 4-6 directly.  Checked
# here through the real binary, so that a record format change the builder
# does not follow fails the suite rather than a benchmark.

MKSTORE="$TEST_DIRECTORY/../bench/mkstore.py"

test_expect_success 'setup: a store of 50 versions and one of 50 models' '
	MLREG_DIR=$SCRATCH/v mlreg init &&
	"$PYTHON" "$MKSTORE" v versions 50 team/big &&
	MLREG_DIR=$SCRATCH/m mlreg init &&
	"$PYTHON" "$MKSTORE" m models 50
'

test_expect_success 'fsck passes on both' '
	MLREG_DIR=$SCRATCH/v mlreg fsck >out &&
	test_must_be_empty out &&
	MLREG_DIR=$SCRATCH/m mlreg fsck >out &&
	test_must_be_empty out
'

test_expect_success 'list-versions shows the 50 versions, newest first, chained' - <<-\EOF
	MLREG_DIR=$SCRATCH/v mlreg list-versions team/big --json >out &&
	json_batch out schema versions -- assert \
		'[v["version"] for v in d] == list(range(50, 0, -1))' \
		'all(v["model"] == "team/big" for v in d)' \
		'all(d[i]["parent"] == d[i + 1]["id"] for i in range(49))' \
		'd[-1]["parent"] is None' \
		'all(v["files"][0]["path"] == "weights.bin" for v in d)' &&
	MLREG_DIR=$SCRATCH/v mlreg list-versions team/big >out &&
	test_line_count = 51 out &&
	MLREG_DIR=$SCRATCH/v mlreg describe team/big@1 >out &&
	grep weights.bin out
EOF

test_expect_success 'list shows the 50 models, one version each' - <<-\EOF
	MLREG_DIR=$SCRATCH/m mlreg list --json >out &&
	json_batch out schema models -- assert \
		'len(d) == 50' \
		'd[0]["name"] == "bench/m000001" and d[-1]["name"] == "bench/m000050"' \
		'all(m["latest_version"] == 1 for m in d)' &&
	MLREG_DIR=$SCRATCH/m mlreg checkout bench/m000050@1 co &&
	printf "bench\n" >expect &&
	test_cmp expect co/weights.bin
EOF

test_expect_success 'a model that exists already is refused, the store unchanged' '
	store_snapshot "$SCRATCH/v" >before &&
	test_expect_code 1 "$PYTHON" "$MKSTORE" v versions 5 team/big 2>err &&
	grep "already exists" err &&
	store_snapshot "$SCRATCH/v" >after &&
	test_cmp before after &&
	test_expect_code 1 "$PYTHON" "$MKSTORE" nostore models 5 2>err &&
	grep "not an mlreg store" err &&
	test_expect_code 2 "$PYTHON" "$MKSTORE" v versions many 2>err &&
	grep "^usage: " err &&
	store_snapshot "$SCRATCH/v" >after &&
	test_cmp before after
'

test_done
