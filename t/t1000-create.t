#!/bin/sh
test_description='create: models, names, descriptions and metadata'
. "$(dirname "$0")/lib.sh"

# describe_json NAME: the model object of NAME in d.json, its metadata in
# md.json.
describe_json () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["metadata"]' >md.json
}

test_expect_success 'setup' '
	mlreg init
'

test_expect_success 'create a model: quiet, no versions, empty metadata' - <<-\EOF
	mlreg create mnist >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test_path_is_file "$(model_dir mnist)/model.json" &&
	describe_json mnist &&
	json_batch d.json schema described -- assert \
		'd["name"] == "mnist"' \
		'd["description"] == ""' \
		'd["metadata"] == {}' \
		'd["latest_version"] == 0' \
		'd["version"] is None'
EOF

test_expect_success 'the model record on disk' - <<-\EOF
	json_assert "$(model_dir mnist)/model.json" \
		'd["name"] == "mnist"' \
		'd["latest_version"] == 0' \
		'"latest_id" in d' \
		'rfc3339(d["creation_time"])'
EOF

test_expect_success 'creating an existing model fails and changes nothing' - <<-\EOF
	test_fails 1 "^error: model 'mnist' already exists$" mlreg create mnist &&
	test_fails 1 "already exists" mlreg create mnist -d "other" -m k=v
EOF

test_expect_success '-d and --description' - <<-\EOF
	mlreg create d1 -d "a character recognition model" &&
	mlreg create d2 --description "second one" &&
	describe_json d1 &&
	json_assert d.json 'd["description"] == "a character recognition model"' &&
	describe_json d2 &&
	json_assert d.json 'd["description"] == "second one"'
EOF

test_expect_success '--json prints the model object' - <<-\EOF
	mlreg create j1 -d desc --json >out 2>err &&
	test_must_be_empty err &&
	json_batch out schema model -- assert \
		'd["name"] == "j1"' 'd["description"] == "desc"' \
		'd["latest_version"] == 0'
EOF

test_expect_success '-m KEY=VALUE sets strings' - <<-\EOF
	mlreg create m1 -m dataset_url=http://yann.lecun.com/exdb/mnist/ \
		--metadata git_url=http://github.com/user/repo \
		-m epochs=10 -m eq=a=b -m empty= &&
	describe_json m1 &&
	json_equal md.json '{"dataset_url": "http://yann.lecun.com/exdb/mnist/",
		"git_url": "http://github.com/user/repo", "epochs": "10",
		"eq": "a=b", "empty": ""}'
EOF

test_expect_success '-m KEY:=JSON sets typed values' - <<-\EOF
	mlreg create m2 -m epochs:=10 -m lr:=0.001 -m tags:='["a","b"]' \
		-m ok:=true -m nothing:=null -m obj:='{"x":{"y":[1,2]}}' \
		-m s:='"quoted"' &&
	describe_json m2 &&
	json_equal md.json '{"epochs": 10, "lr": 0.001, "tags": ["a", "b"],
		"ok": true, "nothing": null, "obj": {"x": {"y": [1, 2]}},
		"s": "quoted"}'
EOF

test_expect_success 'a later -m replaces an earlier one' - <<-\EOF
	mlreg create m3 -m k=one -m k:=2 &&
	describe_json m3 &&
	json_equal md.json '{"k": 2}'
EOF

test_expect_success 'numbers keep their exact value' - <<-\EOF
	mlreg create numbers -m two53:=9007199254740992 -m float:=0.30000000000000004 \
		-m max:=1.7976931348623157e308 -m tiny:=5e-324 -m neg:=-12345678901234 &&
	describe_json numbers &&
	json_assert md.json 'd["two53"] == 9007199254740992' \
		'd["float"] == 0.30000000000000004' \
		'd["max"] == 1.7976931348623157e308' \
		'd["tiny"] == 5e-324' \
		'd["neg"] == -12345678901234'
EOF

test_expect_success 'malformed -m is a usage error and creates nothing' '
	test_fails 129 "novalue" mlreg create bad1 -m novalue &&
	test_fails 129 "" mlreg create bad1 -m =value &&
	test_fails 129 "" mlreg create bad1 -m :=1 &&
	test_fails 129 "" mlreg create bad1 -m "k:=[1," &&
	test_fails 129 "" mlreg create bad1 -m "k:=nope" &&
	test_path_is_missing "$(model_dir bad1)"
'

test_expect_success 'setup: metadata files' - <<-\EOF
	cat >meta.json <<-\JSON &&
	{"dataset": {"url": "http://x/y", "splits": ["train", "test"]},
	 "epochs": 10, "lr": 0.5, "ok": true, "none": null, "name": "json"}
	JSON
	cat >meta.yaml <<-\YAML &&
	# a comment
	dataset:
	  url: http://x/y
	  splits:
	    - train
	    - test
	epochs: 10
	lr: 0.5
	ok: true
	none: null
	name: yaml
	quoted: "10"
	flow: [1, two, {three: 3}]
	YAML
	cat >meta.yml <<-\YAML &&
	name: yml
	YAML
	cat >bad.json <<-\JSON &&
	{"a": 1,
	JSON
	cat >bad.yaml <<-\YAML &&
	a: [1, 2
	b: : :
	YAML
	cat >list.json <<-\JSON &&
	["a", "b"]
	JSON
	cat >list.yaml <<-\YAML &&
	- a
	- b
	YAML
	cat >scalar.json <<-\JSON
	42
	JSON
EOF

test_expect_success '--metadata-file JSON' - <<-\EOF
	mlreg create fj --metadata-file meta.json &&
	describe_json fj &&
	json_equal md.json '{"dataset": {"url": "http://x/y", "splits": ["train", "test"]},
		"epochs": 10, "lr": 0.5, "ok": true, "none": null, "name": "json"}'
EOF

test_expect_success '--metadata-file YAML: nested maps, lists, ints, floats, bools, null' - <<-\EOF
	mlreg create fy --metadata-file meta.yaml &&
	describe_json fy &&
	json_equal md.json '{"dataset": {"url": "http://x/y", "splits": ["train", "test"]},
		"epochs": 10, "lr": 0.5, "ok": true, "none": null, "name": "yaml",
		"quoted": "10", "flow": [1, "two", {"three": 3}]}'
EOF

test_expect_success '--metadata-file .yml' - <<-\EOF
	mlreg create fyml --metadata-file meta.yml &&
	describe_json fyml &&
	json_equal md.json '{"name": "yml"}'
EOF

test_expect_success '-m is merged over --metadata-file, whatever the order' - <<-\EOF
	mlreg create fm -m name=cli -m extra:=1 --metadata-file meta.json &&
	describe_json fm &&
	json_assert md.json 'd["name"] == "cli"' 'd["extra"] == 1' 'd["epochs"] == 10'
EOF

test_expect_success 'a JSON file repeating a key: fatal, or the last one wins' - <<-\EOF
	printf '{"a": 1, "a": 2}\n' >dup.json &&
	(
		# a store of its own: a failure here must not spoil the others
		MLREG_DIR="$SCRATCH/dupstore" &&
		mlreg init &&
		mlreg create dupkeys --metadata-file dup.json 2>err
		code=$?
		case $code in
		128)
			test_line_count = 1 err &&
			test_grep "dup\.json" err &&
			test_path_is_missing "$(model_dir dupkeys)" ;;
		0)
			describe_json dupkeys &&
			json_equal md.json '{"a": 2}' ;;
		*)
			echo "create exited $code" >&2
			false ;;
		esac
	)
EOF

test_expect_success 'a malformed JSON file is fatal and creates nothing' '
	test_fails 128 "bad\.json" mlreg create fbad --metadata-file bad.json &&
	test_path_is_missing "$(model_dir fbad)"
'

test_expect_success 'a malformed YAML file is fatal and creates nothing' '
	test_fails 128 "bad\.yaml" mlreg create fbad --metadata-file bad.yaml &&
	test_path_is_missing "$(model_dir fbad)"
'

test_expect_success 'a metadata file that is not a mapping is fatal' '
	test_fails 128 "list\.json" mlreg create fbad --metadata-file list.json &&
	test_fails 128 "list\.yaml" mlreg create fbad --metadata-file list.yaml &&
	test_fails 128 "scalar\.json" mlreg create fbad --metadata-file scalar.json &&
	test_path_is_missing "$(model_dir fbad)"
'

test_expect_success 'a missing metadata file is fatal' '
	test_fails 128 "^fatal: cannot open ${SQ}nope\.json${SQ}: No such file or directory$" \
		mlreg create fbad --metadata-file nope.json &&
	test_path_is_missing "$(model_dir fbad)"
'

test_expect_success 'a directory as the metadata file is fatal' '
	mkdir adir &&
	test_fails 128 "adir" mlreg create fbad --metadata-file adir &&
	test_path_is_missing "$(model_dir fbad)"
'

test_expect_success SANITY 'an unreadable metadata file is fatal' '
	cp meta.json unreadable.json &&
	chmod 000 unreadable.json &&
	test_fails 128 "unreadable\.json" mlreg create fbad --metadata-file unreadable.json &&
	test_path_is_missing "$(model_dir fbad)"
'

# invalid_name WHAT NAME: create NAME must fail as an invalid name, create
# nothing, and say so.
invalid_name () {
	test_fails 128 "^fatal: invalid model name" mlreg create -- "$2" || {
		printf 'invalid_name: %s was not rejected as it should\n' "$1" >&2
		return 1
	}
	test "$(find "$MLREG_DIR/models" -mindepth 1 -maxdepth 1 | wc -l)" = "$nmodels" || {
		printf 'invalid_name: %s created something\n' "$1" >&2
		return 1
	}
}

test_expect_success 'invalid names are fatal and create nothing' - <<-\EOF
	nmodels=$(find "$MLREG_DIR/models" -mindepth 1 -maxdepth 1 | wc -l) &&
	long=$(printf "%0129d" 0 | tr 0 a) &&
	test ${#long} = 129 &&
	invalid_name empty "" &&
	invalid_name "leading dot" ".hidden" &&
	invalid_name "only a dot" "." &&
	invalid_name "leading dash" "-x" &&
	invalid_name "dot dot" "a..b" &&
	invalid_name "only dot dot" ".." &&
	invalid_name "leading slash" "/a" &&
	invalid_name "trailing slash" "a/" &&
	invalid_name "empty segment" "a//b" &&
	invalid_name "segment with a leading dot" "team/.x" &&
	invalid_name "segment with a leading dash" "team/-x" &&
	invalid_name "dot dot segment" "team/../x" &&
	invalid_name "space" "a b" &&
	invalid_name "tab" "$(printf "a\tb")" &&
	invalid_name "newline" "a
b" &&
	invalid_name "control character" "$(printf "a\001b")" &&
	invalid_name "DEL" "$(printf "a\177b")" &&
	invalid_name "129 bytes" "$long" &&
	invalid_name "at sign" "a@b" &&
	invalid_name "at sign and number" "a@1" &&
	invalid_name "colon" "a:b" &&
	invalid_name "percent" "a%2Fb" &&
	invalid_name "star" "a*" &&
	invalid_name "backslash" "a\\b" &&
	invalid_name "quote" "a${SQ}b" &&
	invalid_name "non-ASCII" "$(printf "caf\303\251")"
EOF

test_expect_success 'the message names the problem' '
	test_fails 128 "^fatal: invalid model name ${SQ}a b${SQ}: contains whitespace$" \
		mlreg create "a b" &&
	test_fails 128 "129\|long\|128" mlreg create $(printf "%0129d" 0 | tr 0 a) &&
	test_fails 128 "empty" mlreg create ""
'

test_expect_success 'valid names' - <<-\EOF
	long=$(printf "%0128d" 0 | tr 0 b) &&
	test ${#long} = 128 &&
	for name in team/detector a.b_c-d+e A9 x/y/z v1.0 "$long" a-.b a_ 9
	do
		mlreg create "$name" >out 2>err &&
		test_must_be_empty out &&
		test_must_be_empty err &&
		test_path_is_file "$(model_dir "$name")/model.json" &&
		mlreg describe "$name" --json >d.json &&
		test "$(json_get d.json 'd["name"]')" = "$name" || return 1
	done &&
	test_path_is_dir "$MLREG_DIR/models/team%2Fdetector" &&
	test_path_is_missing "$MLREG_DIR/models/team" &&
	mlreg list --json >l.json &&
	json_assert l.json '"team/detector" in [m["name"] for m in d]' \
		"'$long' in [m['name'] for m in d]"
EOF

test_expect_success 'a name differing only in case is another model' - <<-\EOF
	mlreg create Mnist &&
	describe_json Mnist &&
	json_assert d.json 'd["name"] == "Mnist"' &&
	describe_json mnist &&
	json_assert d.json 'd["name"] == "mnist"'
EOF

test_expect_success 'the store is consistent after all that' '
	mlreg fsck >out &&
	test_must_be_empty out
'

test_done
