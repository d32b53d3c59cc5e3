#!/bin/sh
test_description='S3 transfers retry transient failures: HTTP 5xx, 429, 408, resets, a server that goes away'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
proxy_start
REMOTE_ENDPOINT=$PROXY_ENDPOINT

A="$SCRATCH/a/.mlreg"
BIG_SIZE=$((65 * 1024 * 1024))	# over 64 MiB: a multipart upload of 5 parts

# parts_arrived N: the proxy log shows each part 1..N of a multipart upload
# answered 200.
parts_arrived () {
	test_pa_n_=1
	while test $test_pa_n_ -le $1
	do
		grep -E "^PUT [^ ]*[?&]partNumber=$test_pa_n_&[^ ]* 200 [0-9]+ 0 [a-z:0-9]+$" \
			"$PROXY_LOG" >/dev/null || {
			printf 'parts_arrived: part %d did not arrive:\n' $test_pa_n_ >&2
			sed -e 's/^/| /' "$PROXY_LOG" >&2
			return 1
		}
		test_pa_n_=$((test_pa_n_ + 1))
	done
}

# fresh_store DIR REMOTE LABEL: a new store at DIR with remote REMOTE on LABEL.
fresh_store () {
	rm -rf "$1" &&
	mlreg init "$1" >/dev/null &&
	remote_add "$SCRATCH/$1/.mlreg" "$2" "$3"
}

test_expect_success 'setup: a small model (pack and loose object) and a large one' '
	mlreg init a &&
	make_files m1 6 3000 &&
	make_files loose 1 2000000 && mv loose/f1 m1/loose.bin &&
	mlreg --store "$A" register --create small m1 --message first &&
	make_files bigdir 1 $BIG_SIZE && mv bigdir/f1 big.bin &&
	mlreg --store "$A" register --create big big.bin &&
	BIG=$(sha256_of big.bin) && LOOSE=$(sha256_of m1/loose.bin) &&
	test -n "$BIG" && test -n "$LOOSE"
'

test_expect_success 'HTTP 500 twice on a pack PUT: retried, the upload succeeds' - <<-\EOF
	remote_add "$A" r1 r1 &&
	proxy_rules '[{"method":"PUT","path":"/r1/packs/pack-[0-9a-f]*\\.pack$","times":2,"action":"status:500"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload r1 small --json >sum &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] >= 2' &&
	test "$(proxy_count '^PUT /mlreg-test/r1/packs/.*\.pack 500 .*status:500$')" = 2 &&
	test "$(proxy_count '^PUT /mlreg-test/r1/packs/.*\.pack 200 ')" = 1 &&
	json_assert sum "d[\"requests\"] == $(wc -l <"$PROXY_LOG")" &&
	test "$(remote_sha r1 "$(loose_key $LOOSE)")" = "$LOOSE" &&
	proxy_rules '[]' &&
	fresh_store b origin r1 &&
	mlreg --store "$SCRATCH/b/.mlreg" download small &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout small b1 && diff -r m1 b1
EOF

test_expect_success 'HTTP 500 twice on a GET during download: retried, the data is right' - <<-\EOF
	fresh_store b origin r1 &&
	proxy_rules '[{"method":"GET","path":"/r1/packs/","times":2,"action":"status:500"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$SCRATCH/b/.mlreg" download small --json >sum &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] >= 2' \
		'd["objects"]["received"] == 7' &&
	test "$(proxy_count '^GET /mlreg-test/r1/packs/.* 500 .*status:500$')" = 2 &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout small b1 && diff -r m1 b1 &&
	mlreg --store "$SCRATCH/b/.mlreg" fsck
EOF

test_expect_success 'MLREG_TRACE=1: one line a request sent, retried ones included' - <<-\EOF
	fresh_store b origin r1 &&
	proxy_rules '[{"method":"GET","path":"/r1/models/small/versions/1\\.json$","times":2,"action":"status:500"}]' &&
	: >"$PROXY_LOG" &&
	MLREG_TRACE=1 mlreg --store "$SCRATCH/b/.mlreg" download small --json >sum 2>all &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] == 2' &&
	# first, where the credentials came from (t6360 checks every source)
	head -n 1 all >first &&
	echo "mlreg: trace: credentials from environment" >expect &&
	test_cmp expect first &&
	sed 1d all >trace &&
	! grep -v "^mlreg: trace: [A-Z]* /[^ ]* -> [0-9]* .*(" trace &&
	test_line_count = "$(json_get sum 'd["requests"]')" trace &&
	test_line_count = "$(wc -l <"$PROXY_LOG")" trace &&
	test "$(grep -c "^mlreg: trace: GET /r1/models/small/versions/1\.json -> 500 " trace)" = 2 &&
	grep "^mlreg: trace: GET /r1/models/small/versions/1\.json -> 200 " trace &&
	grep "^mlreg: trace: GET /?list-type=2&prefix=r1%2Fmodels%2Fsmall%2F -> 200 " trace
EOF

test_expect_success '503 SlowDown on uploads and downloads: retried' - <<-\EOF
	remote_add "$A" r2 r2 &&
	proxy_rules '[{"method":"PUT","path":"/r2/objects/","times":2,"action":"status:503"},
		{"method":"GET","path":"/r2/objects/","times":3,"action":"status:503","code":"SlowDown","headers":{"Retry-After":"0"}}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload r2 small --json >sum &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] >= 2' &&
	test "$(proxy_count '^PUT /mlreg-test/r2/objects/.* 503 ')" = 2 &&
	test "$(remote_sha r2 "$(loose_key $LOOSE)")" = "$LOOSE" &&
	fresh_store b origin r2 &&
	mlreg --store "$SCRATCH/b/.mlreg" download small --json >sum &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] >= 3' &&
	test "$(proxy_count '^GET /mlreg-test/r2/objects/.* 503 ')" = 3 &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout small b2 && diff -r m1 b2
EOF

test_expect_success 'each transient status is retried: 500 502 503 504 429 408, S3 codes' - <<-\EOF
	fresh_store b origin r1 &&
	for rule in status:500 status:502 status:503 status:504 status:429 status:408 \
		status:400/RequestTimeout status:503/SlowDown status:400/SlowDown \
		status:409/ConditionalRequestConflict
	do
		action=${rule%%/*} code=
		case $rule in */*) code=${rule#*/} ;; esac
		proxy_rules "[{\"method\":\"GET\",\"path\":\"/r1/mlreg-remote\$\",\"times\":1,\"action\":\"$action\",\"code\":\"$code\"}]" &&
		: >"$PROXY_LOG" &&
		mlreg --store "$SCRATCH/b/.mlreg" download --json >sum ||
		{ echo "failed: $rule"; return 1; }
		json_assert sum 'd["retries"] == 1' || { echo "not retried: $rule"; return 1; }
		test "$(proxy_count '^GET /mlreg-test/r1/mlreg-remote ')" = 2 || return 1
	done
EOF

test_expect_success 'a non-transient error is not retried: 403 AccessDenied, 400 BadRequest, 501' - <<-\EOF
	fresh_store b origin r1 &&
	for status in 403 400 501
	do
		proxy_rules "[{\"method\":\"GET\",\"path\":\"/r1/mlreg-remote\$\",\"action\":\"status:$status\"}]" &&
		: >"$PROXY_LOG" &&
		test_fails_remote 128 "^fatal: remote .origin.: GET s3://mlreg-test/r1/mlreg-remote: HTTP $status " \
			mlreg --store "$SCRATCH/b/.mlreg" download &&
		test "$(wc -l <"$PROXY_LOG")" = 1 || return 1
	done
EOF

test_expect_success 'a connection reset in the middle of a part PUT: the part is sent again' - <<-\EOF
	remote_add "$A" mp1 mp1 &&
	proxy_rules '[{"method":"PUT","query":"partNumber=2&","times":1,"action":"reset","bytes":4000000}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload mp1 big --json >sum &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 1' 'd["objects"]["sent"] == 1' &&
	test "$(proxy_count '^PUT .*partNumber=2&.* - 4000000 0 reset$')" = 1 &&
	test "$(proxy_count '^PUT .*partNumber=2&.* 200 16777216 ')" = 1 &&
	parts_arrived 5 &&
	test "$(proxy_count '^PUT .*partNumber=.* 200 ')" = 5 &&
	test "$(proxy_count '^POST .*uploadId=.* 200 ')" = 1 &&
	test "$(remote_sha mp1 "$(loose_key $BIG)")" = "$BIG" &&
	test_path_is_missing "$A/remotes/mp1/uploads/$BIG"
EOF

test_expect_success 'responses cut short (reset-response) on the GETs of a download: retried' - <<-\EOF
	fresh_store b origin mp1 &&
	proxy_rules '[{"method":"GET","path":"/mp1/objects/","times":3,"action":"reset-response"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$SCRATCH/b/.mlreg" download big --json >sum &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 3' \
		'd["objects"]["received"] == 1' &&
	test "$(proxy_count '^GET /mlreg-test/mp1/objects/.*reset-response$')" = 3 &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout big bb && cmp big.bin bb/big.bin &&
	mlreg --store "$SCRATCH/b/.mlreg" fsck
EOF

test_expect_success 'small objects too: a pack range cut short is fetched again' - <<-\EOF
	remote_add "$A" r3 r3 &&
	mlreg --store "$A" upload r3 small >/dev/null &&
	proxy_rules '[{"method":"GET","path":"/packs/.*\\.pack$","times":1,"action":"reset-response","bytes":5000}]' &&
	fresh_store b origin r3 &&
	: >"$PROXY_LOG" &&
	mlreg --store "$SCRATCH/b/.mlreg" download small --json >sum &&
	json_assert sum 'd["retries"] == 1' &&
	test "$(proxy_count '^GET /mlreg-test/r3/packs/.*\.pack 206 0 5000 reset-response$')" = 1 &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout small b3 && diff -r m1 b3
EOF

test_expect_success 'the server goes away mid-upload (down:1500 on a part PUT), then comes back' - <<-\EOF
	remote_add "$A" mp2 mp2 &&
	proxy_rules '[{"method":"PUT","query":"partNumber=3&","times":1,"action":"down:1500"}]' &&
	: >"$PROXY_LOG" &&
	MLREG_RETRIES=10 mlreg --store "$A" upload mp2 big --json >sum &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 1' &&
	test "$(proxy_count '^PUT .*partNumber=3&.*down:1500$')" = 1 &&
	parts_arrived 5 &&
	test "$(remote_sha mp2 "$(loose_key $BIG)")" = "$BIG" &&
	test_path_is_missing "$A/remotes/mp2/uploads/$BIG"
EOF

test_expect_success 'the server goes away mid-download (down:1000 on a range GET)' - <<-\EOF
	fresh_store b origin mp2 &&
	proxy_rules '[{"method":"GET","path":"/mp2/objects/","skip":1,"times":1,"action":"down:1000"}]' &&
	MLREG_RETRIES=10 mlreg --store "$SCRATCH/b/.mlreg" download big --json >sum &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 1' &&
	mlreg --store "$SCRATCH/b/.mlreg" checkout big bb && cmp big.bin bb/big.bin
EOF

test_expect_success 's3rver really stopped during a slow multipart upload, restarted on its port' - <<-\EOF
	remote_add "$A" mp3 mp3 &&
	proxy_rules '[{"method":"PUT","query":"partNumber=","action":"delay:250"}]' &&
	: >"$PROXY_LOG" &&
	{ MLREG_RETRIES=12 mlreg --store "$A" upload mp3 big -j 1 --json >sum 2>err & } &&
	pid=$! &&
	wait_until 30 lines_at_least 1 "^part " "$A/remotes/mp3/uploads/$BIG" &&
	port=$S3_PORT &&
	s3_stop &&
	sleep 1.5 &&
	s3_restart &&
	test "$S3_PORT" = "$port" &&
	wait $pid &&
	test_must_be_empty err &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 1' &&
	grep -E "^PUT .*partNumber=.* - .*(upstream-down|upstream-broke)" "$PROXY_LOG" &&
	parts_arrived 5 &&
	test "$(remote_sha mp3 "$(loose_key $BIG)")" = "$BIG" &&
	test_path_is_missing "$A/remotes/mp3/uploads/$BIG"
EOF

# S3 may answer CompleteMultipartUpload with "200 OK" and an Error document
# (InternalError, SlowDown), to be retried like a 500.
test_expect_success 'CompleteMultipartUpload answered 200 with an InternalError document: retried' - <<-\EOF
	remote_add "$A" mp4 mp4 &&
	proxy_rules '[{"method":"POST","query":"uploadId=","times":1,"action":"status:200","code":"InternalError"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload mp4 big --json >sum &&
	json_assert sum 'd["versions"] == ["big@1"]' 'd["retries"] >= 1'
EOF

test_expect_success 'a rerun after a failed completion sends no part again and completes' - <<-\EOF
	proxy_rules '[]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload mp4 big --json >sum &&
	test "$(proxy_count '^PUT .*partNumber=')" = 0 &&
	test "$(proxy_count '^POST .*uploadId=')" -le 1 &&
	test "$(remote_sha mp4 "$(loose_key $BIG)")" = "$BIG" &&
	test_path_is_missing "$A/remotes/mp4/uploads/$BIG"
EOF

test_expect_success 'HTTP 500 every time: MLREG_RETRIES+1 requests, one line, no version record' - <<-\EOF
	remote_add "$A" r5 r5 &&
	key=$(loose_key $LOOSE) &&
	proxy_rules "[{\"method\":\"PUT\",\"path\":\"/r5/$key\$\",\"action\":\"status:500\"}]" &&
	: >"$PROXY_LOG" &&
	test_fails_remote 128 "^fatal: remote .r5.: PUT s3://mlreg-test/r5/$key: HTTP 500 InternalError (injected by faultproxy: status:500)$" \
		env MLREG_RETRIES=3 mlreg --store "$A" upload r5 small &&
	test "$(proxy_count "^PUT /mlreg-test/r5/$key ")" = 4 &&
	remote_keys r5 >keys &&
	! grep "^models/" keys &&
	mlreg --store "$A" list --remote r5 >rl && test_must_be_empty rl &&
	test_fails 1 "^error: model .small. not found on remote .r5.$" \
		mlreg --store "$A" list-versions small --remote r5
EOF

test_expect_success 'HTTP 500 every time on the model record: the model stays unlisted, a rerun puts it' - <<-\EOF
	remote_add "$A" r7 r7 &&
	proxy_rules '[{"method":"PUT","path":"/r7/models/small/model\\.json$","action":"status:500"}]' &&
	: >"$PROXY_LOG" &&
	registry_snapshot "$A" >before &&
	test_expect_code 128 env MLREG_RETRIES=2 mlreg --store "$A" upload r7 small >out 2>err &&
	registry_snapshot "$A" >after && test_cmp before after &&
	# the version did go up: it is named
	echo small@1 >expect && test_cmp expect out &&
	test_line_count = 1 err &&
	grep "^fatal: remote .r7.: PUT s3://mlreg-test/r7/models/small/model.json: HTTP 500 InternalError" err &&
	test "$(proxy_count "^PUT /mlreg-test/r7/models/small/model.json ")" = 3 &&
	remote_keys r7 >keys &&
	grep -x "models/small/versions/1.json" keys &&
	! grep -x "models/small/model.json" keys &&
	mlreg --store "$A" list --remote r7 >rl && test_must_be_empty rl &&
	proxy_rules '[]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload r7 small --json >sum &&
	json_assert sum 'd["objects"]["sent"] == 0' 'd["versions"] == []' &&
	test "$(proxy_count "^PUT /mlreg-test/r7/models/small/model.json 200 ")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/r7/(objects|packs|models/small/versions)/")" = 0 &&
	mlreg --store "$A" list --remote r7 >rl &&
	grep "^small " rl
EOF

test_expect_success 'MLREG_RETRIES=0: a transient failure is not retried' - <<-\EOF
	key=$(loose_key $LOOSE) &&
	proxy_rules "[{\"method\":\"PUT\",\"path\":\"/r5/$key\$\",\"action\":\"status:500\"}]" &&
	: >"$PROXY_LOG" &&
	test_fails_remote 128 "^fatal: remote .r5.: PUT s3://mlreg-test/r5/$key: HTTP 500 InternalError" \
		env MLREG_RETRIES=0 mlreg --store "$A" upload r5 small &&
	test "$(proxy_count "^PUT /mlreg-test/r5/$key ")" = 1 &&
	proxy_rules '[]' &&
	mlreg --store "$A" upload r5 small --json >sum &&
	json_assert sum 'd["versions"] == ["small@1"]' 'd["retries"] == 0'
EOF

test_expect_success 'a stalled request fails after MLREG_TIMEOUT seconds without progress, retried' - <<-\EOF
	fresh_store b origin r1 &&
	proxy_rules '[{"method":"GET","path":"/r1/packs/.*\\.pack$","action":"stall"}]' &&
	: >"$PROXY_LOG" &&
	test_fails_remote 128 "^fatal: remote .origin.: GET s3://mlreg-test/r1/packs/pack-[0-9a-f]*\.pack: no progress for 2 s from http://127\.0\.0\.1:[0-9]* (after retries)$" \
		env MLREG_RETRIES=1 MLREG_TIMEOUT=2 mlreg --store "$SCRATCH/b/.mlreg" download small &&
	test "$(proxy_count "^GET /mlreg-test/r1/packs/.* stall$")" = 2 &&
	test_path_is_missing "$SCRATCH/b/.mlreg/models/small" &&
	proxy_rules '[]' &&
	mlreg --store "$SCRATCH/b/.mlreg" download small >out &&
	echo small@1 >expect && test_cmp expect out
EOF

# MLREG_TIMEOUT is the time without a byte moving either way (a watchdog in
# libcurl's progress callback), not an average speed: a request whose body
# went out at once and whose answer comes too late fails.
test_expect_success 'a PUT answered 3 s after its body, MLREG_TIMEOUT=1: it times out' - <<-\EOF
	remote_add "$A" r6 r6 &&
	proxy_rules '[{"method":"PUT","path":"/r6/packs/.*\\.pack$","action":"delay:3000"}]' &&
	test_fails_remote 128 "^fatal: remote .r6.: PUT s3://mlreg-test/r6/packs/pack-[0-9a-f]*\.pack: " \
		env MLREG_RETRIES=0 MLREG_TIMEOUT=1 mlreg --store "$A" upload r6 small
EOF

test_expect_success 'a connection refused every time: "(after retries)" with MLREG_RETRIES=2' '
	port=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	mlreg --store "$A" remote add gone s3://mlreg-test/gone --endpoint http://127.0.0.1:$port &&
	test_fails_remote 128 "^fatal: remote .gone.: GET s3://mlreg-test/gone/mlreg-remote: cannot reach http://127.0.0.1:$port: .* (after retries)$" \
		env MLREG_RETRIES=2 mlreg --store "$A" upload gone small
'

test_expect_success 'MLREG_RETRIES=1: the message says it was retried too' '
	test_fails_remote 128 "^fatal: remote .gone.: GET s3://mlreg-test/gone/mlreg-remote: cannot reach http://127.0.0.1:$port: .* (after retries)$" \
		env MLREG_RETRIES=1 mlreg --store "$A" upload gone small
'

test_done
