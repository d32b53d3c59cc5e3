#!/bin/sh
test_description='provenance: who, where, when, and the git state of the files'
. "$(dirname "$0")/lib.sh"

# prov REF: the provenance object of REF's version in prov.json.
prov () {
	mlreg describe "$1" --json >prov.d.json &&
	json_get prov.d.json 'd["version"]["provenance"]' >prov.json
}

test_expect_success 'setup: a store and a git repository with one commit' - <<-\EOF
	mlreg init &&
	git init -q -b main repo &&
	mkdir -p repo/models repo/src &&
	printf 'weights\n' >repo/models/model.bin &&
	printf 'print("train")\n' >repo/src/train.py &&
	git -C repo add . &&
	git -C repo commit -q -m "first" &&
	git -C repo rev-parse HEAD >head
EOF

test_expect_success 'always: user, host, time and mlreg_version' - <<-\EOF
	printf x >outside.bin &&
	mlreg register --create plain outside.bin &&
	prov plain &&
	json_assert prov.json \
		'isstr(d["user"]) and d["user"] != ""' \
		"d['host'] == '$(uname -n)'" \
		'rfc3339(d["time"])' \
		"d['mlreg_version'] == '$(mlreg --version | sed 's/^mlreg //')'"
EOF

test_expect_success 'the user is the one running mlreg' - <<-\EOF
	json_assert prov.json "d['user'] in ('$(id -un)', '${USER:-$(id -un)}')"
EOF

test_expect_success 'a file outside any repository: git is null, not an error' - <<-\EOF
	json_assert prov.json 'd["git"] is None'
EOF

test_expect_success 'a file inside a clean repository: commit, branch, not dirty' - <<-\EOF
	(cd repo && mlreg register --create m models/model.bin) &&
	prov m &&
	json_assert prov.json \
		"d['git']['commit'] == '$(cat head)'" \
		'd["git"]["branch"] == "main"' \
		'd["git"]["dirty"] is False' \
		'd["git"]["remote"] is None' \
		'd["git"]["paths"] == ["models/model.bin"]' &&
	mlreg describe m --json >d.json &&
	json_schema described d.json
EOF

test_expect_success 'paths are relative to the repository root, wherever we are' - <<-\EOF
	(cd repo/src && mlreg register m ../models/model.bin train.py) &&
	prov m &&
	json_assert prov.json 'sorted(d["git"]["paths"]) == ["models/model.bin", "src/train.py"]' &&
	(cd repo/models && mlreg register m model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["paths"] == ["models/model.bin"]'
EOF

test_expect_success 'the repository is the one holding the paths, not the cwd' - <<-\EOF
	mlreg register m repo/models repo/src/train.py &&
	prov m &&
	json_assert prov.json 'sorted(d["git"]["paths"]) == ["models", "src/train.py"]' \
		"d['git']['commit'] == '$(cat head)'"
EOF

test_expect_success 'a modified tracked file makes it dirty' - <<-\EOF
	printf 'print("changed")\n' >repo/src/train.py &&
	(cd repo && mlreg register m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["dirty"] is True' \
		"d['git']['commit'] == '$(cat head)'" &&
	git -C repo checkout -q -- src/train.py &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["dirty"] is False'
EOF

test_expect_success 'a staged change makes it dirty' - <<-\EOF
	printf 'print("staged")\n' >repo/src/train.py &&
	git -C repo add src/train.py &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["dirty"] is True' &&
	git -C repo reset -q --hard
EOF

test_expect_success 'an untracked new file makes it dirty' - <<-\EOF
	printf 'scratch notes\n' >repo/notes.txt &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["dirty"] is True' &&
	rm repo/notes.txt
EOF

test_expect_success 'a new commit is recorded' - <<-\EOF
	printf 'weights 2\n' >repo/models/model.bin &&
	git -C repo commit -q -a -m second &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json \
		"d['git']['commit'] == '$(git -C repo rev-parse HEAD)'" \
		'd["git"]["dirty"] is False' \
		'd["git"]["branch"] == "main"'
EOF

test_expect_success 'another branch' - <<-\EOF
	git -C repo checkout -q -b feature/x &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["branch"] == "feature/x"' &&
	git -C repo checkout -q main
EOF

test_expect_success 'a detached HEAD: branch null, commit kept' - <<-\EOF
	git -C repo checkout -q --detach HEAD~1 &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["branch"] is None' \
		"d['git']['commit'] == '$(cat head)'" \
		'd["git"]["dirty"] is False' &&
	git -C repo checkout -q main
EOF

test_expect_success 'the remote URL is recorded without credentials' - <<-\EOF
	git -C repo remote add origin https://user:secret@example.com/x.git &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["remote"] == "https://example.com/x.git"' &&
	test_must_fail grep -r secret "$MLREG_DIR" &&
	test_must_fail grep -r "user:" "$MLREG_DIR"
EOF

test_expect_success 'a token-only credential is removed too' - <<-\EOF
	git -C repo remote set-url origin https://ghp_tokenvalue@example.com/y.git &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["remote"] == "https://example.com/y.git"' &&
	test_must_fail grep -r ghp_tokenvalue "$MLREG_DIR"
EOF

test_expect_success 'a token in the remote URL (?access_token=, user:password@) is redacted' - <<-\EOF
	git -C repo remote set-url origin "https://oauth2:glpat-userpw@example.com/z.git?access_token=ghp_querytoken&ref=main" &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["remote"] == "https://example.com/z.git?access_token=<redacted>&ref=main"' &&
	test_must_fail grep -r -e ghp_querytoken -e glpat-userpw -e oauth2 "$MLREG_DIR"
EOF

test_expect_success 'an ssh remote keeps its login name, not its password' - <<-\EOF
	git -C repo remote set-url origin "ssh://git:sshpassword@example.com/w.git" &&
	(cd repo && mlreg register --force m models/model.bin) &&
	prov m &&
	json_assert prov.json 'd["git"]["remote"] == "ssh://git@example.com/w.git"' &&
	test_must_fail grep -r sshpassword "$MLREG_DIR"
EOF

test_expect_success 'a repository without commits: commit null' - <<-\EOF
	git init -q -b main unborn &&
	printf 'w\n' >unborn/w.bin &&
	(cd unborn && mlreg register --create u w.bin) &&
	prov u &&
	json_assert prov.json 'd["git"] is not None' 'd["git"]["commit"] is None' \
		'd["git"]["paths"] == ["w.bin"]'
EOF

test_expect_success 'the store is consistent after all that' '
	mlreg fsck >out &&
	test_must_be_empty out
'

test_done
