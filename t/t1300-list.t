#!/bin/sh
test_description='list: models, sorted and filtered'
. "$(dirname "$0")/lib.sh"

# names [LIST-OPTIONS...]: the names mlreg list prints, one a line, from its
# human form (first column after the header) and, checked to agree, from
# its JSON form.
names () {
	mlreg list "$@" >list.out &&
	mlreg list --json "$@" >list.json &&
	sed -n '2,$p' list.out | awk '{ print $1 }' >names.human &&
	json_batch list.json schema models -- \
		get '"\n".join(m["name"] for m in d)' >names.raw &&
	sed '/^$/d' names.raw >names.json &&
	test_cmp names.json names.human &&
	cat names.json
}

test_expect_success 'setup' '
	mlreg init
'

test_expect_success 'no models: list prints nothing, --json prints []' '
	mlreg list >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg list --json >out &&
	json_equal out "[]"
'

# Created in the order gamma, alpha, beta, delta; their descriptions sort
# as delta (it has none), gamma, beta, alpha; beta gets two versions before
# delta is created, then alpha is updated, then gamma.
test_expect_success 'setup: four models' - <<-\EOF
	mlreg create gamma -d "a first" &&
	mlreg create alpha -d "c third" &&
	mlreg create beta -d "b second" &&
	printf x >x.bin &&
	mlreg register beta x.bin &&
	mlreg register --force beta x.bin &&
	mlreg create team/delta &&
	mlreg metadata alpha --add touched=1 &&
	mlreg metadata gamma --add touched=2
EOF

test_expect_success 'default: by name, ascending' '
	names >actual &&
	test_write_lines alpha beta gamma team/delta >expect &&
	test_cmp expect actual
'

test_expect_success 'the human form: a header, then one aligned row per model' - <<-\EOF
	mlreg list >out &&
	test_line_count = 5 out &&
	head -n 1 out >header &&
	test_grep '^NAME  *VERSIONS  *LAST UPDATED  *DESCRIPTION *$' header &&
	test_grep '^beta  *2  *[0-9-]*T[0-9:.]*Z  *b second *$' out &&
	test_grep '^team/delta  *0  *[0-9-]*T[0-9:.]*Z *$' out &&
	col=$(awk 'NR == 1 { print index($0, "VERSIONS") }' out) &&
	test "$col" -gt 0 &&
	dcol=$(awk 'NR == 1 { print index($0, "DESCRIPTION") }' out) &&
	awk -v c="$dcol" 'NR > 1 && length($0) >= c && substr($0, c - 1, 1) != " " { bad = 1 } END { exit bad }' out &&
	awk -v c="$dcol" 'NR == 4 && substr($0, c) != "a first" { exit 1 }' out
EOF

test_expect_success '--json: model objects without a version key' - <<-\EOF
	mlreg list --json >out 2>err &&
	test_must_be_empty err &&
	json_batch out schema models -- assert 'len(d) == 4' \
		'all("version" not in m for m in d)' \
		'[m["latest_version"] for m in d] == [0, 2, 0, 0]' \
		'd[0]["metadata"] == {"touched": "1"}' \
		'd[3]["description"] == ""'
EOF

test_expect_success '--order-by desc' '
	names --order-by desc >actual &&
	test_write_lines team/delta gamma beta alpha >expect &&
	test_cmp expect actual &&
	names --order-by asc >actual &&
	test_write_lines alpha beta gamma team/delta >expect &&
	test_cmp expect actual
'

test_expect_success '--sort-by name' '
	names --sort-by name >actual &&
	test_write_lines alpha beta gamma team/delta >expect &&
	test_cmp expect actual &&
	names --sort-by name --order-by desc >actual &&
	test_write_lines team/delta gamma beta alpha >expect &&
	test_cmp expect actual
'

test_expect_success '--sort-by description' '
	names --sort-by description >actual &&
	test_write_lines team/delta gamma beta alpha >expect &&
	test_cmp expect actual &&
	names --sort-by description --order-by desc >actual &&
	test_write_lines alpha beta gamma team/delta >expect &&
	test_cmp expect actual
'

test_expect_success '--sort-by creation_time' '
	names --sort-by creation_time >actual &&
	test_write_lines gamma alpha beta team/delta >expect &&
	test_cmp expect actual &&
	names --sort-by creation_time --order-by desc >actual &&
	test_write_lines team/delta beta alpha gamma >expect &&
	test_cmp expect actual
'

test_expect_success '--sort-by last_updated_time' '
	names --sort-by last_updated_time >actual &&
	test_write_lines beta team/delta alpha gamma >expect &&
	test_cmp expect actual &&
	names --order-by desc --sort-by last_updated_time >actual &&
	test_write_lines gamma alpha team/delta beta >expect &&
	test_cmp expect actual
'

test_expect_success 'registering a version updates last_updated_time' - <<-\EOF
	mlreg describe team/delta --json >before.json &&
	mlreg register team/delta x.bin &&
	mlreg describe team/delta --json >after.json &&
	test "$(json_get before.json 'd["creation_time"]')" = \
		"$(json_get after.json 'd["creation_time"]')" &&
	test "$(json_get before.json 'd["last_updated_time"]')" != \
		"$(json_get after.json 'd["last_updated_time"]')" &&
	names --sort-by last_updated_time --order-by desc >actual &&
	test_write_lines team/delta gamma alpha beta >expect &&
	test_cmp expect actual
EOF

test_expect_success 'the time orders agree with the times listed' - <<-\EOF
	mlreg list --json --sort-by creation_time >out &&
	json_assert out '[m["creation_time"] for m in d] == sorted(m["creation_time"] for m in d)' &&
	mlreg list --json --sort-by last_updated_time >out &&
	json_assert out '[m["last_updated_time"] for m in d] == sorted(m["last_updated_time"] for m in d)'
EOF

test_expect_success '--name filters by a case-sensitive substring' '
	names --name ph >actual &&
	test_write_lines alpha >expect &&
	test_cmp expect actual &&
	names --name a >actual &&
	test_write_lines alpha beta gamma team/delta >expect &&
	test_cmp expect actual &&
	names --name team/ >actual &&
	test_write_lines team/delta >expect &&
	test_cmp expect actual
'

test_expect_success '--name matching nothing: no output at all' '
	mlreg list --name ALPHA >out &&
	test_must_be_empty out &&
	mlreg list --name ALPHA --json >out &&
	json_equal out "[]"
'

test_expect_success '--description filters by a case-sensitive substring' '
	names --description second >actual &&
	test_write_lines beta >expect &&
	test_cmp expect actual &&
	mlreg list --description Second >out &&
	test_must_be_empty out &&
	names --description " t" --sort-by description --order-by desc >actual &&
	test_write_lines alpha >expect &&
	test_cmp expect actual
'

test_expect_success 'filters combine, and with sorting' '
	names --name a --description i --sort-by creation_time >actual &&
	test_write_lines gamma alpha >expect &&
	test_cmp expect actual &&
	names --name e --description d --order-by desc >actual &&
	test_write_lines beta >expect &&
	test_cmp expect actual &&
	names --name a --description " " --order-by desc >actual &&
	test_write_lines gamma beta alpha >expect &&
	test_cmp expect actual
'

test_expect_success 'a multi-line description still makes one row' - <<-\EOF
	(
		MLREG_DIR="$SCRATCH/store2" &&
		mlreg init &&
		mlreg create aa -d "first line
second line" &&
		mlreg create bb -d "plain" &&
		mlreg list >"$SCRATCH/out"
	) &&
	test_line_count = 3 out &&
	awk '{ print $1 }' out >names &&
	test_write_lines NAME aa bb >expect &&
	test_cmp expect names &&
	test_grep '^aa .*first line' out
EOF

test_expect_success 'a bad --sort-by or --order-by is a usage error' '
	test_fails 129 "size" mlreg list --sort-by size &&
	test_fails 129 "NAME" mlreg list --sort-by NAME &&
	test_fails 129 "up" mlreg list --order-by up &&
	test_fails 129 "" mlreg list --sort-by "" &&
	test_fails 129 "${SQ}--order-by${SQ}" mlreg list --json --order-by
'

test_expect_success 'list takes no positional argument' '
	test_fails 129 "" mlreg list alpha
'

test_expect_success 'list changes nothing' '
	store_snapshot >before &&
	mlreg list >/dev/null &&
	mlreg list --json --sort-by last_updated_time >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_done
