#!/bin/sh
test_description='inspect: TensorFlow SavedModel (saved_model.pb)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-inspect.sh"

HELPER="$TEST_DIRECTORY/helpers/make-savedmodel.py"

if test -x /usr/bin/time
then
	test_set_prereq TIME
fi

# bytes FILE PYTHON-EXPR: writes the bytes of PYTHON-EXPR into FILE
# (creating its directory), with v(n) (a varint), f(num, wire) (a tag) and
# ld(num, payload) at hand.
bytes () {
	mkdir -p "$(dirname "$1")" &&
	"$PYTHON" - "$1" "$2" <<-\EOF
	import random, sys
	def v(n):
	    n &= (1 << 64) - 1
	    out = bytearray()
	    while True:
	        b, n = n & 0x7f, n >> 7
	        out.append(b | (0x80 if n else 0))
	        if not n:
	            return bytes(out)
	def f(num, wire):
	    return v(num << 3 | wire)
	def ld(num, payload):
	    return f(num, 2) + v(len(payload)) + payload
	open(sys.argv[1], "wb").write(eval(sys.argv[2]))
	EOF
}

test_expect_success 'setup: a SavedModel written byte by byte' '
	mkdir model &&
	test_fixture make-savedmodel.py model model/saved_model.pb
'

test_expect_success 'format, framework, schema version, tags, tensorflow version' - <<-\EOF
	inspect model/saved_model.pb &&
	json_assert inspect.json \
		'd["format"] == "savedmodel"' \
		'd["framework"] == "tensorflow"' \
		'd["details"]["schema_version"] == 1' \
		'len(d["details"]["meta_graphs"]) == 1' \
		'd["details"]["meta_graphs"][0]["tags"] == ["serve"]' \
		'd["details"]["meta_graphs"][0]["tensorflow_version"] == "2.11.0"' \
		'd["details"]["meta_graphs"][0]["tensorflow_git_version"] == "v2.11.0-rc2-17-gd5b57ca93e5"' \
		'd["details"]["meta_graphs"][0]["signature_methods"] == {"serving_default": "tensorflow/serving/predict", "classify": "tensorflow/serving/classify"}'
EOF

test_expect_success 'serving_default comes first; the init op is left out' - <<-\EOF
	json_assert inspect.json \
		'[s["name"] for s in d["signatures"]] == ["serving_default", "classify"]'
EOF

test_expect_success 'serving_default: images float [-1,28,28,1] -> scores float [-1,10]' - <<-\EOF
	json_get inspect.json 'd["signatures"][0]' >sig &&
	json_equal sig '{"name": "serving_default",
		"inputs": [{"name": "images", "type": "float", "shape": [-1, 28, 28, 1]}],
		"outputs": [{"name": "scores", "type": "float", "shape": [-1, 10]}]}'
EOF

test_expect_success 'classify: fields sorted by key; ranks unknown, scalar, composite' - <<-\EOF
	json_get inspect.json 'd["signatures"][1]' >sig &&
	json_equal sig '{"name": "classify",
		"inputs": [
			{"name": "lengths", "type": "int64", "shape": [-1]},
			{"name": "tokens", "type": "int32", "shape": [-1, -1]},
			{"name": "weights", "type": "float", "shape": [3]}],
		"outputs": [
			{"name": "alias", "type": "float"},
			{"name": "label", "type": "string", "shape": []},
			{"name": "probs", "type": "double"},
			{"name": "ragged", "type": "variant"}]}'
EOF

test_expect_success 'a saved_model.pb is recognised by its name only' - <<-\EOF
	cp model/saved_model.pb other.pb &&
	inspect other.pb &&
	json_assert inspect.json 'd["format"] is None'
EOF

test_expect_success 'every TensorFlow dtype maps to its Hydrosphere name' - <<-\EOF
	bytes dtypes/saved_model.pb '
		f(1, 0) + v(1) + ld(2, ld(5, ld(1, b"all") + ld(2, b"".join(
			ld(1, ld(1, b"t%03d" % t) + ld(2, f(2, 0) + v(t)))
			for t in list(range(0, 34)) + [101, 119, 123, 200]))))' &&
	inspect dtypes/saved_model.pb &&
	json_get inspect.json \
		'" ".join(x["type"] for x in d["signatures"][0]["inputs"])' >actual &&
	echo "invalid float double int32 uint8 int16 int8 string complex64" \
		"int64 bool qint8 quint8 qint32 bfloat16 qint16 quint16 uint16" \
		"complex128 half resource variant uint32 uint64 float8_e5m2" \
		"float8_e4m3fn float8_e4m3fnuz float8_e4m3b11fnuz" \
		"float8_e5m2fnuz int4 uint4 int2 uint2 tf_type_33 float half" \
		"uint64 tf_type_200" >expect &&
	test_cmp expect actual
EOF

test_expect_success 'a key given twice keeps its last value' - <<-\EOF
	bytes twice/saved_model.pb '
		f(1, 0) + v(1) + ld(2,
			ld(5, ld(1, b"s") + ld(2, ld(1, ld(1, b"x") + ld(2, f(2, 0) + v(1))))) +
			ld(5, ld(1, b"s") + ld(2, ld(1, ld(1, b"x") + ld(2, f(2, 0) + v(9))) +
						ld(1, ld(1, b"x") + ld(2, f(2, 0) + v(3))))))' &&
	inspect twice/saved_model.pb &&
	json_equal inspect.json '{"format": "savedmodel", "framework": "tensorflow",
		"details": {"schema_version": 1, "meta_graphs": [{"tags": [],
			"tensorflow_version": "", "tensorflow_git_version": "",
			"signature_methods": {"s": ""}}]},
		"signatures": [{"name": "s", "inputs": [{"name": "x", "type": "int32"}],
			"outputs": []}],
		"path": "twice/saved_model.pb"}'
EOF

test_expect_success 'signatures of every meta graph are listed' - <<-\EOF
	bytes two/saved_model.pb '(
		f(1, 0) + v(1) +
		ld(2, ld(1, ld(4, b"serve") + ld(4, b"gpu")) + ld(5, ld(1, b"a"))) +
		ld(2, ld(1, ld(4, b"train")) + ld(5, ld(1, b"b"))))' &&
	inspect two/saved_model.pb &&
	json_assert inspect.json \
		'[m["tags"] for m in d["details"]["meta_graphs"]] == [["serve", "gpu"], ["train"]]' \
		'[s["name"] for s in d["signatures"]] == ["a", "b"]'
EOF

test_expect_success 'a SavedModel without a meta graph is an error' '
	mkdir nometa &&
	test_fixture make-savedmodel.py nometa nometa/saved_model.pb &&
	test_fails 128 "^fatal: .nometa/saved_model.pb. is not a valid savedmodel: it has no meta graph" \
		mlreg inspect nometa/saved_model.pb
'

test_expect_success 'a truncated saved_model.pb is a fatal error naming the file' '
	mkdir short &&
	size=$(wc -c <model/saved_model.pb) &&
	head -c $((size - 3)) model/saved_model.pb >short/saved_model.pb &&
	test_fails 128 "^fatal: .short/saved_model.pb. is a truncated savedmodel" \
		mlreg inspect short/saved_model.pb
'

test_expect_success 'prefixes of a SavedModel are rejected or reported, never a crash' '
	size=$(wc -c <model/saved_model.pb) &&
	mkdir prefix &&
	n=0 &&
	while test $n -lt $size
	do
		head -c $n model/saved_model.pb >prefix/saved_model.pb &&
		inspect_survives prefix/saved_model.pb || return 1
		n=$((n + 3))
	done
'

test_expect_success 'a huge claimed length is an error, not an allocation' - <<-\EOF
	bytes huge/saved_model.pb 'f(1, 0) + v(1) + f(2, 2) + v(2**64 - 1) + b"x" * 100' &&
	test_fails 128 "^fatal: .huge/saved_model.pb. is a truncated savedmodel: a field at offset [0-9]* needs 18446744073709551615 bytes" \
		mlreg inspect huge/saved_model.pb &&
	bytes huge2/saved_model.pb '
		f(1, 0) + v(1) + ld(2, ld(5, f(1, 2) + v(2**62) + b"key")) + f(1, 0) + v(1)' &&
	test_fails 128 "huge2/saved_model.pb. is not a valid savedmodel: a field needs 4611686018427387904 bytes, past the end of its message" \
		mlreg inspect huge2/saved_model.pb
EOF

test_expect_success 'random bytes named saved_model.pb: an error, never a crash' '
	for seed in 1 2 3 4 5 6 7 8
	do
		bytes random-$seed/saved_model.pb \
			"random.Random($seed).randbytes(4096)" &&
		inspect_survives random-$seed/saved_model.pb || return 1
	done
'

test_expect_success 'deeply nested groups are refused' - <<-\EOF
	bytes groups/saved_model.pb \
		'f(1, 0) + v(1) + ld(2, f(7, 3) * 5000 + f(7, 4) * 5000)' &&
	test_fails 128 "groups/saved_model.pb. is not a valid savedmodel: groups nest deeper than 32" \
		mlreg inspect groups/saved_model.pb
EOF

test_expect_success 'deep nesting inside the GraphDef costs nothing' - <<-\EOF
	bytes deep/saved_model.pb '
		f(1, 0) + v(1) + ld(2, ld(2,
			__import__("functools").reduce(
				lambda t, _: ld(1, t), range(3000), b"")) +
			ld(5, ld(1, b"serving_default")))' &&
	inspect deep/saved_model.pb &&
	json_assert inspect.json \
		'[s["name"] for s in d["signatures"]] == ["serving_default"]'
EOF

test_expect_success 'a field with the wrong wire type is an error' - <<-\EOF
	bytes wire/saved_model.pb 'f(1, 0) + v(1) + ld(2, f(5, 0) + v(3))' &&
	test_fails 128 "wire/saved_model.pb. is not a valid savedmodel: MetaGraphDef field 5 has wire type 0" \
		mlreg inspect wire/saved_model.pb
EOF

test_expect_success 'a shape of more than 256 dimensions is refused' - <<-\EOF
	bytes rank/saved_model.pb '
		f(1, 0) + v(1) + ld(2, ld(5, ld(1, b"s") + ld(2, ld(1,
			ld(1, b"x") + ld(2, f(2, 0) + v(1) +
				ld(3, ld(2, f(1, 0) + v(2)) * 300))))))' &&
	test_fails 128 "rank/saved_model.pb. is not a valid savedmodel: a shape has more than 256 dimensions" \
		mlreg inspect rank/saved_model.pb
EOF

test_expect_success TIME 'a 200 MB GraphDef is stepped over in flat memory' '
	mkdir big &&
	"$PYTHON" "$HELPER" big big/saved_model.pb 200 &&
	test $(wc -c <big/saved_model.pb) -gt 209715200 &&
	/usr/bin/time -f %M -o rss mlreg inspect big/saved_model.pb --json >big.all &&
	json_assert big.all \
		"[s[\"name\"] for s in d[0][\"signatures\"]] == [\"serving_default\", \"classify\"]" &&
	rss=$(tail -n 1 rss) &&
	say "max RSS inspecting a 200 MB saved_model.pb: $rss KB" &&
	test "$rss" -lt 65536
'

test_done
