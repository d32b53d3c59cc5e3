#!/bin/sh
test_description='Determined checkpoints: metadata.json in every layout Determined has
written from 0.12 to today (its own ancient-checkpoint fixtures, and the layouts
its harness and REST API write), each giving the batch number, framework,
format, ids, hyperparameters and metrics it holds'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIRECTORY/data/seeds/determined-fixtures

# vjson REF: the version object of REF in v.json
vjson () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

# ckpt DIR: a checkpoint directory holding metadata.json (from stdin) and weights
ckpt () {
	mkdir "$1" &&
	cat >"$1/metadata.json" &&
	printf "weights" >"$1/state_dict.bin"
}

test_expect_success 'setup' '
	mlreg init
'

test_expect_success '0.13 and 0.17.6 (written by Checkpoint.download): framework, format, ids, hparams' '
	mlreg register --create flex "$FIX/0.13.13-pytorch-flex" &&
	vjson flex &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"torch\", \"version\": \"1.4.0\"}" \
		"d[\"checkpoint\"] == {\"format\": \"cloudpickle\", \"experiment_id\": 10, \"trial_id\": 10, \"determined_version\": \"0.13.13\", \"framework_string\": \"torch-1.4.0\"}" \
		"d[\"hparams\"] == {\"global_batch_size\": 32}" &&
	mlreg register --create p176 "$FIX/0.17.6-pytorch" &&
	vjson p176 &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"torch\", \"version\": \"1.9.0+cpu\"}" \
		"d[\"checkpoint\"][\"determined_version\"] == \"0.17.6-dev0\"" \
		"d[\"checkpoint\"][\"trial_id\"] == 526" \
		"\"batch_number\" not in d[\"checkpoint\"]"
'

test_expect_success '0.17.7: the batch is latest_batch' '
	mlreg register --create p177 "$FIX/0.17.7-pytorch" &&
	vjson p177 &&
	json_assert v.json "d[\"checkpoint\"] == {\"batch_number\": 1, \"format\": \"pickle\", \"framework_string\": \"torch-1.9.0+cpu\"}" \
		"d[\"framework\"] == {\"name\": \"torch\", \"version\": \"1.9.0+cpu\"}" &&
	mlreg describe p177 >out &&
	test_grep "^checkpoint: *Determined, batch 1, format pickle$" out
'

test_expect_success '0.20 and 0.21: the batch is steps_completed' '
	for v in 0.20.0 0.21.0
	do
		mlreg register --create p$v "$FIX/$v-pytorch" &&
		vjson p$v &&
		json_assert v.json "d[\"checkpoint\"][\"batch_number\"] == 1" \
			"d[\"checkpoint\"][\"determined_version\"].startswith(\"$v\")" \
			"d[\"framework\"][\"name\"] == \"torch\"" || return 1
	done
'

test_expect_success '0.12 harness: det_version, string ids, the framework under its own name' '
	ckpt c012 <<-\EOF &&
	{
	  "cluster_id": "6a9a2d1c-0d4f-4d0f-9b44-8f7c6d3e5a10",
	  "det_version": "0.12.4",
	  "experiment_id": "7",
	  "trial_id": "21",
	  "hparams": {"learning_rate": 0.01},
	  "torch_version": "1.4.0"
	}
	EOF
	mlreg register --create c012 c012 &&
	vjson c012 &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"torch\", \"version\": \"1.4.0\"}" \
		"d[\"checkpoint\"] == {\"experiment_id\": 7, \"trial_id\": 21, \"determined_version\": \"0.12.4\", \"framework_string\": \"torch-1.4.0\"}" \
		"d[\"hparams\"] == {\"learning_rate\": 0.01}"
'

test_expect_success 'the REST API checkpoint of 0.13-0.17: camelCase, metrics under validationMetrics' '
	ckpt rest017 <<-\EOF &&
	{
	  "uuid": "3f1c2a8e-0b1d-4c38-9c6e-2a4b7d9e8f01",
	  "experimentId": 4,
	  "trialId": 12,
	  "batchNumber": 1600,
	  "hparams": {"global_batch_size": 64},
	  "resources": {"state_dict.pth": 1024},
	  "metadata": {},
	  "framework": "tensorflow-2.4.1",
	  "format": "saved_model",
	  "determinedVersion": "0.15.0",
	  "metrics": {"numInputs": 0, "validationMetrics": {"validation_loss": 0.25}},
	  "validationState": "STATE_COMPLETED",
	  "state": "STATE_COMPLETED"
	}
	EOF
	mlreg register --create rest017 rest017 &&
	vjson rest017 &&
	json_assert v.json "d[\"checkpoint\"][\"batch_number\"] == 1600" \
		"d[\"checkpoint\"][\"uuid\"] == \"3f1c2a8e-0b1d-4c38-9c6e-2a4b7d9e8f01\"" \
		"d[\"checkpoint\"][\"determined_version\"] == \"0.15.0\"" \
		"d[\"metrics\"] == {\"validation_loss\": 0.25}" \
		"d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"2.4.1\"}"
'

test_expect_success 'the REST API checkpoint of 0.18 on: metadata.steps_completed, training' '
	ckpt rest018 <<-\EOF &&
	{
	  "taskId": "4.b9ac1bd9-9ca4-4c2c-8d3e-2f6c1e5a7b10",
	  "allocationId": "4.b9ac1bd9.1",
	  "uuid": "9d0e2b52-2f9a-4f35-8d8c-5f1d9f3c2a77",
	  "reportTime": "2023-02-01T10:00:00Z",
	  "resources": {"state_dict.pth": 1024},
	  "metadata": {
	    "determined_version": "0.19.11",
	    "steps_completed": 2500,
	    "framework": "torch-1.12.0+cu113",
	    "format": "pickle"
	  },
	  "state": "STATE_COMPLETED",
	  "training": {
	    "trialId": 31,
	    "experimentId": 9,
	    "hparams": {"lr": 0.1},
	    "validationMetrics": {"avgMetrics": {"accuracy": 0.93}, "batchMetrics": []},
	    "searcherMetric": 0.93
	  }
	}
	EOF
	mlreg register --create rest018 rest018 &&
	vjson rest018 &&
	json_assert v.json "d[\"checkpoint\"] == {\"uuid\": \"9d0e2b52-2f9a-4f35-8d8c-5f1d9f3c2a77\", \"batch_number\": 2500, \"format\": \"pickle\", \"experiment_id\": 9, \"trial_id\": 31, \"determined_version\": \"0.19.11\", \"framework_string\": \"torch-1.12.0+cu113\"}" \
		"d[\"metrics\"] == {\"accuracy\": 0.93}" \
		"d[\"hparams\"] == {\"lr\": 0.1}"
'

test_expect_success 'a batch written as {"latest_batch": N}, at the top or in metadata' '
	ckpt lb1 <<-\EOF &&
	{"uuid": "11111111-2222-3333-4444-555555555555", "batch_number": {"latest_batch": 700}, "format": "pickle"}
	EOF
	mlreg register --create lb lb1 &&
	vjson lb &&
	json_assert v.json "d[\"checkpoint\"][\"batch_number\"] == 700" &&
	ckpt lb2 <<-\EOF &&
	{"uuid": "11111111-2222-3333-4444-666666666666", "metadata": {"latest_batch": 800, "framework": "tensorflow-2.4.4", "format": "saved_weights"}}
	EOF
	mlreg register lb lb2 &&
	vjson lb &&
	json_assert v.json "d[\"checkpoint\"][\"batch_number\"] == 800" \
		"d[\"checkpoint\"][\"format\"] == \"saved_weights\"" \
		"d[\"framework\"] == {\"name\": \"tensorflow\", \"version\": \"2.4.4\"}"
'

test_expect_success 'somebody else metadata.json is left alone; a broken one is a warning' '
	ckpt other <<-\EOF &&
	{"author": "ann", "format": "csv"}
	EOF
	mlreg register --create other other 2>err &&
	test_must_be_empty err &&
	vjson other &&
	json_assert v.json "d[\"checkpoint\"] is None" &&
	ckpt broken <<-\EOF &&
	{"uuid": "x",
	EOF
	mlreg register other broken 2>err &&
	test_grep "^warning: .metadata.json.: not a Determined checkpoint: malformed JSON in .metadata.json. at line [0-9]*$" err &&
	mlreg validate broken >out &&
	test_grep "^warning   .metadata.json.: not a Determined checkpoint" out &&
	test_grep "^validation passed" out
'

test_expect_success 'flags still win over the checkpoint' '
	echo "{\"accuracy\": 0.99}" >m.json &&
	mlreg register rest018 rest018 --framework pytorch:2.1 --metrics-file m.json &&
	vjson rest018 &&
	json_assert v.json "d[\"framework\"] == {\"name\": \"pytorch\", \"version\": \"2.1\"}" \
		"d[\"metrics\"] == {\"accuracy\": 0.99}" \
		"d[\"checkpoint\"][\"batch_number\"] == 2500"
'

test_done
