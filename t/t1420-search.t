#!/bin/sh
test_description='search: versions of every model by a filter expression'
. "$(dirname "$0")/lib.sh"

test_expect_success 'an empty store: nothing, and [] with --json' '
	mlreg init &&
	mlreg search "version > 0" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg search "version > 0" --json >out &&
	json_equal out "[]"
'

test_expect_success 'setup: three models' - <<-\EOF
	echo one >f &&
	echo '{"accuracy": 0.91}' >a1.json &&
	echo '{"accuracy": 0.85}' >a2.json &&
	echo '{"accuracy": 0.97}' >b1.json &&
	echo '{"accuracy": 0.60}' >c1.json &&
	mlreg register --create zeta f --metrics-file a1.json --framework torch &&
	mlreg register zeta f --metrics-file a2.json --framework torch &&
	mlreg register --create team/alpha f --metrics-file b1.json --framework jax &&
	mlreg register team/alpha f --framework jax --message "no metrics" &&
	mlreg register --create team/beta f --metrics-file c1.json &&
	mlreg create empty
EOF

test_expect_success 'NAME@N lines, models by name, newest first' '
	mlreg search "version >= 1" >out &&
	test_write_lines team/alpha@2 team/alpha@1 team/beta@1 zeta@2 zeta@1 >expect &&
	test_cmp expect out
'

test_expect_success 'the filter language: metrics, framework, model globs, not' '
	mlreg search "metrics.accuracy >= 0.9" >out &&
	test_write_lines team/alpha@1 zeta@1 >expect &&
	test_cmp expect out &&
	mlreg search "model ~ ${SQ}team/*${SQ} and not has metrics.accuracy" >out &&
	test_write_lines team/alpha@2 >expect &&
	test_cmp expect out &&
	mlreg search "framework = torch or framework = jax" --filter "has metrics.accuracy" >out &&
	test_write_lines team/alpha@1 zeta@2 zeta@1 >expect &&
	test_cmp expect out
'

test_expect_success '--sort-by across models, both orders, missing last, --limit' '
	mlreg search "version > 0" --sort-by metrics.accuracy --order-by desc >out &&
	test_write_lines team/alpha@1 zeta@1 zeta@2 team/beta@1 team/alpha@2 >expect &&
	test_cmp expect out &&
	mlreg search "version > 0" --sort-by metrics.accuracy >out &&
	test_write_lines team/beta@1 zeta@2 zeta@1 team/alpha@1 team/alpha@2 >expect &&
	test_cmp expect out &&
	mlreg search "version > 0" --sort-by metrics.accuracy --order-by desc --limit 2 >out &&
	test_write_lines team/alpha@1 zeta@1 >expect &&
	test_cmp expect out &&
	mlreg search "version > 0" --limit 1 >out &&
	test_write_lines team/alpha@2 >expect &&
	test_cmp expect out &&
	mlreg search "version > 0" --sort-by model --order-by desc --limit 3 >out &&
	test_write_lines zeta@2 zeta@1 team/beta@1 >expect &&
	test_cmp expect out
'

test_expect_success '--columns: a header, then NAME@N and the fields' '
	mlreg search "has metrics.accuracy" --columns metrics.accuracy,framework >out &&
	test_line_count = 5 out &&
	test_grep "^VERSION  *metrics.accuracy  *framework$" out &&
	test_grep "^team/alpha@1  *0.97  *jax$" out &&
	test_grep "^team/beta@1  *0.6  *-$" out
'

test_expect_success '--json: version objects with their model' '
	mlreg search "metrics.accuracy > 0.8" --sort-by metrics.accuracy --json >out &&
	json_assert out "[(v[\"model\"], v[\"version\"]) for v in d] == [(\"zeta\", 2), (\"zeta\", 1), (\"team/alpha\", 1)]" \
		"all(len(v[\"id\"]) == 64 and \"files\" in v for v in d)" &&
	mlreg search "model = zeta" --columns metrics.accuracy --json >out &&
	json_assert out "d == [{\"model\": \"zeta\", \"version\": 2, \"id\": d[0][\"id\"], \"columns\": {\"metrics.accuracy\": 0.85}}, {\"model\": \"zeta\", \"version\": 1, \"id\": d[1][\"id\"], \"columns\": {\"metrics.accuracy\": 0.91}}]"
'

test_expect_success 'errors: bad expression, unknown field, too deep, usage' '
	test_fails 129 "^error: invalid filter at column 9: expected a value$" mlreg search "size >= " &&
	test_fails 129 "^error: invalid filter at column 1: unknown field ${SQ}accuracy${SQ}" \
		mlreg search "accuracy > 1" &&
	deep=$(printf "%0100d" 0 | tr 0 "(") &&
	test_fails 129 "^error: invalid filter at column 65: nested too deeply$" \
		mlreg search "${deep}size = 1" &&
	test_fails 129 "^error: invalid filter at column 9: expected a value$" \
		mlreg search "size > 1" --filter "size >= " &&
	test_fails 129 "^error: missing expression" mlreg search &&
	test_fails 129 "^error: too many arguments" mlreg search "size > 1" "size > 2" &&
	test_fails 129 "^error: unknown field ${SQ}x${SQ}" mlreg search "size > 1" --sort-by x &&
	test_fails 129 "^error: --limit wants a number" mlreg search "size > 1" --limit many &&
	test_fails 129 "^error: unknown option" mlreg search --remote x "size > 1"
'

test_expect_success 'no store: fatal' '
	test_fails 128 "" env MLREG_DIR="$PWD/nostore" mlreg search "size > 1"
'

test_expect_success 'a corrupt version record fails the search' '
	cp "$(version_record zeta 1)" saved &&
	test_when_finished "cp saved \"$(version_record zeta 1)\"" &&
	echo "{" >"$(version_record zeta 1)" &&
	test_must_fail mlreg search "version = 1" >out 2>err &&
	test_line_count = 1 err &&
	test_grep "^error: " err
'

test_expect_success 'search changes nothing' '
	store_snapshot >before &&
	mlreg search "has metrics.accuracy" --sort-by created --columns size >/dev/null &&
	mlreg search "version > 0" --json >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_done
