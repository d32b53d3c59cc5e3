#!/bin/sh
test_description='register: storing files and directories as versions'
. "$(dirname "$0")/lib.sh"

# version_json REF: the version object of REF (NAME or NAME@N) in v.json.
version_json () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

# expect_registered EXPECTED COMMAND...: COMMAND prints EXPECTED (NAME@N) on
# stdout and nothing on stderr.
expect_registered () {
	printf '%s\n' "$1" >expect.out &&
	shift &&
	"$@" >actual.out 2>actual.err
	er_ret_=$?
	test_expect_code 0 test $er_ret_ &&
	test_cmp expect.out actual.out &&
	test_must_be_empty actual.err
}

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create m &&
	printf 'weights v1\n' >model.bin &&
	mkdir -p modeldir/sub/deeper modeldir/empty/dir &&
	printf 'onnx bytes' >modeldir/model.onnx &&
	printf '#!/bin/sh\necho run\n' >modeldir/run.sh &&
	chmod 755 modeldir/run.sh &&
	printf x >modeldir/sub/x.bin &&
	head -c 100000 /dev/urandom >modeldir/sub/deeper/big.bin
EOF

test_expect_success 'register a file prints NAME@1' '
	expect_registered m@1 mlreg register m model.bin
'

test_expect_success 'the version records the file under its basename' - <<-\EOF
	version_json m@1 &&
	json_batch v.json schema version -- assert \
		'd["model"] == "m"' \
		'd["version"] == 1' \
		'd["parent"] is None' \
		'd["message"] == ""' \
		'd["size"] == 11' \
		'd["framework"] is None' \
		'd["metadata"] == {} and d["metrics"] == {} and d["hparams"] == {}' \
		'[f["path"] for f in d["files"]] == ["model.bin"]' \
		'd["files"][0]["size"] == 11' \
		'd["files"][0]["mode"] == "0644"' \
		'd["files"][0]["sha256"] == sha256_file("model.bin")'
EOF

test_expect_success 'the object is named by the SHA-256 of its bytes' '
	h=$(sha256_of model.bin) &&
	test_path_is_file "$(object_path $h)" &&
	test_cmp model.bin "$(object_path $h)" &&
	test "$(count_objects)" = 1
'

test_expect_success 'the version record is named by its number, id is its hash' - <<-\EOF
	rec=$(version_record m 1) &&
	test_path_is_file "$rec" &&
	test "$(json_get v.json 'd["id"]')" = "$(sha256_of "$rec")" &&
	json_assert "$(model_dir m)/model.json" \
		'd["latest_version"] == 1' \
		"d['latest_id'] == '$(sha256_of "$rec")'"
EOF

test_expect_success 'register a directory: its contents, recursively' '
	expect_registered m@2 mlreg register m modeldir
'

test_expect_success 'paths are relative to the directory, sorted, modes kept' - <<-\EOF
	version_json m@2 &&
	total=$(cat modeldir/model.onnx modeldir/run.sh modeldir/sub/x.bin \
		modeldir/sub/deeper/big.bin | wc -c) &&
	json_batch v.json schema version -- assert "d['size'] == $total" \
		'd["version"] == 2' \
		'[f["path"] for f in d["files"]] == ["model.onnx", "run.sh", "sub/deeper/big.bin", "sub/x.bin"]' \
		'[f["mode"] for f in d["files"]] == ["0644", "0755", "0644", "0644"]' \
		'all(f["sha256"] == sha256_file("modeldir/" + f["path"]) for f in d["files"])' \
		'all(f["size"] == len(open("modeldir/" + f["path"], "rb").read()) for f in d["files"])' &&
	for f in model.onnx run.sh sub/deeper/big.bin sub/x.bin
	do
		test_cmp modeldir/$f "$(object_path $(sha256_of modeldir/$f))" || return 1
	done
EOF

test_expect_success 'versions are chained by their ids' - <<-\EOF
	v1=$(sha256_of "$(version_record m 1)") &&
	json_assert v.json "d['parent'] == '$v1'" &&
	test "$(json_get v.json 'd["id"]')" = "$(sha256_of "$(version_record m 2)")"
EOF

test_expect_success 'files and directories together, trailing slash, absolute paths' - <<-\EOF
	expect_registered m@3 mlreg register m "$SCRATCH/model.bin" modeldir/ &&
	version_json m@3 &&
	json_assert v.json \
		'[f["path"] for f in d["files"]] == ["model.bin", "model.onnx", "run.sh", "sub/deeper/big.bin", "sub/x.bin"]'
EOF

test_expect_success 'registering the directory that holds the store leaves the store out' - <<-\EOF
	mkdir -p proj &&
	printf "proj weights\n" >proj/w.bin &&
	(
		cd proj &&
		MLREG_DIR="$SCRATCH/proj/.mlreg" &&
		mlreg init &&
		mlreg register --create p . >../out &&
		mlreg describe p --json >../d.json
	) &&
	echo p@1 >expect &&
	test_cmp expect out &&
	json_assert d.json '[f["path"] for f in d["version"]["files"]] == ["w.bin"]'
EOF

test_expect_success 'identical content is stored once' - <<-\EOF
	n=$(count_objects) &&
	test "$n" = 5 &&
	expect_registered m@4 mlreg register m ./model.bin &&
	test "$(count_objects)" = "$n" &&
	mkdir same &&
	cp model.bin same/a.bin &&
	cp model.bin same/b.bin &&
	expect_registered m@5 mlreg register m same &&
	test "$(count_objects)" = "$n" &&
	version_json m@5 &&
	json_assert v.json 'd["files"][0]["sha256"] == d["files"][1]["sha256"]'
EOF

test_expect_success 'names with spaces and other bytes' - <<-\EOF
	mkdir "odd dir" &&
	printf a >"odd dir/with space.bin" &&
	printf b >"odd dir/caf$(printf '\303\251').bin" &&
	expect_registered m@6 mlreg register m "odd dir" &&
	version_json m@6 &&
	json_assert v.json 'sorted(f["path"] for f in d["files"]) == sorted(["with space.bin", "caf\u00e9.bin"])'
EOF

test_expect_success 'register without any path is a usage error' '
	test_fails 129 "" mlreg register m
'

test_expect_success 'an unknown model fails and says how to create it' '
	test_fails 1 "^error: model ${SQ}nope${SQ} not found (create it with ${SQ}mlreg create nope${SQ} or use --create)$" \
		mlreg register nope model.bin &&
	test_path_is_missing "$(model_dir nope)"
'

test_expect_success 'an invalid name is fatal' '
	test_fails 128 "invalid model name" mlreg register "a b" model.bin &&
	test_fails 128 "invalid model name" mlreg register --create "a b" model.bin &&
	test_fails 128 "" mlreg register m@1 model.bin
'

test_expect_success '--create creates the model first' - <<-\EOF
	expect_registered new@1 mlreg register --create new model.bin &&
	mlreg describe new --json >d.json &&
	json_assert d.json 'd["latest_version"] == 1' 'd["description"] == ""' &&
	expect_registered new@2 mlreg register --force new model.bin --create
EOF

test_expect_success 'setup: a model with no versions' '
	mlreg create fresh
'

# nothing_registered NAME: NAME has no version.
nothing_registered () {
	mlreg list-versions "$1" >lv.out &&
	test_must_be_empty lv.out &&
	mlreg describe "$1" --json >lv.json &&
	json_assert lv.json 'd["version"] is None' 'd["latest_version"] == 0'
}

test_expect_success 'a missing path is fatal and stores nothing' '
	test_fails 128 "^fatal: cannot open ${SQ}nope\.bin${SQ}: No such file or directory$" \
		mlreg register fresh nope.bin &&
	nothing_registered fresh
'

test_expect_success 'a missing path after a good one stores nothing either' '
	printf "new content\n" >new.bin &&
	test_fails 128 "nope\.bin" mlreg register fresh new.bin nope.bin &&
	test_fails 128 "nope" mlreg register fresh modeldir nope/ &&
	nothing_registered fresh &&
	test_path_is_missing "$(object_path $(sha256_of new.bin))"
'

test_expect_success 'a missing path with --create creates nothing' '
	test_fails 128 "nope\.bin" mlreg register --create ghost nope.bin &&
	test_path_is_missing "$(model_dir ghost)"
'

test_expect_success SANITY 'an unreadable file is fatal and stores nothing' '
	printf secret >unreadable.bin &&
	chmod 000 unreadable.bin &&
	test_when_finished "chmod 644 unreadable.bin" &&
	test_fails 128 "unreadable\.bin" mlreg register fresh unreadable.bin &&
	mkdir unreadable-dir &&
	cp modeldir/model.onnx unreadable-dir/ &&
	printf x >unreadable-dir/locked &&
	chmod 000 unreadable-dir/locked &&
	test_when_finished "chmod 644 unreadable-dir/locked" &&
	test_fails 128 "locked" mlreg register fresh unreadable-dir &&
	nothing_registered fresh
'

test_expect_success SANITY 'an unreadable directory is fatal' '
	mkdir -p closed/inner &&
	printf x >closed/inner/f &&
	chmod 000 closed/inner &&
	test_when_finished "chmod 755 closed/inner" &&
	test_fails 128 "inner" mlreg register fresh closed &&
	nothing_registered fresh
'

test_expect_success 'a FIFO is fatal (and never waited on)' '
	mkdir fifodir &&
	printf "beside the fifo\n" >fifodir/a.bin &&
	mkfifo fifodir/pipe &&
	test_fails 128 "pipe" timeout 60 mlreg register fresh fifodir &&
	test_fails 128 "pipe" timeout 60 mlreg register fresh fifodir/pipe &&
	nothing_registered fresh
'

test_expect_success 'a device is fatal' '
	test_fails 128 "/dev/null" timeout 60 mlreg register fresh /dev/null &&
	nothing_registered fresh
'

test_expect_success 'a socket is fatal' - <<-\EOF
	mkdir sockdir &&
	printf "beside the socket\n" >sockdir/a.bin &&
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sockdir/sock &&
	test -S sockdir/sock &&
	test_fails 128 "sock" timeout 60 mlreg register fresh sockdir &&
	nothing_registered fresh
EOF

test_expect_success 'a dangling symlink is fatal' '
	mkdir dangdir &&
	printf "beside the dangling link\n" >dangdir/a.bin &&
	ln -s nowhere.bin dangdir/dangling &&
	test_fails 128 "dangling" mlreg register fresh dangdir &&
	nothing_registered fresh
'

test_expect_success 'symlinks resolving inside the directory are followed' - <<-\EOF
	mkdir -p linkdir/sub &&
	printf "real\n" >linkdir/real.bin &&
	ln -s real.bin linkdir/alias.bin &&
	ln -s "$SCRATCH/linkdir/real.bin" linkdir/abs.bin &&
	ln -s ../real.bin linkdir/sub/up.bin &&
	ln -s ../linkdir/real.bin linkdir/outandback.bin &&
	n=$(count_objects) &&
	expect_registered fresh@1 mlreg register fresh linkdir &&
	version_json fresh@1 &&
	json_assert v.json \
		'[f["path"] for f in d["files"]] == ["abs.bin", "alias.bin", "outandback.bin", "real.bin", "sub/up.bin"]' \
		'len(set(f["sha256"] for f in d["files"])) == 1' \
		'all(f["mode"] == "0644" and f["size"] == 5 for f in d["files"])' &&
	test "$(count_objects)" = $((n + 1))
EOF

test_expect_success 'a symlink leading outside the directory is fatal' '
	mkdir outdir &&
	printf "beside the outside link\n" >outdir/a.bin &&
	ln -s ../model.bin outdir/link &&
	test_fails 128 "^fatal: symlink ${SQ}outdir/link${SQ} leads outside ${SQ}outdir${SQ}$" \
		mlreg register fresh outdir &&
	rm outdir/link &&
	ln -s "$SCRATCH/model.bin" outdir/abslink &&
	test_fails 128 "symlink ${SQ}outdir/abslink${SQ} leads outside" \
		mlreg register fresh outdir &&
	rm outdir/abslink &&
	ln -s /etc outdir/etc &&
	test_fails 128 "symlink ${SQ}outdir/etc${SQ} leads outside" \
		mlreg register fresh outdir &&
	mlreg list-versions fresh --json >lv.json &&
	json_assert lv.json "len(d) == 1"
'

test_expect_success 'a symlink given as PATH is followed, stored under its own name' - <<-\EOF
	ln -s model.bin link.bin &&
	expect_registered sym@1 mlreg register --create sym link.bin &&
	version_json sym@1 &&
	json_assert v.json '[f["path"] for f in d["files"]] == ["link.bin"]' \
		'd["files"][0]["sha256"] == sha256_file("model.bin")' \
		'd["files"][0]["mode"] == "0644"'
EOF

test_expect_success 'a symlink to a directory inside is followed too' - <<-\EOF
	mkdir -p dirlink/real &&
	printf "in real\n" >dirlink/real/f &&
	ln -s real dirlink/alias &&
	expect_registered dl@1 mlreg register --create dl dirlink &&
	version_json dl@1 &&
	json_assert v.json '[f["path"] for f in d["files"]] == ["alias/f", "real/f"]'
EOF

test_expect_success 'a symlink loop is fatal, not endless' '
	mkdir -p loopdir/sub &&
	printf "beside the loop\n" >loopdir/a.bin &&
	ln -s .. loopdir/sub/up &&
	test_fails 128 "loopdir/sub/up" timeout 60 mlreg register fresh loopdir
'

test_expect_success 'two paths giving the same relative path are fatal' '
	mkdir other &&
	cp model.bin other/model.bin &&
	printf "not stored yet\n" >other/unique.bin &&
	pat="\(duplicate\|same\).*${SQ}model\.bin${SQ}" &&
	test_fails 128 "$pat" mlreg register fresh model.bin other &&
	test_fails 128 "$pat" mlreg register fresh model.bin model.bin &&
	test_fails 128 "$pat" mlreg register fresh model.bin other/model.bin
'

test_expect_success 'numbers go on after failures, without gaps' '
	expect_registered fresh@2 mlreg register fresh model.bin &&
	mlreg list-versions fresh --json >lv.json &&
	json_assert lv.json "[v[\"version\"] for v in d] == [2, 1]"
'

test_expect_success '-m sets per-version metadata, typed with :=' - <<-\EOF
	expect_registered m@7 mlreg register m model.bin -m k=v -m epochs:=3 \
		-m tags:='["a","b"]' -m k2=x=y &&
	version_json m@7 &&
	json_assert v.json \
		'd["metadata"] == {"k": "v", "epochs": 3, "tags": ["a", "b"], "k2": "x=y"}' &&
	mlreg describe m --json >d.json &&
	json_assert d.json 'd["metadata"] == {}'
EOF

test_expect_success 'malformed -m is a usage error and stores nothing' '
	printf "never stored either\n" >unstored2.bin &&
	test_fails 129 "novalue" mlreg register m unstored2.bin -m novalue &&
	test_fails 129 "" mlreg register m unstored2.bin -m =v &&
	test_fails 129 "" mlreg register m unstored2.bin -m "k:={bad"
'

test_expect_success '--message' - <<-\EOF
	expect_registered m@8 mlreg register m model.bin --message "first try, lr 0.1" &&
	version_json m@8 &&
	json_assert v.json 'd["message"] == "first try, lr 0.1"'
EOF

test_expect_success '--framework NAME:VERSION and NAME' - <<-\EOF
	expect_registered m@9 mlreg register m model.bin --framework pytorch:2.1 &&
	version_json m@9 &&
	json_assert v.json 'd["framework"] == {"name": "pytorch", "version": "2.1"}' &&
	expect_registered m@10 mlreg register m model.bin --framework scikit-learn:0.19.1 &&
	version_json m@10 &&
	json_assert v.json 'd["framework"] == {"name": "scikit-learn", "version": "0.19.1"}' &&
	expect_registered m@11 mlreg register m model.bin --framework sklearn &&
	version_json m@11 &&
	json_assert v.json 'd["framework"] == {"name": "sklearn", "version": None}'
EOF

test_expect_success 'setup: metrics and hparams files' - <<-\EOF
	cat >metrics.json <<-\JSON &&
	{"test_set_loss": 0.091, "test_set_acc": 0.97, "per_class": [0.9, 0.95]}
	JSON
	cat >metrics.yaml <<-\YAML &&
	test_set_acc: 0.97
	confusion:
	  tp: 10
	  fp: 2
	YAML
	cat >hparams.yaml <<-\YAML &&
	lr: 0.01
	layers: [64, 32]
	optimizer: adam
	nesterov: false
	YAML
	cat >hparams.json <<-\JSON &&
	{"lr": 0.01, "batch": 32}
	JSON
	printf '{"acc": 0.9' >bad.json &&
	printf 'a: [1\nb: {\n' >bad.yaml &&
	printf '[1, 2]\n' >list.json
EOF

test_expect_success '--metrics-file and --hparams-file, JSON and YAML' - <<-\EOF
	expect_registered m@12 mlreg register m model.bin \
		--metrics-file metrics.json --hparams-file hparams.yaml &&
	version_json m@12 &&
	json_assert v.json \
		'd["metrics"] == {"test_set_loss": 0.091, "test_set_acc": 0.97, "per_class": [0.9, 0.95]}' \
		'd["hparams"] == {"lr": 0.01, "layers": [64, 32], "optimizer": "adam", "nesterov": False}' &&
	expect_registered m@13 mlreg register m model.bin \
		--metrics-file metrics.yaml --hparams-file hparams.json &&
	version_json m@13 &&
	json_assert v.json \
		'd["metrics"] == {"test_set_acc": 0.97, "confusion": {"tp": 10, "fp": 2}}' \
		'd["hparams"] == {"lr": 0.01, "batch": 32}'
EOF

test_expect_success 'malformed, non-mapping or missing metrics and hparams files are fatal' '
	printf "never stored\n" >unstored.bin &&
	test_fails 128 "bad\.json" mlreg register m unstored.bin --metrics-file bad.json &&
	test_fails 128 "bad\.yaml" mlreg register m unstored.bin --metrics-file bad.yaml &&
	test_fails 128 "bad\.json" mlreg register m unstored.bin --hparams-file bad.json &&
	test_fails 128 "bad\.yaml" mlreg register m unstored.bin --hparams-file bad.yaml &&
	test_fails 128 "list\.json" mlreg register m unstored.bin --hparams-file list.json &&
	test_fails 128 "nope\.json" mlreg register m unstored.bin --metrics-file nope.json &&
	test_fails 128 "bad\.json" mlreg register --create brandnew unstored.bin --metrics-file bad.json &&
	test_path_is_missing "$(model_dir brandnew)"
'

# latest NAME: the number of NAME's latest version.
latest () {
	mlreg describe "$1" --json | json_get - 'd["latest_version"]'
}

test_expect_success '--json prints the version object instead of NAME@N' - <<-\EOF
	n=$(( $(latest m) + 1 )) &&
	mlreg register --force m model.bin --json -m via=json >out 2>err &&
	test_must_be_empty err &&
	json_batch out schema version -- assert \
		"d['version'] == $n" 'd["model"] == "m"' \
		'd["metadata"] == {"via": "json"}' &&
	mlreg describe m@$n --json >d.json &&
	json_get d.json 'd["version"]' >v.json &&
	json_get out d >printed.json &&
	test_cmp v.json printed.json
EOF

test_expect_success '-q registers all the same' - <<-\EOF
	n=$(( $(latest m) + 1 )) &&
	mlreg register -q m model.bin >out 2>err &&
	test_must_be_empty err &&
	test "$(latest m)" = $n
EOF

test_expect_success 'empty directories are not recorded' - <<-\EOF
	version_json m@2 &&
	json_assert v.json 'not any(f["path"].startswith("empty") for f in d["files"])'
EOF

test_expect_success 'modes: any executable bit gives 0755, none 0644' - <<-\EOF
	mkdir modes &&
	for m in 600 644 666 700 744 750 775 4755
	do
		printf "mode %s\n" $m >modes/f$m &&
		chmod $m modes/f$m || return 1
	done &&
	expect_registered modes@1 mlreg register --create modes modes &&
	version_json modes@1 &&
	json_assert v.json '{f["path"]: f["mode"] for f in d["files"]} == {
		"f600": "0644", "f644": "0644", "f666": "0644", "f700": "0755",
		"f744": "0755", "f750": "0755", "f775": "0755", "f4755": "0755"}'
EOF

test_expect_success 'the store is consistent after all that' '
	mlreg fsck >out &&
	test_must_be_empty out &&
	test_path_is_missing "$(model_dir m)/model.json.lock"
'

test_done
