# t/lib-conflict-tests.sh: uploads racing for the same NAME@N, on a remote
# with conditional writes (file://: link(2); Ceph RGW: If-None-Match) and on
# one without (s3rver: check-then-verify), sourced after t/lib-remote.sh
# with REMOTE_KIND set, and:
#
#   REMOTE_CONDITIONAL    yes: the remote honours create-only writes, so
#                         mlreg must take that path (upload --json says
#                         conditional_writes, and a loser always finds the
#                         winner's record there: "already has"); no: it
#                         does not (check-then-verify)
#   CONFLICT_ROUNDS       races (default 4), CONFLICT_RACERS uploaders in
#                         each (default 3)
#
# With the fault proxy running (PROXY_LOG set, remotes through
# REMOTE_ENDPOINT) and REMOTE_CONDITIONAL=yes, each race's requests are
# checked too: one PUT of the record answered 200, any other 412 (a loser
# that saw the winner's record first puts none), and no HEAD of it (the
# check of check-then-verify).
#
# Whoever wins, exactly one upload of a NAME@N succeeds, the other fails
# naming the conflict, and neither store loses anything.

# The real verify delay: the protocol's bound must hold for the race.
MLREG_VERIFY_DELAY_MS=1000
export MLREG_VERIFY_DELAY_MS

ROUNDS=${CONFLICT_ROUNDS:-4} RACERS=${CONFLICT_RACERS:-3}
case ${REMOTE_CONDITIONAL:-} in
yes) LOSER_FOUND='already has' ;;
no) LOSER_FOUND='\(already has\|received at the same time\)' ;;
*) BUG "REMOTE_CONDITIONAL is '${REMOTE_CONDITIONAL:-}', not yes or no" ;;
esac

test_expect_success 'upload --json says whether the remote took conditional writes' '
	mlreg init cw && echo cw >cw.txt &&
	mlreg --store cw/.mlreg register --create cw cw.txt >/dev/null &&
	remote_add cw/.mlreg condwrites condwrites &&
	mlreg --store cw/.mlreg upload --json condwrites >sum &&
	if test $REMOTE_CONDITIONAL = yes
	then
		json_assert sum "d[\"conditional_writes\"] is True"
	else
		json_assert sum "d[\"conditional_writes\"] is False"
	fi &&
	json_assert sum "d[\"versions\"] == [\"cw@1\"]"
'

test_expect_success 'setup: stores that each made their own m@1' '
	for i in $(seq 1 $RACERS)
	do
		mlreg init "s$i" && printf "made by %s\n" "$i" >"f$i" &&
		mlreg --store "s$i/.mlreg" register --create m "f$i" >/dev/null || return 1
	done
'

# race LABEL: all stores upload m to remote LABEL at once (waited for by pid:
# a bare wait would wait for the servers too); the outcomes go to codes (one
# exit status a line), out.N and err.N, the registries before it to before.N.
race () {
	for i in $(seq 1 $RACERS)
	do
		remote_add "s$i/.mlreg" "$1" "$1" &&
		registry_snapshot "s$i/.mlreg" >"before.$i" || return 1
	done &&
	pids= &&
	for i in $(seq 1 $RACERS)
	do
		(mlreg --store "s$i/.mlreg" upload "$1" m >"out.$i" 2>"err.$i"; echo $? >"code.$i") &
		pids="$pids $!"
	done &&
	wait $pids &&
	cat $(for i in $(seq 1 $RACERS); do echo "code.$i"; done) | sort >codes
}

for round in $(seq 1 $ROUNDS)
do
	test_expect_success "race $round: exactly one upload of m@1 wins" - <<-EOF
		race race$round &&
		printf '0\n' >expect && for i in \$(seq 2 \$RACERS); do echo 1 >>expect; done &&
		test_cmp expect codes &&
		remote_get race$round models/m/versions/1.json won &&
		winners=0 &&
		for i in \$(seq 1 \$RACERS)
		do
			if test "\$(cat code.\$i)" = 0
			then
				cmp won "s\$i/.mlreg/models/m/versions/1.json" &&
				echo m@1 >expect.out && test_cmp expect.out "out.\$i" &&
				winners=\$((winners + 1)) || return 1
			else
				test_must_be_empty "out.\$i" &&
				test_line_count = 1 "err.\$i" &&
				grep "^error: remote .race$round. $LOSER_FOUND another m@1 (id [0-9a-f]\{12\}, registered by .*): your m@1 and later were not uploaded and are unchanged" "err.\$i" &&
				! cmp -s won "s\$i/.mlreg/models/m/versions/1.json" || return 1
			fi &&
			registry_snapshot "s\$i/.mlreg" >"after.\$i" &&
			test_cmp "before.\$i" "after.\$i" &&
			mlreg --store "s\$i/.mlreg" fsck || return 1
		done &&
		test \$winners = 1 &&
		mlreg --store s1/.mlreg list-versions m --remote race$round --json >v &&
		json_assert v "len(d) == 1" "d[0][\"id\"] == \"\$(sha256_of won)\"" &&
		if test -n "\${PROXY_LOG:-}" && test \$REMOTE_CONDITIONAL = yes
		then
			rec="/\$S3_BUCKET/race$round/models/m/versions/1\.json" &&
			test "\$(proxy_count "^PUT \$rec 200 ")" = 1 &&
			test "\$(proxy_count "^PUT \$rec 412 ")" = \$((\$(proxy_count "^PUT \$rec ") - 1)) &&
			test "\$(proxy_count "^HEAD \$rec ")" = 0
		fi
	EOF
done

test_expect_success 'the same version uploaded twice at once: both succeed' '
	remote_add s1/.mlreg twin twin &&
	{ (mlreg --store s1/.mlreg upload twin >o1 2>e1; echo $? >c1) & } &&
	p1=$! &&
	{ (mlreg --store s1/.mlreg upload twin >o2 2>e2; echo $? >c2) & } &&
	p2=$! &&
	wait $p1 $p2 &&
	test "$(cat c1) $(cat c2)" = "0 0" &&
	test_must_be_empty e1 && test_must_be_empty e2 &&
	remote_get twin models/m/versions/1.json t1 &&
	cmp t1 s1/.mlreg/models/m/versions/1.json
'

test_expect_success 'the loser can share its files as the next version' '
	loser=$(for i in $(seq 1 $RACERS); do test "$(cat code.$i)" = 1 && echo $i; done | head -n 1) &&
	mlreg init fresh && remote_add fresh/.mlreg race$ROUNDS race$ROUNDS &&
	mlreg --store fresh/.mlreg download race$ROUNDS m &&
	mlreg --store "s$loser/.mlreg" checkout m mine &&
	mlreg --store fresh/.mlreg register m mine >out &&
	echo m@2 >expect && test_cmp expect out &&
	mlreg --store fresh/.mlreg upload race$ROUNDS >out && test_cmp expect out
'
