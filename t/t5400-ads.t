#!/bin/sh
test_description='Oracle ADS artifacts: ADS own test artifacts at the top, one folder
down and split in two folders; validate of a .zip artifact checks what is inside
it (the archives export writes validate as their version does), and a hostile
or damaged zip is refused with nothing left behind'
. "$(dirname "$0")/lib.sh"

ADS=$TEST_DIRECTORY/data/seeds/ads-tests

# vjson REF: the version object of REF in v.json
vjson () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

test_expect_success 'setup' '
	mlreg init &&
	mkdir tmp &&
	cp -R "$ADS" ads
'

test_expect_success 'ADS own valid artifact passes every check' '
	mlreg register --create valid ads/valid 2>err &&
	test_must_be_empty err &&
	mlreg validate valid >out &&
	test_grep "^ads       score_predict_arg  *passed" out &&
	test_grep "^validation passed" out
'

test_expect_success 'one folder down, as ADS refuses it: the mandatory checks fail, saying where the files are' '
	mlreg register --create nested ads/nested 2>err &&
	echo "warning: ADS artifact introspection: 2 check(s) failed (see '\''mlreg validate'\'')" >expect &&
	test_cmp expect err &&
	vjson nested &&
	json_assert v.json "d[\"introspection\"][\"passed\"] is False" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"score_py\"] is False" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"score_predict\"] is None" &&
	test_expect_code 1 mlreg validate ads/nested >out &&
	test_grep "^ads       score_py  *FAILED  The file .score.py. is missing. It is in .artifacts/., one level down: ADS wants it at the top level of the artifact and refuses a nested folder.$" out &&
	test_grep "^ads       runtime_yaml  *FAILED  The file .runtime.yaml. is missing. It is in .artifacts/., one level down" out &&
	test_grep "^ads       score_syntax  *skipped not tested: the mandatory files check failed$" out &&
	test_grep "^validation FAILED" out
'

test_expect_success 'split in two folders, as ADS refuses it too' '
	test_expect_code 1 mlreg validate ads/split >out &&
	test_grep "^ads       runtime_yaml  *FAILED  The file .runtime.yaml. is missing. It is in .artifacts/., a folder apart from score.py: ADS refuses an artifact whose required files are in different folders.$" out &&
	test_grep "^ads       score_py  *passed" out
'

test_expect_success 'a lone score.py in a folder is somebody else file, no artifact' '
	mkdir -p lone/scripts &&
	printf "def predict(x):\n    return x\n" >lone/scripts/score.py &&
	mlreg register --create lone lone 2>err &&
	test_must_be_empty err &&
	vjson lone &&
	json_assert v.json "d[\"introspection\"] is None"
'

test_expect_success 'an exported zip validates as its version does, checked inside' '
	cp -R ads/valid withmodel &&
	cp "$TEST_DIRECTORY/../contrib/example/model.onnx" withmodel/ &&
	mlreg register --create withmodel withmodel &&
	mlreg export withmodel -o withmodel.zip &&
	TMPDIR=$PWD/tmp mlreg validate withmodel.zip >out &&
	test_grep "^file      model.onnx  *onnx, signatures: inferred$" out &&
	test_grep "^ads       score_load_model  *passed" out &&
	test_grep "^validation passed" out &&
	sed "s/^def load_model/def not_load_model/" withmodel/score.py >score.py &&
	cp score.py withmodel/score.py &&
	mlreg register withmodel withmodel 2>/dev/null &&
	mlreg export withmodel -o withmodel2.zip &&
	TMPDIR=$PWD/tmp test_expect_code 1 mlreg validate withmodel2.zip >out &&
	test_grep "^ads       score_load_model  *FAILED  Function load_model is not present in score.py.$" out &&
	ls tmp >left &&
	test_must_be_empty left
'

test_expect_success 'in a zip, the artifact one folder down is read as ADS introspection reads it' '
	(cd ads/nested && "$PYTHON" -c "import shutil; shutil.make_archive(\"../../folder\", \"zip\", \".\")") &&
	mlreg export nested -o nested.zip &&
	mlreg validate nested.zip >out &&
	test_grep "^validation passed" out &&
	"$PYTHON" -c "import zipfile; print(sorted(zipfile.ZipFile(\"folder.zip\").namelist()))" >names &&
	test_grep "artifacts/score.py" names &&
	mlreg validate folder.zip --json >rep.json &&
	json_assert rep.json "d[\"ok\"] is True" "d[\"introspection\"][\"root\"] == \"artifacts/\""
'

test_expect_success 'a zip whose score.py is broken fails, read not run' '
	mkdir broken && cp ads/valid/runtime.yaml broken/ &&
	printf "import os\nos.system(\"touch PWNED\")\ndef predict(x):\n    return (x\n" >broken/score.py &&
	(cd broken && "$PYTHON" -c "import shutil; shutil.make_archive(\"../broken\", \"zip\", \".\")") &&
	test_expect_code 1 mlreg validate broken.zip >out &&
	test_grep "^ads       score_syntax  *FAILED  There is Syntax error in score.py: 1 bracket(s) never closed" out &&
	test_path_is_missing PWNED
'

test_expect_success 'unsafe member names are refused, and nothing is written anywhere' '
	for name in ../evil.txt /abs.txt "a/../b.txt" "ctl$(printf "\001")x" "back\\\\slash"
	do
		"$PYTHON" - "$name" <<-\EOF || return 1
		import sys, zipfile
		with zipfile.ZipFile("unsafe.zip", "w") as z:
		    z.writestr("score.py", "def predict(data): pass\n")
		    z.writestr(zipfile.ZipInfo(sys.argv[1]), "x")
		EOF
		TMPDIR=$PWD/tmp test_fails 128 "unsafe.zip.: member 2 has an unsafe name" \
			mlreg validate unsafe.zip || return 1
	done &&
	test_path_is_missing ../evil.txt &&
	test_path_is_missing /abs.txt &&
	ls tmp >left &&
	test_must_be_empty left
'

test_expect_success 'a damaged zip is refused naming the member; nothing is left behind' '
	"$PYTHON" - <<-\EOF &&
	import zipfile
	data = b"def load_model():\n    pass\n" * 200
	with zipfile.ZipFile("good.zip", "w", zipfile.ZIP_DEFLATED) as z:
	    z.writestr("runtime.yaml", "MODEL_ARTIFACT_VERSION: '3.0'\n")
	    z.writestr("score.py", data)
	raw = bytearray(open("good.zip", "rb").read())
	# a CRC that does not match, in the central directory
	cd = raw.rfind(b"PK\x01\x02")
	bad = bytearray(raw); bad[cd + 16] ^= 0xff
	open("crc.zip", "wb").write(bad)
	# a member that inflates to more than the central directory declares
	big = bytearray(raw); big[cd + 24:cd + 28] = (10).to_bytes(4, "little")
	open("big.zip", "wb").write(big)
	open("cut.zip", "wb").write(raw[:len(raw) // 2])
	EOF
	TMPDIR=$PWD/tmp test_fails 128 "crc.zip.: zip member .score.py. fails its CRC-32 check" mlreg validate crc.zip &&
	TMPDIR=$PWD/tmp test_fails 128 "big.zip.: zip member .score.py. inflates to a size other than declared" mlreg validate big.zip &&
	TMPDIR=$PWD/tmp test_fails 128 "cut.zip" mlreg validate cut.zip &&
	ls tmp >left &&
	test_must_be_empty left
'

test_expect_success 'an exported tar.gz validates as its zip does' '
	mlreg export withmodel@1 --format tar.gz -o withmodel.tar.gz &&
	TMPDIR=$PWD/tmp mlreg validate withmodel.tar.gz >out &&
	test_grep "^file      model.onnx  *onnx, signatures: inferred$" out &&
	test_grep "^validation passed" out &&
	mlreg export withmodel@2 --format tar.gz -o withmodel2.tgz &&
	TMPDIR=$PWD/tmp test_expect_code 1 mlreg validate withmodel2.tgz >out &&
	test_grep "^ads       score_load_model  *FAILED" out &&
	ls tmp >left &&
	test_must_be_empty left
'

test_expect_success 'tar.gz: ./ prefixes, pax and GNU long names are read; links and unsafe names refused' '
	long=$(printf "d%.0s" $(seq 1 120)) &&
	mkdir -p "tree/$long" && cp ads/valid/* tree/ && echo x >"tree/$long/notes.txt" &&
	printf "kind: Model\nname: t\nruntime: r:1\npayload: [\"$long/notes.txt\"]\ncontract: {inputs: {}, outputs: {}}\n" >tree/serving.yaml &&
	mlreg validate tree >out &&
	test_grep "^validation passed" out &&
	"$PYTHON" - "$long" <<-\EOF &&
	import os, sys, tarfile
	long = sys.argv[1]
	for fmt, name in ((tarfile.PAX_FORMAT, "pax.tar.gz"), (tarfile.GNU_FORMAT, "gnu.tar.gz")):
	    with tarfile.open(name, "w:gz", format=fmt) as t:
	        t.add("tree", arcname=".")
	with tarfile.open("link.tar.gz", "w:gz") as t:
	    t.add("tree/score.py", arcname="score.py")
	    i = tarfile.TarInfo("runtime.yaml"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"
	    t.addfile(i)
	with tarfile.open("dotdot.tar.gz", "w:gz") as t:
	    t.add("tree/score.py", arcname="../score.py")
	EOF
	for a in pax gnu
	do
		TMPDIR=$PWD/tmp mlreg validate $a.tar.gz --json >rep.json &&
		json_assert rep.json "d[\"ok\"] is True" "d[\"introspection\"][\"passed\"] is True" \
			"d[\"contract\"][\"payload\"] == [\"$long/notes.txt\"]" || return 1
	done &&
	TMPDIR=$PWD/tmp test_fails 128 "link.tar.gz.: member 2 is a link or a special file, which an artifact does not hold" \
		mlreg validate link.tar.gz &&
	TMPDIR=$PWD/tmp test_fails 128 "dotdot.tar.gz.: member 1 has an unsafe name" \
		mlreg validate dotdot.tar.gz &&
	head -c 300 pax.tar.gz >cut.tgz &&
	TMPDIR=$PWD/tmp test_fails 128 "cut.tgz. is truncated" mlreg validate cut.tgz &&
	ls tmp >left &&
	test_must_be_empty left
'

test_expect_success 'every seed example: its exported zip validates with its version verdict' '
	mlreg register --create tok "$TEST_DIRECTORY/data/seeds/hydrosphere" 2>/dev/null &&
	mlreg register --create det "$TEST_DIRECTORY/data/seeds/determined" 2>/dev/null &&
	mlreg register --create iris "$TEST_DIRECTORY/data/seeds/ads" &&
	for m in valid withmodel iris tok det
	do
		mlreg validate $m >v.out; want=$? &&
		mlreg export $m -o $m-x.zip &&
		TMPDIR=$PWD/tmp mlreg validate $m-x.zip >z.out; got=$? &&
		grep "^problem" v.out >v.problems;
		grep "^problem" z.out >z.problems;
		test "$want" = "$got" &&
		test_cmp v.problems z.problems || return 1
	done
'

test_done
