#!/bin/sh
test_description='inspect: tensor files (safetensors, GGUF, NumPy .npy and .npz)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-inspect.sh"

HELPER="$TEST_DIRECTORY/helpers/make-tensors.py"

if test_python_imports numpy
then
	test_set_prereq NUMPY
fi
if test -x /usr/bin/time
then
	test_set_prereq TIME
fi

# bytes FILE PYTHON-EXPR: writes the bytes of PYTHON-EXPR into FILE, with
# struct, json and st(header, data) (a safetensors file of a header object
# and data bytes) at hand.
bytes () {
	"$PYTHON" - "$1" "$2" <<-\EOF
	import json, struct, sys
	def st(header, data=b""):
	    t = json.dumps(header).encode()
	    return struct.pack("<Q", len(t)) + t + data
	def gs(s, n="Q"):
	    b = s.encode()
	    return struct.pack("<" + n, len(b)) + b
	open(sys.argv[1], "wb").write(eval(sys.argv[2]))
	EOF
}

#
# safetensors
#

test_expect_success 'setup: a safetensors file written byte by byte' '
	test_fixture make-tensors.py safetensors model.safetensors
'

test_expect_success 'safetensors: tensors, counts, dtypes, metadata, framework' - <<-\EOF
	inspect model.safetensors &&
	json_assert model.safetensors.json \
		'd["format"] == "safetensors"' \
		'd["framework"] == "pytorch"' \
		'd["details"]["tensor_count"] == 2' \
		'd["details"]["parameter_count"] == 9' \
		'd["details"]["dtypes"] == {"float": 1, "half": 1}' \
		'd["details"]["metadata"] == {"format": "pt", "note": "made by make-tensors.py"}' \
		'd["details"]["tensors"] == [{"name": "weight", "type": "float", "shape": [2, 3]}, {"name": "bias", "type": "half", "shape": [3]}]' \
		'd["details"]["tensors_truncated"] is False' \
		'd.get("signatures", []) == []' \
		'd["path"] == "model.safetensors"'
EOF

test_expect_success 'safetensors: every dtype maps to the vocabulary or its own name' - <<-\EOF
	bytes dtypes.safetensors 'st({"__metadata__": {"format": "flax"},
		"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
		"b": {"dtype": "I64", "shape": [], "data_offsets": [4, 12]},
		"c": {"dtype": "BOOL", "shape": [3], "data_offsets": [12, 15]},
		"d": {"dtype": "U16", "shape": [1], "data_offsets": [15, 17]},
		"e": {"dtype": "F8_E4M3", "shape": [2, 2], "data_offsets": [17, 21]},
		"f": {"dtype": "F64", "shape": [0, 5], "data_offsets": [21, 21]},
		"g": {"dtype": "I8", "shape": [1], "data_offsets": [21, 22]},
		"h": {"dtype": "F4", "shape": [4], "data_offsets": [22, 24]}}, bytes(24))' &&
	inspect dtypes.safetensors &&
	json_assert dtypes.safetensors.json \
		'd["framework"] == "flax"' \
		'[t["type"] for t in d["details"]["tensors"]] == ["bfloat16", "int64", "bool", "uint16", "f8_e4m3", "double", "int8", "f4"]' \
		'd["details"]["tensors"][1]["shape"] == []' \
		'd["details"]["parameter_count"] == 2 + 1 + 3 + 1 + 4 + 0 + 1 + 4' \
		'd["details"]["dtypes"]["bool"] == 1'
EOF

test_expect_success 'safetensors: no __metadata__, no framework' - <<-\EOF
	bytes plain.safetensors 'st({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(4))' &&
	inspect plain.safetensors &&
	json_assert plain.safetensors.json \
		'd["framework"] is None' 'd["details"]["metadata"] == {}'
EOF

test_expect_success 'safetensors: the tensor list stops at 1000 entries' - <<-\EOF
	bytes many.safetensors 'st({"t%04d" % i: {"dtype": "U8", "shape": [1], "data_offsets": [i, i + 1]} for i in range(1200)}, bytes(1200))' &&
	inspect many.safetensors &&
	json_assert many.safetensors.json \
		'd["details"]["tensor_count"] == 1200' \
		'd["details"]["parameter_count"] == 1200' \
		'len(d["details"]["tensors"]) == 1000' \
		'd["details"]["tensors_truncated"] is True'
EOF

test_expect_success 'safetensors: a size that does not match shape and dtype' - <<-\EOF
	bytes size.safetensors 'st({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 23]}}, bytes(24))' &&
	test_fails 128 "^fatal: .size.safetensors. has a malformed safetensors header: tensor .w. has a size that does not match its shape and dtype" \
		mlreg inspect size.safetensors
EOF

test_expect_success 'safetensors: data past the end, end before begin, bad dtype' - <<-\EOF
	bytes past.safetensors 'st({"w": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}}, bytes(4))' &&
	test_fails 128 "past.safetensors.*tensor .w. lies past the end of the data" \
		mlreg inspect past.safetensors &&
	bytes rev.safetensors 'st({"w": {"dtype": "U8", "shape": [0], "data_offsets": [4, 2]}}, bytes(4))' &&
	test_fails 128 "rev.safetensors.*tensor .w. ends before it begins" \
		mlreg inspect rev.safetensors &&
	bytes dt.safetensors 'st({"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 1]}}, bytes(1))' &&
	test_fails 128 "dt.safetensors.*tensor .w. has an unknown dtype" \
		mlreg inspect dt.safetensors &&
	bytes neg.safetensors 'st({"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}, bytes(1))' &&
	test_fails 128 "neg.safetensors.*tensor .w. has a dimension that is not an integer from 0 to 2^53" \
		mlreg inspect neg.safetensors
EOF

test_expect_success 'safetensors: shapes whose product overflows are refused' - <<-\EOF
	bytes ovf.safetensors 'st({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 0]}})' &&
	test_fails 128 "ovf.safetensors.*tensor .w. has a shape too large to exist" \
		mlreg inspect ovf.safetensors &&
	bytes ovf2.safetensors 'st({"w": {"dtype": "F64", "shape": [4503599627370496, 1024], "data_offsets": [0, 0]}})' &&
	test_fails 128 "ovf2.safetensors.*does not match" mlreg inspect ovf2.safetensors
EOF

test_expect_success 'safetensors: a tensor name with a newline stays on one line' - <<-\EOF
	bytes nl.safetensors 'st({"a\nb": {"dtype": "F32", "shape": [1], "data_offsets": [0, 3]}}, bytes(4))' &&
	test_fails 128 "nl.safetensors.*tensor .a?b. has a size" mlreg inspect nl.safetensors
EOF

test_expect_success 'safetensors: a header that is not a JSON object' - <<-\EOF
	bytes notjson.safetensors 'struct.pack("<Q", 8) + b"{not js}" + bytes(8)' &&
	test_fails 128 "^fatal: .notjson.safetensors. has a malformed safetensors header: not a JSON object" \
		mlreg inspect notjson.safetensors &&
	bytes meta.safetensors 'st({"__metadata__": {"n": 1}})' &&
	test_fails 128 "meta.safetensors.*__metadata__ values must be strings" \
		mlreg inspect meta.safetensors
EOF

test_expect_success 'safetensors: a header length of 2^62 is not believed' - <<-\EOF
	test_fixture make-tensors.py hostile-safetensors huge.safetensors &&
	inspect_survives huge.safetensors &&
	bytes huge2.safetensors 'struct.pack("<Q", 200 * 1000 * 1000) + b"{" + bytes(64)' &&
	inspect_survives huge2.safetensors
EOF

test_expect_success 'safetensors: every truncated copy fails cleanly' '
	prefixes_survive model.safetensors 7
'

test_expect_success TIME 'safetensors: a 300 MB file is inspected in flat memory' - <<-\EOF
	if test "$(disk_free_kb)" -lt 400000
	then
		say "skipped: less than 400 MB free here"
		return 0
	fi &&
	"$PYTHON" "$HELPER" safetensors-big big.safetensors 300 &&
	test $(wc -c <big.safetensors) -gt 300000000 &&
	/usr/bin/time -f %M -o rss mlreg inspect big.safetensors --json >big.all &&
	json_assert big.all \
		'd[0]["details"]["tensors"] == [{"name": "big", "type": "float", "shape": [75000000]}]' &&
	rss=$(tail -n 1 rss) &&
	say "max RSS inspecting a 300 MB safetensors file: $rss KB" &&
	test "$rss" -lt 65536
EOF

#
# GGUF
#

test_expect_success 'setup: GGUF files written byte by byte' '
	test_fixture make-tensors.py gguf model.gguf &&
	test_fixture make-tensors.py gguf-v1 v1.gguf
'

test_expect_success 'gguf: version, architecture, metadata, tensors, types' - <<-\EOF
	inspect model.gguf &&
	json_assert model.gguf.json \
		'd["format"] == "gguf"' \
		'd["framework"] == "gguf"' \
		'd["details"]["version"] == 3' \
		'd["details"]["architecture"] == "llama"' \
		'd["details"]["name"] == "tiny-llama"' \
		'd["details"]["tensor_count"] == 2' \
		'd["details"]["metadata"]["llama.context_length"] == 2048' \
		'd["details"]["metadata"]["llama.embedding_length"] == 4' \
		'd["details"]["metadata"]["tokenizer.ggml.model"] == "llama"' \
		'd["details"]["metadata"]["tokenizer.ggml.tokens"] == {"type": "string", "count": 5}' \
		'"llama.rope.freq_base" not in d["details"]["metadata"]' \
		'd["details"]["types"] == {"F32": 1, "Q4_0": 1}' \
		'd["details"]["file_type"] == 2' \
		'd["details"]["file_type_name"] == "MOSTLY_Q4_0"' \
		'd["details"]["parameter_count"] == 8 + 64' \
		'd["details"]["alignment"] == 32' \
		'd["details"]["tensors"] == [{"name": "token_embd.weight", "type": "float", "shape": [4, 2]}, {"name": "blk.0.attn_q.weight", "type": "Q4_0", "shape": [32, 2]}]'
EOF

test_expect_success 'gguf: version 1 (32-bit counts and lengths)' - <<-\EOF
	inspect v1.gguf &&
	json_assert v1.gguf.json \
		'd["details"]["version"] == 1' \
		'd["details"]["architecture"] == "llama"' \
		'd["details"]["metadata"]["tokenizer.ggml.tokens"]["count"] == 5' \
		'd["details"]["types"] == {"F32": 1, "Q4_0": 1}'
EOF

test_expect_success 'gguf: an unknown tensor type is named type_N' - <<-\EOF
	bytes unk.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + gs("t") + struct.pack("<IQIQ", 1, 4, 200, 0) + bytes(32)' &&
	inspect unk.gguf &&
	json_assert unk.gguf.json \
		'd["details"]["types"] == {"type_200": 1}' \
		'd["details"]["architecture"] is None'
EOF

test_expect_success 'gguf: 2^60 metadata entries are not believed' '
	test_fixture make-tensors.py hostile-gguf huge.gguf &&
	test_fails 128 "^fatal: .huge.gguf. claims 1152921504606846976 GGUF metadata entries" \
		mlreg inspect huge.gguf
'

test_expect_success 'gguf: huge counts and lengths inside are not believed' - <<-\EOF
	bytes tc.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 5000000, 0) + bytes(64)' &&
	test_fails 128 "^fatal: .tc.gguf. is truncated: it claims 5000000 GGUF tensors" \
		mlreg inspect tc.gguf &&
	bytes str.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("k") + struct.pack("<IQ", 8, 1 << 62) + bytes(16)' &&
	test_fails 128 "^fatal: .str.gguf. is truncated" mlreg inspect str.gguf &&
	bytes arr.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("k") + struct.pack("<IIQ", 9, 8, 1 << 40) + bytes(16)' &&
	test_fails 128 "^fatal: .arr.gguf. is truncated" mlreg inspect arr.gguf &&
	bytes arr2.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("k") + struct.pack("<IIQ", 9, 12, 1 << 61) + bytes(16)' &&
	test_fails 128 "^fatal: .arr2.gguf. is truncated" mlreg inspect arr2.gguf
EOF

test_expect_success 'gguf: malformed structures are refused, naming the file' - <<-\EOF
	bytes ver.gguf 'b"GGUF" + struct.pack("<IQQ", 4, 0, 0)' &&
	test_fails 128 "^fatal: .ver.gguf. is not a valid GGUF file: unsupported version 4" \
		mlreg inspect ver.gguf &&
	bytes be.gguf 'b"GGUF" + struct.pack(">IQQ", 3, 0, 0)' &&
	test_fails 128 "be.gguf.*big-endian" mlreg inspect be.gguf &&
	bytes vt.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("k") + struct.pack("<I", 13) + bytes(8)' &&
	test_fails 128 "vt.gguf. is not a valid GGUF file: unknown metadata value type" \
		mlreg inspect vt.gguf &&
	bytes dims.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + gs("t") + struct.pack("<I", 9) + bytes(96)' &&
	test_fails 128 "dims.gguf. is not a valid GGUF file: a tensor has too many dimensions" \
		mlreg inspect dims.gguf &&
	bytes off.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + gs("t") + struct.pack("<IQIQ", 1, 4, 0, 1 << 40) + bytes(32)' &&
	test_fails 128 "^fatal: .off.gguf. is truncated: its GGUF tensor data" \
		mlreg inspect off.gguf &&
	bytes blk.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 1, 0) + gs("t") + struct.pack("<IQIQ", 1, 33, 2, 0) + bytes(64)' &&
	test_fails 128 "blk.gguf.*not a multiple of its type.s block" mlreg inspect blk.gguf &&
	bytes al.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("general.alignment") + struct.pack("<II", 4, 3)' &&
	test_fails 128 "al.gguf.*general.alignment is not a power of two" mlreg inspect al.gguf
EOF

test_expect_success 'gguf: nested arrays are followed, and bounded' - <<-\EOF
	bytes nest.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("general.x") + struct.pack("<IIQ", 9, 9, 2) + (struct.pack("<IQ", 4, 1) + bytes(4)) * 2' &&
	inspect nest.gguf &&
	json_assert nest.gguf.json 'd["details"]["metadata"]["general.x"] == {"type": "array", "count": 2}' &&
	bytes deep.gguf 'b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gs("k") + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * 6 + struct.pack("<IQ", 4, 0)' &&
	test_fails 128 "deep.gguf.*arrays nested too deep" mlreg inspect deep.gguf
EOF

test_expect_success 'gguf: every truncated copy fails cleanly' '
	prefixes_survive model.gguf 5 &&
	prefixes_survive v1.gguf 9
'

#
# NumPy .npy and .npz
#

test_expect_success NUMPY 'setup: arrays saved with numpy' '
	test_fixture make-tensors.py npy-float float.npy &&
	test_fixture make-tensors.py npy-int64 int64.npy &&
	test_fixture make-tensors.py npy-bool bool.npy &&
	test_fixture make-tensors.py npy-object object.npy &&
	test_fixture make-tensors.py npz arrays.npz &&
	test_fixture make-tensors.py npz-compressed compressed.npz
'

test_expect_success NUMPY 'npy: float32 [2,3]' - <<-\EOF
	inspect float.npy &&
	json_assert float.npy.json \
		'd["format"] == "npy"' \
		'd["framework"] == "numpy"' \
		'd["details"]["descr"] == "<f4"' \
		'd["details"]["type"] == "float"' \
		'd["details"]["shape"] == [2, 3]' \
		'd["details"]["fortran_order"] is False' \
		'd["details"]["itemsize"] == 4' \
		'd["details"]["data_bytes"] == 24' \
		'"warnings" not in d' \
		'd.get("signatures", []) == []'
EOF

test_expect_success NUMPY 'npy: int64 and a bool scalar' - <<-\EOF
	inspect int64.npy &&
	json_assert int64.npy.json \
		'd["details"]["type"] == "int64"' 'd["details"]["shape"] == [4]' \
		'd["details"]["data_bytes"] == 32' &&
	inspect bool.npy &&
	json_assert bool.npy.json \
		'd["details"]["type"] == "bool"' 'd["details"]["shape"] == []' \
		'd["details"]["data_bytes"] == 1'
EOF

test_expect_success NUMPY 'npy: an object array is a variant that needs allow_pickle' - <<-\EOF
	inspect object.npy &&
	json_assert object.npy.json \
		'd["details"]["type"] == "variant"' \
		'd["details"]["descr"] == "|O"' \
		'd["details"]["data_bytes"] is None' \
		'any("allow_pickle" in w for w in d["warnings"])'
EOF

test_expect_success NUMPY 'npy: structured, big-endian complex, fortran order' - <<-\EOF
	"$PYTHON" -c "import numpy as np
np.save(open(\"rec.npy\", \"wb\"), np.zeros(3, dtype=[(\"a\", \"<f4\"), (\"b\", \"<i8\", (2,))]))
np.save(open(\"cplx.npy\", \"wb\"), np.zeros((2, 2), dtype=\">c16\", order=\"F\"))" &&
	inspect rec.npy &&
	json_assert rec.npy.json \
		'd["details"]["type"] == "void"' 'd["details"]["itemsize"] == 20' \
		'd["details"]["data_bytes"] == 60' 'd["details"]["descr"].startswith("[")' &&
	inspect cplx.npy &&
	json_assert cplx.npy.json \
		'd["details"]["type"] == "complex128"' 'd["details"]["descr"] == ">c16"' \
		'd["details"]["fortran_order"] is True'
EOF

test_expect_success 'npy: a header length of 65535 in a short file' '
	test_fixture make-tensors.py hostile-npy hlen.npy &&
	test_fails 128 "^fatal: .hlen.npy. is truncated: its .npy header claims 65535 bytes" \
		mlreg inspect hlen.npy
'

test_expect_success 'npy: malformed headers are refused, naming the file' - <<-\EOF
	npy () {
		bytes "$1" "b\"\\x93NUMPY\\x01\\x00\" + struct.pack(\"<H\", len($2)) + $2 + bytes(${3:-0})"
	} &&
	npy nokey.npy "b\"{'descr': '<f4', 'shape': (1,), }\"" 4 &&
	test_fails 128 "^fatal: .nokey.npy. has a malformed .npy header: descr, fortran_order or shape missing" \
		mlreg inspect nokey.npy &&
	npy extra.npy "b\"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\"" 4 &&
	test_fails 128 "extra.npy. has a malformed .npy header: unexpected or repeated key" \
		mlreg inspect extra.npy &&
	npy negdim.npy "b\"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\"" 4 &&
	test_fails 128 "negdim.npy. has a malformed .npy header: expected an integer" \
		mlreg inspect negdim.npy &&
	npy descr.npy "b\"{'descr': '<q9', 'fortran_order': False, 'shape': (1,), }\"" 4 &&
	test_fails 128 "descr.npy. has a malformed .npy header: unsupported descr" \
		mlreg inspect descr.npy &&
	npy big.npy "b\"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }\"" &&
	test_fails 128 "^fatal: .big.npy. describes an array too large to exist" \
		mlreg inspect big.npy &&
	npy short.npy "b\"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\"" 16 &&
	test_fails 128 "^fatal: .short.npy. is truncated: its array needs 24 bytes of data, the file has 16" \
		mlreg inspect short.npy &&
	bytes v9.npy "b\"\\x93NUMPY\\x09\\x00\" + bytes(8)" &&
	test_fails 128 "v9.npy. is a .npy array of unknown version 9.0" mlreg inspect v9.npy
EOF

test_expect_success NUMPY 'npy: every truncated copy fails cleanly' '
	prefixes_survive float.npy 11 &&
	prefixes_survive object.npy 13
'

test_expect_success TIME 'npy: a 300 MB array is inspected in flat memory' - <<-\EOF
	if test "$(disk_free_kb)" -lt 400000
	then
		say "skipped: less than 400 MB free here"
		return 0
	fi &&
	"$PYTHON" "$HELPER" npy-big big300.npy 300 &&
	test $(wc -c <big300.npy) -gt 300000000 &&
	/usr/bin/time -f %M -o rss mlreg inspect big300.npy --json >big300.all &&
	json_assert big300.all 'd[0]["details"]["shape"] == [75000000]' \
		'd[0]["details"]["data_bytes"] == 300000000' &&
	rss=$(tail -n 1 rss) &&
	say "max RSS inspecting a 300 MB .npy: $rss KB" &&
	test "$rss" -lt 65536
EOF

test_expect_success NUMPY 'npz: each member array from its .npy header' - <<-\EOF
	inspect arrays.npz &&
	json_assert arrays.npz.json \
		'd["format"] == "npz"' \
		'd["framework"] == "numpy"' \
		'd["details"]["array_count"] == 2' \
		'[(a["name"], a["type"], a["shape"]) for a in d["details"]["arrays"]] == [("x", "float", [2, 3]), ("y", "int64", [4])]' \
		'd["details"]["arrays"][0]["descr"] == "<f4"' \
		'd["details"]["arrays"][1]["data_bytes"] == 32' \
		'd["details"]["compressed"] is False'
EOF

test_expect_success NUMPY 'npz: savez_compressed members are inflated just for their headers' - <<-\EOF
	inspect compressed.npz &&
	json_assert compressed.npz.json \
		'd["format"] == "npz"' \
		'd["details"]["compressed"] is True' \
		'[(a["name"], a["type"], a["shape"]) for a in d["details"]["arrays"]] == [("x", "float", [2, 3]), ("y", "int64", [4])]'
EOF

test_expect_success NUMPY 'npz: a member whose data does not fit is refused, named' - <<-\EOF
	"$PYTHON" -c "import zipfile, struct
h = b\"{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }\"
with zipfile.ZipFile(\"bad.npz\", \"w\") as z:
    z.writestr(\"a.npy\", b\"\\x93NUMPY\\x01\\x00\" + struct.pack(\"<H\", len(h)) + h + bytes(8))" &&
	test_fails 128 "^fatal: .bad.npz: a.npy. is truncated: its array needs 800 bytes" \
		mlreg inspect bad.npz
EOF

test_expect_success NUMPY 'npz: every truncated copy fails cleanly' '
	prefixes_survive arrays.npz 17 &&
	prefixes_survive compressed.npz 13
'

test_done
