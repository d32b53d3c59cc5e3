#!/bin/sh
test_description='the seed systems: MLX specs, Hydrosphere contracts, ADS artifacts,
Determined checkpoints and MAX templates round-trip through register,
describe, validate and export'
. "$(dirname "$0")/lib.sh"

SEEDS=$TEST_DIRECTORY/data/seeds

# vjson REF: the version object of REF in v.json
vjson () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

test_expect_success 'setup' '
	mlreg init &&
	cp -R "$SEEDS" seeds &&
	printf "weights" >weights.bin
'

# MLX (seed 000)
test_expect_success 'the MLX servable template registers with --spec' '
	sed "s|<model_docker_image>|codait/max-object-detector:latest|" \
		seeds/mlx-servable.yaml >servable.yaml &&
	mlreg register --create detector weights.bin --spec servable.yaml >out &&
	echo detector@1 >expect && test_cmp expect out &&
	vjson detector &&
	json_assert v.json "d[\"spec\"][\"kind\"] == \"mlx\"" \
		"d[\"spec\"][\"types\"] == [\"servable\"]" \
		"d[\"spec\"][\"document\"][\"serve\"][\"serving_container_image\"][\"container_image_url\"] == \"codait/max-object-detector:latest\"" \
		"d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"1.8.0\"}"
'

test_expect_success 'describe shows the main fields of the spec' '
	mlreg describe detector >out &&
	test_grep "^spec: *MLX \[\"servable\"\] from servable.yaml" out &&
	test_grep "^  license: *Apache 2.0" out &&
	test_grep "^  domain: *Domain Area" out &&
	test_grep "^  serving: *codait/max-object-detector:latest" out &&
	test_grep "^framework: *tensorflow 1.8.0" out
'

test_expect_success 'the MLX trainable template registers and shows its training command' '
	mlreg register detector weights.bin --spec seeds/mlx-trainable.yaml &&
	vjson detector@2 &&
	json_assert v.json "d[\"spec\"][\"types\"] == [\"trainable\"]" &&
	mlreg describe detector@2 >out &&
	test_grep "^  training: *./train-max-model.sh" out
'

test_expect_success 'a servable spec without its serving image registers, as MLX takes it; validate says why it would not serve' '
	sed "/serving_container_image/,/container_port/d" seeds/mlx-katalog/max-object-detector.yaml >noimage.yaml &&
	mlreg register detector weights.bin --spec noimage.yaml 2>err &&
	test_must_be_empty err &&
	mlreg validate weights.bin --spec noimage.yaml >out &&
	line=$(grep -n "^serve:" noimage.yaml | cut -d: -f1) &&
	test_grep "^warning   .noimage.yaml. line $line: serve.serving_container_image.container_image_url: missing: MLX.s serving step deploys this image" out &&
	test_grep "^validation passed" out
'

test_expect_success 'a trainable spec missing its execution command: a warning of validate, naming field and line' '
	sed "/^    command:/,/--testLabelsFile/d" seeds/mlx-katalog/mlx-template.yaml >nocmd.yaml &&
	mlreg register detector weights.bin --spec nocmd.yaml 2>err &&
	test_grep ! command err &&
	mlreg validate weights.bin --spec nocmd.yaml >out &&
	line=$(grep -n "^  execution:" nocmd.yaml | cut -d: -f1) &&
	test_grep "^warning   .nocmd.yaml. line $line: train.execution.command: missing: MLX.s template requires it for a trainable model" out &&
	test_grep "^validation passed" out
'

test_expect_success 'a spec naming an undefined data store: MLX registers it, validate warns' '
	sed -e "0,/data_store: age_datastore/s//data_store: nowhere/" \
		seeds/mlx-katalog/mlx-template.yaml >badstore.yaml &&
	mlreg register detector weights.bin --spec badstore.yaml 2>err &&
	test_grep ! data_store err &&
	mlreg validate weights.bin --spec badstore.yaml >out &&
	line=$(grep -n "data_store: nowhere" badstore.yaml | cut -d: -f1) &&
	test_grep "^warning   .badstore.yaml. line $line: train.model_source.initial_model.data_store: names data store .nowhere., which .data_stores. does not define" out
'

test_expect_success 'secrets in a spec are redacted, never stored' '
	cat servable.yaml - >secret.yaml <<-\EOF &&
	data_stores:
	  - name: store
	    connection:
	      endpoint: https://user:hunter2@s3.example.com
	      access_key_id: AKIAEXAMPLEKEY
	      secret_access_key: wJalrXUtnFEMIK7MDENGbPxRfiCY
	EOF
	mlreg register detector weights.bin --spec secret.yaml 2>err &&
	test_grep "warning: 3 secret value(s)" err &&
	! grep -r -e hunter2 -e AKIAEXAMPLEKEY -e wJalrXUtnFEMIK7MDENGbPxRfiCY .mlreg
'

test_expect_success 'import registers a model from a YAML file, named by --name' '
	mlreg import servable.yaml --name imported >out &&
	echo imported@1 >expect && test_cmp expect out &&
	vjson imported &&
	json_assert v.json "d[\"files\"][0][\"path\"] == \"servable.yaml\"" \
		"d[\"spec\"][\"types\"] == [\"servable\"]" \
		"d[\"message\"] == \"imported from servable.yaml\""
'

test_expect_success 'import without --name refuses a placeholder name' '
	test_fails 128 "invalid model name" mlreg import servable.yaml
'

test_expect_success 'import takes a .tgz holding the YAML' '
	mkdir pkg && cp servable.yaml pkg/model.yaml &&
	tar czf model.tgz -C pkg model.yaml &&
	mlreg import model.tgz --name from-tgz &&
	vjson from-tgz &&
	json_assert v.json "d[\"files\"][0][\"path\"] == \"model.yaml\""
'

test_expect_success 'import refuses a .tar.gz without a YAML and a corrupt one' '
	echo hello >notes.txt && tar czf noyaml.tar.gz notes.txt &&
	test_fails 128 "holds no .yaml" mlreg import noyaml.tar.gz --name x &&
	head -c 40 model.tgz >cut.tgz &&
	test_fails 128 "gzip" mlreg import cut.tgz --name x
'

test_expect_success 'import takes an http URL' '
	mkdir www && cp servable.yaml www/ && cp model.tgz www/ &&
	port=$(free_port) || return 1
	# (the & must not take the lines above into the background)
	(cd www && exec "$PYTHON" -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
	server=$! &&
	test_when_finished "kill $server" &&
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.1
	done &&
	mlreg import "http://127.0.0.1:$port/servable.yaml" --name from-url &&
	mlreg import "http://127.0.0.1:$port/model.tgz" --name from-url &&
	vjson from-url &&
	json_assert v.json "d[\"version\"] == 2" "d[\"spec\"][\"kind\"] == \"mlx\"" &&
	test_fails 128 "HTTP 404" mlreg import "http://127.0.0.1:$port/missing.yaml" --name x
'

# Hydrosphere (seed 001)
test_expect_success 'a serving.yaml contract in the directory gives the signatures' '
	mlreg register --create tokenizer seeds/hydrosphere &&
	vjson tokenizer &&
	json_assert v.json "d[\"contract\"][\"source\"] == \"contract\"" \
		"d[\"contract\"][\"model_type\"] == \"python:3.6\"" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.6\"}" \
		"d[\"signatures\"] == [{\"name\": \"tokenize\", \"inputs\": [{\"name\": \"input_text\", \"type\": \"string\", \"shape\": [-1, 1], \"profile\": \"text\"}], \"outputs\": [{\"name\": \"output_text\", \"type\": \"string\", \"shape\": [-1, 1], \"profile\": \"text\"}]}]" &&
	mlreg describe tokenizer >out &&
	test_grep "^signature: *tokenize(input_text: string\[-1,1\] text) -> (output_text: string\[-1,1\] text)$" out
'

test_expect_success 'contract errors name the field, the file and the line, and what Hydrosphere does' '
	sed "0,/type: string/s//type: float33/" seeds/hydrosphere/serving.yaml >c1.yaml &&
	test_fails 128 "invalid contract .c1.yaml. line 14: contract.tokenize.inputs.input_text.type: .float33. is not a type Hydrosphere knows (half, float16, float, float32, double, float64, .*); its CLI refuses it too" \
		mlreg register tokenizer weights.bin --contract c1.yaml &&
	sed "0,/shape: \[-1, 1\]/s//shape: [-1, 1.5]/" seeds/hydrosphere/serving.yaml >c3.yaml &&
	test_fails 128 "invalid contract .c3.yaml. line 13: contract.tokenize.inputs.input_text.shape: dimension 1.5 is not an integer; Hydrosphere.s CLI refuses it too" \
		mlreg register tokenizer weights.bin --contract c3.yaml &&
	sed "/outputs:/,\$d" seeds/hydrosphere/serving.yaml >c5.yaml &&
	test_fails 128 "invalid contract .c5.yaml. line 10: contract.tokenize.outputs: missing: a signature needs inputs and outputs; Hydrosphere.s CLI refuses it too" \
		mlreg register tokenizer weights.bin --contract c5.yaml
'

test_expect_success 'what Hydrosphere accepts is accepted: a zero dimension, a model-type without version, a profile it knows' '
	sed -e "0,/shape: \[-1, 1\]/s//shape: [0, 1]/" -e "s/model-type: .*/model-type: python/" \
		-e "0,/profile: text/s//profile: audio/" seeds/hydrosphere/serving.yaml >c2.yaml &&
	mlreg register tokenizer weights.bin --contract c2.yaml &&
	vjson tokenizer &&
	json_assert v.json "d[\"signatures\"][0][\"inputs\"][0][\"shape\"] == [0, 1]" \
		"d[\"signatures\"][0][\"inputs\"][0][\"profile\"] == \"audio\"" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": None}"
'

test_expect_success 'an unknown profile is a warning, recorded as none, as Hydrosphere records it' '
	sed "0,/profile: text/s//profile: real/" seeds/hydrosphere/serving.yaml >c4.yaml &&
	mlreg register tokenizer weights.bin --contract c4.yaml 2>err &&
	test_grep "^warning: .c4.yaml. line 15: contract.tokenize.inputs.input_text.profile: .real. is not a Hydrosphere profile (none, categorical, .*): recorded as .none., as Hydrosphere records it" err &&
	vjson tokenizer &&
	json_assert v.json "d[\"signatures\"][0][\"inputs\"][0][\"profile\"] == \"none\""
'

test_expect_success 'a broken serving.yaml inside the directory is refused too' '
	cp -R seeds/hydrosphere hs2 && cp c1.yaml hs2/serving.yaml &&
	test_fails 128 "invalid contract .serving.yaml." mlreg register tokenizer hs2
'

test_expect_success 'a given contract wins over the signature inferred from a model file' '
	mkdir onnxdir && cp "$TEST_DIRECTORY/../contrib/example/model.onnx" onnxdir/ &&
	mlreg register --create regressor onnxdir &&
	vjson regressor &&
	json_assert v.json "d[\"contract\"][\"source\"] == \"inferred\"" \
		"d[\"signatures\"][0][\"inferred\"] is True" \
		"d[\"signatures\"][0][\"inputs\"][0][\"shape\"] == [-1, 3]" &&
	mlreg register regressor onnxdir --contract seeds/hydrosphere/serving.yaml &&
	vjson regressor@2 &&
	json_assert v.json "d[\"contract\"][\"source\"] == \"contract\"" \
		"d[\"signatures\"][0][\"name\"] == \"tokenize\"" \
		"d[\"artifacts\"][0][\"format\"] == \"onnx\""
'

test_expect_success 'a framework read from a model file keeps the version the file records' '
	mkdir sm && test_fixture make-savedmodel.py model sm/saved_model.pb &&
	mlreg register --create tf-model sm &&
	vjson tf-model &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"2.11.0\"}" \
		"d[\"contract\"] == {\"source\": \"inferred\", \"file\": \"saved_model.pb\"}" \
		"d[\"signatures\"][0][\"name\"] == \"serving_default\""
'

# ADS (seed 003)
test_expect_success 'an ADS artifact directory is recognised and passes introspection' '
	mlreg register --create iris seeds/ads 2>err &&
	test_must_be_empty err &&
	vjson iris &&
	json_assert v.json "d[\"introspection\"][\"artifact\"] == \"ads\"" \
		"d[\"introspection\"][\"passed\"] is True" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"score_predict\"] is True" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"runtime_path_exist\"] is None" &&
	mlreg validate iris >out &&
	test_grep "^validation passed" out &&
	mlreg validate seeds/ads >out &&
	test_grep "score_load_model *passed" out
'

test_expect_success 'a score.py without predict(data) fails introspection, read not run' '
	cp -R seeds/ads badads &&
	cat >badads/score.py <<-\EOF &&
	import os
	os.system("touch $SCRATCH/PWNED")
	def load_model():
	    return None
	def predict_all(rows, model=None):
	    return rows
	EOF
	mlreg register iris badads 2>err &&
	test_grep "warning: ADS artifact introspection: 1 check(s) failed" err &&
	test_path_is_missing PWNED &&
	test_expect_code 1 mlreg validate iris@2 >out &&
	test_grep "score_predict *FAILED *Function predict is not present in score.py" out &&
	test_expect_code 1 mlreg validate badads >out &&
	test_grep "^validation FAILED" out
'

test_expect_success 'predict with a second required argument, and a bad runtime.yaml, fail' '
	cp -R seeds/ads badads2 &&
	printf "def load_model():\n    pass\n\ndef predict(data, model):\n    pass\n" >badads2/score.py &&
	sed "s/MODEL_ARTIFACT_VERSION: .3.0./MODEL_ARTIFACT_VERSION: \x272.0\x27/" seeds/ads/runtime.yaml >badads2/runtime.yaml &&
	test_expect_code 1 mlreg validate badads2 --json >rep.json &&
	json_assert rep.json "d[\"ok\"] is False" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"score_predict_arg\"] is False" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"runtime_version\"] is False" \
		"{c[\"key\"]: c[\"success\"] for c in d[\"introspection\"][\"checks\"]}[\"score_predict_data\"] is True"
'

test_expect_success 'export writes a zip that ADS-style tools read, files at the top level' '
	mlreg export iris@1 --format zip -o iris.zip &&
	"$PYTHON" - <<-\EOF
	import hashlib, json, zipfile
	z = zipfile.ZipFile("iris.zip")
	assert z.testzip() is None
	names = sorted(z.namelist())
	assert names == ["input_schema.json", "model.joblib", "output_schema.json",
	                 "runtime.yaml", "score.py"], names
	for n in names:
	    assert z.read(n) == open("seeds/ads/" + n, "rb").read(), n
	EOF
'

test_expect_success 'export writes a tar.gz with the same files, and is reproducible' '
	mlreg export iris@1 --format tar.gz -o iris.tar.gz &&
	mkdir untar && tar xzf iris.tar.gz -C untar &&
	for f in score.py runtime.yaml input_schema.json output_schema.json model.joblib
	do
		cmp untar/$f seeds/ads/$f || return 1
	done &&
	mlreg export iris@1 -o again.zip &&
	cmp iris.zip again.zip
'

test_expect_success 'export refuses a bad format and a corrupt object, leaving no file' '
	test_fails 129 "zip or tar.gz" mlreg export iris --format rar -o x.rar &&
	mlreg describe iris@1 --json >d1.json &&
	obj=$(json_get d1.json "[f for f in d[\"version\"][\"files\"] if f[\"path\"] == \"score.py\"][0][\"sha256\"]") &&
	p=$(object_path "$obj") &&
	cp "$p" saved-object &&
	test_when_finished "chmod u+w \"$p\" && cp saved-object \"$p\"" &&
	chmod u+w "$p" && printf x >>"$p" &&
	test_expect_code 1 mlreg export iris@1 -o broken.zip 2>err &&
	test_grep "corrupt" err &&
	test_path_is_missing broken.zip &&
	ls | grep -v "broken.zip.tmp" >/dev/null &&
	! ls broken.zip.tmp-* 2>/dev/null
'

# Determined (seed 004)
test_expect_success 'a Determined checkpoint metadata.json fills the version' '
	mlreg register --create mnist_cnn seeds/determined &&
	vjson mnist_cnn &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"1.14.0\"}" \
		"d[\"hparams\"] == {\"learning_rate\": 0.001, \"global_batch_size\": 64}" \
		"d[\"metrics\"] == {\"validation_loss\": 0.091, \"accuracy\": 0.97}" \
		"d[\"checkpoint\"][\"uuid\"] == \"6a24d772-f1f7-4655-9061-22d582afd96c\"" \
		"d[\"checkpoint\"][\"batch_number\"] == 100" \
		"d[\"checkpoint\"][\"format\"] == \"h5\""
'

test_expect_success 'flags override the checkpoint' '
	echo "{\"accuracy\": 0.99}" >m.json &&
	mlreg register mnist_cnn seeds/determined --framework pytorch:2.1 --metrics-file m.json &&
	vjson mnist_cnn &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"pytorch\", \"version\": \"2.1\"}" \
		"d[\"metrics\"] == {\"accuracy\": 0.99}" \
		"d[\"hparams\"][\"learning_rate\"] == 0.001"
'

# MAX skeleton (seed 002)
test_expect_success 'template derives its defaults from the repository' '
	mkdir MAX-Object-Detector &&
	(
		cd MAX-Object-Detector &&
		git init -q -b main &&
		git remote add origin https://github.com/IBM/MAX-Object-Detector.git &&
		printf "# MAX Object Detector\n\nLocalize and identify multiple objects in a single image.\n" >README.md &&
		cp "$TEST_DIRECTORY/../contrib/example/model.onnx" . &&
		mlreg template trainable >../trainable.yaml
	) &&
	test_grep "^name: \"MAX Object Detector\"" trainable.yaml &&
	test_grep "^model_identifier: \"max-object-detector\"" trainable.yaml &&
	test_grep "^description: \"Localize and identify multiple objects in a single image.\"" trainable.yaml &&
	test_grep "^website: \"https://github.com/IBM/MAX-Object-Detector\"" trainable.yaml &&
	test_grep "^readme_url: \"https://raw.githubusercontent.com/IBM/MAX-Object-Detector/main/README.md\"" trainable.yaml &&
	test_grep "^  name: \"onnx\"" trainable.yaml
'

test_expect_success 'a generated template fails validate until its placeholders are filled, as its header says' '
	test_grep "^# Still to fill in (mlreg validate fails until then): author.name, author.email, framework.version, domain, data_stores\[0\].connection.endpoint\.$" trainable.yaml &&
	test_expect_code 1 mlreg validate weights.bin --spec trainable.yaml >out &&
	grep "^problem" out | sed "s/.* line [0-9]*: \([^:]*\): .*/\1/" >fields &&
	test_write_lines author.name author.email framework.version domain data_stores[0].connection.endpoint >expect &&
	test_cmp expect fields &&
	sed -e "s/<author_name>/Ann/" -e "s/<author_email>/ann@example.com/" -e "s/<framework_version>/1.15/" \
		-e "s/<domain>/Vision/" -e "s|<object_storage_endpoint>|https://s3.example.com|" \
		trainable.yaml >filled.yaml &&
	mlreg validate weights.bin --spec filled.yaml >out &&
	test_grep "valid MLX model spec" out &&
	(cd MAX-Object-Detector && mlreg template servable) >servable2.yaml &&
	mlreg register detector weights.bin --spec servable2.yaml 2>err &&
	test_grep "^warning: .servable2.yaml. line [0-9]*: serve.serving_container_image.container_image_url: .<registry>/max-object-detector:latest. still holds the template placeholder <registry>: fill it in" err &&
	test_fails 129 "trainable or servable" mlreg template deployable
'

test_expect_success 'every seed example exports and its archive holds the registered files' '
	for ref in detector@1 imported@1 tokenizer@1 iris@1 mnist_cnn@1
	do
		name=${ref%@*} &&
		mlreg export "$ref" -o "$name.zip" &&
		mlreg export "$ref" -o "$name.tar.gz" &&
		mlreg describe "$ref" --json >d.json &&
		"$PYTHON" - "$name" <<-\EOF || return 1
		import hashlib, json, sys, tarfile, zipfile
		name = sys.argv[1]
		files = {f["path"]: f["sha256"] for f in json.load(open("d.json"))["version"]["files"]}
		z = zipfile.ZipFile(name + ".zip")
		t = tarfile.open(name + ".tar.gz")
		for archive, read in ((z.namelist(), z.read),
		                      ([m.name for m in t.getmembers()], lambda n: t.extractfile(n).read())):
		    assert sorted(archive) == sorted(files), (name, archive, files)
		    for n in archive:
		        assert hashlib.sha256(read(n)).hexdigest() == files[n], (name, n)
		EOF
	done
'

test_expect_success 'the store is consistent after all that' '
	mlreg fsck
'

test_done
