#!/bin/sh
test_description='inspect: ONNX models (ModelProto read with the bounded protobuf reader)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-inspect.sh"

HELPER="$TEST_DIRECTORY/helpers/make-onnx.py"

if test_python_imports onnx numpy
then
	test_set_prereq ONNX
fi
if test_python_imports onnx torch
then
	test_set_prereq TORCH
fi
if test -x /usr/bin/time
then
	test_set_prereq TIME
fi

# bytes FILE PYTHON-EXPR: writes the bytes of PYTHON-EXPR into FILE, with
# v(n) (a varint), f(num, wire) (a tag) and ld(num, payload) at hand.
bytes () {
	"$PYTHON" - "$1" "$2" <<-\EOF
	import random, sys
	def v(n):
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

test_expect_success ONNX 'setup: real models made with python3-onnx' '
	test_fixture make-onnx.py linear linear.onnx &&
	test_fixture make-onnx.py multi multi.onnx &&
	test_fixture make-onnx.py meta meta.onnx
'

test_expect_success ONNX 'a linear model: format, producer, opset, graph' - <<-\EOF
	inspect linear.onnx &&
	json_assert linear.onnx.json \
		'd["format"] == "onnx"' \
		'd["framework"] == "onnx"' \
		'd["details"]["ir_version"] == 3' \
		'd["details"]["producer_name"] == "mlreg-test"' \
		'd["details"]["producer_version"] == "1.0"' \
		'd["details"]["opset"] == [{"domain": "", "version": 9}]' \
		'd["details"]["graph_name"] == "linear"' \
		'd["details"]["node_count"] == 2' \
		'd["details"]["initializer_count"] == 2' \
		'd["details"]["metadata_props"] == {}'
EOF

test_expect_success ONNX 'initializers listed as inputs are not signature inputs' - <<-\EOF
	json_get linear.onnx.json 'd["signatures"]' >sigs &&
	json_equal sigs '[{"name": "default",
		"inputs": [{"name": "x", "type": "float", "shape": [-1, 3]}],
		"outputs": [{"name": "y", "type": "float", "shape": [-1, 1]}]}]'
EOF

test_expect_success ONNX 'the model is found by its content, whatever its name' - <<-\EOF
	cp linear.onnx model.bin &&
	inspect model.bin &&
	json_assert model.bin.json 'd["format"] == "onnx"' \
		'd["signatures"][0]["inputs"][0]["name"] == "x"'
EOF

test_expect_success ONNX 'int64, string, bool and other input types and shapes' - <<-\EOF
	inspect multi.onnx &&
	json_get multi.onnx.json 'd["signatures"][0]["inputs"]' >inputs &&
	json_equal inputs '[
		{"name": "ids", "type": "int64", "shape": [-1, 8]},
		{"name": "text", "type": "string", "shape": [1]},
		{"name": "flag", "type": "bool", "shape": []},
		{"name": "anything", "type": "double"},
		{"name": "seq", "type": "variant"},
		{"name": "maybe", "type": "int32", "shape": [4]},
		{"name": "half", "type": "half", "shape": [2, -1]}]' &&
	json_assert multi.onnx.json \
		'[o["name"] for o in d["signatures"][0]["outputs"]] == ["ids_out", "text_out", "flag_out"]' \
		'd["signatures"][0]["outputs"][2]["shape"] == []' \
		'd["details"]["initializer_count"] == 0'
EOF

test_expect_success ONNX 'metadata_props, two opsets, domain, model_version, doc_string' - <<-\EOF
	inspect meta.onnx &&
	json_assert meta.onnx.json \
		'd["details"]["metadata_props"] == {"author": "mlreg", "license": "MIT"}' \
		'd["details"]["opset"] == [{"domain": "", "version": 13}, {"domain": "ai.onnx.ml", "version": 3}]' \
		'd["details"]["producer_name"] == "skl2onnx"' \
		'd["details"]["producer_version"] == "1.13"' \
		'd["details"]["domain"] == "org.example"' \
		'd["details"]["model_version"] == 7' \
		'd["details"]["doc_string"] == "a tiny relu"' \
		'd["details"]["graph_name"] == "meta-graph"'
EOF

test_expect_success ONNX 'several files at once, in order' - <<-\EOF
	mlreg inspect linear.onnx meta.onnx --json >both.json &&
	json_assert both.json 'len(d) == 2' \
		'[x["path"] for x in d] == ["linear.onnx", "meta.onnx"]' \
		'all(x["format"] == "onnx" for x in d)'
EOF

test_expect_success TORCH 'torch.onnx.export of nn.Linear with a dynamic batch axis' - <<-\EOF
	test_fixture make-onnx.py torch torch.onnx &&
	inspect torch.onnx &&
	json_assert torch.onnx.json \
		'd["format"] == "onnx"' \
		'd["details"]["producer_name"] == "pytorch"' \
		'd["details"]["initializer_count"] == 2' \
		'd["signatures"][0]["inputs"] == [{"name": "x", "type": "float", "shape": [-1, 3]}]' \
		'd["signatures"][0]["outputs"] == [{"name": "y", "type": "float", "shape": [-1, 1]}]'
EOF

test_expect_success ONNX 'a truncated model is a fatal error naming the file' '
	size=$(wc -c <linear.onnx) &&
	head -c $((size - 1)) linear.onnx >short.onnx &&
	test_fails 128 "^fatal: .short.onnx. is a truncated onnx model" \
		mlreg inspect short.onnx &&
	head -c 11 linear.onnx >cut-varint.onnx &&
	test_fails 128 "cut-varint.onnx. is a truncated onnx model" \
		mlreg inspect cut-varint.onnx
'

test_expect_success ONNX 'every prefix of a model is rejected or reported, never a crash' '
	size=$(wc -c <meta.onnx) &&
	n=0 &&
	while test $n -lt $size
	do
		head -c $n meta.onnx >prefix-$n.onnx &&
		inspect_survives prefix-$n.onnx || return 1
		n=$((n + 1))
	done
'

test_expect_success ONNX 'a truncated model not named .onnx is not taken for one' '
	head -c 100 linear.onnx >cut.bin &&
	inspect cut.bin &&
	json_assert cut.bin.json "d[\"format\"] is None"
'

test_expect_success 'a huge claimed length is an error, not an allocation' - <<-\EOF
	bytes huge.onnx 'f(1, 0) + v(8) + f(7, 2) + v(2**63) + b"x" * 64' &&
	test_fails 128 "^fatal: .huge.onnx. is a truncated onnx model: a field at offset [0-9]* needs 9223372036854775808 bytes" \
		mlreg inspect huge.onnx &&
	bytes huge-inside.onnx \
		'f(1, 0) + v(8) + ld(7, f(11, 2) + v(2**40) + b"abc") + ld(8, b"")' &&
	test_fails 128 "huge-inside.onnx. is not a valid onnx model: a field needs 1099511627776 bytes, past the end of its message" \
		mlreg inspect huge-inside.onnx
EOF

test_expect_success 'a varint of more than 10 bytes or 64 bits is an error' - <<-\EOF
	bytes long-varint.onnx \
		'f(1, 0) + v(8) + ld(7, f(2, 0) + b"\xff" * 10 + b"\x01")' &&
	test_fails 128 "long-varint.onnx. is not a valid onnx model: a varint is longer than 10 bytes" \
		mlreg inspect long-varint.onnx &&
	bytes overflow.onnx \
		'f(1, 0) + v(8) + ld(7, f(2, 0) + b"\xff" * 9 + b"\x02")' &&
	test_fails 128 "overflow.onnx. is not a valid onnx model: a varint overflows 64 bits" \
		mlreg inspect overflow.onnx
EOF

test_expect_success 'deeply nested groups are refused' - <<-\EOF
	bytes groups.onnx \
		'f(1, 0) + v(8) + ld(7, f(1, 3) * 10000 + f(1, 4) * 10000)' &&
	test_fails 128 "groups.onnx. is not a valid onnx model: groups nest deeper than 32" \
		mlreg inspect groups.onnx &&
	bytes groups-ok.onnx \
		'f(1, 0) + v(8) + ld(7, f(99, 3) * 5 + f(99, 4) * 5 + ld(2, b"g"))' &&
	inspect groups-ok.onnx &&
	json_assert groups-ok.onnx.json "d[\"details\"][\"graph_name\"] == \"g\""
EOF

test_expect_success 'deeply nested types are refused' - <<-\EOF
	bytes deep-type.onnx '
		f(1, 0) + v(8) + ld(7, ld(11, ld(1, b"x") + ld(2,
			__import__("functools").reduce(
				lambda t, _: ld(9, ld(1, t)), range(5000),
				ld(1, f(1, 0) + v(1))))))' &&
	test_fails 128 "deep-type.onnx. is not a valid onnx model: optional types nest deeper than 8" \
		mlreg inspect deep-type.onnx
EOF

test_expect_success 'deeply nested messages in fields we skip cost nothing' - <<-\EOF
	bytes deep-skip.onnx '
		f(1, 0) + v(8) + ld(7, ld(1,
			__import__("functools").reduce(
				lambda t, _: ld(5, t), range(3000), b"")) +
			ld(2, b"deep"))' &&
	inspect deep-skip.onnx &&
	json_assert deep-skip.onnx.json \
		"d[\"details\"][\"graph_name\"] == \"deep\"" \
		"d[\"details\"][\"node_count\"] == 1"
EOF

test_expect_success 'a field with the wrong wire type is an error' - <<-\EOF
	bytes wire.onnx 'f(1, 0) + v(8) + ld(7, f(11, 0) + v(5))' &&
	test_fails 128 "wire.onnx. is not a valid onnx model: GraphProto field 11 has wire type 0" \
		mlreg inspect wire.onnx
EOF

test_expect_success 'a ModelProto without ir_version or graph is not onnx' - <<-\EOF
	bytes nograph.onnx 'f(1, 0) + v(8) + ld(2, b"producer")' &&
	inspect nograph.onnx &&
	json_assert nograph.onnx.json "d[\"format\"] is None" &&
	bytes noir.onnx 'ld(2, b"producer") + ld(7, b"")' &&
	inspect noir.onnx &&
	json_assert noir.onnx.json "d[\"format\"] is None"
EOF

test_expect_success 'random bytes named .onnx: rejected or reported, never a crash' '
	for seed in 1 2 3 4 5 6 7 8
	do
		bytes random-$seed.onnx \
			"random.Random($seed).randbytes(4096)" &&
		inspect_survives random-$seed.onnx || return 1
	done &&
	bytes zero.onnx "bytes(4096)" &&
	inspect zero.onnx &&
	json_assert zero.onnx.json "d[\"format\"] is None"
'

test_expect_success 'text and other files are not taken for onnx' '
	printf "hello world\n" >hello.onnx &&
	inspect hello.onnx &&
	json_assert hello.onnx.json "d[\"format\"] is None"
'

test_expect_success ONNX 'invalid UTF-8 in names comes out as valid JSON' - <<-\EOF
	bytes utf8.onnx '(f(1, 0) + v(8) + ld(2, b"caf\xc3\xa9 \xff\x00x") +
		ld(7, ld(2, b"g") + ld(11, ld(1, b"in\xc3"))))' &&
	inspect utf8.onnx &&
	json_assert utf8.onnx.json \
		'd["details"]["producer_name"] == "caf\u00e9 ??x"' \
		'd["signatures"][0]["inputs"] == [{"name": "in?", "type": "variant"}]'
EOF

test_expect_success ONNX,TIME 'a 200 MB initializer is inspected in flat memory' '
	if test "$(disk_free_kb)" -lt 450000
	then
		say "skipped: less than 450 MB free here"
		return 0
	fi &&
	"$PYTHON" "$HELPER" big big.onnx 200 &&
	test $(wc -c <big.onnx) -gt 209715200 &&
	/usr/bin/time -f %M -o rss mlreg inspect big.onnx --json >big.all &&
	json_assert big.all "d[0][\"details\"][\"initializer_count\"] == 1" \
		"d[0][\"signatures\"][0][\"inputs\"][0][\"shape\"] == [52428800]" &&
	rss=$(tail -n 1 rss) &&
	say "max RSS inspecting a 200 MB model: $rss KB" &&
	test "$rss" -lt 65536
'

test_done
