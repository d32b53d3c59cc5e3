#!/bin/sh
test_description='the sample git hooks of contrib/hooks/ in a real git
repository: post-commit registers a configured path as a new version,
pre-push uploads to a configured mlreg remote and stops the push when the
upload fails'
. "$(dirname "$0")/lib.sh"

HOOKS=$TEST_DIRECTORY/../contrib/hooks

# versions NAME: the version numbers of model NAME, one a line
versions () {
	mlreg list-versions "$1" --json | "$PYTHON" -c '
import json, sys
for v in json.load(sys.stdin): print(v["version"])'
}

test_expect_success 'setup: a store, a git repository with both hooks' '
	mlreg init &&
	git init -q -b main work &&
	cp "$HOOKS/post-commit" "$HOOKS/pre-push" work/.git/hooks/ &&
	mkdir work/model &&
	echo weights-1 >work/model/weights.bin &&
	git -C work add model &&
	git -C work commit -q -m "first" 2>err &&
	test_must_be_empty err
'

test_expect_success 'post-commit: unconfigured, it does nothing' '
	echo more >>work/model/weights.bin &&
	git -C work commit -q -a -m "unconfigured" 2>err &&
	test_must_be_empty err &&
	mlreg list >models &&
	test_must_be_empty models
'

test_expect_success 'post-commit: registers the path on commit (mlreg.hook.create)' '
	git -C work config mlreg.hook.model clf &&
	git -C work config mlreg.hook.path model &&
	git -C work config mlreg.hook.create true &&
	echo weights-2 >work/model/weights.bin &&
	git -C work commit -q -a -m "train again" 2>err &&
	echo "mlreg post-commit: registered clf@1" >expect &&
	test_cmp expect err &&
	commit=$(git -C work rev-parse --short HEAD) &&
	mlreg describe clf@1 --json >d.json &&
	json_assert d.json "d[\"version\"][\"message\"] == \"git commit $commit: train again\"" &&
	mkdir out1 && mlreg checkout clf@1 out1 &&
	test_cmp work/model/weights.bin out1/weights.bin
'

test_expect_success 'post-commit: each commit is a new version, run from a subdirectory too' '
	git -C work config --unset mlreg.hook.create &&
	echo weights-3 >work/model/weights.bin &&
	(cd work/model && git commit -q -a -m "third" 2>../../err) &&
	echo "mlreg post-commit: registered clf@2" >expect &&
	test_cmp expect err &&
	test_write_lines 2 1 >expect &&
	versions clf >actual &&
	test_cmp expect actual
'

test_expect_success 'post-commit: a failed registration does not fail the commit' '
	store_snapshot >before &&
	git -C work config mlreg.hook.path no-such-path &&
	echo 4 >work/other &&
	git -C work add other &&
	git -C work commit -q -m "fourth" 2>err &&
	test "$(git -C work log -1 --format=%s)" = fourth &&
	test_line_count = 1 err &&
	test_grep "^mlreg post-commit: no-such-path is not registered as clf: fatal: cannot open .no-such-path.: " err &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'post-commit: a model that does not exist, without mlreg.hook.create' '
	store_snapshot >before &&
	git -C work config mlreg.hook.path model &&
	git -C work config mlreg.hook.model other &&
	echo 5 >work/other &&
	git -C work commit -q -a -m "fifth" 2>err &&
	test "$(git -C work log -1 --format=%s)" = fifth &&
	test_line_count = 1 err &&
	test_grep "^mlreg post-commit: model is not registered as other: error: .*other" err &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'post-commit: mlreg.hook.model alone (for pre-push), nothing and silent' '
	store_snapshot >before &&
	git -C work config --unset mlreg.hook.path &&
	echo 6 >work/other &&
	git -C work commit -q -a -m "sixth" 2>err &&
	test_must_be_empty err &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'post-commit: mlreg.hook.path without a model, one line and no version' '
	store_snapshot >before &&
	git -C work config --unset mlreg.hook.model &&
	git -C work config mlreg.hook.path model &&
	echo 6b >work/other &&
	git -C work commit -q -a -m "sixth again" 2>err &&
	echo "mlreg post-commit: mlreg.hook.path is set but not mlreg.hook.model; nothing registered" >expect &&
	test_cmp expect err &&
	store_snapshot >after &&
	test_cmp before after &&
	git -C work config --unset mlreg.hook.path
'

test_expect_success 'post-commit: no mlreg in PATH, the commit still succeeds' '
	git -C work config mlreg.hook.model clf &&
	git -C work config mlreg.hook.path model &&
	echo 7 >work/other &&
	(PATH=/usr/bin:/bin && export PATH &&
	 ! command -v mlreg >/dev/null &&
	 git -C work commit -q -a -m "seventh" 2>err) &&
	test "$(git -C work log -1 --format=%s)" = seventh &&
	test_line_count = 1 err &&
	test_grep "^mlreg post-commit: model is not registered as clf: " err &&
	git -C work config --unset mlreg.hook.model &&
	git -C work config --unset mlreg.hook.path
'

test_expect_success 'post-commit: mlreg.hook.store names another store' '
	store_snapshot >before &&
	mkdir second &&
	(cd second && MLREG_DIR=$PWD/.mlreg mlreg init) &&
	test_when_finished "git -C work config --remove-section mlreg.hook" &&
	git -C work config mlreg.hook.store "$SCRATCH/second/.mlreg" &&
	git -C work config mlreg.hook.model elsewhere &&
	git -C work config mlreg.hook.path model &&
	git -C work config mlreg.hook.create true &&
	echo 7b >work/other &&
	git -C work commit -q -a -m "elsewhere" 2>err &&
	echo "mlreg post-commit: registered elsewhere@1" >expect &&
	test_cmp expect err &&
	mlreg --store second/.mlreg list-versions elsewhere >actual &&
	test_grep "^1 .* git commit [0-9a-f]*: elsewhere$" actual &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'setup: a bare repository and a file:// mlreg remote' '
	git init -q --bare origin.git &&
	git -C work remote add origin ../origin.git &&
	mkdir mlreg-remote &&
	mlreg remote add backup "file://$SCRATCH/mlreg-remote" &&
	>not-a-dir &&
	mlreg remote add broken "file://$SCRATCH/not-a-dir"
'

test_expect_success 'pre-push: unconfigured, the push goes on and nothing is uploaded' '
	git -C work push -q origin main 2>err &&
	test_must_be_empty err &&
	test "$(git -C origin.git rev-parse main)" = "$(git -C work rev-parse main)" &&
	find mlreg-remote -type f >files &&
	test_must_be_empty files
'

test_expect_success 'pre-push: uploads to the configured remote on git push' '
	git -C work config mlreg.hook.remote backup &&
	echo 8 >work/other &&
	git -C work commit -q -a -m "eighth" &&
	git -C work push -q origin main 2>err &&
	test "$(git -C origin.git rev-parse main)" = "$(git -C work rev-parse main)" &&
	test_write_lines 2 1 >expect &&
	mlreg list-versions clf --remote backup --json >r.json &&
	"$PYTHON" -c "
import json, sys
for v in json.load(open(\"r.json\")): print(v[\"version\"])" >actual &&
	test_cmp expect actual
'

test_expect_success 'pre-push: mlreg.hook.model uploads that model only' '
	mkdir r2 &&
	mlreg remote add only "file://$SCRATCH/r2" &&
	echo u >u.bin && mlreg register --create unshared u.bin -q &&
	git -C work config mlreg.hook.remote only &&
	test_when_finished "git -C work config --unset mlreg.hook.model" &&
	git -C work config mlreg.hook.model clf &&
	echo 8b >work/other &&
	git -C work commit -q -a -m "only clf" 2>err &&
	test_must_be_empty err &&
	git -C work push -q origin main 2>err &&
	test "$(git -C origin.git rev-parse main)" = "$(git -C work rev-parse main)" &&
	mlreg list --remote only >actual &&
	test_grep "^clf" actual &&
	test_grep ! "unshared" actual
'

test_expect_success 'pre-push: a failed upload stops the push' '
	git -C work config mlreg.hook.remote broken &&
	echo 9 >work/other &&
	git -C work commit -q -a -m "ninth" &&
	before=$(git -C origin.git rev-parse main) &&
	test_must_fail git -C work push -q origin main 2>err &&
	test "$(git -C origin.git rev-parse main)" = "$before" &&
	test_grep "^error: " err &&
	test_grep "^mlreg pre-push: upload to mlreg remote broken failed; push stopped$" err
'

test_expect_success 'pre-push: a remote that does not exist stops the push too' '
	git -C work config mlreg.hook.remote no-such-remote &&
	before=$(git -C origin.git rev-parse main) &&
	test_must_fail git -C work push -q origin main 2>err &&
	test "$(git -C origin.git rev-parse main)" = "$before" &&
	test_grep "no-such-remote" err &&
	test_grep "^mlreg pre-push: upload to mlreg remote no-such-remote failed; push stopped$" err
'

test_expect_success 'pre-push: git push --no-verify skips the hook' '
	git -C work push -q --no-verify origin main 2>err &&
	test "$(git -C origin.git rev-parse main)" = "$(git -C work rev-parse main)"
'

test_expect_success 'the hooks are POSIX sh and shellcheck-clean (when shellcheck is here)' '
	for h in "$HOOKS/post-commit" "$HOOKS/pre-push"
	do
		test -x "$h" &&
		sh -n "$h" || return 1
	done &&
	if command -v shellcheck >/dev/null
	then
		shellcheck -s sh "$HOOKS/post-commit" "$HOOKS/pre-push"
	else
		say "shellcheck not installed: only sh -n checked"
	fi
'

test_done
