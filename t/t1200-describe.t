#!/bin/sh
test_description='describe: a model and one of its versions'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create empty -d "no versions yet" -m owner=me &&
	mlreg create mnist -d "a character recognition model" \
		-m dataset_url=http://yann.lecun.com/exdb/mnist/ &&
	printf 'v1\n' >model.onnx &&
	mkdir dir &&
	printf 'v2 weights\n' >dir/model.onnx &&
	printf '#!/bin/sh\n' >dir/serve.sh &&
	chmod +x dir/serve.sh &&
	mlreg register mnist model.onnx --message "first" &&
	mlreg register mnist dir --message "second" --framework onnx:1.14 \
		-m stage=prod
EOF

test_expect_success 'a model without versions: JSON' - <<-\EOF
	mlreg describe empty --json >out 2>err &&
	test_must_be_empty err &&
	json_batch out schema described -- assert 'd["name"] == "empty"' \
		'd["description"] == "no versions yet"' \
		'd["metadata"] == {"owner": "me"}' \
		'd["latest_version"] == 0' \
		'd["version"] is None'
EOF

test_expect_success 'a model without versions: human form has only the model part' - <<-\EOF
	mlreg describe empty >out 2>err &&
	test_must_be_empty err &&
	test_grep '^model: *empty$' out &&
	test_grep '^description: *no versions yet$' out &&
	test_grep '^created: *[0-9-]*T[0-9:.]*Z$' out &&
	test_grep '^updated: *[0-9-]*T[0-9:.]*Z$' out &&
	test_grep '^metadata: *{"owner": *"me"}$' out &&
	test_grep '^versions: *0$' out &&
	test_grep ! '^version:' out &&
	test_grep ! '^files:' out
EOF

test_expect_success 'describe NAME is the latest version' - <<-\EOF
	mlreg describe mnist --json >latest.json &&
	mlreg describe mnist@2 --json >two.json &&
	test_cmp two.json latest.json &&
	json_batch latest.json schema described -- assert \
		'd["latest_version"] == 2' \
		'd["version"]["version"] == 2' \
		'd["version"]["message"] == "second"' \
		'd["version"]["framework"] == {"name": "onnx", "version": "1.14"}' \
		'd["version"]["metadata"] == {"stage": "prod"}' \
		'd["version"]["model"] == "mnist"'
EOF

test_expect_success 'describe NAME@1' - <<-\EOF
	mlreg describe mnist@1 --json >one.json &&
	json_batch one.json schema described -- assert \
		'd["latest_version"] == 2' \
		'd["version"]["version"] == 1' \
		'd["version"]["message"] == "first"' \
		'd["version"]["parent"] is None' \
		'[f["path"] for f in d["version"]["files"]] == ["model.onnx"]' \
		'd["version"]["files"][0]["sha256"] == sha256_file("model.onnx")'
EOF

test_expect_success 'the model part is the same whichever version is shown' - <<-\EOF
	json_get one.json '{k: v for k, v in d.items() if k != "version"}' >a &&
	json_get two.json '{k: v for k, v in d.items() if k != "version"}' >b &&
	test_cmp a b
EOF

test_expect_success 'ids are the hashes of the version records, chained' - <<-\EOF
	id1=$(sha256_of "$(version_record mnist 1)") &&
	id2=$(sha256_of "$(version_record mnist 2)") &&
	json_assert one.json "d['version']['id'] == '$id1'" &&
	json_assert two.json "d['version']['id'] == '$id2'" \
		"d['version']['parent'] == '$id1'"
EOF

test_expect_success 'human form: model part, then the version and its files' - <<-\EOF
	mlreg describe mnist >out 2>err &&
	test_must_be_empty err &&
	id2=$(sha256_of "$(version_record mnist 2)") &&
	h=$(sha256_of dir/model.onnx) &&
	s=$(sha256_of dir/serve.sh) &&
	test_grep '^model: *mnist$' out &&
	test_grep '^description: *a character recognition model$' out &&
	test_grep '^metadata: *{"dataset_url": *"http://yann.lecun.com/exdb/mnist/"}$' out &&
	test_grep '^versions: *2$' out &&
	test_grep '^version: *2$' out &&
	test_grep "^id: *$id2\$" out &&
	test_grep '^files:$' out &&
	test_grep "^ *0644 *11 *$h *model.onnx\$" out &&
	test_grep "^ *0755 *10 *$s *serve.sh\$" out &&
	test_grep -e second out &&
	sed -n '1,/^$/p' out >model-part &&
	test_grep '^model:' model-part &&
	test_grep ! '^version:' model-part
EOF

test_expect_success 'human form of NAME@1' - <<-\EOF
	mlreg describe mnist@1 >out &&
	test_grep '^version: *1$' out &&
	test_grep "  model.onnx\$" out &&
	test_grep ! serve.sh out
EOF

test_expect_success 'an unknown version fails' '
	test_fails 1 "^error: version 7 of model ${SQ}mnist${SQ} not found$" mlreg describe mnist@7 &&
	test_fails 1 "^error: version 3 of model ${SQ}mnist${SQ} not found$" mlreg describe mnist@3 --json &&
	test_fails 1 "^error: version 1 of model ${SQ}empty${SQ} not found$" mlreg describe empty@1
'

test_expect_success 'an unknown model fails' '
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg describe nope &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg describe nope@1 --json
'

test_expect_success 'invalid versions are fatal' '
	for v in 0 X "" -1 1x +1 " 1" 1.0 00 99999999999999999999999 _a "a b"
	do
		test_fails 128 "invalid version" mlreg describe "mnist@$v" || return 1
	done &&
	# a word is an alias (mlreg-alias(1))
	test_fails 1 "^error: model ${SQ}mnist${SQ} has no alias ${SQ}x${SQ} (it has none)$" \
		mlreg describe mnist@x
'

test_expect_success 'an invalid name is fatal' '
	test_fails 128 "invalid model name" mlreg describe "a b" &&
	test_fails 128 "invalid model name" mlreg describe ".x@1" &&
	test_fails 128 "" mlreg describe "mnist@1@2"
'

test_expect_success 'describe changes nothing' '
	store_snapshot >before &&
	mlreg describe mnist >/dev/null &&
	mlreg describe mnist@1 --json >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
'

test_done
