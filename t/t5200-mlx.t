#!/bin/sh
test_description='MLX model specs as MLX itself takes them: the katalog samples and
MLX template register as they are (a quoted port is a port); what MLX refuses
is refused, naming the field, the file and the line; what MLX would register
but not run, and template placeholders, are what validate reports'
. "$(dirname "$0")/lib.sh"

KAT=$TEST_DIRECTORY/data/seeds/mlx-katalog

# vjson REF: the version object of REF in v.json
vjson () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

# line FILE PATTERN: the number of the first line of FILE matching PATTERN
line () {
	grep -n -e "$2" "$1" | head -n 1 | cut -d: -f1
}

test_expect_success 'setup' '
	mlreg init &&
	printf "weights" >weights.bin &&
	cp "$KAT"/*.yaml .
'

test_expect_success 'the katalog samples register as they are: a quoted port is a port' '
	for s in max-object-detector codenet-language-classification
	do
		mlreg register --create $s weights.bin --spec $s.yaml 2>err &&
		test_must_be_empty err &&
		mlreg validate $s >out &&
		test_grep ! "^warning" out &&
		test_grep "^validation passed" out || return 1
	done &&
	vjson max-object-detector &&
	json_assert v.json "d[\"spec\"][\"types\"] == [\"servable\"]" \
		"d[\"spec\"][\"document\"][\"serve\"][\"serving_container_image\"][\"container_port\"] == \"5000\"" \
		"d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"1.5.0\"}" &&
	mlreg describe max-object-detector >out &&
	test_grep "^  serving: *quay.io/codait/max-object-detector:latest port 5000$" out
'

test_expect_success 'import takes a katalog sample and names the model by its identifier' '
	mlreg import max-object-detector.yaml >out 2>err &&
	test_must_be_empty err &&
	echo max-object-detector@2 >expect &&
	test_cmp expect out
'

test_expect_success 'MLX own template (trainable and servable) registers; its secrets are not stored' '
	mlreg register --create agest weights.bin --spec mlx-template.yaml 2>err &&
	test_grep "^warning: 2 secret value(s) in .mlx-template.yaml. were replaced by <redacted> and not stored$" err &&
	test_line_count = 1 err &&
	vjson agest &&
	json_assert v.json "d[\"spec\"][\"types\"] == [\"trainable\", \"servable\"]" &&
	mlreg validate agest >out &&
	test_grep "^validation passed" out &&
	mlreg register --create katalog-template weights.bin --spec template.yaml 2>err &&
	mlreg validate weights.bin --spec template.yaml >out &&
	test_grep "^validation passed" out
'

test_expect_success 'what MLX upload refuses is refused: the field, the file, the line, and MLX' '
	sed "/^description:/d" max-object-detector.yaml >r1.yaml &&
	test_fails 128 "invalid MLX model spec .r1.yaml. line $(line r1.yaml ^name:): description: missing: MLX.s upload reads it and fails without it (its template calls it optional)" \
		mlreg register max-object-detector weights.bin --spec r1.yaml &&
	sed "s/^description:.*/description: 42/" max-object-detector.yaml >r2.yaml &&
	test_fails 128 "invalid MLX model spec .r2.yaml. line $(line r2.yaml ^description:): description: must be a string: MLX.s upload fails on anything else" \
		mlreg register max-object-detector weights.bin --spec r2.yaml &&
	sed "/^framework:/,/^  version:/d" max-object-detector.yaml >r3.yaml &&
	test_fails 128 "invalid MLX model spec .r3.yaml. line $(line r3.yaml ^name:): framework: missing: MLX.s upload requires it" \
		mlreg register max-object-detector weights.bin --spec r3.yaml &&
	sed "s/^model_identifier:.*/model_identifier: Max_Object_Detector/" max-object-detector.yaml >r4.yaml &&
	test_fails 128 "invalid MLX model spec .r4.yaml. line $(line r4.yaml ^model_identifier:): model_identifier: .Max_Object_Detector. is not an identifier MLX accepts (lower case letters, digits and single .-. inside, at most 57): its upload refuses it too" \
		mlreg register max-object-detector weights.bin --spec r4.yaml &&
	sed "/^name:/d" max-object-detector.yaml >r5.yaml &&
	test_fails 128 "invalid MLX model spec .r5.yaml. line [0-9]*: name: missing: MLX.s upload requires it, unless a name is given with the upload (mlreg import --name)" \
		mlreg register max-object-detector weights.bin --spec r5.yaml &&
	sed "s/^serve:/serve: yes\nserving:/" max-object-detector.yaml >r6.yaml &&
	test_fails 128 "invalid MLX model spec .r6.yaml. line $(line r6.yaml ^serve:): serve: must be a mapping; MLX.s upload reads it as one and fails too" \
		mlreg register max-object-detector weights.bin --spec r6.yaml &&
	printf "[1, 2]\n" >r7.yaml &&
	test_fails 128 "invalid MLX model spec .r7.yaml. line 1: the top level must be a mapping; MLX.s upload refuses anything else too" \
		mlreg register max-object-detector weights.bin --spec r7.yaml
'

test_expect_success 'import refuses what MLX refuses before creating anything, naming the line' '
	test_fails 128 "invalid MLX model spec .r4.yaml. line $(line r4.yaml ^model_identifier:): model_identifier: " \
		mlreg import r4.yaml &&
	test_path_is_missing "$(model_dir Max_Object_Detector)"
'

test_expect_success 'import --name stands for a name the spec lacks, as MLX upload with a name' '
	mlreg import r5.yaml --name nameless >out &&
	echo nameless@1 >expect &&
	test_cmp expect out &&
	mlreg validate nameless >out &&
	test_grep "^validation passed" out
'

test_expect_success 'what MLX would register but not run: validate warns, register keeps quiet' '
	sed "s/container_port: \"5000\"/container_port: 5000/" max-object-detector.yaml >h1.yaml &&
	mlreg register max-object-detector weights.bin --spec h1.yaml 2>err &&
	test_must_be_empty err &&
	mlreg validate weights.bin --spec h1.yaml >out &&
	test_grep "^warning   .h1.yaml. line $(line h1.yaml container_port): serve.serving_container_image.container_port: 5000 is a number; MLX.s model-config step writes the port to a file as text and fails on a number: quote it (\"5000\"), as MLX.s own samples do$" out &&
	test_grep "^validation passed" out &&
	sed -e "s/container_port: \"5000\"/container_port: \"http\"/" -e "/tested_platforms:/,/- kfserving/d" \
		-e "/^model_identifier:/d" max-object-detector.yaml >h2.yaml &&
	mlreg register max-object-detector weights.bin --spec h2.yaml 2>err &&
	test_must_be_empty err &&
	mlreg validate weights.bin --spec h2.yaml >out &&
	test_grep "^warning   .h2.yaml. line $(line h2.yaml container_port): serve.serving_container_image.container_port: .http. is not a port number (1-65535); MLX registers it, and the deployment it launches would fail$" out &&
	test_grep "^warning   .h2.yaml. line $(line h2.yaml ^serve:): serve.tested_platforms: missing: MLX launches a model only on a tested platform, and offers none$" out &&
	test_grep "^warning   .h2.yaml. line [0-9]*: model_identifier: missing: MLX.s upload fails without it since 2022 (it made one from the name before)$" out &&
	sed "s/servable: true/servable: maybe/" max-object-detector.yaml >h3.yaml &&
	mlreg validate weights.bin --spec h3.yaml >out &&
	test_grep "^warning   .h3.yaml. line $(line h3.yaml servable:): serve.servable: should be true or false; MLX takes any other non-empty value as true$" out
'

test_expect_success 'YAML 1.1 booleans, as MLX loader reads them' '
	sed "s/servable: true/servable: yes/" max-object-detector.yaml >yes.yaml &&
	mlreg register max-object-detector weights.bin --spec yes.yaml &&
	vjson max-object-detector &&
	json_assert v.json "d[\"spec\"][\"types\"] == [\"servable\"]" &&
	sed "s/servable: true/servable: off/" max-object-detector.yaml >off.yaml &&
	mlreg register max-object-detector weights.bin --spec off.yaml &&
	vjson max-object-detector &&
	json_assert v.json "d[\"spec\"][\"types\"] == []"
'

test_expect_success 'placeholders left in a spec: register warns for each, validate fails' '
	sed -e "s|^model_identifier:.*|model_identifier: <model_id>|" \
		-e "s|quay.io/codait/max-object-detector:latest|<registry>/max-object-detector:latest|" \
		max-object-detector.yaml >ph.yaml &&
	mlreg register max-object-detector weights.bin --spec ph.yaml 2>err &&
	cat >expect <<-EOF &&
	warning: '\''ph.yaml'\'' line $(line ph.yaml ^model_identifier:): model_identifier: <model_id> is a template placeholder: fill it in
	warning: '\''ph.yaml'\'' line $(line ph.yaml container_image_url): serve.serving_container_image.container_image_url: '\''<registry>/max-object-detector:latest'\'' still holds the template placeholder <registry>: fill it in
	EOF
	test_cmp expect err &&
	test_expect_code 1 mlreg validate weights.bin --spec ph.yaml >out &&
	test_grep "^spec      ph.yaml  *MLX model spec, with problems (below)$" out &&
	grep "^problem" out | sed "s/^problem   /warning: /" >got &&
	test_cmp expect got &&
	test_expect_code 1 mlreg validate max-object-detector >out &&
	test_grep "^problem   .ph.yaml.: model_identifier: <model_id> is a template placeholder: fill it in$" out &&
	test_expect_code 1 mlreg validate max-object-detector --json >rep.json &&
	json_assert rep.json "d[\"ok\"] is False" "d[\"spec_problems\"] == 2" "len(d[\"problems\"]) == 2"
'

test_expect_success 'the seed document templates: import --name registers them, with the placeholders warned about' '
	mlreg import "$TEST_DIRECTORY/data/seeds/mlx-servable.yaml" --name from-template 2>err &&
	test_grep "^warning: .*/mlx-servable.yaml. line 2: model_identifier: <model_id> is a template placeholder: fill it in$" err &&
	test_grep "^warning: .*/mlx-servable.yaml. line 19: serve.serving_container_image.container_image_url: <model_docker_image> is a template placeholder: fill it in$" err &&
	test_fails 128 "invalid model name .<model_id>." \
		mlreg import "$TEST_DIRECTORY/data/seeds/mlx-servable.yaml"
'

test_expect_success 'a <redacted> secret is no placeholder' '
	cat max-object-detector.yaml - >sec.yaml <<-\EOF &&
	data_stores:
	  - name: store
	    connection:
	      endpoint: https://s3.example.com
	      secret_access_key: wJalrXUtnFEMIK7MDENGbPxRfiCY
	EOF
	mlreg register --create sec weights.bin --spec sec.yaml 2>err &&
	test_grep "1 secret value" err &&
	mlreg validate sec >out &&
	test_grep "^validation passed" out
'

test_expect_success 'nothing of the refusals reached the store' '
	mlreg fsck
'

test_done
