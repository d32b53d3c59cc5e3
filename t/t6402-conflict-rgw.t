#!/bin/sh
test_description='racing uploads of one NAME@N to Ceph RGW, which honours If-None-Match: mlreg must take that path'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
rgw_start
proxy_start
REMOTE_KIND=s3 REMOTE_CONDITIONAL=yes REMOTE_ENDPOINT=$PROXY_ENDPOINT
CONFLICT_ROUNDS=10 CONFLICT_RACERS=4
. "$TEST_DIRECTORY/lib-conflict-tests.sh"

# A create-only PUT whose answer is lost is sent again, and the server that
# honours If-None-Match then answers 412: the key is there, put by the
# first attempt.  (s3rver would answer 200 again; file:// never retries.)

test_expect_success 'the answer to the first probe PUT is lost: the retry gets 412, the upload goes on' - <<-\EOF
	mlreg init lost1 && echo lost >lost.txt &&
	mlreg --store lost1/.mlreg register --create m lost.txt >/dev/null &&
	remote_add lost1/.mlreg origin lost1 &&
	proxy_rules '[{"method":"PUT","path":"/lost1/probes/","times":1,"action":"reset-response"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store lost1/.mlreg upload --json >sum &&
	json_assert sum 'd["versions"] == ["m@1"]' 'd["conditional_writes"] is True' \
		'd["retries"] == 1' &&
	test "$(proxy_count "^PUT /mlreg-test/lost1/probes/[0-9a-f]* 200 .* reset-response$")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/lost1/probes/[0-9a-f]* 412 .* pass$")" -ge 1 &&
	remote_get lost1 models/m/versions/1.json r &&
	cmp r lost1/.mlreg/models/m/versions/1.json
EOF

test_expect_success 'the answer to a version record PUT is lost: the retry gets 412, the version is reported sent' - <<-\EOF
	mlreg init lost2 && echo lost >lost.txt &&
	mlreg --store lost2/.mlreg register --create m lost.txt >/dev/null &&
	echo two >two.txt &&
	mlreg --store lost2/.mlreg register m two.txt >/dev/null &&
	remote_add lost2/.mlreg origin lost2 &&
	proxy_rules '[{"method":"PUT","path":"/lost2/models/m/versions/1\\.json$","times":1,"action":"reset-response"}]' &&
	: >"$PROXY_LOG" &&
	mlreg --store lost2/.mlreg upload >out &&
	test_write_lines m@1 m@2 >expect && test_cmp expect out &&
	test "$(proxy_count "^PUT /mlreg-test/lost2/models/m/versions/1\.json 200 .* reset-response$")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/lost2/models/m/versions/1\.json 412 .* pass$")" = 1 &&
	remote_get lost2 models/m/versions/1.json r &&
	cmp r lost2/.mlreg/models/m/versions/1.json &&
	remote_add lost2/.mlreg b lost2b &&
	proxy_rules '[{"method":"PUT","path":"/lost2b/models/m/versions/2\\.json$","times":1,"action":"reset-response"}]' &&
	mlreg --store lost2/.mlreg upload b --json >sum &&
	json_assert sum 'd["versions"] == ["m@1", "m@2"]' 'd["retries"] == 1'
EOF

test_done
