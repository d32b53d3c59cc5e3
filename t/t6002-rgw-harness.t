#!/bin/sh
test_description='the Ceph RGW test harness itself, and what RGW does with the requests mlreg makes (no mlreg)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"	# wait_until, lines_at_least

rgw_start mlreg-test other
proxy_start

# nested NAME BODY: writes a test script $SCRATCH/NAME.t that sources lib.sh
# and lib-rgw.sh (from this t/) and then runs BODY; its scratch directory
# goes under $TEST_ROOT/nested.
nested () {
	mkdir -p "$TEST_ROOT/nested" &&
	{
		printf '%s\n' '#!/bin/sh' "test_description='$1'" \
			". '$TEST_DIRECTORY/lib.sh'" "TEST_DIRECTORY='$TEST_DIRECTORY'" \
			". '$TEST_DIRECTORY/lib-rgw.sh'" &&
		printf '%s\n' "$2" 'test_done'
	} >"$SCRATCH/$1.t"
}

# run_nested NAME [PATH]: runs $SCRATCH/NAME.t (with PATH as its PATH when
# given), its stdout in NAME.out, stderr in NAME.err, its pid in NAME.pid,
# its status in NAME.rc.
run_nested () {
	(
		test -z "${2:-}" || PATH=$2
		TMPDIR="$TEST_ROOT/nested" MLREG="$MLREG_BIN" \
			sh "$SCRATCH/$1.t" >"$1.out" 2>"$1.err" </dev/null &
		echo $! >"$1.pid"
		wait $!
		echo $? >"$1.rc"
	)
}

# fake_bin DIR: DIR holds links to every command of /usr/bin, for a PATH
# in which one of them can be missing or replaced.
fake_bin () {
	mkdir -p "$1" &&
	find /usr/bin -mindepth 1 -maxdepth 1 -exec ln -s -t "$1" {} +
}

# running_with CONF: the pids of the processes whose command line names CONF.
running_with () {
	for p in /proc/[0-9]*
	do
		test "${p#/proc/}" != $$ &&
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -F -e "$1" >/dev/null &&
		echo "${p#/proc/}"
	done
	return 0
}

# nested_daemons N NAME: the cluster of nested script NAME has started N
# daemons at least.
nested_daemons () {
	set -- "$1" "$TEST_ROOT"/nested/mlreg-"$2".*/rgw/run/pids
	lines_at_least "$1" . "$2"
}

# all_gone PID...: none of the processes runs any more.
all_gone () {
	for p
	do
		s3_alive_ "$p" && return 1
	done
	return 0
}

test_expect_success 'the cluster is the script'\''s own: its ceph.conf, fsid, daemons and sockets' '
	test "$CEPH_CONF" = "$RGW_CONF" &&
	case $RGW_CONF in "$TEST_ROOT"/*) ;; *) false ;; esac &&
	fsid=$(sed -n "s/^fsid = //p" "$RGW_CONF") &&
	test "$(rgw_ceph fsid)" = "$fsid" &&
	rgw_ceph mon stat >mon &&
	test_grep "127.0.0.1:$RGW_MON_PORT" mon &&
	rgw_ceph osd stat -f json >osd &&
	json_assert osd "d[\"num_osds\"] == 1" "d[\"num_up_osds\"] == 1" &&
	rgw_ceph osd metadata 0 -f json >meta &&
	json_assert meta "d[\"osd_objectstore\"] == \"memstore\"" &&
	rgw_ceph osd pool get .rgw.root size >size &&
	echo "size: 1" >expect && test_cmp expect size &&
	set -- $RGW_PIDS && test $# = 3 &&
	for p in $RGW_PIDS
	do
		tr "\0" " " </proc/$p/cmdline | grep -F -e "-c $RGW_CONF" || return 1
	done &&
	(cd "$RGW_DIR/run" && ls *.asok) >socks &&
	test_write_lines client.rgw.asok mon.a.asok osd.0.asok >expect &&
	test_cmp expect socks
'

test_expect_success 'the gateway listens on 127.0.0.1, with its buckets' '
	test "$S3_ENDPOINT" = "http://127.0.0.1:$S3_PORT" &&
	awscli s3api list-buckets --query "Buckets[].Name" --output text >buckets &&
	test_grep mlreg-test buckets &&
	test_grep other buckets
'

test_expect_success 'put, list and get an object; its ETag is the quoted MD5' - <<-\EOF
	printf 'hello, rgw\n' >hello &&
	awscli s3api put-object --bucket mlreg-test --key dir/hello.txt \
		--body hello >put.json &&
	printf '"%s"\n' "$(md5sum <hello | cut -d' ' -f1)" >etag.want &&
	json_get put.json 'd["ETag"]' >etag &&
	test_cmp etag.want etag &&
	awscli s3api list-objects-v2 --bucket mlreg-test --prefix dir/ >list.json &&
	json_assert list.json '[o["Key"] for o in d["Contents"]] == ["dir/hello.txt"]' \
		'd["Contents"][0]["Size"] == 11' \
		"d[\"Contents\"][0][\"ETag\"] == '$(cat etag)'" &&
	awscli s3api get-object --bucket mlreg-test --key dir/hello.txt got >get.json &&
	test_cmp hello got
EOF

# awscli 2.9 fails on RGW's errors, whose Message is empty ("argument of
# type 'NoneType' is not iterable"): the errors are read with s3op.
test_expect_success 'a missing key and a missing bucket' '
	s3op get mlreg-test nope x >r &&
	echo "404 NoSuchKey" >expect && test_cmp expect r &&
	s3op get nobucket k x >r &&
	echo "404 NoSuchBucket" >expect && test_cmp expect r
'

test_expect_success 'a wrong secret or an unknown key is refused' '
	(
		AWS_SECRET_ACCESS_KEY=wrong &&
		s3op get mlreg-test dir/hello.txt x
	) >r &&
	echo "403 SignatureDoesNotMatch" >expect && test_cmp expect r &&
	(
		AWS_ACCESS_KEY_ID=NOBODY &&
		s3op get mlreg-test dir/hello.txt x
	) >r &&
	echo "403 InvalidAccessKeyId" >expect && test_cmp expect r
'

test_expect_success 'another user cannot read the bucket: 403 AccessDenied' '
	rgw_user intruder INTRUDER intruder-secret &&
	(
		AWS_ACCESS_KEY_ID=INTRUDER AWS_SECRET_ACCESS_KEY=intruder-secret &&
		s3op get mlreg-test dir/hello.txt x
	) >r &&
	echo "403 AccessDenied" >expect &&
	test_cmp expect r
'

test_expect_success 'If-None-Match: * creates a key only when it is absent: else 412' '
	echo first >first && echo second >second &&
	s3op put mlreg-test inm/k first "If-None-Match=*" >r1 &&
	echo "200 \"$(md5sum <first | cut -d" " -f1)\"" >expect && test_cmp expect r1 &&
	s3op put mlreg-test inm/k second "If-None-Match=*" >r2 &&
	echo "412 PreconditionFailed" >expect && test_cmp expect r2 &&
	s3op get mlreg-test inm/k got >/dev/null &&
	test_cmp first got
'

test_expect_success 'If-None-Match: * with 8 PUTs racing, 20 rounds: exactly one wins each, and stays' '
	s3op race mlreg-test race 8 20 "If-None-Match=*" >got &&
	cat got &&
	test_line_count = 20 got &&
	grep -c "^200 412 412 412 412 412 412 412 winners \([0-7]\) stored \1$" got >n &&
	echo 20 >expect && test_cmp expect n
'

test_expect_success 'without If-None-Match the racers all succeed (one of them stays)' '
	s3op race mlreg-test plain 8 2 >got &&
	cat got &&
	test_line_count = 2 got &&
	grep -c "^200 200 200 200 200 200 200 200 winners 0 1 2 3 4 5 6 7 stored [0-7]$" got >n &&
	echo 2 >expect && test_cmp expect n
'

test_expect_success 'If-Match: the current ETag without its quotes matches; quoted, it does not (412)' - <<-\EOF
	echo one >one && echo two >two && echo three >three &&
	s3op put mlreg-test im/k one >r &&
	etag=$(cut -d" " -f2 r) &&
	bare=$(echo "$etag" | tr -d '"') &&
	test "$etag" = "\"$bare\"" &&
	s3op put mlreg-test im/k two "If-Match=$etag" >r &&
	echo "412 PreconditionFailed" >expect && test_cmp expect r &&
	s3op get mlreg-test im/k got >/dev/null &&
	test_cmp one got &&
	s3op put mlreg-test im/k two "If-Match=$bare" >r &&
	echo "200 \"$(md5sum <two | cut -d" " -f1)\"" >expect && test_cmp expect r &&
	s3op get mlreg-test im/k got >/dev/null &&
	test_cmp two got &&
	s3op put mlreg-test im/k three "If-Match=$bare" >r &&
	echo "412 PreconditionFailed" >expect && test_cmp expect r
EOF

test_expect_success 'If-Match: * matches any existing key and no missing one' '
	s3op put mlreg-test im/k three "If-Match=*" >r &&
	test "$(cut -d" " -f1 r)" = 200 &&
	s3op put mlreg-test im/absent three "If-Match=*" >r &&
	echo "412 PreconditionFailed" >expect && test_cmp expect r &&
	s3op put mlreg-test im/absent2 three "If-Match=\"$(md5sum <three | cut -d" " -f1)\"" >r &&
	test_cmp expect r &&
	s3op get mlreg-test im/absent x >r &&
	echo "404 NoSuchKey" >expect && test_cmp expect r
'

test_expect_success 'listing more than 1000 keys pages with continuation tokens, with or without a delimiter' - <<-\EOF
	"$PYTHON" -c "
import os
for i in range(1000, 2001):
    os.makedirs(\"tree/d%d\" % i)
    open(\"tree/d%d/k\" % i, \"w\").write(\"%d\\n\" % i)" &&
	s3op put-tree other many tree &&
	: >"$PROXY_LOG" &&
	awscli_at "$PROXY_ENDPOINT" s3api list-objects-v2 --bucket other \
		--prefix many/ >many.json &&
	json_assert many.json "len(d[\"Contents\"]) == 1001" \
		"d[\"Contents\"][0][\"Key\"] == \"many/d1000/k\"" \
		"d[\"Contents\"][-1][\"Key\"] == \"many/d2000/k\"" &&
	test "$(proxy_count "^GET /other\?.*list-type=2")" = 2 &&
	test "$(proxy_count "^GET /other\?.*continuation-token=.* 200 ")" = 1 &&
	: >"$PROXY_LOG" &&
	awscli_at "$PROXY_ENDPOINT" s3api list-objects-v2 --bucket other \
		--prefix many/ --delimiter / >dirs.json &&
	json_assert dirs.json "len(d[\"CommonPrefixes\"]) == 1001" \
		"\"Contents\" not in d" \
		"d[\"CommonPrefixes\"][-1][\"Prefix\"] == \"many/d2000/\"" &&
	test "$(proxy_count "^GET /other\?.*list-type=2")" = 2 &&
	test "$(proxy_count "^GET /other\?.*continuation-token=.* 200 ")" = 1
EOF

test_expect_success 'a multipart upload (aws s3 cp, 20 MiB): the ETag is the MD5 of the parts'\'' MD5s, -3' - <<-\EOF
	head -c 20971520 /dev/urandom >big &&
	: >"$PROXY_LOG" &&
	awscli_at "$PROXY_ENDPOINT" s3 cp --only-show-errors big s3://mlreg-test/big &&
	test "$(proxy_count "^POST /mlreg-test/big\?uploads ")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/big\?.*partNumber=.* 200 ")" = 3 &&
	test "$(proxy_count "^POST /mlreg-test/big\?uploadId=.* 200 ")" = 1 &&
	awscli s3api head-object --bucket mlreg-test --key big >head.json &&
	json_assert head.json "d[\"ContentLength\"] == 20971520" &&
	json_get head.json "d[\"ETag\"]" >etag &&
	"$PYTHON" -c "
import hashlib, sys
data = open(sys.argv[1], 'rb').read()
part = 8 * 1024 * 1024
md5s = b''.join(hashlib.md5(data[i:i + part]).digest() for i in range(0, len(data), part))
print('\"%s-3\"' % hashlib.md5(md5s).hexdigest())" big >etag.want &&
	test_cmp etag.want etag &&
	awscli s3 cp --only-show-errors s3://mlreg-test/big big.back &&
	cmp big big.back
EOF

test_expect_success 'missing Ceph programs: the script fails with one line naming them, no skip' '
	fake_bin fb1 && rm fb1/ceph-osd fb1/radosgw &&
	nested missing "rgw_start" &&
	run_nested missing "$PWD/fb1" &&
	test "$(cat missing.rc)" = 1 &&
	printf "%s\n" "not ok 1 - cannot start Ceph RGW: missing ceph-osd radosgw (run '\''make test-deps'\'')" "1..1" >expect &&
	test_cmp expect missing.out
'

test_expect_success 'a daemon that dies while starting: one line naming it and its log, nothing left running' - <<-\EOF
	fake_bin fb2 && rm fb2/ceph-osd &&
	printf '%s\n' '#!/bin/sh' \
		'case " $* " in *" --mkfs "*) exec /usr/bin/ceph-osd "$@" ;; esac' \
		'echo "osd: giving up" >&2' 'exit 3' >fb2/ceph-osd &&
	chmod +x fb2/ceph-osd &&
	nested dies "rgw_start" &&
	run_nested dies "$PWD/fb2" &&
	test "$(cat dies.rc)" = 1 &&
	test_line_count = 2 dies.out &&
	grep "^not ok 1 - cannot start Ceph RGW: ceph-osd: the daemon exited (see $TEST_ROOT/nested/mlreg-dies\.[^/]*/rgw/log/osd\.0\.log)$" dies.out &&
	conf=$(echo "$TEST_ROOT"/nested/mlreg-dies.*/rgw/ceph.conf) &&
	test_path_is_file "$conf" &&
	grep "osd: giving up" "${conf%/ceph.conf}/log/osd.0.out" &&
	running_with "$conf" >left &&
	test_must_be_empty left
EOF

test_expect_success 'a script killed with SIGKILL while it starts a cluster: its daemons go too' - <<-\EOF
	fake_bin fb3 && rm fb3/ceph-osd &&
	printf '%s\n' '#!/bin/sh' \
		'case " $* " in *" --mkfs "*) exec /usr/bin/ceph-osd "$@" ;; esac' \
		'exec sleep 600' >fb3/ceph-osd &&
	chmod +x fb3/ceph-osd &&
	nested killed "rgw_start" &&
	{ run_nested killed "$PWD/fb3" & } &&
	bg=$! &&
	wait_until 60 nested_daemons 2 killed &&
	pids=$(cat "$TEST_ROOT"/nested/mlreg-killed.*/rgw/run/pids) &&
	set -- $pids && test $# = 2 &&
	! all_gone $pids &&
	kill -9 "$(cat killed.pid)" &&
	wait $bg &&
	test "$(cat killed.rc)" = 137 &&
	wait_until 10 all_gone $pids
EOF

test_expect_success 'a gateway port taken meanwhile: the start stops that cluster and tries other ports' - <<-\EOF
	nested clash '
	"$PYTHON" -c "
import socket, time
s = socket.socket()
s.bind((\"127.0.0.1\", 0))
s.listen()
open(\"held.tmp\", \"w\").write(\"%d\\n\" % s.getsockname()[1])
import os; os.rename(\"held.tmp\", \"held\")
time.sleep(120)" &
	HOLD=$!
	test_atexit "kill $HOLD"
	while ! test -s held; do sleep 0.1; done
	# the first draw of the gateway port gets the held one
	rgw_free_port_ () {
		echo >>draws
		if test "$(wc -l <draws)" = 2
		then
			cat held
		else
			"$PYTHON" -c "$RGW_FREE_PORT_PY"
		fi
	}
	rgw_start
	test_expect_success "up on the second try" "
		test \"\$(cat draws | wc -l)\" = 4 &&
		test \"\$S3_PORT\" != \"\$(cat held)\" &&
		grep \"failed to bind address 127.0.0.1:\$(cat held)\" \"\$RGW_DIR/log/client.rgw.log.try1\" &&
		awscli s3api list-buckets >/dev/null
	"' &&
	run_nested clash &&
	test "$(cat clash.rc)" = 0 &&
	grep "^ok 1 - up on the second try" clash.out
EOF

test_expect_success 'rgw_stop: the daemons are gone, their ports free, the data deleted, the logs kept' '
	pids=$RGW_PIDS &&
	proxy_stop &&
	rgw_stop &&
	all_gone $pids &&
	test_expect_code 7 curl -sS -m 5 "$S3_ENDPOINT/" &&
	test_expect_code 7 curl -sS -m 5 "http://127.0.0.1:$RGW_MON_PORT/" &&
	test_path_is_missing "$RGW_DIR/mon" &&
	test_path_is_missing "$RGW_DIR/osd" &&
	test_path_is_file "$RGW_DIR/log/client.rgw.log" &&
	running_with "$RGW_CONF" >left &&
	test_must_be_empty left
'

test_done
