#!/bin/sh
test_description='list-versions --filter, --sort-by, --order-by, --limit and --columns'
. "$(dirname "$0")/lib.sh"

# versions NAME ARGS...: the version numbers list-versions --json prints, on one line
versions () {
	mlreg list-versions "$@" --json >v.json &&
	json_get v.json '" ".join(str(v["version"]) for v in d)'
}

test_expect_success 'setup: five versions with metrics, hparams, metadata' - <<-\EOF
	mlreg init &&
	echo one >f &&
	echo '{"accuracy": 0.80}' >m1.json &&
	echo '{"accuracy": 0.95, "loss": {"val": 0.2}}' >m2.json &&
	echo '{"loss": {"val": 0.5}}' >m3.json &&
	echo '{"accuracy": 0.90, "loss": {"val": 0.3}}' >m4.json &&
	echo '{"accuracy": 0.70, "val.acc": 0.6}' >m5.json &&
	echo '{"lr": 0.1, "opt": "sgd"}' >h1.json &&
	echo '{"lr": 0.01, "opt": "adam"}' >h2.json &&
	mlreg register --create m f --metrics-file m1.json --hparams-file h1.json \
		--framework torch:2.1 -m team=vision -m epochs=10 --message baseline &&
	mlreg register m f --metrics-file m2.json --hparams-file h2.json \
		--framework torch:2.2 -m team=vision -m epochs=9 -m "ci:={\"run\": 42}" --message "more epochs" &&
	mlreg register m f --metrics-file m3.json --framework sklearn --message "no accuracy" &&
	mlreg register m f --metrics-file m4.json --framework jax -m team=nlp --message pruned &&
	mlreg register m f --metrics-file m5.json --message "val.acc as a flat key"
EOF

test_expect_success 'no option: every version, newest first, as before' '
	echo "5 4 3 2 1" >expect &&
	versions m >actual &&
	test_cmp expect actual
'

test_expect_success '--filter: numbers compare as numbers' '
	echo "4 2" >expect && versions m --filter "metrics.accuracy>=0.9" >actual && test_cmp expect actual &&
	echo "2" >expect && versions m --filter "metrics.accuracy > 0.9" >actual && test_cmp expect actual &&
	echo "5 1" >expect && versions m --filter "metrics.accuracy < 0.9" >actual && test_cmp expect actual &&
	echo "5 4 1" >expect && versions m --filter "metrics.accuracy <= 0.9" >actual && test_cmp expect actual &&
	echo "1" >expect && versions m --filter "metrics.accuracy = 0.8" >actual && test_cmp expect actual &&
	echo "1" >expect && versions m --filter "metrics.accuracy = 8e-1" >actual && test_cmp expect actual &&
	echo "5 4 2" >expect && versions m --filter "metrics.accuracy != 0.8" >actual && test_cmp expect actual &&
	echo "3 2" >expect && versions m --filter "version >= 2 and version<=3" >actual && test_cmp expect actual &&
	echo "5 4 3 2 1" >expect && versions m --filter "size = 4" >actual && test_cmp expect actual
'

test_expect_success '--filter: nested keys, a flat key with a dot, strings' '
	echo "4 2" >expect && versions m --filter "metrics.loss.val < 0.4" >actual && test_cmp expect actual &&
	echo "5" >expect && versions m --filter "metrics.val.acc = 0.6" >actual && test_cmp expect actual &&
	echo "2" >expect && versions m --filter "hparams.opt = adam" >actual && test_cmp expect actual &&
	echo "1" >expect && versions m --filter "hparams.opt = ${SQ}sgd${SQ}" >actual && test_cmp expect actual &&
	echo "2" >expect && versions m --filter "metadata.ci.run = 42" >actual && test_cmp expect actual &&
	echo "2 1" >expect && versions m --filter "metadata.team = \"vision\"" >actual && test_cmp expect actual &&
	echo "4" >expect && versions m --filter "metadata.team < vision" >actual && test_cmp expect actual &&
	echo "1" >expect && versions m --filter "metadata.epochs > 9.5" >actual && test_cmp expect actual &&
	echo "1" >expect && versions m --filter "metadata.epochs < ${SQ}9${SQ}" >actual && test_cmp expect actual &&
	echo "4 2 1" >expect && versions m --filter "metadata.team >= 2" >actual && test_cmp expect actual &&
	echo "4" >expect && versions m --filter "message = pruned" >actual && test_cmp expect actual &&
	echo "5" >expect && versions m --filter "message = ${SQ}val.acc as a flat key${SQ}" >actual && test_cmp expect actual
'

test_expect_success '--filter: a quoted number is a string, never equal to a number' '
	echo "" >expect &&
	versions m --filter "metrics.accuracy = ${SQ}0.8${SQ}" >actual &&
	test_cmp expect actual
'

test_expect_success '--filter: framework is its name, ~ is a glob' '
	echo "2 1" >expect && versions m --filter "framework = torch" >actual && test_cmp expect actual &&
	echo "3" >expect && versions m --filter "framework ~ sk*" >actual && test_cmp expect actual &&
	echo "3" >expect && versions m --filter "message ~ ${SQ}*[cd]*${SQ} and not message ~ *e*" >actual &&
	test_cmp expect actual
'

test_expect_success '--filter: created compares as a time' '
	echo "5 4 3 2 1" >expect &&
	versions m --filter "created > 2000-01-01" >actual && test_cmp expect actual &&
	versions m --filter "created < 2999-01-01T00:00:00+02:00" >actual && test_cmp expect actual &&
	echo "" >expect &&
	versions m --filter "created <= 2000-01-01T00:00:00.5Z" >actual && test_cmp expect actual &&
	mlreg describe m@3 --json >d3.json &&
	t3=$(json_get d3.json "d[\"version\"][\"created\"]") &&
	echo "3" >expect &&
	versions m --filter "created = $t3" >actual && test_cmp expect actual
'

test_expect_success '--filter: missing fields make comparisons false, not makes them true' '
	echo "3" >expect && versions m --filter "not metrics.accuracy > 0" >actual && test_cmp expect actual &&
	echo "3" >expect && versions m --filter "not has metrics.accuracy" >actual && test_cmp expect actual &&
	echo "4 3 2" >expect && versions m --filter "has metrics.loss" >actual && test_cmp expect actual &&
	echo "5" >expect && versions m --filter "not has framework" >actual && test_cmp expect actual &&
	echo "" >expect && versions m --filter "metrics.nope != 1" >actual && test_cmp expect actual &&
	echo "" >expect && versions m --filter "metrics.accuracy < zzz" >actual && test_cmp expect actual &&
	echo "" >expect && versions m --filter "metrics.loss = 1" >actual && test_cmp expect actual
'

test_expect_success '--filter: and binds tighter than or; parentheses; several --filter AND' '
	echo "4 3 1" >expect &&
	versions m --filter "version = 1 or version = 3 and has metrics.loss or version = 4" >actual &&
	test_cmp expect actual &&
	echo "3" >expect &&
	versions m --filter "(version = 1 or version = 3) and not has metrics.accuracy" >actual &&
	test_cmp expect actual &&
	echo "2" >expect &&
	versions m --filter "framework = torch" --filter "metrics.accuracy > 0.9" >actual &&
	test_cmp expect actual &&
	echo "5 4 3 1" >expect &&
	versions m --filter "not (version = 2)" >actual && test_cmp expect actual &&
	echo "2" >expect &&
	versions m --filter "not not (((version = 2)))" >actual && test_cmp expect actual
'

test_expect_success '--sort-by: ascending unless told, missing keys last both ways' '
	echo "5 1 4 2 3" >expect &&
	versions m --sort-by metrics.accuracy >actual && test_cmp expect actual &&
	versions m --sort-by metrics.accuracy --order-by asc >actual && test_cmp expect actual &&
	echo "2 4 1 5 3" >expect &&
	versions m --sort-by metrics.accuracy --order-by desc >actual && test_cmp expect actual &&
	echo "2 4 3 5 1" >expect &&
	versions m --sort-by metrics.loss.val >actual && test_cmp expect actual &&
	echo "1 2 3 4 5" >expect &&
	versions m --sort-by version >actual && test_cmp expect actual &&
	versions m --sort-by created >actual && test_cmp expect actual &&
	versions m --order-by asc >actual && test_cmp expect actual &&
	echo "4 3 2 1 5" >expect &&
	versions m --sort-by framework >actual && test_cmp expect actual &&
	echo "2 1 3 4 5" >expect &&
	versions m --sort-by framework --order-by desc >actual && test_cmp expect actual
'

test_expect_success '--limit: the first N after filter and sort' '
	echo "2" >expect &&
	versions m --sort-by metrics.accuracy --order-by desc --limit 1 >actual && test_cmp expect actual &&
	echo "5 4" >expect &&
	versions m --limit 2 >actual && test_cmp expect actual &&
	echo "4 2" >expect &&
	versions m --limit 2 --filter "has metrics.loss.val and has metrics.accuracy" >actual && test_cmp expect actual &&
	echo "5 4 3 2 1" >expect &&
	versions m --limit 99 >actual && test_cmp expect actual &&
	mlreg list-versions m --limit 0 --json >out &&
	json_equal out "[]" &&
	mlreg list-versions m --limit 0 >out &&
	test_must_be_empty out
'

test_expect_success '--json: whole version objects, as describe gives them' '
	mlreg list-versions m --filter "version = 2" --json >out &&
	mlreg describe m@2 --json >d2.json &&
	json_get d2.json "[d[\"version\"]]" >expect &&
	json_get out "d" >actual &&
	test_cmp expect actual
'

test_expect_success '--columns: fields as columns, - when missing' '
	mlreg list-versions m --columns metrics.accuracy,hparams.opt,framework >out &&
	test_line_count = 6 out &&
	test_grep "^VERSION  *ID  *CREATED  *SIZE  *metrics.accuracy  *hparams.opt  *framework  *MESSAGE *$" out &&
	test_grep "^2 .* 4 B  0.95  *adam  *torch  *more epochs *$" out &&
	test_grep "^3 .* 4 B  -  *-  *sklearn  *no accuracy *$" out &&
	test_grep "^5 .* 4 B  0.7  *-  *-  *val.acc as a flat key *$" out
'

test_expect_success '--columns --json: model, version, id and the columns (null when missing)' '
	mlreg list-versions m --columns metrics.accuracy,metadata.ci --sort-by version --limit 2 --json >out &&
	json_assert out "len(d) == 2" \
		"d[0] == {\"model\": \"m\", \"version\": 1, \"id\": d[0][\"id\"], \"columns\": {\"metrics.accuracy\": 0.8, \"metadata.ci\": None}}" \
		"d[1][\"columns\"] == {\"metrics.accuracy\": 0.95, \"metadata.ci\": {\"run\": 42}}" \
		"len(d[0][\"id\"]) == 64"
'

test_expect_success 'an unmatched filter prints nothing, and [] with --json' '
	mlreg list-versions m --filter "version > 9" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg list-versions m --filter "version > 9" --json >out &&
	json_equal out "[]" &&
	mlreg list-versions m --filter "version > 9" --sort-by size --json >out 2>err &&
	json_equal out "[]" &&
	test_must_be_empty err
'

test_expect_success 'a bad expression: one line pointing at the column, exit 129' '
	test_fails 129 "^error: invalid filter at column 18: expected a value$" \
		mlreg list-versions m --filter "metrics.accuracy>" &&
	test_fails 129 "^error: invalid filter at column 6: expected an operator" \
		mlreg list-versions m --filter "size 3" &&
	test_fails 129 "^error: invalid filter at column 1: unknown field ${SQ}bogus${SQ}" \
		mlreg list-versions m --filter "bogus = 1" &&
	test_fails 129 "^error: invalid filter at column 1: unknown field ${SQ}metrics${SQ}" \
		mlreg list-versions m --filter "metrics = 1" &&
	test_fails 129 "^error: invalid filter at column 5: unknown field ${SQ}metrics.a..b${SQ}" \
		mlreg list-versions m --filter "has metrics.a..b" &&
	test_fails 129 "^error: invalid filter at column 1: unclosed ${SQ}(${SQ}$" \
		mlreg list-versions m --filter "(size = 1" &&
	test_fails 129 "^error: invalid filter at column 10: unmatched ${SQ})${SQ}$" \
		mlreg list-versions m --filter "size = 1 )" &&
	test_fails 129 "^error: invalid filter at column 10: expected ${SQ}and${SQ}, ${SQ}or${SQ} or the end$" \
		mlreg list-versions m --filter "size = 1 size = 2" &&
	test_fails 129 "^error: invalid filter at column 8: unterminated string$" \
		mlreg list-versions m --filter "size = ${SQ}abc" &&
	test_fails 129 "^error: invalid filter at column 11: created wants an RFC 3339 time" \
		mlreg list-versions m --filter "created > yesterday" &&
	test_fails 129 "^error: invalid filter at column 11: created wants" \
		mlreg list-versions m --filter "created > 2026-13-01" &&
	test_fails 129 "^error: invalid filter at column 2: empty expression$" \
		mlreg list-versions m --filter " " &&
	test_fails 129 "^error: invalid filter at column 4: expected a field$" \
		mlreg list-versions m --filter "not" &&
	test_fails 129 "^error: invalid filter at column 1: expected a field$" \
		mlreg list-versions m --filter "= 3"
'

test_expect_success 'bounded: too deep or too long is refused, not a crash' '
	deep=$(printf "%0300d" 0 | tr 0 "(") &&
	test_fails 129 "^error: invalid filter at column 65: nested too deeply$" \
		mlreg list-versions m --filter "${deep}size = 1" &&
	nots=$(printf "not %.0s" $(seq 200)) &&
	test_fails 129 "nested too deeply" mlreg list-versions m --filter "${nots}size = 1" &&
	long=$(printf "%05000d" 0) &&
	test_fails 129 "^error: invalid filter: longer than 4096 bytes$" \
		mlreg list-versions m --filter "size = $long" &&
	ok=$(printf "%063d" 0 | tr 0 "(")"version = 1"$(printf "%063d" 0 | tr 0 ")") &&
	echo 1 >expect &&
	versions m --filter "$ok" >actual &&
	test_cmp expect actual
'

test_expect_success 'bad --sort-by, --order-by, --limit, --columns: usage errors' '
	test_fails 129 "^error: unknown field ${SQ}nope${SQ}" mlreg list-versions m --sort-by nope &&
	test_fails 129 "^error: cannot sort by aliases (a version has several)" \
		mlreg list-versions m --sort-by aliases &&
	test_fails 129 "^error: --order-by wants asc or desc, not ${SQ}up${SQ}" \
		mlreg list-versions m --sort-by version --order-by up &&
	test_fails 129 "^error: --limit wants a number of versions, not ${SQ}-1${SQ}" \
		mlreg list-versions m --limit -1 &&
	test_fails 129 "^error: --limit wants a number" mlreg list-versions m --limit 3x &&
	test_fails 129 "^error: --limit wants a number" mlreg list-versions m --limit "" &&
	test_fails 129 "^error: unknown field ${SQ}metrics.${SQ}" \
		mlreg list-versions m --columns metrics.accuracy,metrics. &&
	test_fails 129 "^error: --columns wants a list of fields" mlreg list-versions m --columns , &&
	test_fails 129 "" mlreg list-versions m --filter
'

test_expect_success 'usage errors come before the model is looked up' '
	test_fails 129 "invalid filter" mlreg list-versions nope --filter "x" &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" \
		mlreg list-versions nope --filter "size > 1" --sort-by size
'

test_expect_success 'the man page documents the language and the sort order' '
	page="$TEST_DIRECTORY/../man/mlreg-list-versions.1" &&
	test_grep "^\\.It Fl -filter" "$page" &&
	test_grep "last" "$page" &&
	test_grep "aliases" "$page"
'

test_expect_success '--remote: the same query over the records of a remote' '
	mkdir rem &&
	mlreg remote add origin "file://$PWD/rem" &&
	mlreg upload -q m >/dev/null &&
	echo "2 4 1" >expect &&
	versions m --remote origin --filter "metrics.accuracy >= 0.8" \
		--sort-by metrics.accuracy --order-by desc >actual &&
	test_cmp expect actual &&
	echo "5 4" >expect &&
	versions m --remote origin --limit 2 >actual &&
	test_cmp expect actual &&
	mlreg list-versions m --remote origin --columns metrics.accuracy --filter "version = 2" >out &&
	test_grep "^2 .* 4 B  0.95  *more epochs *$" out
'

test_expect_success 'list-versions with a query changes nothing' '
	store_snapshot >before &&
	mlreg list-versions m --filter "has metrics.loss" --sort-by metrics.accuracy --columns size >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_done
