#!/bin/sh
test_description='inspect: containers (Keras .keras, PyTorch, HDF5, pickle, joblib)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-inspect.sh"

HELPER="$TEST_DIRECTORY/helpers/make-tensors.py"

if test_python_imports numpy
then
	test_set_prereq NUMPY
fi
if test_python_imports h5py
then
	test_set_prereq H5PY
fi
if test_python_imports joblib numpy
then
	test_set_prereq JOBLIB
fi
if test_python_imports torch
then
	test_set_prereq TORCH
fi

# zip_of OUT PYTHON-LIST: a zip archive OUT of (name, bytes) members, with
# json at hand.
zip_of () {
	"$PYTHON" - "$1" "$2" <<-\EOF
	import json, sys, zipfile
	with zipfile.ZipFile(sys.argv[1], "w") as z:
	    for name, data in eval(sys.argv[2]):
	        z.writestr(name, data)
	EOF
}

# bytes FILE PYTHON-EXPR: writes the bytes of PYTHON-EXPR into FILE.
bytes () {
	"$PYTHON" - "$1" "$2" <<-\EOF
	import struct, sys, zlib
	open(sys.argv[1], "wb").write(eval(sys.argv[2]))
	EOF
}

#
# Keras 3 .keras
#

test_expect_success 'setup: a Keras 3 .keras archive built with zipfile' '
	test_fixture make-tensors.py keras model.keras
'

test_expect_success 'keras: version, class, name and the functional signature' - <<-\EOF
	inspect model.keras &&
	json_assert model.keras.json \
		'd["format"] == "keras"' \
		'd["framework"] == "keras"' \
		'd["details"]["keras_version"] == "3.0.0"' \
		'd["details"]["class_name"] == "Functional"' \
		'd["details"]["name"] == "tiny"' \
		'd["details"]["has_weights"] is True' \
		'len(d["signatures"]) == 1' \
		'd["signatures"][0]["inputs"] == [{"name": "features", "type": "float", "shape": [-1, 4]}]' \
		'd["signatures"][0]["outputs"] == [{"name": "dense", "type": "float", "shape": [-1, 2]}]'
EOF

test_expect_success 'keras: a Sequential model; outputs [] when not determinable' - <<-\EOF
	zip_of seq.keras '[("metadata.json", json.dumps({"keras_version": "3.1.0"})),
		("config.json", json.dumps({"class_name": "Sequential", "config": {"name": "seq", "layers": [
			{"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1], "dtype": "uint8", "name": "img"}},
			{"class_name": "Flatten", "config": {"name": "flat"}},
			{"class_name": "Dense", "config": {"name": "out", "units": 10, "dtype": "float32"}}]}})),
		("model.weights.h5", b"")]' &&
	inspect seq.keras &&
	json_assert seq.keras.json \
		'd["details"]["class_name"] == "Sequential"' \
		'd["signatures"][0]["inputs"] == [{"name": "img", "type": "uint8", "shape": [-1, 28, 28, 1]}]' \
		'd["signatures"][0]["outputs"] == [{"name": "out", "type": "float", "shape": [-1, 10]}]' &&
	zip_of conv.keras '[("metadata.json", "{}"),
		("config.json", json.dumps({"class_name": "Sequential", "config": {"name": "c", "layers": [
			{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 3], "dtype": "float16"}},
			{"class_name": "Conv2D", "config": {"name": "conv", "filters": 4}}]}}))]' &&
	inspect conv.keras &&
	json_assert conv.keras.json \
		'd["details"]["keras_version"] is None' \
		'd["signatures"][0]["inputs"][0]["type"] == "half"' \
		'd["signatures"][0]["inputs"][0]["shape"] == [-1, 8, 8, 3]' \
		'd["signatures"][0]["outputs"] == []'
EOF

test_expect_success 'a zip that is no model is not inspected' '
	zip_of plain.zip "[(\"readme.txt\", \"hello\"), (\"data/x.csv\", \"1,2\")]" &&
	mlreg inspect plain.zip --json >plain.all &&
	json_assert plain.all "d == [{\"format\": None, \"path\": \"plain.zip\"}]"
'

test_expect_success 'keras: a config.json that is not JSON' '
	zip_of bad.keras "[(\"config.json\", \"{nope\"), (\"metadata.json\", \"{}\")]" &&
	test_fails 128 "^fatal: .bad.keras.: zip member .config.json. is not JSON" \
		mlreg inspect bad.keras
'

test_expect_success 'zip: a central directory claiming 2^32 entries' '
	test_fixture make-tensors.py hostile-zip huge.zip &&
	test_fails 128 "^fatal: .huge.zip. claims 4294967296 zip entries (at most 100000 are read)" \
		mlreg inspect huge.zip
'

test_expect_success 'zip: a deflate bomb config is refused by its size, quickly' - <<-\EOF
	"$PYTHON" -c "import zipfile
with zipfile.ZipFile(\"bomb.keras\", \"w\", zipfile.ZIP_DEFLATED) as z:
    z.writestr(\"config.json\", b\" \" * (64 << 20))
    z.writestr(\"metadata.json\", b\"{}\")" &&
	test $(wc -c <bomb.keras) -lt 200000 &&
	test_fails 128 "^fatal: .bomb.keras.: zip member .config.json. is too large (67108864 bytes, at most 16777216 are read)" \
		timeout 20 mlreg inspect bomb.keras
EOF

test_expect_success 'zip: a corrupt member fails its CRC, a bad method is named' - <<-\EOF
	zip_of crc.keras '[("config.json", "{\"class_name\": \"Functional\"}"), ("metadata.json", "{}")]' &&
	"$PYTHON" -c "d = bytearray(open(\"crc.keras\", \"rb\").read())
i = d.index(b\"Functional\"); d[i] = ord(\"f\")
open(\"crc.keras\", \"wb\").write(d)" &&
	test_fails 128 "^fatal: .crc.keras.: zip member .config.json. fails its CRC-32 check" \
		mlreg inspect crc.keras &&
	"$PYTHON" -c "import zipfile
with zipfile.ZipFile(\"lzma.keras\", \"w\", zipfile.ZIP_LZMA) as z:
    z.writestr(\"config.json\", b\"{}\")
    z.writestr(\"metadata.json\", b\"{}\")" &&
	test_fails 128 "lzma.keras.: zip member .config.json. is compressed with method 14" \
		mlreg inspect lzma.keras
EOF

test_expect_success 'zip: every truncated copy fails cleanly' '
	prefixes_survive model.keras 23
'

#
# PyTorch
#

test_expect_success 'setup: PyTorch files in torch layouts, written by hand' '
	test_fixture make-tensors.py torch-zip model.pt &&
	test_fixture make-tensors.py torchscript script.pt &&
	test_fixture make-tensors.py torch-legacy legacy.pt
'

test_expect_success 'pytorch zip: archive, storages, globals, the torch.load warning' - <<-\EOF
	inspect model.pt &&
	json_assert model.pt.json \
		'd["format"] == "pytorch-zip"' \
		'd["framework"] == "pytorch"' \
		'd["details"]["archive_name"] == "archive"' \
		'd["details"]["member_count"] == 4' \
		'd["details"]["tensor_storage_count"] == 1' \
		'd["details"]["has_code"] is False' \
		'd["details"]["byteorder"] == "little"' \
		'"torch._utils._rebuild_tensor_v2" in d["details"]["globals"]' \
		'd["details"]["dangerous_globals"] == []' \
		'd["warnings"] == ["loading this file with torch.load runs pickle code; mlreg never does"]'
EOF

test_expect_success 'pytorch zip: TorchScript (code/ inside) has no torch.load warning' - <<-\EOF
	inspect script.pt &&
	json_assert script.pt.json \
		'd["format"] == "pytorch-zip"' \
		'd["details"]["has_code"] is True' \
		'"warnings" not in d'
EOF

test_expect_success 'pytorch zip: a data.pkl that would run os.system is flagged' - <<-\EOF
	"$PYTHON" -c "import os, pickle, zipfile
class Evil:
    def __reduce__(self):
        return (os.system, (\"echo pwned\",))
with zipfile.ZipFile(\"evil.pt\", \"w\") as z:
    z.writestr(\"evil/data.pkl\", pickle.dumps(Evil(), protocol=2))
    z.writestr(\"evil/version\", b\"3\\n\")" &&
	inspect evil.pt &&
	json_assert evil.pt.json \
		'd["format"] == "pytorch-zip"' \
		'd["details"]["archive_name"] == "evil"' \
		'd["details"]["dangerous_globals"] in (["posix.system"], ["os.system"], ["nt.system"])' \
		'len(d["warnings"]) == 2'
EOF

test_expect_success 'pytorch legacy: the magic number pickled first' - <<-\EOF
	inspect legacy.pt &&
	json_assert legacy.pt.json \
		'd["format"] == "pytorch-legacy"' \
		'd["framework"] == "pytorch"' \
		'd["details"]["protocol"] == 2' \
		'd["details"]["pickles"] == 5' \
		'"collections.OrderedDict" in d["details"]["globals"]' \
		'd["details"]["scan_complete"] is True' \
		'any("arbitrary code" in w for w in d["warnings"])'
EOF

test_expect_success TORCH 'pytorch: real torch.save files, zip and legacy' - <<-\EOF
	test_fixture make-tensors.py torch-real real.pt &&
	test_fixture make-tensors.py torch-real-legacy real-legacy.pt &&
	inspect real.pt &&
	json_assert real.pt.json \
		'd["format"] == "pytorch-zip"' \
		'd["details"]["tensor_storage_count"] == 2' \
		'd["details"]["dangerous_globals"] == []' &&
	inspect real-legacy.pt &&
	json_assert real-legacy.pt.json \
		'd["format"] == "pytorch-legacy"' 'd["framework"] == "pytorch"'
EOF

test_expect_success 'pytorch: every truncated copy fails cleanly' '
	prefixes_survive legacy.pt 7 &&
	prefixes_survive model.pt 31
'

#
# HDF5
#

test_expect_success H5PY 'hdf5: a file written by h5py, and one after a user block' - <<-\EOF
	test_fixture make-tensors.py h5 model.h5 &&
	inspect model.h5 &&
	json_assert model.h5.json \
		'd["format"] == "hdf5"' \
		'd["framework"] is None' \
		'd["details"]["superblock_version"] in (0, 2, 3)' \
		'd["details"]["superblock_offset"] == 0' \
		'"not parsed" in d["details"]["note"]' &&
	"$PYTHON" -c "import h5py
with h5py.File(\"ub.h5\", \"w\", userblock_size=512, libver=\"latest\") as f:
    f.attrs[\"keras_version\"] = \"2.15.0\"
    f.attrs[\"model_config\"] = \"{}\"" &&
	inspect ub.h5 &&
	json_assert ub.h5.json \
		'd["details"]["superblock_offset"] == 512' \
		'd["details"]["superblock_version"] == 3' \
		'd["framework"] == "keras"'
EOF

test_expect_success 'hdf5: an unknown superblock version, a truncated superblock' '
	bytes v9.h5 "b\"\\x89HDF\\r\\n\\x1a\\n\\x09\" + bytes(40)" &&
	test_fails 128 "^fatal: .v9.h5. has an HDF5 superblock of unknown version 9" \
		mlreg inspect v9.h5 &&
	bytes short.h5 "b\"\\x89HDF\\r\\n\\x1a\\n\\x00\"" &&
	test_fails 128 "^fatal: .short.h5. is truncated" mlreg inspect short.h5
'

#
# pickle and joblib
#

test_expect_success NUMPY 'setup: pickles, never loaded' '
	test_fixture make-tensors.py pickle model.pkl &&
	test_fixture make-tensors.py pickle0 model0.pkl &&
	test_fixture make-tensors.py evil evil.pkl &&
	test_fixture make-tensors.py joblib-like model.joblib
'

test_expect_success NUMPY 'pickle: protocol, globals, the warning' - <<-\EOF
	inspect model.pkl &&
	json_assert model.pkl.json \
		'd["format"] == "pickle"' \
		'd["framework"] is None' \
		'd["details"]["protocol"] == 4' \
		'any(g.endswith("multiarray._reconstruct") for g in d["details"]["globals"])' \
		'"numpy.ndarray" in d["details"]["globals"]' \
		'd["details"]["dangerous_globals"] == []' \
		'd["details"]["scan_complete"] is True' \
		'd["warnings"] == ["loading a pickle runs arbitrary code: mlreg only read its opcodes, never loaded it"]' &&
	inspect model0.pkl &&
	json_assert model0.pkl.json \
		'd["details"]["protocol"] == 0' \
		'"numpy.ndarray" in d["details"]["globals"]'
EOF

test_expect_success NUMPY 'pickle: a reduce to os.system is flagged, not run' - <<-\EOF
	inspect evil.pkl &&
	json_assert evil.pkl.json \
		'd["format"] == "pickle"' \
		'd["details"]["dangerous_globals"] in (["posix.system"], ["os.system"])' \
		'len(d["warnings"]) == 2' \
		'"arbitrary code" in d["warnings"][0]' \
		'"system" in d["warnings"][1] and "run commands" in d["warnings"][1]'
EOF

test_expect_success 'pickle: dangerous globals by GLOBAL and by memoized STACK_GLOBAL' - <<-\EOF
	bytes g0.pkl "b\"csubprocess\\nPopen\\n(S'ls'\\ntR.\"" &&
	inspect g0.pkl &&
	json_assert g0.pkl.json 'd["details"]["dangerous_globals"] == ["subprocess.Popen"]' &&
	bytes g4.pkl "b\"\\x80\\x04\\x8c\\x08builtins\\x94\\x8c\\x03len\\x94\\x93\\x94h\\x00\\x8c\\x04eval\\x94\\x93\\x94\\x8c\\x011\\x85R.\"" &&
	inspect g4.pkl &&
	json_assert g4.pkl.json \
		'd["details"]["globals"] == ["builtins.len", "builtins.eval"]' \
		'd["details"]["dangerous_globals"] == ["builtins.eval"]'
EOF

test_expect_success NUMPY 'joblib: a .joblib of a scikit-learn estimator, arrays inline' - <<-\EOF
	inspect model.joblib &&
	json_assert model.joblib.json \
		'd["format"] == "joblib"' \
		'd["framework"] == "scikit-learn"' \
		'"sklearn.linear_model._logistic.LogisticRegression" in d["details"]["globals"]' \
		'"joblib.numpy_pickle.NumpyArrayWrapper" in d["details"]["globals"]' \
		'd["details"]["scan_complete"] is True' \
		'd["details"]["dangerous_globals"] in (["posix.system"], ["os.system"])'
EOF

test_expect_success JOBLIB 'joblib: real joblib.dump files, plain and zlib-compressed' - <<-\EOF
	test_fixture make-tensors.py joblib real.joblib &&
	test_fixture make-tensors.py joblib-z realz.joblib &&
	inspect real.joblib &&
	json_assert real.joblib.json \
		'd["format"] == "joblib"' 'd["framework"] == "scikit-learn"' \
		'd["details"]["scan_complete"] is True' \
		'"numpy.dtype" in d["details"]["globals"]' &&
	inspect realz.joblib &&
	json_assert realz.joblib.json \
		'd["format"] == "joblib"' 'd["details"]["compression"] == "zlib"' \
		'd["framework"] == "scikit-learn"' 'd["details"]["scan_complete"] is True'
EOF

test_expect_success 'pickle: malformed and truncated pickles fail, naming the file' - <<-\EOF
	bytes junk.pkl "b\"\\x80\\x04\\x8c\\x01a\\xff\\xff.\"" &&
	test_fails 128 "^fatal: .junk.pkl. is not a valid pickle: unknown opcode 0xff at offset 5" \
		mlreg inspect junk.pkl &&
	bytes nostop.pkl "b\"\\x80\\x04NN\"" &&
	test_fails 128 "^fatal: .nostop.pkl. is truncated: its pickle ends at offset 4 without a STOP opcode" \
		mlreg inspect nostop.pkl &&
	bytes long.pkl "b\"\\x80\\x04\\x8d\" + struct.pack(\"<Q\", 1 << 62) + b\"abc.\"" &&
	test_fails 128 "^fatal: .long.pkl. is truncated" mlreg inspect long.pkl &&
	bytes z.pkl "zlib.compress(b\"\\x80\\x04N.\")[:-6]" &&
	test_fails 128 "^fatal: .z.pkl. is truncated: its zlib stream ends early" \
		mlreg inspect z.pkl
EOF

test_expect_success 'pickle: the walk is bounded; what it skipped is said' - <<-\EOF
	bytes many.pkl "b\"\\x80\\x04\" + b\"N\" * 4500000 + b\".\"" &&
	inspect many.pkl &&
	json_assert many.pkl.json \
		'd["details"]["scan_complete"] is False' \
		'"opcode limit" in d["details"]["scan_stopped"]' \
		'any("stopped early" in w for w in d["warnings"])'
EOF

test_expect_success NUMPY 'pickle: every truncated copy fails cleanly' '
	prefixes_survive model.pkl 5 &&
	prefixes_survive model.joblib 9 &&
	prefixes_survive evil.pkl 1
'

test_expect_success 'bytes that only start like a pickle are no pickle, unless so named' '
	{ printf "\200\004\034"; head -c 4000 /dev/zero; } >weights.dat &&
	mlreg init &&
	mlreg register --create notpickle weights.dat >out 2>err &&
	test_must_be_empty err &&
	mlreg inspect --json weights.dat >i.json &&
	json_equal i.json "[{\"format\": null, \"path\": \"weights.dat\"}]" &&
	cp weights.dat weights.pkl &&
	test_must_fail mlreg inspect weights.pkl 2>err &&
	test_grep "not a valid pickle" err
'

test_done
