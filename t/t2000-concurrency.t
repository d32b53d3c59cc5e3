#!/bin/sh
test_description='concurrent writers: no version lost, no name taken twice'
. "$(dirname "$0")/lib.sh"

N=20

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

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mlreg create m &&
	k=1 &&
	while test $k -le $N
	do
		printf 'content of file %d\n' $k >file$k &&
		k=$((k + 1))
	done
EOF

test_expect_success "$N parallel registers make versions 1..$N" - <<-\EOF
	run_parallel $N 'mlreg register m file$k' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	cat err.* >errs &&
	test_must_be_empty errs &&
	cat out.* | sort -t@ -k2n >printed &&
	k=1 && while test $k -le $N; do echo "m@$k"; k=$((k + 1)); done >expect &&
	test_cmp expect printed
EOF

test_expect_success 'each version holds the file of the register that printed it' - <<-\EOF
	mlreg list-versions m --json >lv.json &&
	json_batch lv.json schema versions -- assert \
		"[v['version'] for v in d] == list(range($N, 0, -1))" \
		'all(len(v["files"]) == 1 for v in d)' \
		"sorted(v['files'][0]['path'] for v in d) == sorted('file%d' % k for k in range(1, $N + 1))" \
		'all(v["files"][0]["sha256"] == sha256_file(v["files"][0]["path"]) for v in d)' &&
	(
		set -- &&
		k=1 &&
		while test $k -le $N
		do
			n=$(sed 's/^m@//' out.$k) || exit 1
			set -- "$@" "[v['files'][0]['path'] for v in d if v['version'] == $n] == ['file$k']"
			k=$((k + 1))
		done &&
		json_assert lv.json "$@"
	)
EOF

test_expect_success 'the versions form one chain' - <<-\EOF
	json_assert lv.json \
		"all(d[i]['parent'] == d[i + 1]['id'] for i in range($N - 1))" \
		'd[-1]["parent"] is None' &&
	json_assert "$(model_dir m)/model.json" "d['latest_version'] == $N" \
		"d['latest_id'] == '$(sha256_of "$(version_record m $N)")'"
EOF

test_expect_success 'fsck is clean, no lock or temporary file is left' '
	mlreg fsck >out &&
	test_must_be_empty out &&
	test "$(find "$MLREG_DIR" -name "*.lock" ! -path "$MLREG_DIR/gc.lock" | wc -l)" = 0 &&
	if test -d "$MLREG_DIR/tmp"
	then
		test "$(find "$MLREG_DIR/tmp" -type f | wc -l)" = 0
	fi
'

test_expect_success 'parallel registers of the same content' - <<-\EOF
	rm -f out.* err.* code.* &&
	mlreg create same &&
	run_parallel 10 'mlreg register --force same file1' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	mlreg list-versions same --json >lv.json &&
	json_assert lv.json '[v["version"] for v in d] == list(range(10, 0, -1))' &&
	test "$(find "$MLREG_DIR/objects" -type f | wc -l)" = $N
EOF

test_expect_success 'parallel creates of one name: exactly one succeeds' - <<-\EOF
	rm -f out.* err.* code.* &&
	run_parallel 10 'mlreg create contested -d "by $k"' &&
	grep -l "^0$" code.* >winners &&
	test_line_count = 1 winners &&
	grep -l "^1$" code.* >losers &&
	test_line_count = 9 losers &&
	for f in $(sed "s/^code/err/" losers)
	do
		test_line_count = 1 $f &&
		test_grep "^error: model 'contested' already exists$" $f || return 1
	done &&
	w=$(sed "s/^code\.//" winners) &&
	mlreg describe contested --json >d.json &&
	json_assert d.json "d['description'] == 'by $w'" &&
	test_must_be_empty err.$w
EOF

test_expect_success 'parallel --create registers of a new model: all land' - <<-\EOF
	rm -f out.* err.* code.* &&
	run_parallel 10 'mlreg register --create newborn file$k' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	mlreg list-versions newborn --json >lv.json &&
	json_assert lv.json '[v["version"] for v in d] == list(range(10, 0, -1))'
EOF

test_expect_success 'parallel metadata changes: none lost' - <<-\EOF
	rm -f out.* err.* code.* &&
	mlreg create meta &&
	run_parallel 10 'mlreg metadata meta --add key$k=value$k' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	mlreg describe meta --json >d.json &&
	json_assert d.json 'd["metadata"] == {"key%d" % k: "value%d" % k for k in range(1, 11)}'
EOF

test_expect_success 'metadata changes racing registers: both kept' - <<-\EOF
	rm -f out.* err.* code.* &&
	mlreg create mixed &&
	run_parallel 10 'if test $((k % 2)) = 0; then mlreg register mixed file$k; else mlreg metadata mixed --add k$k=v; fi' &&
	cat code.* | sort -u >codes &&
	echo 0 >expect &&
	test_cmp expect codes &&
	mlreg describe mixed --json >d.json &&
	json_assert d.json 'd["latest_version"] == 5' \
		'd["metadata"] == {"k1": "v", "k3": "v", "k5": "v", "k7": "v", "k9": "v"}'
EOF

test_expect_success 'a stale lock file (its holder died) does not block' - <<-\EOF
	mlreg create stale &&
	lock="$(model_dir stale)/model.json.lock" &&
	printf 'left by a killed process\n' >"$lock" &&
	mlreg metadata stale --add after=stale &&
	mlreg register stale file1 >out &&
	echo stale@1 >expect &&
	test_cmp expect out &&
	mlreg describe stale --json >d.json &&
	json_assert d.json 'd["metadata"] == {"after": "stale"}' 'd["latest_version"] == 1'
EOF

test_expect_success 'a lock held by a live process: wait, then fail with exit 1' - <<-\EOF
	mlreg create held &&
	lock="$(model_dir held)/model.json.lock" &&
	( exec 9>>"$lock" && flock 9 && touch holding && exec sleep 60 ) &
	holder=$!
	test_when_finished "kill $holder 2>/dev/null; wait $holder 2>/dev/null; true" &&
	i=0 &&
	while ! test -f holding && test $i -lt 200
	do
		sleep 0.05
		i=$((i + 1))
	done &&
	test -f holding &&
	test_fails 1 "lock" env MLREG_LOCK_TIMEOUT=300 mlreg metadata held --add k=v &&
	test_fails 1 "lock" env MLREG_LOCK_TIMEOUT=300 mlreg register held file1 &&
	mlreg list-versions held >out &&
	test_must_be_empty out &&
	kill $holder &&
	wait $holder
	mlreg metadata held --add k=v &&
	mlreg describe held --json >d.json &&
	json_assert d.json 'd["metadata"] == {"k": "v"}'
EOF

test_expect_success 'the store is consistent after all that' '
	mlreg fsck >out &&
	test_must_be_empty out
'

test_done
