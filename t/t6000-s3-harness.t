#!/bin/sh
test_description='the S3 test harness itself: s3rver, the fault proxy, awscli (no mlreg)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

s3_start mlreg-test other
proxy_start

if "$PYTHON" -c 'import botocore' 2>/dev/null
then
	test_set_prereq BOTOCORE
fi

# raw_http PORT FILE: send FILE's bytes as is on one connection to PORT,
# half-close, print everything that comes back.
raw_http () {
	"$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)
' "$@"
}

test_expect_success 'the server listens, with its buckets' '
	test -n "$S3_PORT" &&
	test "$S3_ENDPOINT" = "http://127.0.0.1:$S3_PORT" &&
	test -d "$S3_DATA" &&
	awscli s3api list-buckets --query "Buckets[].Name" --output text >buckets &&
	test_grep mlreg-test buckets &&
	test_grep other buckets
'

test_expect_success 'put, list and get an object' - <<-\EOF
	printf 'hello, s3\n' >hello &&
	awscli s3api put-object --bucket mlreg-test --key dir/hello.txt \
		--body hello >put.json &&
	printf '"%s"\n' "$(md5sum <hello | cut -d' ' -f1)" >etag.want &&
	json_get put.json 'd["ETag"]' >etag &&
	test_cmp etag.want etag &&
	awscli s3api list-objects-v2 --bucket mlreg-test --prefix dir/ >list.json &&
	json_assert list.json '[o["Key"] for o in d["Contents"]] == ["dir/hello.txt"]' \
		'd["Contents"][0]["Size"] == 10' &&
	awscli s3api get-object --bucket mlreg-test --key dir/hello.txt got >get.json &&
	test_cmp hello got
EOF

test_expect_success 'a missing key and a missing bucket' '
	test_must_fail awscli s3api get-object --bucket mlreg-test --key nope x \
		2>err &&
	test_grep NoSuchKey err &&
	test_must_fail awscli s3api head-object --bucket mlreg-test --key nope \
		2>err &&
	test_grep "404" err &&
	test_must_fail awscli s3api list-objects-v2 --bucket nobucket 2>err &&
	test_grep NoSuchBucket err
'

test_expect_success 'a wrong secret or an unknown key is refused' '
	(
		AWS_SECRET_ACCESS_KEY=wrong && export AWS_SECRET_ACCESS_KEY &&
		test_must_fail awscli s3api list-objects-v2 --bucket mlreg-test
	) 2>err &&
	test_grep SignatureDoesNotMatch err &&
	(
		AWS_ACCESS_KEY_ID=NOBODY && export AWS_ACCESS_KEY_ID &&
		test_must_fail awscli s3api list-objects-v2 --bucket mlreg-test
	) 2>err &&
	test_grep InvalidAccessKeyId err
'

test_expect_success 'a range GET' '
	"$PYTHON" -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)" >bytes &&
	awscli s3api put-object --bucket mlreg-test --key bytes --body bytes >/dev/null &&
	awscli s3api get-object --bucket mlreg-test --key bytes --range bytes=100-355 \
		part >range.json &&
	json_assert range.json "d[\"ContentRange\"] == \"bytes 100-355/1024\"" \
		"d[\"ContentLength\"] == 256" &&
	dd if=bytes of=want bs=1 skip=100 count=256 2>/dev/null &&
	cmp want part
'

test_expect_success BOTOCORE 'listing more than 1000 keys pages (continuation tokens)' - <<-\EOF
	"$PYTHON" - "$S3_ENDPOINT" <<-\PY &&
	import sys, concurrent.futures as cf
	import botocore.session
	from botocore.config import Config
	c = botocore.session.get_session().create_client(
	    "s3", endpoint_url=sys.argv[1],
	    config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))
	def put(i):
	    c.put_object(Bucket="other", Key="many/%04d" % i, Body=b"%d" % i)
	with cf.ThreadPoolExecutor(16) as ex:
	    list(ex.map(put, range(1001)))
	PY
	awscli_at "$PROXY_ENDPOINT" s3api list-objects-v2 --bucket other \
		--prefix many/ >many.json &&
	json_assert many.json "len(d[\"Contents\"]) == 1001" \
		"d[\"Contents\"][-1][\"Key\"] == \"many/1000\"" &&
	test "$(proxy_count "^GET /other\?.*list-type=2")" = 2 &&
	test "$(proxy_count "^GET /other\?.*continuation-token=.* 200 ")" = 1
EOF

test_expect_success 'a multipart upload (aws s3 cp, 20 MB)' '
	head -c 20971520 /dev/urandom >big &&
	: >"$PROXY_LOG" &&
	awscli_at "$PROXY_ENDPOINT" s3 cp --only-show-errors big s3://mlreg-test/big &&
	test "$(proxy_count "^POST /mlreg-test/big\?uploads ")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/big\?.*partNumber=.* 200 ")" = 3 &&
	test "$(proxy_count "^POST /mlreg-test/big\?uploadId=.* 200 ")" = 1 &&
	awscli s3api head-object --bucket mlreg-test --key big >head.json &&
	json_assert head.json "d[\"ContentLength\"] == 20971520" &&
	# s3rver: the ETag of a multipart object is the MD5 of all of it
	# (S3 would say MD5-OF-THE-PARTS-MD5S-3)
	json_get head.json "d[\"ETag\"]" >etag &&
	printf "\"%s\"\n" "$(md5sum <big | cut -d" " -f1)" >etag.want &&
	test_cmp etag.want etag &&
	awscli s3 cp --only-show-errors s3://mlreg-test/big big.back &&
	cmp big big.back
'

test_expect_success 'the proxy forwards and logs' '
	: >"$PROXY_LOG" &&
	awscli_at "$PROXY_ENDPOINT" s3api get-object --bucket mlreg-test \
		--key dir/hello.txt got >/dev/null &&
	test_cmp hello got &&
	awscli_at "$PROXY_ENDPOINT" s3api put-object --bucket mlreg-test \
		--key dir/two --body hello >/dev/null &&
	cat "$PROXY_LOG" &&
	test_grep -x "GET /mlreg-test/dir/hello.txt 200 0 10 pass" "$PROXY_LOG" &&
	test_grep -x "PUT /mlreg-test/dir/two 200 10 0 pass" "$PROXY_LOG" &&
	test_line_count = 2 "$PROXY_LOG"
'

test_expect_success 'status:500 reaches awscli, once (times)' '
	rules="[{\"method\": \"GET\", \"path\": \"^/mlreg-test/dir/hello.txt\$\",
		\"times\": 1, \"action\": \"status:500\", \"code\": \"InternalError\"}]" &&
	proxy_rules "$rules" &&
	: >"$PROXY_LOG" &&
	test_must_fail awscli_at "$PROXY_ENDPOINT" s3api get-object \
		--bucket mlreg-test --key dir/hello.txt got 2>err &&
	test_grep InternalError err &&
	proxy_rules "$rules" &&		# the same rule: its count goes on
	awscli_at "$PROXY_ENDPOINT" s3api get-object --bucket mlreg-test \
		--key dir/hello.txt got >/dev/null &&
	test_cmp hello got &&
	cat "$PROXY_LOG" &&
	test_grep "^GET /mlreg-test/dir/hello.txt 500 0 [0-9]* status:500\$" "$PROXY_LOG" &&
	test_grep "^GET /mlreg-test/dir/hello.txt 200 0 10 pass\$" "$PROXY_LOG"
'

test_expect_success 'skip lets requests through first; status with a code' '
	proxy_rules "[{\"method\": \"PUT\", \"skip\": 1, \"times\": 1,
		\"action\": \"status:503\", \"code\": \"SlowDown\"}]" &&
	awscli_at "$PROXY_ENDPOINT" s3api put-object --bucket mlreg-test \
		--key p1 --body hello >/dev/null &&
	test_must_fail awscli_at "$PROXY_ENDPOINT" s3api put-object \
		--bucket mlreg-test --key p2 --body hello 2>err &&
	test_grep SlowDown err &&
	awscli_at "$PROXY_ENDPOINT" s3api put-object --bucket mlreg-test \
		--key p3 --body hello >/dev/null &&
	awscli s3api list-objects-v2 --bucket mlreg-test --prefix p >l.json &&
	json_assert l.json "[o[\"Key\"] for o in d[\"Contents\"]] == [\"p1\", \"p3\"]"
'

test_expect_success 'corrupt flips one byte and keeps the length' '
	proxy_rules "[{\"method\": \"GET\", \"path\": \"/bytes\$\", \"action\": \"corrupt\"}]" &&
	awscli_at "$PROXY_ENDPOINT" s3api get-object --bucket mlreg-test \
		--key bytes bad >/dev/null &&
	test $(wc -c <bad) = 1024 &&
	test_expect_code 1 cmp -l bytes bad >diffs &&
	test_line_count = 1 diffs
'

test_expect_success 'reset, reset-response, stall and delay' '
	proxy_rules "[
		{\"method\": \"PUT\", \"path\": \"/r1\$\", \"action\": \"reset\"},
		{\"method\": \"GET\", \"path\": \"/bytes\$\", \"action\": \"reset-response\"},
		{\"method\": \"GET\", \"path\": \"/stall\$\", \"action\": \"stall\"},
		{\"method\": \"GET\", \"path\": \"/dir/hello.txt\$\", \"action\": \"delay:700\"}]" &&
	: >"$PROXY_LOG" &&
	test_must_fail curl -sS -T big "$PROXY_ENDPOINT/mlreg-test/r1" 2>err &&
	test_grep "reset by peer" err &&
	test_must_fail curl -sS -o part "$PROXY_ENDPOINT/mlreg-test/bytes" 2>err &&
	test $(wc -c <part) -lt 1024 &&
	test_expect_code 28 curl -sS --max-time 1 "$PROXY_ENDPOINT/mlreg-test/stall" &&
	# the proxy sleeps 700 ms first, so no less can pass (on the monotonic
	# clock: a step of the wall clock cannot make this fail)
	"$PYTHON" -c "
import subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True)
sys.exit(0 if time.monotonic() - t >= 0.7 else \"answered in less than 700 ms\")" \
		curl -sS -o got "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt" &&
	test_cmp hello got &&
	cat "$PROXY_LOG" &&
	test_grep "^PUT /mlreg-test/r1 - [1-9][0-9]* 0 reset\$" "$PROXY_LOG" &&
	test_grep "^GET /mlreg-test/bytes 200 0 [0-9]* reset-response\$" "$PROXY_LOG" &&
	test_grep "^GET /mlreg-test/stall - 0 0 stall\$" "$PROXY_LOG" &&
	test_grep "^GET /mlreg-test/dir/hello.txt 200 0 10 delay:700\$" "$PROXY_LOG"
'

test_expect_success 'keep-alive: pipelined requests on one connection' '
	proxy_rules "[]" &&
	printf "GET /mlreg-test/dir/hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nHEAD /mlreg-test/bytes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nPUT /mlreg-test/pipe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\nabcGET /mlreg-test/pipe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >pipelined &&
	raw_http "$PROXY_PORT" pipelined >responses &&
	test "$(grep -c "^HTTP/1.1 200" responses)" = 4 &&
	test_grep "^hello, s3" responses &&
	tail -c 3 responses >last &&
	printf abc >abc &&
	test_cmp abc last
'

test_expect_success '32 connections at once' - <<-\EOF
	: >"$PROXY_LOG" &&
	i=0 &&
	while test $i -lt 32
	do
		{ curl -sS -o "c.$i" "$PROXY_ENDPOINT/mlreg-test/bytes" &&
		curl -sS -T hello "$PROXY_ENDPOINT/mlreg-test/c/$i" &&
		echo ok >"ok.$i"; } &
		i=$((i + 1))
	done &&
	wait &&
	ls ok.* >oks &&
	test_line_count = 32 oks &&
	for f in c.*
	do
		cmp bytes "$f" || return 1
	done &&
	test "$(proxy_count "^GET /mlreg-test/bytes 200 0 1024 pass$")" = 32 &&
	test "$(proxy_count "^PUT /mlreg-test/c/[0-9]* 200 10 0 pass$")" = 32
EOF

test_expect_success 'Expect: 100-continue is relayed' '
	: >"$PROXY_LOG" &&
	curl -sS -H "Expect: 100-continue" -T hello -v \
		"$PROXY_ENDPOINT/mlreg-test/expect" 2>err &&
	test_grep "< HTTP/1.1 100 Continue" err &&
	test_grep "^PUT /mlreg-test/expect 200 10 0 pass\$" "$PROXY_LOG"
'

test_expect_success 'down:MS refuses connections for a while, on the same port' '
	proxy_rules "[{\"method\": \"GET\", \"path\": \"/dir/hello.txt\$\",
		\"times\": 1, \"action\": \"down:2000\"}]" &&
	start=$("$PYTHON" -c "import time; print(time.monotonic())") &&
	test_must_fail curl -sS -o got "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt" &&
	test_expect_code 7 curl -sS -o got "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt" &&
	n=0 &&
	until curl -s -o got "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt"
	do
		n=$((n + 1)) && test $n -lt 200 && sleep 0.1 || return 1
	done &&
	# down for the 2 s the rule says, however slowly the polling ran (the
	# proxy sleeps them, so no less can pass on the monotonic clock)
	"$PYTHON" -c "import sys, time; sys.exit(0 if time.monotonic() - float(sys.argv[1]) >= 2.0 else \"back in less than 2 s\")" "$start" &&
	test_cmp hello got &&
	awscli_at "$PROXY_ENDPOINT" s3api get-object --bucket mlreg-test \
		--key dir/hello.txt got >/dev/null &&
	test_cmp hello got
'

test_expect_success 's3_restart keeps the port and the data' '
	port=$S3_PORT &&
	s3_restart &&
	test "$S3_PORT" = "$port" &&
	awscli s3api get-object --bucket mlreg-test --key dir/hello.txt got >/dev/null &&
	test_cmp hello got &&
	proxy_rules "[]" &&
	awscli_at "$PROXY_ENDPOINT" s3api get-object --bucket mlreg-test \
		--key big big.again >/dev/null &&
	cmp big big.again
'

# The server's port is its home port (10000 + the script's number), outside
# the ranges the system and the other scripts draw from, so nothing takes it
# while the server is down.  The proxy may still see the stop break a
# connection it kept (upstream-broke) rather than refuse a new one
# (upstream-down), and logs it once the relay is over, which may be after
# curl returned.
test_expect_success 'with the server stopped, the proxy breaks connections' '
	s3_stop &&
	test_must_fail curl -sS -m 20 "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt" &&
	n=0 &&
	until grep -E "upstream-(down|broke)" "$PROXY_LOG" >/dev/null
	do
		n=$((n + 1)) && test $n -le 100 && sleep 0.1 || break
	done &&
	test_grep -E "upstream-(down|broke)" "$PROXY_LOG" &&
	s3_restart &&
	curl -sS -o got "$PROXY_ENDPOINT/mlreg-test/dir/hello.txt" &&
	test_cmp hello got
'

test_done
