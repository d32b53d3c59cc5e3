#!/bin/sh
test_description='metadata: Determined'"'"'s top-level merge and key removal'
. "$(dirname "$0")/lib.sh"

# meta NAME: the model's metadata, compact JSON, in meta.json.
meta () {
	mlreg describe "$1" --json >meta.d.json &&
	json_get meta.d.json 'd["metadata"]' >meta.json
}

# updated NAME: the model's last_updated_time.
updated () {
	mlreg describe "$1" --json | json_get - 'd["last_updated_time"]'
}

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create model_name -d "optional description" &&
	cat >loss.json <<-\JSON &&
	{"metrics": {"test_set_loss": 0.091}}
	JSON
	cat >acc.json <<-\JSON &&
	{"metrics": {"test_set_acc": 0.97}}
	JSON
	cat >acc.yaml <<-\YAML
	metrics:
	  test_set_acc: 0.97
	YAML
EOF

test_expect_success 'a new model has empty metadata, printed as JSON' '
	mlreg metadata model_name >out 2>err &&
	test_must_be_empty err &&
	json_equal out "{}"
'

test_expect_success 'the seed example: --add key=value' - <<-\EOF
	mlreg metadata model_name --add key=value >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	meta model_name &&
	json_equal meta.json '{"key": "value"}'
EOF

test_expect_success 'the seed example: --add-file merges' - <<-\EOF
	mlreg metadata model_name --add-file loss.json >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	meta model_name &&
	json_equal meta.json '{"key": "value", "metrics": {"test_set_loss": 0.091}}'
EOF

test_expect_success 'the seed example: only top-level keys merge, metrics is replaced' - <<-\EOF
	mlreg metadata model_name --add-file acc.json &&
	meta model_name &&
	json_equal meta.json '{"key": "value", "metrics": {"test_set_acc": 0.97}}'
EOF

test_expect_success 'the seed example: --remove key' - <<-\EOF
	mlreg metadata model_name --remove key >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	meta model_name &&
	json_equal meta.json '{"metrics": {"test_set_acc": 0.97}}'
EOF

test_expect_success 'printing shows the metadata as pretty JSON' - <<-\EOF
	mlreg metadata model_name >out 2>err &&
	test_must_be_empty err &&
	json_equal out '{"metrics": {"test_set_acc": 0.97}}' &&
	test_line_count -gt 1 out
EOF

test_expect_success 'printing changes nothing' '
	store_snapshot >before &&
	mlreg metadata model_name >/dev/null &&
	mlreg metadata model_name --json >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'removing a missing key is not an error' - <<-\EOF
	mlreg metadata model_name --remove nosuchkey >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	meta model_name &&
	json_equal meta.json '{"metrics": {"test_set_acc": 0.97}}'
EOF

test_expect_success '--add-file takes YAML too' - <<-\EOF
	mlreg create y &&
	mlreg metadata y --add-file acc.yaml &&
	meta y &&
	json_equal meta.json '{"metrics": {"test_set_acc": 0.97}}'
EOF

test_expect_success 'order: --add-file, then each --add, then each --remove' - <<-\EOF
	mlreg create order &&
	printf '{"a": "file", "b": "file", "c": "file"}\n' >abc.json &&
	mlreg metadata order --remove c --add b=cli --add d=cli --remove d \
		--add-file abc.json --add e=one --add e=two &&
	meta order &&
	json_equal meta.json '{"a": "file", "b": "cli", "e": "two"}'
EOF

test_expect_success 'values may contain = and be empty' - <<-\EOF
	mlreg create vals &&
	mlreg metadata vals --add url=http://x/?a=b --add empty= &&
	meta vals &&
	json_equal meta.json '{"url": "http://x/?a=b", "empty": ""}'
EOF

test_expect_success '--json with changes prints the resulting metadata' - <<-\EOF
	mlreg metadata vals --remove empty --add k=v --json >out 2>err &&
	test_must_be_empty err &&
	json_equal out '{"url": "http://x/?a=b", "k": "v"}'
EOF

test_expect_success 'changes update last_updated_time and only that' - <<-\EOF
	mlreg create t &&
	mlreg describe t --json >before.json &&
	mlreg metadata t --add x=1 &&
	mlreg describe t --json >after.json &&
	json_assert after.json "d['last_updated_time'] != '$(json_get before.json 'd["last_updated_time"]')'" \
		"d['creation_time'] == '$(json_get before.json 'd["creation_time"]')'" \
		"d['description'] == ''" 'd["latest_version"] == 0' &&
	u1=$(updated t) &&
	mlreg metadata t --remove x &&
	test "$(updated t)" != "$u1"
EOF

test_expect_success 'the metadata of versions is left alone' - <<-\EOF
	printf x >x.bin &&
	mlreg register model_name x.bin -m per=version &&
	mlreg metadata model_name --add model=level &&
	mlreg describe model_name --json >d.json &&
	json_assert d.json 'd["version"]["metadata"] == {"per": "version"}' \
		'd["metadata"] == {"metrics": {"test_set_acc": 0.97}, "model": "level"}'
EOF

test_expect_success 'an unknown model fails' '
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg metadata nope &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg metadata nope --add k=v &&
	test_path_is_missing "$(model_dir nope)"
'

test_expect_success 'an invalid name is fatal' '
	test_fails 128 "invalid model name" mlreg metadata "a:b" --add k=v
'

test_expect_success 'malformed --add is a usage error and changes nothing' '
	test_fails 129 "novalue" mlreg metadata model_name --add novalue &&
	test_fails 129 "" mlreg metadata model_name --add =v &&
	test_fails 129 "" mlreg metadata model_name --add k=v --add bad &&
	test_fails 129 "${SQ}--remove${SQ}" mlreg metadata model_name --remove
'

test_expect_success 'bad --add-file is fatal and changes nothing' - <<-\EOF
	printf '{"metrics": ' >bad.json &&
	printf 'metrics: [1, 2\n' >bad.yaml &&
	printf '[{"a": 1}]\n' >list.json &&
	test_fails 128 "bad\.json" mlreg metadata model_name --add-file bad.json --add k=v &&
	test_fails 128 "bad\.yaml" mlreg metadata model_name --add-file bad.yaml &&
	test_fails 128 "list\.json" mlreg metadata model_name --add-file list.json &&
	test_fails 128 "^fatal: cannot open 'nope\.json': No such file or directory$" \
		mlreg metadata model_name --add-file nope.json
EOF

test_expect_success 'the store is consistent after all that' '
	mlreg fsck >out &&
	test_must_be_empty out &&
	test_path_is_missing "$(model_dir model_name)/model.json.lock"
'

test_done
