#!/bin/sh
test_description='diff: files, metrics, hparams, metadata, framework and signature
compatibility between two versions, from their records alone'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"

REMOTE_KIND=file
if test_python_imports onnx numpy
then
	test_set_prereq ONNX
fi

# sig_onnx OUT INPUTS OUTPUTS: a real ONNX model whose graph has the inputs
# and outputs given as "name:type:dims ..." (dims comma-separated, a name
# for a symbolic dimension, read as -1; "" for a scalar).
sig_onnx () {
	"$PYTHON" - "$@" <<-\EOF
	import sys
	from onnx import TensorProto, helper
	T = {"float": TensorProto.FLOAT, "double": TensorProto.DOUBLE,
	     "int64": TensorProto.INT64, "bool": TensorProto.BOOL}
	def vi(spec):
	    name, typ, dims = spec.split(":")
	    shape = [int(d) if d.lstrip("-").isdigit() else d
	             for d in dims.split(",")] if dims else []
	    return helper.make_tensor_value_info(name, T[typ], shape)
	out, ins, outs = sys.argv[1:4]
	g = helper.make_graph([], "sig", [vi(s) for s in ins.split()],
	                      [vi(s) for s in outs.split()])
	m = helper.make_model(g, producer_name="mlreg-test",
	                      opset_imports=[helper.make_opsetid("", 13)])
	open(out, "wb").write(m.SerializeToString())
	EOF
}

# verdict A B WANT EXIT: the first line of 'diff --signature-only A B' is
# "signature: WANT" and it exits EXIT; the whole output stays in out.
verdict () {
	test_expect_code "$4" mlreg diff --signature-only "$1" "$2" >out &&
	head -n 1 out >first &&
	echo "signature: $3" >expect &&
	test_cmp expect first
}

test_expect_success 'setup: versions of files, metrics, hparams and metadata' - <<-\EOF
	mlreg init &&
	mlreg create clf &&
	mlreg create other &&
	mkdir v1 v2 &&
	printf 'weights one\n' >v1/model.bin &&
	printf 'labels\n' >v1/labels.txt &&
	printf 'old\n' >v1/old.txt &&
	printf 'weights two!\n' >v2/model.bin &&
	printf 'labels\n' >v2/labels.txt &&
	printf '#!/bin/sh\n' >v2/serve.sh &&
	chmod +x v2/serve.sh &&
	printf 'accuracy: 0.9\nloss: 0.5\nnote: fine\n' >m1.yaml &&
	printf 'accuracy: 0.95\nf1: 0.8\nnote: better\n' >m2.yaml &&
	printf 'lr: 0.1\nbatch: 32\nepochs: 5\n' >h1.yaml &&
	printf 'batch: 64\nepochs: 5\ndropout: 0.2\n' >h2.yaml &&
	mlreg register clf v1 --metrics-file m1.yaml --hparams-file h1.yaml \
		-m stage=dev -m owner=ann --framework onnx:1.14 &&
	mlreg register --force clf v1 --metrics-file m1.yaml --hparams-file h1.yaml \
		-m stage=dev -m owner=ann --framework onnx:1.14 --message retry &&
	mlreg register clf v2 --metrics-file m2.yaml --hparams-file h2.yaml \
		-m stage=prod -m owner=ann -m ticket:=7 --framework pytorch:2.1 &&
	mlreg register other v1 --metrics-file m1.yaml --hparams-file h1.yaml \
		-m stage=dev -m owner=ann --framework onnx:1.14
EOF

test_expect_success 'identical content: no output, exit 0 even with --exit-code' - <<-\EOF
	mlreg diff clf@1 clf@2 >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg diff --exit-code clf@1 clf@2 >out &&
	test_must_be_empty out &&
	mlreg diff --exit-code clf@3 clf >out &&
	test_must_be_empty out &&
	mlreg diff --exit-code clf@latest clf@3 >out &&
	test_must_be_empty out &&
	mlreg diff --exit-code clf@1 other@1 >out &&
	test_must_be_empty out
EOF

test_expect_success 'identical content: JSON says so' - <<-\EOF
	mlreg diff --json clf@1 clf@2 >d.json &&
	json_batch d.json assert 'd["differ"] is False' \
		'd["a"] == {"model": "clf", "version": 1, "id": d["a"]["id"]}' \
		'd["b"]["version"] == 2 and d["b"]["id"] != d["a"]["id"]' \
		'd["files"] == {"added": [], "removed": [], "changed": []}' \
		'd["framework"] is None' \
		'[m["status"] for m in d["metrics"]] == ["same"] * 3' \
		'd["hparams"] == {"added": {}, "removed": {}, "changed": {}}' \
		'd["metadata"] == {"added": {}, "removed": {}, "changed": {}}' \
		'd["signature"] == {"verdict": "none", "changes": []}'
EOF

test_expect_success 'human form: each section that differs' - <<-\EOF
	test_expect_code 1 mlreg diff --exit-code clf@1 clf >out &&
	h1=$(sha256_of v1/model.bin | cut -c1-12) &&
	h2=$(sha256_of v2/model.bin | cut -c1-12) &&
	cat >expect <<-EOT &&
	diff clf@1 clf@3
	files:
	  - old.txt (4 bytes)
	  + serve.sh (10 bytes)
	  ~ model.bin: 12 -> 13 bytes, sha256 $h1 -> $h2
	framework: onnx 1.14 -> pytorch 2.1
	metrics:                               clf@1          clf@3          delta
	  accuracy                               0.9           0.95          +0.05
	  loss                                   0.5              -        removed
	  note                                "fine"       "better"        changed
	  f1                                       -            0.8          added
	hparams:
	  - lr: 0.1
	  + dropout: 0.2
	  ~ batch: 32 -> 64
	metadata:
	  + ticket: 7
	  ~ stage: "dev" -> "prod"
	EOT
	test_cmp expect out &&
	mlreg diff clf@1 clf >out2 &&
	test_cmp out out2
EOF

test_expect_success 'JSON: files, metrics with deltas, keys, framework' - <<-\EOF
	mlreg diff --json clf@1 clf@3 >d.json &&
	json_batch d.json assert 'd["differ"] is True' \
		'[f["path"] for f in d["files"]["removed"]] == ["old.txt"]' \
		'd["files"]["added"] == [{"path": "serve.sh", "size": 10, "sha256": sha256_file("v2/serve.sh"), "mode": "0755"}]' \
		'd["files"]["changed"] == [{"path": "model.bin", "a": {"size": 12, "sha256": sha256_file("v1/model.bin"), "mode": "0644"}, "b": {"size": 13, "sha256": sha256_file("v2/model.bin"), "mode": "0644"}}]' \
		'd["framework"] == {"a": {"name": "onnx", "version": "1.14"}, "b": {"name": "pytorch", "version": "2.1"}}' \
		'[m["key"] for m in d["metrics"]] == ["accuracy", "loss", "note", "f1"]' \
		'abs(d["metrics"][0]["delta"] - 0.05) < 1e-9' \
		'd["metrics"][0]["a"] == 0.9 and d["metrics"][0]["b"] == 0.95' \
		'd["metrics"][1] == {"key": "loss", "a": 0.5, "status": "removed"}' \
		'd["metrics"][2] == {"key": "note", "a": "fine", "b": "better", "status": "changed"}' \
		'd["metrics"][3] == {"key": "f1", "b": 0.8, "status": "added"}' \
		'd["hparams"] == {"added": {"dropout": 0.2}, "removed": {"lr": 0.1}, "changed": {"batch": {"a": 32, "b": 64}}}' \
		'd["metadata"] == {"added": {"ticket": 7}, "removed": {}, "changed": {"stage": {"a": "dev", "b": "prod"}}}'
EOF

test_expect_success 'the other way round: added and removed swap, deltas change sign' - <<-\EOF
	mlreg diff --json clf@3 clf@1 >r.json &&
	json_batch r.json assert \
		'[f["path"] for f in d["files"]["added"]] == ["old.txt"]' \
		'[f["path"] for f in d["files"]["removed"]] == ["serve.sh"]' \
		'abs(d["metrics"][0]["delta"] + 0.05) < 1e-9' \
		'd["metadata"]["removed"] == {"ticket": 7}'
EOF

test_expect_success ONNX 'setup: ONNX models of several signatures' - <<-\EOF
	mlreg create sig &&
	mkdir base wider narrow retyped newin wideout rank narrowout two &&
	sig_onnx base/model.onnx "x:float:batch,3" "y:float:batch,1" &&
	sig_onnx wider/model.onnx "x:float:batch,n" "y:float:batch,1 z:float:batch" &&
	sig_onnx narrow/model.onnx "x:float:1,3" "y:float:batch,1" &&
	sig_onnx retyped/model.onnx "x:double:batch,3" "y:float:batch,1" &&
	sig_onnx newin/model.onnx "x:float:batch,3 mask:bool:batch" "y:float:batch,1" &&
	sig_onnx wideout/model.onnx "x:float:batch,3" "y:float:batch,k" &&
	sig_onnx rank/model.onnx "x:float:batch,3,1" "y:float:batch,1" &&
	sig_onnx narrowout/model.onnx "x:float:batch,3" "y:float:1,1" &&
	for d in base wider narrow retyped newin wideout rank narrowout
	do
		mlreg register sig $d --message $d >>registered || return 1
	done &&
	test_write_lines sig@1 sig@2 sig@3 sig@4 sig@5 sig@6 sig@7 sig@8 >expect &&
	test_cmp expect registered &&
	mlreg describe sig@1 >out &&
	test_grep "^signature: *default(x: float\[-1,3\]) -> (y: float\[-1,1\]) (inferred)$" out
EOF

test_expect_success ONNX 'a wider input and a new output are compatible' - <<-\EOF
	verdict sig@1 sig@2 compatible 0 &&
	cat >expect <<-\EOT &&
	signature: compatible
	  compatible: default: input x: shape [-1,3] became [-1,-1]: wider
	  compatible: default: output z: new output
	EOT
	test_cmp expect out &&
	mlreg diff --signature-only --json sig@1 sig@2 >s.json &&
	json_batch s.json assert 'sorted(d) == ["a", "b", "signature"]' \
		'd["signature"]["verdict"] == "compatible"' \
		'd["signature"]["changes"][1] == {"signature": "default", "kind": "output", "name": "z", "breaking": False, "reason": "new output"}'
EOF

test_expect_success ONNX 'a narrower output is compatible' - <<-\EOF
	verdict sig@1 sig@8 compatible 0 &&
	test_grep "output y: shape \[-1,1\] became \[1,1\]: narrower$" out
EOF

test_expect_success ONNX 'breaking changes, each with its reason' - <<-\EOF
	verdict sig@1 sig@3 breaking 1 &&
	test_grep "^  breaking:   default: input x: shape \[-1,3\] became \[1,3\]: dimension 0 took any size, now only 1$" out &&
	verdict sig@1 sig@4 breaking 1 &&
	test_grep "^  breaking:   default: input x: type float became double$" out &&
	verdict sig@1 sig@5 breaking 1 &&
	test_grep "^  breaking:   default: input mask: new required input$" out &&
	verdict sig@1 sig@6 breaking 1 &&
	test_grep "^  breaking:   default: output y: shape \[-1,1\] became \[-1,-1\]: dimension 1 was 1, now any size$" out &&
	verdict sig@1 sig@7 breaking 1 &&
	test_grep "^  breaking:   default: input x: shape \[-1,3\] became \[-1,3,1\]: the rank changed$" out
EOF

test_expect_success ONNX 'compatibility is not symmetric' - <<-\EOF
	verdict sig@2 sig@1 breaking 1 &&
	test_grep "input x: shape \[-1,-1\] became \[-1,3\]: dimension 1 took any size, now only 3$" out &&
	test_grep "output z: no longer given$" out &&
	verdict sig@3 sig@1 compatible 0 &&
	verdict sig@5 sig@1 breaking 1 &&
	test_grep "input mask: no longer accepted$" out
EOF

test_expect_success ONNX 'the signature section of the full diff' - <<-\EOF
	test_expect_code 1 mlreg diff --exit-code sig@1 sig@3 >out &&
	test_grep "^signature: breaking$" out &&
	test_grep "^files:$" out &&
	mlreg diff --json sig@1 sig@3 >d.json &&
	json_batch d.json assert 'd["signature"]["verdict"] == "breaking"' \
		'd["signature"]["changes"] == [{"signature": "default", "kind": "input", "name": "x", "breaking": True, "reason": "shape [-1,3] became [1,3]: dimension 0 took any size, now only 1"}]'
EOF

test_expect_success ONNX 'same signature, other files: identical verdict, not shown' - <<-\EOF
	cp base/model.onnx two/model.onnx &&
	printf 'readme\n' >two/README &&
	mlreg register sig two >/dev/null &&
	mlreg diff --signature-only sig@1 sig@9 >out &&
	echo "signature: identical" >expect &&
	test_cmp expect out &&
	mlreg diff sig@1 sig@9 >out &&
	test_grep ! "^signature" out &&
	test_grep "^  + README" out
EOF

test_expect_success ONNX 'real models of make-onnx.py: linear to multi breaks' - <<-\EOF
	test_fixture make-onnx.py linear lin.onnx &&
	test_fixture make-onnx.py multi multi.onnx &&
	mlreg create real &&
	mlreg register real lin.onnx &&
	mlreg register real multi.onnx &&
	verdict real@1 real@2 breaking 1 &&
	test_grep "input x: no longer accepted$" out &&
	test_grep "input ids: new required input$" out &&
	test_grep "output y: no longer given$" out &&
	test_grep "compatible: default: output ids_out: new output$" out
EOF

test_expect_success ONNX 'a signature that is gone breaks; a new one does not' - <<-\EOF
	verdict real@1 clf@1 breaking 1 &&
	test_grep "^  breaking:   default: no longer offered$" out &&
	verdict clf@1 real@1 compatible 0 &&
	test_grep "^  compatible: default: new signature$" out
EOF

test_expect_success 'no signatures on either side: verdict none, exit 0' - <<-\EOF
	mlreg diff --signature-only clf@1 clf@3 >out &&
	echo "signature: none" >expect &&
	test_cmp expect out
EOF

test_expect_success 'partial versions diff from their records' - <<-\EOF
	remote_add "$MLREG_DIR" origin &&
	mlreg upload origin >/dev/null &&
	mlreg diff --json clf@1 clf@3 >local.json &&
	mlreg --store b init &&
	remote_add b origin &&
	mlreg --store b download origin clf >/dev/null &&
	test_path_is_file b/models/clf/versions/1.partial &&
	test_path_is_missing b/models/clf/versions/3.partial &&
	mlreg --store b diff --json clf@1 clf@3 >partial.json &&
	test_cmp local.json partial.json &&
	mlreg --store b diff --exit-code clf@1 clf@2 >out &&
	test_must_be_empty out
EOF

test_expect_success 'an unknown model or version fails' - <<-\EOF
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg diff clf@1 nope &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg diff nope@1 clf &&
	test_fails 1 "^error: version 9 of model ${SQ}clf${SQ} not found$" mlreg diff clf@1 clf@9 &&
	test_fails 1 "^error: version 9 of model ${SQ}clf${SQ} not found$" mlreg diff --signature-only clf@9 clf &&
	mlreg create empty &&
	test_fails 1 "^error: model ${SQ}empty${SQ} has no versions$" mlreg diff --json empty clf
EOF

test_expect_success 'malformed references are fatal' - <<-\EOF
	for v in 0 "" -1 1x LATEST _x
	do
		test_fails 128 "invalid version" mlreg diff "clf@$v" clf || return 1
	done &&
	# a word is an alias (mlreg-alias(1)), which this model does not have
	for v in x latest2
	do
		test_fails 1 "^error: model .clf. has no alias .$v. (it has none)$" \
			mlreg diff "clf@$v" clf || return 1
	done &&
	test_fails 128 "invalid model name" mlreg diff clf "a b" &&
	test_fails 128 "" mlreg diff clf@1@latest clf
EOF

test_expect_success 'usage errors' - <<-\EOF
	test_fails 129 "^error: diff needs two versions (see ${SQ}mlreg diff -h${SQ})$" mlreg diff clf &&
	test_fails 129 "^error: diff needs two versions" mlreg diff &&
	test_fails 129 "^error: too many arguments" mlreg diff clf clf clf &&
	test_fails 129 "^error: --exit-code and --signature-only cannot be combined" \
		mlreg diff --exit-code --signature-only clf@1 clf@2 &&
	test_fails 129 "bogus" mlreg diff --bogus clf@1 clf@2 &&
	mlreg diff -h >out &&
	test_grep "^usage: mlreg diff" out
EOF

test_expect_success 'values with control characters are printed escaped' - <<-\EOF
	mlreg create esc &&
	mlreg register esc v1 -m "note=plain" >/dev/null &&
	mlreg register esc v1 -m "note=$(printf 'a\033]0;x\007b')" >/dev/null &&
	mlreg diff esc@1 esc@2 >out &&
	test_no_control_chars out &&
	test_grep '^  ~ note: "plain" -> "a\\u001b\]0;x\\u0007b"$' out
EOF

test_expect_success 'diff changes nothing' - <<-\EOF
	store_snapshot >before &&
	mlreg diff clf@1 clf >/dev/null &&
	mlreg diff --json clf@1 clf@3 >/dev/null &&
	store_snapshot >after &&
	test_cmp before after
EOF

test_done
