#!/bin/sh
test_description='habits of git and awscli users: -C DIR, inline --metric and
--hparam, "-" for standard input, -m without "=", "did you mean", init keeping
the store out of git, and the provenance user from MLREG_AUTHOR or git'
. "$(dirname "$0")/lib.sh"

unset MLREG_AUTHOR MLREG_DIR	# the store is found, as a user's is

# vjson REF [DIR]: REF's version object in v.json (of the store found from DIR).
vjson () {
	mlreg -C "${2-}" describe "$1" --json >d.json &&
	json_get d.json 'd["version"]' >v.json
}

test_expect_success 'setup: a store in proj/, a model and a file' - <<-\EOF
	mkdir -p proj/sub elsewhere &&
	mlreg init proj &&
	printf 'weights\n' >proj/sub/model.bin &&
	mlreg --store proj/.mlreg create m &&
	STORE=$PWD/proj/.mlreg &&
	export STORE
EOF

# -C DIR

test_expect_success '-C DIR runs as if started in DIR: store found from there' - <<-\EOF
	(cd elsewhere && mlreg -C ../proj/sub register m model.bin >../out) &&
	echo m@1 >expect &&
	test_cmp expect out
EOF

test_expect_success 'several -C accumulate, each from the last; an empty one is a no-op' - <<-\EOF
	mlreg -C proj -C "" -C sub register --force m model.bin >out &&
	echo m@2 >expect &&
	test_cmp expect out
EOF

test_expect_success '-C comes before a relative --store and relative paths' - <<-\EOF
	mlreg -C proj --store .mlreg register --force m sub/model.bin >out &&
	echo m@3 >expect &&
	test_cmp expect out
EOF

test_expect_success '-C is not --store: a store path given to -C is searched from there' - <<-\EOF
	mlreg -C proj/.mlreg list >out &&
	test_grep "^m " out
EOF

test_expect_success '-C into a missing directory is fatal, nothing changed' - <<-\EOF
	test_fails 128 "^fatal: cannot change to .nope.: No such file or directory$" \
		mlreg -C nope list
EOF

test_expect_success '-C without a value is a usage error' - <<-\EOF
	test_fails 129 "^error: option .-C. needs a value" mlreg -C
EOF

test_expect_success '-C is in mlreg -h and man mlreg' - <<-\EOF
	mlreg -h >out &&
	test_grep "^usage: mlreg \[-C DIR\]" out &&
	test_grep "^   -C DIR " out &&
	grep "^\.It Fl C Ar dir" "$TEST_DIRECTORY/../man/mlreg.1"
EOF

test_expect_success 'bash completion finds the store from -C DIR as mlreg does' - <<-\EOF
	bash -c ". \"\$1\" && _mlreg_store mlreg -C proj -C sub list &&
		_mlreg_store mlreg -C proj --store .mlreg list" \
		sh "$TEST_DIRECTORY/../contrib/completion/mlreg.bash" >out &&
	printf "%s\n" "$PWD/proj/.mlreg" "$PWD/proj/.mlreg" >expect &&
	test_cmp expect out
EOF

# inline --metric and --hparam

test_expect_success 'setup: the store below is proj' '
	MLREG_DIR=$PWD/proj/.mlreg &&
	export MLREG_DIR
'

test_expect_success '--metric and --hparam: numbers typed as numbers, KEY:=JSON typed' - <<-\EOF
	mlreg register m proj/sub/model.bin --metric accuracy=0.91 --metric split=test \
		--metric n:=3 --metric cm:="[[1,0],[0,1]]" --metric v=1.0.2 \
		--hparam lr=1e-3 --hparam opt=adam --hparam layers=4 >out &&
	echo m@4 >expect &&
	test_cmp expect out &&
	vjson m@4 &&
	json_assert v.json \
		'd["metrics"] == {"accuracy": 0.91, "split": "test", "n": 3, "cm": [[1,0],[0,1]], "v": "1.0.2"}' \
		'd["hparams"] == {"lr": 0.001, "opt": "adam", "layers": 4}'
EOF

test_expect_success 'inline values go over the file'"'"'s: the inline one wins' - <<-\EOF
	printf "accuracy: 0.5\nloss: 0.2\n" >metrics.yaml &&
	printf "{\"lr\": 0.1, \"seed\": 7}\n" >hp.json &&
	mlreg register m proj/sub/model.bin --metric accuracy=0.93 \
		--metrics-file metrics.yaml --hparams-file hp.json --hparam lr=0.01 &&
	vjson m@5 &&
	json_assert v.json \
		'd["metrics"] == {"accuracy": 0.93, "loss": 0.2}' \
		'd["hparams"] == {"lr": 0.01, "seed": 7}'
EOF

test_expect_success '- reads --metrics-file or --hparams-file from standard input' - <<-\EOF
	printf "{\"f1\": 0.8}\n" | mlreg register m proj/sub/model.bin --metrics-file - &&
	vjson m@6 &&
	json_assert v.json 'd["metrics"] == {"f1": 0.8}' 'd["hparams"] == {}' &&
	printf "epochs: 3\n" | mlreg register m proj/sub/model.bin --hparams-file - \
		--hparam epochs=4 --hparam batch=32 &&
	vjson m@7 &&
	json_assert v.json 'd["hparams"] == {"epochs": 4, "batch": 32}'
EOF

test_expect_success 'a file of - is standard input for create and metadata too' - <<-\EOF
	printf "team: vision\n" | mlreg create fromstdin --metadata-file - &&
	printf "{\"owner\": \"ann\"}" | mlreg metadata fromstdin --add-file - &&
	mlreg describe fromstdin --json >d.json &&
	json_assert d.json 'd["metadata"] == {"team": "vision", "owner": "ann"}'
EOF

test_expect_success '- as both files is a usage error, nothing registered' - <<-\EOF
	test_fails 129 "^error: --metrics-file and --hparams-file cannot both read standard input" \
		mlreg register m proj/sub/model.bin --metrics-file - --hparams-file - </dev/null
EOF

test_expect_success 'standard input that is not a mapping fails, nothing registered' - <<-\EOF
	echo "[1, 2]" >list.json &&
	test_fails 128 "^fatal: standard input must hold a mapping" \
		mlreg register m proj/sub/model.bin --metrics-file - <list.json &&
	echo "{bad" >bad.json &&
	test_fails 128 "standard input" \
		mlreg register m proj/sub/model.bin --hparams-file - <bad.json
EOF

test_expect_success 'a malformed --metric or --hparam is a usage error' - <<-\EOF
	test_fails 129 "^error: malformed .accuracy.: expected KEY=VALUE" \
		mlreg register m proj/sub/model.bin --metric accuracy &&
	test_fails 129 "^error: malformed .=1.: empty key" \
		mlreg register m proj/sub/model.bin --hparam =1 &&
	test_fails 129 "^error: option .--metric. needs a value" \
		mlreg register m proj/sub/model.bin --metric
EOF

test_expect_success 'a long option is never taken as an abbreviation' - <<-\EOF
	test_fails 129 "^error: unknown option .--metrics.; did you mean .--metrics-file.?" \
		mlreg register m proj/sub/model.bin --metrics metrics.yaml &&
	test_fails 129 "^error: unknown option .--hparams.; did you mean .--hparams-file.?" \
		mlreg register m proj/sub/model.bin --hparams=hp.json &&
	test_fails 129 "^error: unknown option .--cre.; did you mean .--create.?" \
		mlreg register m proj/sub/model.bin --cre &&
	test_fails 129 "^error: unknown option .--sort.; did you mean .--sort-by.?" \
		mlreg list --sort name
EOF

# -m without '='

test_expect_success '-m without "=" points to --message, exit 129, nothing registered' - <<-\EOF
	test_fails 129 "^error: .-m. takes KEY=VALUE (metadata), not .a better model.; use --message for the version.s message$" \
		mlreg register m proj/sub/model.bin -m "a better model" &&
	test_fails 129 "use --message" \
		mlreg register m proj/sub/model.bin --metadata=better
EOF

# did you mean

test_expect_success 'an unknown command suggests the closest one' - <<-\EOF
	test_fails 129 "^error: unknown command .regster.; did you mean .register.? (see .mlreg help.)$" \
		mlreg regster m x &&
	test_fails 129 "did you mean .list-versions.?" mlreg list-version m &&
	test_fails 129 "did you mean .describe.?" mlreg help descirbe
EOF

test_expect_success 'a command far from every other: no guess' - <<-\EOF
	test_fails 129 "^error: unknown command .frobnicate. (see .mlreg help.)$" mlreg frobnicate &&
	test_fails 129 "^error: unknown command .ls. (see .mlreg help.)$" mlreg ls
EOF

test_expect_success 'an unknown option suggests the closest one, only when close' - <<-\EOF
	test_fails 129 "^error: unknown option .--jsno.; did you mean .--json.? (see .mlreg describe -h.)$" \
		mlreg describe m --jsno &&
	test_fails 129 "^error: unknown option .--stor.; did you mean .--store.? (see .mlreg help.)$" \
		mlreg --stor x list &&
	test_fails 129 "^error: unknown option .--colour. (see .mlreg describe -h.)$" \
		mlreg describe m --colour &&
	test_fails 129 "^error: unknown option .-x. (see .mlreg describe -h.)$" \
		mlreg describe m -x
EOF

# init in a git work tree

test_expect_success 'init in a git work tree adds the store to info/exclude and says so' - <<-\EOF
	unset MLREG_DIR &&
	git init -q repo &&
	(cd repo && mlreg init 2>../err >../out) &&
	test_must_be_empty out &&
	echo "added '/.mlreg/' to '$PWD/repo/.git/info/exclude' to keep the store out of git" >expect &&
	test_cmp expect err &&
	tail -n 1 repo/.git/info/exclude >last &&
	echo /.mlreg/ >expect &&
	test_cmp expect last &&
	git -C repo status --porcelain --ignored=no >st &&
	test_must_be_empty st
EOF

test_expect_success 'a second init adds nothing and says nothing' - <<-\EOF
	cp repo/.git/info/exclude before &&
	(cd repo && mlreg init 2>../err) &&
	test_must_be_empty err &&
	test_cmp before repo/.git/info/exclude
EOF

test_expect_success 'a store in a subdirectory; info/ created; -q is quiet' - <<-\EOF
	git init -q repo2 &&
	rm -rf repo2/.git/info &&
	printf "data\n" >repo2/keep &&
	mlreg init -q repo2/stores/a 2>err &&
	test_must_be_empty err &&
	echo /stores/a/.mlreg/ >expect &&
	test_cmp expect repo2/.git/info/exclude &&
	git -C repo2 status --porcelain >st &&
	echo "?? keep" >expect &&
	test_cmp expect st
EOF

test_expect_success 'an exclude file without a final newline gets one first' - <<-\EOF
	git init -q repo3 &&
	printf "*.tmp" >repo3/.git/info/exclude &&
	mlreg init repo3 2>err &&
	printf "*.tmp\n/.mlreg/\n" >expect &&
	test_cmp expect repo3/.git/info/exclude
EOF

test_expect_success 'a store git ignores already (.gitignore) is left alone' - <<-\EOF
	git init -q repo4 &&
	echo .mlreg/ >repo4/.gitignore &&
	cp repo4/.git/info/exclude before &&
	mlreg init repo4 2>err &&
	test_must_be_empty err &&
	test_cmp before repo4/.git/info/exclude
EOF

test_expect_success 'a linked worktree: the common info/exclude' - <<-\EOF
	git -C repo2 add keep &&
	git -C repo2 commit -q -m one &&
	git -C repo2 worktree add -q ../wt &&
	mlreg init wt/s 2>err &&
	test_grep "repo2/.git/info/exclude" err &&
	tail -n 1 repo2/.git/info/exclude >last &&
	echo /s/.mlreg/ >expect &&
	test_cmp expect last &&
	git -C wt status --porcelain >st &&
	test_must_be_empty st
EOF

test_expect_success 'outside any work tree: nothing said' - <<-\EOF
	GIT_CEILING_DIRECTORIES=$PWD mlreg init plain 2>err &&
	test_must_be_empty err &&
	test_path_is_dir plain/.mlreg
EOF

test_expect_success 'an exclude file that cannot be written: a warning, the store made' - <<-\EOF
	git init -q repo5 &&
	rm -f repo5/.git/info/exclude &&
	ln -s "$PWD/target" repo5/.git/info/exclude &&
	mlreg init repo5 2>err &&
	test_grep "^warning: cannot open .*info/exclude" err &&
	test_line_count = 1 err &&
	test_path_is_missing target &&
	test_path_is_file repo5/.mlreg/format
EOF

# the provenance user

test_expect_success 'provenance user: MLREG_AUTHOR first' - <<-\EOF
	git -C repo config user.name "Ann Lee" &&
	git -C repo config user.email ann@example.com &&
	printf w >repo/w.bin &&
	(cd repo && MLREG_AUTHOR="CI Bot <ci@example.com>" mlreg register --create p w.bin) &&
	vjson p@1 repo &&
	json_assert v.json 'd["provenance"]["user"] == "CI Bot <ci@example.com>"'
EOF

test_expect_success 'provenance user: else git user.name and user.email' - <<-\EOF
	(cd repo && MLREG_AUTHOR= mlreg register --force p w.bin) &&
	vjson p@2 repo &&
	json_assert v.json 'd["provenance"]["user"] == "Ann Lee <ann@example.com>"' &&
	git -C repo config --unset user.email &&
	(cd repo && mlreg register --force p w.bin) &&
	vjson p@3 repo &&
	json_assert v.json 'd["provenance"]["user"] == "Ann Lee"'
EOF

test_expect_success 'provenance user: the global git config counts too' - <<-\EOF
	git -C repo config --unset user.name &&
	git config --global user.email glob@example.com &&
	test_when_finished "git config --global --unset user.email" &&
	(cd repo && mlreg register --force p w.bin) &&
	vjson p@4 repo &&
	json_assert v.json 'd["provenance"]["user"] == "glob@example.com"'
EOF

test_expect_success 'provenance user: else the login user' - <<-\EOF
	(cd repo && mlreg register --force p w.bin) &&
	vjson p@5 repo &&
	json_assert v.json "d['provenance']['user'] in ('$(id -un)', '${USER:-$(id -un)}')"
EOF

test_done
