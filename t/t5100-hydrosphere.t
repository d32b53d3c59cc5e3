#!/bin/sh
test_description='Hydrosphere model definitions in every layout Hydrosphere has read:
the examples of its repository across its history, its CLI samples, and the
layouts its docs show; types, shapes, profiles, payloads, refusals naming
the field, the file and the line'
. "$(dirname "$0")/lib.sh"

EX=$TEST_DIRECTORY/data/seeds/hydrosphere-examples

# vjson REF: the version object of REF in v.json
vjson () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

# payload DIR FILE...: create the payload files a definition names
payload () {
	d=$1 &&
	shift &&
	for f in "$@"
	do
		mkdir -p "$d/$(dirname "$f")" &&
		echo "$f" >"$d/$f" || return 1
	done
}

test_expect_success 'setup' '
	mlreg init &&
	printf "weights" >weights.bin
'

test_expect_success 'the current layout (kind: Model, runtime, contract with a name) registers' '
	cp -R "$EX/census" census &&
	payload census src/func_main.py requirements.txt model.joblib encoders.joblib &&
	mlreg register --create census census 2>err &&
	test_must_be_empty err &&
	vjson census &&
	json_assert v.json "d[\"contract\"][\"layout\"] == \"kind-model\"" \
		"d[\"contract\"][\"name\"] == \"census\"" \
		"d[\"contract\"][\"runtime\"] == \"hydrosphere/serving-runtime-python-3.7:3.0.0-alpha.1\"" \
		"d[\"contract\"][\"install_command\"] == \"pip install -r requirements.txt\"" \
		"d[\"contract\"][\"training_data\"] == \"../../data/train.csv\"" \
		"d[\"contract\"][\"metadata\"][\"documentation\"].startswith(\"https://docs.hydrosphere.io/\")" \
		"d[\"contract\"][\"payload\"] == [\"src/\", \"requirements.txt\", \"model.joblib\", \"encoders.joblib\"]" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.7\"}" \
		"[s[\"name\"] for s in d[\"signatures\"]] == [\"predict\"]" \
		"len(d[\"signatures\"][0][\"inputs\"]) == 14" \
		"d[\"signatures\"][0][\"inputs\"][0] == {\"name\": \"age\", \"type\": \"int64\", \"shape\": [], \"profile\": \"numerical\"}" \
		"d[\"signatures\"][0][\"outputs\"] == [{\"name\": \"income\", \"type\": \"string\", \"shape\": [], \"profile\": \"categorical\"}]" &&
	mlreg validate census >out &&
	test_grep "^contract  serving.yaml  *valid, 1 signature(s)" out
'

test_expect_success 'profiles are read in any case: IMAGE is image' '
	cp -R "$EX/mobilenet" mobilenet &&
	payload mobilenet src/func_main.py requirements.txt \
		mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224/weights.h5 &&
	mlreg register --create mobilenet mobilenet 2>err &&
	test_must_be_empty err &&
	vjson mobilenet &&
	json_assert v.json "d[\"signatures\"][0][\"inputs\"] == [{\"name\": \"input\", \"type\": \"double\", \"shape\": [-1, 224, 224, 3], \"profile\": \"image\"}]"
'

test_expect_success 'the 0.1 layout: named signatures and model-type' '
	cp -R "$EX/fraud-autoencoder-2018" fraud &&
	payload fraud src/func_main.py requirements.txt relu-2layers-4units.3.h5 &&
	mlreg register --create fraud fraud &&
	vjson fraud &&
	json_assert v.json "d[\"contract\"][\"layout\"] == \"signature-map\"" \
		"d[\"contract\"][\"model_type\"] == \"python:3.6\"" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.6\"}" \
		"d[\"signatures\"] == [{\"name\": \"infer\", \"inputs\": [{\"name\": \"X\", \"type\": \"double\", \"shape\": [-1, 7], \"profile\": \"numerical\"}], \"outputs\": [{\"name\": \"reconstructed\", \"type\": \"double\", \"shape\": [-1, 1], \"profile\": \"numerical\"}]}]"
'

test_expect_success 'profileTypes of 2019 give fields their profile; real is unknown, a warning, recorded as none' '
	cp -R "$EX/claims-2019" claims &&
	payload claims src/func_main.py &&
	mlreg register --create claims claims 2>err &&
	line=$(grep -n "profile: real" claims/serving.yaml | cut -d: -f1) &&
	echo "warning: '\''serving.yaml'\'' line $line: contract.claim.outputs.amount.profile: '\''real'\'' is not a Hydrosphere profile (none, categorical, nominal, ordinal, numerical, continuous, interval, ratio, image, video, audio, text): recorded as '\''none'\'', as Hydrosphere records it" >expect &&
	test_cmp expect err &&
	vjson claims &&
	json_assert v.json "d[\"signatures\"][0][\"inputs\"][0] == {\"name\": \"client_profile\", \"type\": \"double\", \"shape\": [112], \"profile\": \"text\"}" \
		"d[\"signatures\"][0][\"outputs\"][0][\"profile\"] == \"none\"" &&
	sed "/profile: text/d" claims/serving.yaml >claims/p.yaml &&
	mv claims/p.yaml claims/serving.yaml &&
	mlreg register claims claims 2>err &&
	vjson claims &&
	json_assert v.json "d[\"signatures\"][0][\"inputs\"][0][\"profile\"] == \"numerical\""
'

test_expect_success 'the 0.0 layout: a model section and its contract in protobuf text format' '
	cp -R "$EX/preprocessing-2018" pre &&
	mlreg register --create pre pre 2>err &&
	test_must_be_empty err &&
	vjson pre &&
	json_assert v.json "d[\"contract\"][\"layout\"] == \"model-section\"" \
		"d[\"contract\"][\"contract_file\"] == \"contract.prototxt\"" \
		"d[\"contract\"][\"name\"] == \"demo_preprocessing\"" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.6\"}" \
		"d[\"signatures\"] == [{\"name\": \"normalize\", \"inputs\": [{\"name\": \"data\", \"type\": \"double\", \"shape\": [24]}], \"outputs\": [{\"name\": \"data\", \"type\": \"double\", \"shape\": [1, 1, 24]}]}]" &&
	mlreg describe pre >out &&
	test_grep "^signature: *normalize(data: double\[24\]) -> (data: double\[1,1,24\])$" out
'

test_expect_success 'the 0.0 layout as the CLI docs show it: field_name, info, tensor_shape' '
	mkdir tfmodel &&
	cat >tfmodel/serving.yaml <<-\EOF &&
	model:
	  name: "example_model"
	  type: "tensorflow"
	  contract: "contract.prototxt"
	  payload:
	    - "saved_model.pb"
	    - "variables/"
	EOF
	cat >tfmodel/contract.prototxt <<-\EOF &&
	signatures {
	  signature_name: "detect"
	  inputs {
	    field_name: "image_b64"
	    info {
	      dtype: DT_STRING
	    }
	  }
	  outputs {
	    field_name: "scores"
	    info {
	      dtype: DT_DOUBLE
	      tensor_shape: {
	        dim: {
	            size: -1
	        }
	      }
	    }
	  }
	  outputs {
	    field_name: "classes"
	    info { dtype: DT_STRING tensor_shape { dim { size: -1 } } }
	  }
	}
	EOF
	test_fixture make-savedmodel.py model tfmodel/saved_model.pb &&
	payload tfmodel variables/variables.index &&
	mlreg register --create tfmodel tfmodel &&
	vjson tfmodel &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": None}" \
		"d[\"signatures\"] == [{\"name\": \"detect\", \"inputs\": [{\"name\": \"image_b64\", \"type\": \"string\", \"shape\": None}], \"outputs\": [{\"name\": \"scores\", \"type\": \"double\", \"shape\": [-1]}, {\"name\": \"classes\", \"type\": \"string\", \"shape\": [-1]}]}]" &&
	mlreg describe tfmodel >out &&
	test_grep "^signature: *detect(image_b64: string\[?\]) -> (scores: double\[-1\], classes: string\[-1\])$" out
'

test_expect_success 'a protobuf text contract given with --contract, and its errors with their line' '
	mlreg register --create ptx weights.bin --contract pre/contract.prototxt &&
	vjson ptx &&
	json_assert v.json "d[\"contract\"][\"layout\"] == \"prototxt\"" \
		"d[\"signatures\"][0][\"name\"] == \"normalize\"" &&
	sed "s/DT_DOUBLE/DT_FLOAT99/" pre/contract.prototxt >bad.prototxt &&
	test_fails 128 "invalid contract .bad.prototxt. line 10: signatures\[0\]: dtype .DT_FLOAT99. is not a type Hydrosphere knows" \
		mlreg register ptx weights.bin --contract bad.prototxt &&
	sed "s/signature_name: \"normalize\"/signature_name: \"normalize/" pre/contract.prototxt >bad2.prototxt &&
	test_fails 128 "invalid contract .bad2.prototxt.: malformed protobuf text format at line 2: unterminated string; Hydrosphere.s CLI cannot read it either" \
		mlreg register ptx weights.bin --contract bad2.prototxt &&
	sed "s/contract.prototxt/nowhere.prototxt/" pre/serving.yaml >pre2.yaml &&
	mkdir pre2 && cp pre2.yaml pre2/serving.yaml && cp -R pre/src pre2/ &&
	test_fails 128 "invalid contract .serving.yaml. line 4: model.contract: .nowhere.prototxt. is not among the files; Hydrosphere.s CLI reads the contract from it and fails too" \
		mlreg register ptx pre2
'

test_expect_success 'the docs layout: a complete definition, payload ./*, no profile on a field' '
	mkdir docs &&
	cat >docs/serving.yaml <<-\EOF &&
	kind: "Model"
	name: "sample_model"
	training-data: "s3://bucket/train.csv"
	runtime: "hydrosphere/serving-runtime-python-3.6:2.4.0"
	install-command: "sudo apt install jq && pip install -r requirements.txt"
	payload:
	  - "./*"
	contract:
	  name: "infer"
	  inputs:
	    input_field_1:
	      shape: [-1, 1]
	      type: string
	      profile: text
	    input_field_2:
	      shape: [-1, 1]
	      type: int32
	  outputs:
	    output_field_1:
	      shape: scalar
	      type: int32
	      profile: numerical
	metadata:
	  experiment: "demo"
	  environment: "kubernetes"
	EOF
	payload docs requirements.txt &&
	mlreg register --create docs docs 2>err &&
	test_must_be_empty err &&
	vjson docs &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.6\"}" \
		"d[\"signatures\"][0][\"name\"] == \"infer\"" \
		"d[\"signatures\"][0][\"inputs\"][1] == {\"name\": \"input_field_2\", \"type\": \"int32\", \"shape\": [-1, 1]}" \
		"d[\"contract\"][\"metadata\"] == {\"experiment\": \"demo\", \"environment\": \"kubernetes\"}"
'

test_expect_success 'a contract alone (the docs contract object), unnamed: predict' '
	cat >alone.yaml <<-\EOF &&
	inputs:
	  input_field_2:
	    shape: [200, 200]
	    type: int32
	    profile: categorical
	outputs:
	  output_field_1:
	    shape: scalar
	    type: int32
	    profile: numerical
	EOF
	mlreg register --create alone weights.bin --contract alone.yaml &&
	vjson alone &&
	json_assert v.json "d[\"contract\"][\"layout\"] == \"contract\"" \
		"d[\"contract\"][\"file\"] == \"alone.yaml\"" \
		"d[\"signatures\"][0][\"name\"] == \"predict\"" \
		"d[\"signatures\"][0][\"inputs\"][0][\"shape\"] == [200, 200]"
'

test_expect_success 'types as Hydrosphere spells them become one canonical dtype' '
	printf "kind: Model\nname: types\nruntime: img:1\ncontract:\n  inputs:\n" >types.yaml &&
	i=0 &&
	for t in float16 half float32 float64 double int8 int16 int32 int64 uint8 uint16 \
		uint32 uint64 bool string bytes str complex64 complex128 qint8 qint16 qint32 \
		quint8 quint16 variant DT_FLOAT DT_HALF DT_DOUBLE DT_INT64 DT_STRING DT_BOOL \
		DT_UINT8 DT_COMPLEX64 DT_QINT8 DT_VARIANT Float32 INT64
	do
		printf "    f%02d:\n      shape: scalar\n      type: %s\n" $i $t >>types.yaml &&
		i=$((i + 1)) || return 1
	done &&
	printf "  outputs: {}\n" >>types.yaml &&
	mlreg register --create types weights.bin --contract types.yaml &&
	vjson types &&
	json_get v.json "\" \".join(f[\"type\"] for f in d[\"signatures\"][0][\"inputs\"])" >got &&
	echo "half half float double double int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool string string string complex64 complex128 qint8 qint16 qint32 quint8 quint16 variant float half double int64 string bool uint8 complex64 qint8 variant float int64" >expect &&
	test_cmp expect got
'

test_expect_success 'no shape is unknown, scalar is a scalar; the SDK spellings dtype and {dims} are read' '
	cat >shapes.yaml <<-\EOF &&
	name: s
	inputs:
	  a:
	    type: int64
	  b:
	    type: int64
	    shape: scalar
	  c:
	    dtype: float32
	    shape:
	      dims: [-1, 3]
	  d:
	    type: int64
	    shape: [-2, 4]
	outputs:
	  point:
	    fields:
	      x:
	        type: double
	        shape: scalar
	      y:
	        type: double
	        shape: scalar
	EOF
	mlreg register --create shapes weights.bin --contract shapes.yaml 2>err &&
	line=$(grep -n "shape: \[-2, 4\]" shapes.yaml | cut -d: -f1) &&
	test_grep "^warning: .shapes.yaml. line $line: inputs.d.shape: dimension -2 is recorded as -1 (any size)" err &&
	vjson shapes &&
	json_assert v.json "[f[\"shape\"] for f in d[\"signatures\"][0][\"inputs\"]] == [None, [], [-1, 3], [-1, 4]]" \
		"d[\"signatures\"][0][\"inputs\"][2][\"type\"] == \"float\"" \
		"d[\"signatures\"][0][\"outputs\"][0][\"type\"] == \"map\"" \
		"[f[\"name\"] for f in d[\"signatures\"][0][\"outputs\"][0][\"fields\"]] == [\"x\", \"y\"]" &&
	mlreg describe shapes >out &&
	test_grep "^signature: *s(a: int64\[?\], b: int64\[\], c: float\[-1,3\], d: int64\[-1,4\]) -> (point: map\[?\](x: double\[\], y: double\[\]))$" out
'

test_expect_success 'refusals name the field, the file and the line, and say what Hydrosphere does' '
	cp "$TEST_DIRECTORY/data/seeds/hydrosphere/serving.yaml" base.yaml &&
	sed "s/shape: \[-1, 1\]/shape: vector/" base.yaml >r1.yaml &&
	test_fails 128 "invalid contract .r1.yaml. line 13: contract.tokenize.inputs.input_text.shape: must be a list of dimensions or .scalar.; Hydrosphere.s CLI refuses it too (and more: run .mlreg validate.)" \
		mlreg register types weights.bin --contract r1.yaml &&
	sed "0,/type: string/s//type: [string]/" base.yaml >r2.yaml &&
	test_fails 128 "invalid contract .r2.yaml. line 14: contract.tokenize.inputs.input_text.type: .\[\"string\"\]. is not a type Hydrosphere knows" \
		mlreg register types weights.bin --contract r2.yaml &&
	sed "/type: string/d" base.yaml >r3.yaml &&
	test_fails 128 "invalid contract .r3.yaml. line 12: contract.tokenize.inputs.input_text.type: missing: a field needs a type (or fields of its own); Hydrosphere.s CLI refuses it too" \
		mlreg register types weights.bin --contract r3.yaml &&
	sed "0,/profile: text/s//profile: 3/" base.yaml >r4.yaml &&
	test_fails 128 "invalid contract .r4.yaml. line 15: contract.tokenize.inputs.input_text.profile: must be a string; Hydrosphere.s CLI fails on anything else" \
		mlreg register types weights.bin --contract r4.yaml &&
	printf "kind: Model\nname: x\nruntime: r\npayload: src/\ncontract:\n  inputs: {}\n  outputs: {}\n" >r5.yaml &&
	test_fails 128 "invalid contract .r5.yaml. line 4: payload: must be a list of paths; Hydrosphere.s CLI refuses anything else" \
		mlreg register types weights.bin --contract r5.yaml &&
	printf "kind: Model\nname: x\nruntime: r\ncontract:\n  inputs:\n    a: int64\n  outputs: {}\n" >r6.yaml &&
	test_fails 128 "invalid contract .r6.yaml. line 6: contract.inputs.a: must be a mapping with shape, type and profile; Hydrosphere.s CLI fails on it too" \
		mlreg register types weights.bin --contract r6.yaml &&
	printf "kind: Application\nname: app\nsingular:\n  model: x:1\n" >app.yaml &&
	test_fails 128 "invalid contract .app.yaml. line 1: kind: .Application. is not a model (Hydrosphere applies it as such), and has no contract" \
		mlreg register types weights.bin --contract app.yaml &&
	printf "key: [unclosed\n" >r7.yaml &&
	test_fails 128 "malformed YAML in .r7.yaml. at line 2" \
		mlreg register types weights.bin --contract r7.yaml &&
	test_fails 128 "cannot open .missing.yaml." \
		mlreg register types weights.bin --contract missing.yaml
'

test_expect_success 'validate lists every problem of a contract, each with its line' '
	sed -e "0,/type: string/s//type: float33/" -e "s/shape: \[-1, 1\]/shape: [-1, x]/" \
		base.yaml >many.yaml &&
	test_expect_code 1 mlreg validate weights.bin --contract many.yaml >out &&
	grep "^problem .* contract\." out >problems &&
	test_line_count = 3 problems &&
	test_grep "^problem   .many.yaml. line 13: contract.tokenize.inputs.input_text.shape: dimension \"x\" is not an integer" problems &&
	test_grep "^problem   .many.yaml. line 14: contract.tokenize.inputs.input_text.type: .float33. is not a type" problems &&
	test_grep "^problem   .many.yaml. line 18: contract.tokenize.outputs.output_text.shape: dimension \"x\" is not an integer" problems
'

test_expect_success 'a payload naming what is not among the files: register warns, validate fails' '
	mkdir tok && cp base.yaml tok/serving.yaml && payload tok src/main.py requirements.txt &&
	mlreg register --create tok tok 2>err &&
	echo "warning: '\''serving.yaml'\'' line 7: payload: '\''nltk_data'\'' is not among the version'\''s files: Hydrosphere'\''s CLI would fail to pack it" >expect &&
	test_cmp expect err &&
	test_expect_code 1 mlreg validate tok@1 >out &&
	test_grep "^problem   .serving.yaml. line 7: payload: .nltk_data. is not among the version.s files" out &&
	test_expect_code 1 mlreg validate tok >out &&
	payload tok nltk_data/tokenizers/punkt.txt &&
	mlreg validate tok >out &&
	test_grep "^validation passed" out &&
	mlreg register tok tok 2>err &&
	test_must_be_empty err
'

test_expect_success 'payload paths: ./ and trailing slashes, globs, and what lies outside' '
	mkdir pl && payload pl src/a.py data/x.csv data/y.csv model.h5 &&
	cat >pl/serving.yaml <<-\EOF &&
	kind: Model
	name: pl
	runtime: img:1
	payload:
	  - "./src/"
	  - "data/*.csv"
	  - "model.h5/"
	  - "*.h5"
	  - "../tokenizer.pickle"
	  - "/opt/model"
	  - "data/*.json"
	contract:
	  inputs: {x: {type: int64}}
	  outputs: {y: {type: int64}}
	EOF
	test_expect_code 1 mlreg validate pl >out &&
	grep "^problem" out >problems &&
	test_line_count = 3 problems &&
	test_grep "line 9: payload: .\.\./tokenizer.pickle. is outside the version.s files: Hydrosphere would pack it from the disk, and mlreg has not stored it" problems &&
	test_grep "line 10: payload: ./opt/model. is outside the version.s files" problems &&
	test_grep "line 11: payload: .data/\*\.json. is not among the version.s files" problems
'

test_expect_success 'a definition without a contract: the signatures are inferred, its members kept' '
	cp -R "$EX/lightgbm-2019" lgbm &&
	payload lgbm src/func_main.py requirements.txt &&
	mkdir -p lgbm/model && cp "$TEST_DIRECTORY/../contrib/example/model.onnx" lgbm/model/trained.model &&
	mlreg register --create lgbm lgbm 2>err &&
	test_must_be_empty err &&
	vjson lgbm &&
	json_assert v.json "d[\"contract\"][\"source\"] == \"inferred\"" \
		"d[\"contract\"][\"file\"] == \"model/trained.model\"" \
		"d[\"contract\"][\"definition\"] == \"serving.yaml\"" \
		"d[\"contract\"][\"runtime\"] == \"hydrosphere/serving-runtime-python:3.6-latest\"" \
		"d[\"signatures\"][0][\"inferred\"] is True" \
		"d[\"framework\"] == {\"name\": \"python\", \"version\": \"3.6\"}" &&
	mlreg validate lgbm >out &&
	line=$(grep -n "^contract:" lgbm/serving.yaml | cut -d: -f1) &&
	test_grep "^warning   .serving.yaml. line $line: contract: empty: Hydrosphere 2.x infers the signatures from the model files, as mlreg does; its 3.x CLI refuses a model without a contract" out &&
	test_grep "^validation passed" out
'

test_expect_success 'the CLI samples: monitoring, metadata of numbers, fields without profile' '
	mkdir apply && cp "$EX/apply-example/3-claims-model.yml" apply/ &&
	mlreg register --create apply weights.bin --contract apply/3-claims-model.yml 2>err &&
	test_must_be_empty err &&
	vjson apply &&
	json_assert v.json "d[\"contract\"][\"monitoring\"][0][\"name\"] == \"cool-metric\"" \
		"d[\"contract\"][\"metadata\"][\"timestamp\"] == 1497440372794" \
		"d[\"signatures\"][0][\"inputs\"][0] == {\"name\": \"client_profile\", \"type\": \"double\", \"shape\": [112], \"profile\": \"text\"}" &&
	cp -R "$EX/local-dev" local &&
	payload local calculator/src/func_main.py calculator/requirements.txt &&
	mlreg register --create calc local 2>err &&
	test_must_be_empty err &&
	vjson calc &&
	json_assert v.json "d[\"signatures\"][0][\"name\"] == \"calculate\"" \
		"all(\"profile\" not in f for f in d[\"signatures\"][0][\"inputs\"])"
'

test_expect_success 'what Hydrosphere ignores is ignored, and validate says so' '
	cp -R "$EX/census" est && payload est src/f.py requirements.txt model.joblib encoders.joblib &&
	sed -e "s/^contract:/hosts: 3\ncontract:/" -e "s/^  name: \"predict\"/  name: \"predict\"\n  metadata:\n    maxlen: 100/" \
		est/serving.yaml >est/s.yaml && mv est/s.yaml est/serving.yaml &&
	mlreg register --create est est 2>err &&
	test_must_be_empty err &&
	mlreg validate est >out &&
	test_grep "^warning   .serving.yaml. line [0-9]*: hosts: not a key of a Hydrosphere model definition: ignored, as its CLI ignores it" out &&
	test_grep "^warning   .serving.yaml. line [0-9]*: contract.metadata: not a contract key (name, inputs, outputs): ignored, as Hydrosphere ignores it" out &&
	test_grep "^validation passed" out
'

test_expect_success 'a model without runtime: register warns, validate fails, as Hydrosphere would not deploy it' '
	printf "kind: Model\nname: x\ncontract:\n  inputs: {a: {type: int64}}\n  outputs: {b: {type: int64}}\n" >nort.yaml &&
	mlreg register types weights.bin --contract nort.yaml 2>err &&
	echo "warning: '\''nort.yaml'\'' line 1: runtime: missing: Hydrosphere'\''s CLI refuses a model without the Docker image it runs in" >expect &&
	test_cmp expect err &&
	test_expect_code 1 mlreg validate weights.bin --contract nort.yaml >out &&
	test_grep "^problem   .nort.yaml. line 1: runtime: missing" out
'

test_expect_success 'a placeholder of the docs ($released_version$) is not a runtime yet' '
	printf "kind: Model\nname: x\nruntime: \"hydrosphere/serving-runtime-python-3.6:\$released_version\$\"\ncontract:\n  inputs: {a: {type: int64}}\n  outputs: {b: {type: int64}}\n" >ph.yaml &&
	mlreg register types weights.bin --contract ph.yaml 2>err &&
	test_grep "^warning: .ph.yaml. line 3: runtime: .hydrosphere/serving-runtime-python-3.6:\$released_version\$. still holds the template placeholder \$released_version\$: fill it in" err &&
	test_expect_code 1 mlreg validate weights.bin --contract ph.yaml
'

test_expect_success 'a serving.yaml that is an application, not a model, is left aside' '
	mkdir appdir && cp app.yaml appdir/serving.yaml &&
	mlreg register --create appmodel appdir 2>err &&
	test_grep "^warning: .serving.yaml. line 1: kind: \"Application\" is not a model (Hydrosphere applies it as such): no contract read" err &&
	vjson appmodel &&
	json_assert v.json "d[\"contract\"] is None" "d[\"signatures\"] == []"
'

test_expect_success 'every version registered here validates as stored, and the store is consistent' '
	for m in census mobilenet fraud pre tfmodel docs calc est
	do
		mlreg validate $m >out || { cat out; return 1; }
	done &&
	mlreg fsck
'

test_done
