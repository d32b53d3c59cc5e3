#!/bin/sh
test_description='register --if-changed (the default; --force makes a version): a
registration equal to the latest
version (files, metadata, metrics, hparams, spec, contract...) makes no
version and prints the latest NAME@N; message and provenance are not
compared; concurrent registrations of the same files make one version.
A register killed with -9 is covered by t2100-kill.t: --if-changed adds no
write of its own (it writes less).'
. "$(dirname "$0")/lib.sh"

SEEDS=$TEST_DIRECTORY/data/seeds

# latest NAME: the model's latest version number.
latest () {
	mlreg describe "$1" --json >latest.json &&
	json_get latest.json 'd["latest_version"]'
}

# expect_new REF COMMAND...: COMMAND exits 0, prints REF on stdout, says
# nothing of an unchanged version, and REF is the model's latest version.
expect_new () {
	printf '%s\n' "$1" >expect.out &&
	en_ref_=$1 &&
	shift &&
	"$@" >actual.out 2>actual.err &&
	test_cmp expect.out actual.out &&
	test_grep ! "is unchanged" actual.err &&
	test "$(latest "${en_ref_%@*}")" = "${en_ref_##*@}"
}

# expect_same REF COMMAND...: COMMAND exits 0, prints REF on stdout and the
# notice as the last line of stderr (after the files' warnings, if any), and
# leaves the store as it was.
expect_same () {
	printf '%s\n' "$1" >expect.out &&
	printf '%s is unchanged: no new version\n' "$1" >expect.notice &&
	shift &&
	store_snapshot >snap.before &&
	"$@" >actual.out 2>actual.err &&
	store_snapshot >snap.after &&
	test_cmp expect.out actual.out &&
	tail -n 1 actual.err >actual.notice &&
	test_cmp expect.notice actual.notice &&
	test_cmp snap.before snap.after
}

# expect_same_quiet REF COMMAND...: as expect_same, with nothing on stderr.
expect_same_quiet () {
	printf '%s\n' "$1" >expect.out &&
	shift &&
	store_snapshot >snap.before &&
	"$@" >actual.out 2>actual.err &&
	store_snapshot >snap.after &&
	test_cmp expect.out actual.out &&
	test_must_be_empty actual.err &&
	test_cmp snap.before snap.after
}

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create m &&
	mkdir out &&
	printf 'weights v1\n' >out/model.bin &&
	printf 'labels\n' >out/labels.txt &&
	printf '{"accuracy": 0.9}\n' >metrics.json
EOF

test_expect_success 'a model without versions gets version 1' '
	expect_new m@1 mlreg register --if-changed m out --metrics-file metrics.json &&
	test_must_be_empty actual.err
'

test_expect_success 'the same files again: the same NAME@N, a notice, nothing written' '
	expect_same m@1 mlreg register --if-changed m out --metrics-file metrics.json &&
	test_line_count = 1 actual.err &&
	mlreg list-versions m --json >lv.json &&
	json_assert lv.json "[v[\"version\"] for v in d] == [1]"
'

test_expect_success '-q keeps stderr silent, stdout unchanged' '
	expect_same_quiet m@1 mlreg register --if-changed -q m out --metrics-file metrics.json
'

test_expect_success 'with --force the same files make a new version' '
	expect_new m@2 mlreg register --force m out --metrics-file metrics.json &&
	test_must_be_empty actual.err &&
	expect_same m@2 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success '--json: the latest version object with "unchanged": true' - <<-\EOF
	mlreg describe m@2 --json >d.json &&
	json_get d.json 'd["version"]' >v2.json &&
	mlreg register --if-changed --json m out --metrics-file metrics.json >j.json 2>err &&
	test_grep -x "m@2 is unchanged: no new version" err &&
	json_batch j.json schema version -- assert \
		'd["unchanged"] is True' \
		'd["version"] == 2' &&
	json_get j.json '{k: v for k, v in d.items() if k != "unchanged"}' >j2.json &&
	test_cmp v2.json j2.json
EOF

test_expect_success '--json on a new version: "unchanged": false; no member with --force' - <<-\EOF
	printf 'weights v2\n' >out/model.bin &&
	mlreg register --if-changed --json m out --metrics-file metrics.json >j.json 2>err &&
	test_must_be_empty err &&
	json_assert j.json 'd["unchanged"] is False' 'd["version"] == 3' &&
	mlreg register --force --json -q m out --metrics-file metrics.json >j.json &&
	json_assert j.json '"unchanged" not in d' 'd["version"] == 4'
EOF

test_expect_success 'another --message alone is the same version' '
	expect_same m@4 mlreg register --if-changed m out --metrics-file metrics.json \
		--message "CI run 812"
'

test_expect_success 'another author, host directory or git commit (provenance) is the same version' '
	expect_same m@4 env MLREG_AUTHOR="Ann Lee <ann@example.com>" \
		mlreg register --if-changed m out --metrics-file metrics.json &&
	git init -q repo &&
	cp -R out metrics.json repo/ &&
	(
		cd repo &&
		git add . &&
		git -c user.name=ci -c user.email=ci@example.com commit -qm one &&
		expect_same m@4 mlreg register --if-changed m out --metrics-file metrics.json &&
		git -c user.name=ci -c user.email=ci@example.com commit -q --allow-empty -m two &&
		expect_same m@4 mlreg register --if-changed m out --metrics-file metrics.json
	)
'

test_expect_success 'a changed file is a new version' '
	printf "weights v3\n" >out/model.bin &&
	expect_new m@5 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@5 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success 'a changed mode (the executable bit) is a new version' '
	chmod 755 out/labels.txt &&
	expect_new m@6 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@6 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success 'an added file is a new version' '
	printf "notes\n" >out/NOTES &&
	expect_new m@7 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@7 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success 'a removed file is a new version' '
	rm out/NOTES &&
	expect_new m@8 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@8 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success 'a renamed file with the same content is a new version' '
	mv out/labels.txt out/classes.txt &&
	expect_new m@9 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@9 mlreg register --if-changed m out --metrics-file metrics.json
'

test_expect_success 'a changed metric is a new version; an inline one equal to the file is not' '
	expect_new m@10 mlreg register --if-changed m out --metrics-file metrics.json \
		--metric accuracy=0.91 &&
	printf "{\"accuracy\": 0.91}\n" >metrics.json &&
	expect_same m@10 mlreg register --if-changed m out --metrics-file metrics.json &&
	expect_same m@10 mlreg register --if-changed m out --metric accuracy=0.91 &&
	expect_new m@11 mlreg register --if-changed m out --metric accuracy=0.910001
'

test_expect_success 'no metrics at all differs from some' '
	expect_new m@12 mlreg register --if-changed m out &&
	expect_same m@12 mlreg register --if-changed m out
'

test_expect_success 'metadata: a change is a new version, the order of keys is not' '
	expect_new m@13 mlreg register --if-changed m out -m dataset=v1 -m epochs:=10 &&
	expect_same m@13 mlreg register --if-changed m out -m epochs:=10 -m dataset=v1 &&
	expect_new m@14 mlreg register --if-changed m out -m dataset=v1 -m epochs:=11 &&
	expect_new m@15 mlreg register --if-changed m out -m dataset=v1 -m epochs=11 &&
	expect_new m@16 mlreg register --if-changed m out -m dataset=v1
'

test_expect_success 'a changed hparam is a new version' '
	expect_new m@17 mlreg register --if-changed m out --hparam lr=1e-3 &&
	expect_same m@17 mlreg register --if-changed m out --hparam lr=0.001 &&
	expect_new m@18 mlreg register --if-changed m out --hparam lr=1e-4
'

test_expect_success 'a changed framework is a new version' '
	expect_new m@19 mlreg register --if-changed m out --framework pytorch:2.1 &&
	expect_same m@19 mlreg register --if-changed m out --framework pytorch:2.1 &&
	expect_new m@20 mlreg register --if-changed m out --framework pytorch:2.2
'

test_expect_success 'a spec given or changed is a new version' '
	cp "$SEEDS"/mlx-katalog/max-object-detector.yaml spec.yaml &&
	expect_new m@21 mlreg register --if-changed m out --spec spec.yaml &&
	expect_same m@21 mlreg register --if-changed m out --spec spec.yaml &&
	sed "s/^description: .*/description: another description/" spec.yaml >spec2.yaml &&
	! cmp spec.yaml spec2.yaml &&
	expect_new m@22 mlreg register --if-changed m out --spec spec2.yaml &&
	expect_new m@23 mlreg register --if-changed m out
'

test_expect_success 'a contract given or changed is a new version' '
	cp "$SEEDS"/hydrosphere/serving.yaml c1.yaml &&
	sed "0,/shape: \[-1, 1\]/s//shape: [0, 1]/" c1.yaml >c2.yaml &&
	! cmp c1.yaml c2.yaml &&
	expect_new m@24 mlreg register --if-changed m out --contract c1.yaml &&
	expect_same m@24 mlreg register --if-changed m out --contract c1.yaml &&
	expect_new m@25 mlreg register --if-changed m out --contract c2.yaml &&
	expect_new m@26 mlreg register --if-changed m out
'

test_expect_success 'only the latest version counts, not an older equal one' '
	printf "weights v3\n" >one.bin &&
	printf "weights v4\n" >two.bin &&
	expect_new m@27 mlreg register --if-changed m one.bin &&
	expect_new m@28 mlreg register --if-changed m two.bin &&
	expect_new m@29 mlreg register --if-changed m one.bin
'

test_expect_success 'a record of mlreg 0.1 (no signatures... members) equals null and []' - <<-\EOF
	rewrite_latest_record m 't = t.replace(b",\"artifacts\":[]", b"").replace(b",\"signatures\":[]", b"").replace(b",\"contract\":null", b"").replace(b",\"spec\":null", b"").replace(b",\"introspection\":null", b"").replace(b",\"checkpoint\":null", b"")' &&
	test_grep ! "signatures" "$(version_record m 29)" &&
	expect_same m@29 mlreg register --if-changed m one.bin
EOF

test_expect_success 'a member the table does not list is compared' - <<-\EOF
	rewrite_latest_record m 't = t.replace(b"}\n", b",\"later_member\":1}\n")' &&
	test_grep "later_member" "$(version_record m 29)" &&
	expect_new m@30 mlreg register --if-changed m one.bin &&
	expect_same m@30 mlreg register --if-changed m one.bin
EOF

test_expect_success '--create with --if-changed on a missing model makes version 1' '
	expect_new fresh@1 mlreg register --create --if-changed fresh one.bin &&
	test_must_be_empty actual.err &&
	expect_same fresh@1 mlreg register --create --if-changed fresh one.bin
'

test_expect_success 'failures leave the store as it was' '
	test_fails 1 "^error: model .nosuch. not found (create it with .mlreg create nosuch. or use --create)$" \
		mlreg register --if-changed nosuch one.bin &&
	test_fails 128 "^fatal: cannot open .missing.bin.: No such file or directory$" \
		mlreg register --if-changed m missing.bin &&
	test_fails 129 "^error: unknown option .--if-changd.; did you mean .--if-changed.? (see .mlreg register -h.)$" \
		mlreg register --if-changd m one.bin &&
	test_fails 129 "^error: unknown option .--no-if-changd.; did you mean .--no-if-changed.? (see .mlreg import -h.)$" \
		mlreg import --no-if-changd det.yaml
'

test_expect_success 'a latest record that cannot be read fails --if-changed, naming fsck' - <<-\EOF
	cp "$(version_record fresh 1)" rec.saved &&
	test_when_finished "cp rec.saved \"$(version_record fresh 1)\"" &&
	printf "not json" >"$(version_record fresh 1)" &&
	test_fails 1 "^error: .fresh@1. is not a JSON object; run .mlreg fsck.$" \
		mlreg register --if-changed fresh one.bin
EOF

test_expect_success 'register.ifChanged true, the default; --no-if-changed turns it off, false too' '
	git config -f .mlreg/config register.ifChanged true &&
	expect_same fresh@1 mlreg register fresh one.bin &&
	expect_new fresh@2 mlreg register --no-if-changed fresh one.bin &&
	expect_same fresh@2 mlreg register fresh one.bin &&
	mlreg register fresh one.bin --json -q >j.json &&
	json_assert j.json "d[\"unchanged\"] is True" &&
	expect_new fresh@3 mlreg register --if-changed --no-if-changed fresh one.bin &&
	git config -f .mlreg/config register.ifChanged false &&
	expect_new fresh@4 mlreg register fresh one.bin &&
	expect_same fresh@4 mlreg register --if-changed fresh one.bin
'

test_expect_success 'a register.ifChanged that is not a boolean is fatal, unless an option decides' '
	git config -f .mlreg/config register.ifChanged maybe &&
	test_when_finished "git config -f .mlreg/config --unset register.ifChanged" &&
	test_fails 128 "^fatal: bad boolean config value .maybe. for .register.ifChanged. in .*/\.mlreg/config.$" \
		mlreg register fresh one.bin &&
	test_fails 128 "^fatal: bad boolean config value .maybe." \
		mlreg import "$SEEDS"/mlx-katalog/max-object-detector.yaml --name imp &&
	expect_same fresh@4 mlreg register --if-changed fresh one.bin &&
	expect_new fresh@5 mlreg register --no-if-changed fresh one.bin
'

test_expect_success 'import --if-changed: the same spec again makes no version' '
	cp "$SEEDS"/mlx-katalog/max-object-detector.yaml det.yaml &&
	expect_new imp@1 mlreg import --if-changed det.yaml --name imp &&
	test_must_be_empty actual.err &&
	expect_same imp@1 mlreg import --if-changed det.yaml --name imp &&
	test_line_count = 1 actual.err &&
	expect_same_quiet imp@1 mlreg import --if-changed -q det.yaml --name imp --message again &&
	mlreg import --if-changed --json -q det.yaml --name imp >j.json &&
	json_assert j.json "d[\"unchanged\"] is True" "d[\"version\"] == 1" &&
	sed "s/^description: .*/description: changed/" det.yaml >det2.yaml &&
	expect_new imp@2 mlreg import --if-changed det2.yaml --name imp &&
	expect_new imp@3 mlreg import --force det2.yaml --name imp
'

# run_parallel COUNT COMMAND-WITH-K: runs COUNT copies of the shell command
# at once, $k set to 1..COUNT in each, stdout to out.$k, stderr to err.$k,
# exit code to code.$k; waits for all of them.
run_parallel () {
	rp_pids_=
	k=1
	while test $k -le "$1"
	do
		(
			eval "$2" >out.$k 2>err.$k
			echo $? >code.$k
		) &
		rp_pids_="$rp_pids_ $!"
		k=$((k + 1))
	done
	for rp_pid_ in $rp_pids_
	do
		wait $rp_pid_
	done
}

test_expect_success '6 concurrent --if-changed of the same new files make one version' - <<-\EOF
	mkdir par &&
	head -c 300000 /dev/urandom >par/big.bin &&
	printf 'small\n' >par/small.txt &&
	before=$(latest m) &&
	next=$((before + 1)) &&
	run_parallel 6 'mlreg register --if-changed m par --message "run $k"' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	for k in 1 2 3 4 5 6; do echo "m@$next"; done >expect &&
	cat out.* >printed &&
	test_cmp expect printed &&
	test "$(latest m)" = "$next" &&
	mlreg list-versions m --json >lv.json &&
	json_assert lv.json "len(d) == $next" &&
	cat err.* >errs &&
	test_line_count = 5 errs &&
	test "$(grep -c -x "m@$next is unchanged: no new version" errs)" = 5 &&
	mlreg fsck >fsck.out 2>&1
EOF

test_expect_success 'the same content as a deprecated latest: no new version, and a warning even with -q' - <<-\EOF
	mkdir dep &&
	echo dep >dep/w.bin &&
	mlreg register --create dm dep -q &&
	mlreg deprecate dm@1 &&
	mlreg register --if-changed -q dm dep >dep.out 2>dep.err &&
	echo dm@1 >expect.out &&
	test_cmp expect.out dep.out &&
	echo "warning: dm@1, which has the same content, is deprecated ('mlreg undeprecate dm@1' to use it again)" >expect &&
	test_cmp expect dep.err &&
	mlreg list-versions dm --json >lv.json &&
	json_assert lv.json "len(d) == 1" &&
	mlreg undeprecate dm@1 &&
	mlreg register --if-changed -q dm dep >dep.out 2>dep.err &&
	test_cmp expect.out dep.out &&
	test_must_be_empty dep.err
EOF

test_done
