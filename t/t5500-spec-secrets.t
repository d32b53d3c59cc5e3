#!/bin/sh
test_description='secrets in what the seed systems write (MLX specs, Hydrosphere
contracts, Determined checkpoints, URLs given to import) are redacted by the
one rule of lib/redact.h before anything is stored'
. "$(dirname "$0")/lib.sh"

SEEDS=$TEST_DIRECTORY/data/seeds

# spec_with NAME: servable.yaml plus the YAML on stdin, as NAME.yaml.
spec_with () {
	cat servable.yaml - >"$1.yaml"
}

# registers_redacted NAME N SECRET...: registering with --spec NAME.yaml
# warns that N secrets were redacted, and no SECRET reaches the store
# (nor describe's output); the version's spec document is in doc.json.
registers_redacted () {
	rr_name=$1 rr_n=$2
	shift 2
	mlreg register m weights.bin --spec "$rr_name.yaml" >out 2>err &&
	test_grep "^warning: $rr_n secret value(s) in .*$rr_name.yaml. were replaced by <redacted> and not stored$" err &&
	mlreg describe m --json >d.json &&
	json_get d.json 'd["version"]["spec"]["document"]' >doc.json &&
	for rr_s in "$@"
	do
		if grep -r -F -e "$rr_s" .mlreg d.json out err
		then
			echo "secret '$rr_s' was stored or printed" >&2
			return 1
		fi
	done
}

test_expect_success 'setup' '
	mlreg init &&
	sed -e "s|<model_docker_image>|codait/max-object-detector:latest|" \
		-e "s|<model_name>|detector|" -e "s|<model_id>|detector|" \
		-e "s|<model_description>|Detects objects|" \
		-e "s|<model_website>|https://example.com/detector|" \
		-e "s|<readme_url>|https://example.com/detector/README.md|" \
		"$SEEDS/mlx-servable.yaml" >servable.yaml &&
	test_must_fail grep "<[a-z_]*>" servable.yaml &&
	printf "weights" >weights.bin &&
	mlreg create m
'

test_expect_success 'a private_key is redacted' - <<-\EOF
	spec_with pk <<-\YAML &&
	signing:
	  private_key: "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkq"
	  privateKeyId: 4f2a9c
	  public_key_name: mlx-signing
	YAML
	registers_redacted pk 2 MIIEvQIBADANBgkq 4f2a9c &&
	json_assert doc.json 'd["signing"]["private_key"] == "<redacted>"' \
		'd["signing"]["privateKeyId"] == "<redacted>"' \
		'd["signing"]["public_key_name"] == "mlx-signing"'
EOF

test_expect_success 'an authorization header (Bearer) is redacted, as a key or a line' - <<-\EOF
	spec_with auth <<-\YAML &&
	serve_headers:
	  authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.bearer1"
	  accept: application/json
	probe: "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.bearer2' http://localhost:5000"
	YAML
	registers_redacted auth 2 eyJhbGciOiJIUzI1NiJ9 &&
	json_assert doc.json 'd["serve_headers"]["authorization"] == "<redacted>"' \
		'd["serve_headers"]["accept"] == "application/json"' \
		"d['probe'] == \"curl -H 'Authorization: <redacted>' http://localhost:5000\""
EOF

test_expect_success 'access-key, accessKey and pwd are redacted' - <<-\EOF
	spec_with keys <<-\YAML &&
	data_stores:
	  - name: cos
	    connection:
	      access-key: AKIAACCESSDASH
	      accessKey: AKIAACCESSCAMEL
	      pwd: 271828
	      endpoint: https://s3.example.com
	YAML
	registers_redacted keys 3 AKIAACCESSDASH AKIAACCESSCAMEL 271828 &&
	json_assert doc.json 'd["data_stores"][0]["connection"] == {"access-key": "<redacted>", "accessKey": "<redacted>", "pwd": "<redacted>", "endpoint": "https://s3.example.com"}'
EOF

test_expect_success 'a presigned URL keeps its address, not its signature or credential' - <<-\EOF
	spec_with presigned <<-\YAML &&
	weights_url: "https://bucket.s3.amazonaws.com/w.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAPRESIGNED%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FwoGZXIvYXdzEPRESIGNED&X-Amz-SignedHeaders=host&X-Amz-Signature=9c1d2e3f4a5b6c7d"
	labels_url: "https://storage.example.com/labels.txt?expires=1767225600&token=tok-labels-1"
	YAML
	registers_redacted presigned 4 AKIAPRESIGNED FwoGZXIvYXdzEPRESIGNED 9c1d2e3f4a5b6c7d tok-labels-1 &&
	json_assert doc.json 'd["weights_url"] == "https://bucket.s3.amazonaws.com/w.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=<redacted>&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=<redacted>&X-Amz-SignedHeaders=host&X-Amz-Signature=<redacted>"' \
		'd["labels_url"] == "https://storage.example.com/labels.txt?expires=1767225600&token=<redacted>"'
EOF

test_expect_success 'Kubernetes env: a value is secret when its name is' - <<-\EOF
	spec_with env <<-\YAML &&
	deployment:
	  env:
	    - name: AWS_SECRET_ACCESS_KEY
	      value: wJalrXUtnFEMIK7MDENGenv
	    - name: MODEL_PATH
	      value: /models/detector
	    - name: DB_PASSWORD
	      valueFrom:
	        secretKeyRef: {name: db, key: password}
	  args: ["--api-key=ak-in-args", "--port=5000"]
	YAML
	registers_redacted env 2 wJalrXUtnFEMIK7MDENGenv ak-in-args &&
	json_assert doc.json 'd["deployment"]["env"][0] == {"name": "AWS_SECRET_ACCESS_KEY", "value": "<redacted>"}' \
		'd["deployment"]["env"][1] == {"name": "MODEL_PATH", "value": "/models/detector"}' \
		'd["deployment"]["env"][2]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}' \
		'd["deployment"]["args"] == ["--api-key=<redacted>", "--port=5000"]'
EOF

test_expect_success 'user:password@ and ?access_token= in a URL are removed' - <<-\EOF
	spec_with urls <<-\YAML &&
	source_repo: "https://oauth2:glpat-userinfo@gitlab.example.com/team/detector.git"
	mirror: "https://gitlab.example.com/team/detector.git?access_token=glpat-query"
	conda_env: "oci://conda-envs@tenancy/envs/cpu.tar.gz"
	YAML
	registers_redacted urls 2 glpat-userinfo glpat-query oauth2 &&
	json_assert doc.json 'd["source_repo"] == "https://gitlab.example.com/team/detector.git"' \
		'd["mirror"] == "https://gitlab.example.com/team/detector.git?access_token=<redacted>"' \
		'd["conda_env"] == "oci://conda-envs@tenancy/envs/cpu.tar.gz"'
EOF

test_expect_success 'what is not secret is kept: tokenizer, max_tokens, author, booleans' - <<-\EOF
	spec_with plain <<-\YAML &&
	tokenizer: bert-base-uncased
	max_tokens: 512
	author:
	  name: Jane
	credentials_required: true
	YAML
	mlreg register m weights.bin --spec plain.yaml 2>err &&
	test_must_be_empty err &&
	mlreg describe m --json >d.json &&
	json_assert d.json 'd["version"]["spec"]["document"]["tokenizer"] == "bert-base-uncased"' \
		'd["version"]["spec"]["document"]["max_tokens"] == 512' \
		'd["version"]["spec"]["document"]["author"] == {"name": "Jane"}' \
		'd["version"]["spec"]["document"]["credentials_required"] is True'
EOF

test_expect_success 'validate --json shows the spec redacted too' - <<-\EOF
	mlreg validate weights.bin --spec env.yaml --json >v.json &&
	test_must_fail grep -e wJalrXUtnFEMIK7MDENGenv -e ak-in-args v.json &&
	json_assert v.json 'd["spec"]["document"]["deployment"]["env"][0]["value"] == "<redacted>"'
EOF

test_expect_success 'a Hydrosphere contract keeps no secret (payload URLs)' - <<-\EOF
	mkdir hs && cp -R "$SEEDS/hydrosphere/." hs/ &&
	sed -e "s|  - \"nltk_data\"|  - \"https://bucket.s3.amazonaws.com/nltk.tgz?X-Amz-Signature=5e6f7a8bcontract\"|" \
		"$SEEDS/hydrosphere/serving.yaml" >hs/serving.yaml &&
	mlreg register --create tok hs 2>err &&
	test_grep "^warning: 1 secret value(s) in .serving.yaml. were replaced by <redacted> and not stored$" err &&
	mlreg describe tok --json >d.json &&
	json_assert d.json 'd["version"]["contract"]["payload"][2] == "https://bucket.s3.amazonaws.com/nltk.tgz?X-Amz-Signature=<redacted>"' \
		'len(d["version"]["signatures"]) == 1' &&
	test_must_fail grep -r 5e6f7a8bcontract .mlreg/models
EOF

test_expect_success 'a Determined checkpoint keeps no secret (hparams)' - <<-\EOF
	mkdir ckpt && cp "$SEEDS/determined/state_dict.pth" ckpt/ &&
	"$PYTHON" - "$SEEDS/determined/metadata.json" ckpt/metadata.json <<-\PY &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	d["hparams"]["wandb_api_key"] = "wandb-ckpt-secret"
	d["hparams"]["hf_token"] = "hf_ckptsecret"
	json.dump(d, open(sys.argv[2], "w"))
	PY
	mlreg register --create det ckpt 2>err &&
	test_grep "^warning: 2 secret value(s) in .metadata.json. were replaced by <redacted> and not stored$" err &&
	mlreg describe det --json >d.json &&
	json_assert d.json 'd["version"]["hparams"]["wandb_api_key"] == "<redacted>"' \
		'd["version"]["hparams"]["hf_token"] == "<redacted>"' \
		'd["version"]["hparams"]["learning_rate"] == 0.001' &&
	test_must_fail grep -r -e wandb-ckpt-secret -e hf_ckptsecret .mlreg/models
EOF

test_expect_success 'import from a presigned URL keeps neither its signature nor its credential' - <<-\EOF
	mkdir www && cp servable.yaml www/ &&
	port=$(free_port) || return 1
	# (the & must not take the lines above into the background)
	(cd www && exec "$PYTHON" -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
	server=$! &&
	test_when_finished "kill $server" &&
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.1
	done &&
	mlreg import --name fetched "http://127.0.0.1:$port/servable.yaml?X-Amz-Credential=AKIAIMPORTED&X-Amz-Signature=feedfaceimport" 2>err &&
	mlreg describe fetched --json >d.json &&
	json_assert d.json "d['version']['message'] == 'imported from http://127.0.0.1:$port/servable.yaml?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>'" \
		"[f['path'] for f in d['version']['files']] == ['servable.yaml']" &&
	test_must_fail grep -r -e AKIAIMPORTED -e feedfaceimport .mlreg err &&
	test_fails 128 "X-Amz-Signature=<redacted>.*HTTP 404" \
		mlreg import --name x "http://127.0.0.1:$port/none.yaml?X-Amz-Signature=feedfaceimport" &&
	test_must_fail grep feedfaceimport "$ERR"
EOF

test_expect_success 'the store is consistent' '
	mlreg fsck
'

test_done
