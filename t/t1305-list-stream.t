#!/bin/sh
test_description='list: records read one at a time, in name order, the same listing'
. "$(dirname "$0")/lib.sh"

# 'mlreg list' reads each model record and frees it before the next one
# (--json sorted by name prints each as it is read).  What it prints must
# still be every live model of the records, in the order asked.

MKSTORE="$TEST_DIRECTORY/../bench/mkstore.py"

# expect_json ORDER KEY: what list --json must print, computed from the
# records by Python (deleted models and directories without a record left
# out).
expect_json () {
	"$PYTHON" -S -c '
import json, os, sys
order, key = sys.argv[1], sys.argv[2]
root = os.path.join(os.environ["MLREG_DIR"], "models")
out = []
for enc in os.listdir(root):
    p = os.path.join(root, enc, "model.json")
    if not os.path.exists(p):
        continue
    m = json.load(open(p))
    if "deleted" in m:
        continue
    m.pop("latest_id", None)
    m.pop("latest_event_id", None)
    out.append(m)
out.sort(key=lambda m: (str(m.get(key, "")), m["name"]), reverse=(order == "desc"))
print(json.dumps(out))
' "$1" "$2" >expect.json
}

test_expect_success 'setup: 300 models, one deleted, one half created' '
	mlreg init &&
	"$PYTHON" "$MKSTORE" .mlreg models 300 &&
	mlreg create zeta -d "second line follows
second" &&
	mlreg create aaa -d "zzz first by name, last by description" &&
	mlreg delete bench/m000007 &&
	mkdir .mlreg/models/half
'

for order in asc desc
do
	for key in name description creation_time last_updated_time
	do
		test_expect_success "--json --sort-by $key --order-by $order: the records" "
			MLREG_DIR=.mlreg &&
			export MLREG_DIR &&
			mlreg list --json --sort-by $key --order-by $order >out &&
			expect_json $order $key &&
			json_equal out \"\$(cat expect.json)\"
		"
	done
done

test_expect_success 'the human form: the same names, in the same order' '
	mlreg list --order-by desc >out &&
	test_line_count = 302 out &&
	mlreg list --json --order-by desc >out.json &&
	json_batch out.json schema models -- get "\"\\n\".join(m[\"name\"] for m in d)" >names.raw &&
	sed -n "2,\$p" out | awk "{ print \$1 }" >names.human &&
	sed "/^\$/d" names.raw >names.json &&
	test_cmp names.json names.human &&
	! grep m000007 out &&
	grep "^zeta  *0 .* second line follows\$" out
'

test_expect_success 'a broken record mid-listing: exit code 1 after the models before it' '
	printf "{" >".mlreg/models/bench%2Fm000150/model.json" &&
	test_must_fail mlreg list --json >out 2>err &&
	test_grep m000150 err &&
	json_batch out schema models -- assert "len(d) == 149 and d[-1][\"name\"] == \"bench/m000149\"" &&
	test_must_fail mlreg list >out 2>err &&
	test_grep m000150 err &&
	test_must_be_empty out
'

test_done
