#!/bin/sh
test_description='S3 transfers to and from Ceph RGW killed with SIGKILL: what is left, and the rerun that finishes them'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
rgw_start
REMOTE_KIND=s3
proxy_start
REMOTE_ENDPOINT=$PROXY_ENDPOINT
. "$TEST_DIRECTORY/lib-resume-tests.sh"

# RGW, unlike s3rver, aborts multipart uploads: the server really forgets
# one, as after a lifecycle rule or another tool's abort.
test_expect_success 'a rerun after the upload was aborted on the server starts a new one' - <<-\EOF
	killed_after_two_parts r8 &&
	state8=$STATE id8=$UPLOAD_ID &&
	awscli s3api abort-multipart-upload --bucket mlreg-test \
		--key "r8/$(loose_key $BIG)" --upload-id "$id8" &&
	proxy_rules '[]' &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload r8 big --json >sum8 &&
	json_assert sum8 'd["versions"] == ["big@1"]' 'd["bytes"]["sent"] == '$BIG_SIZE &&
	# what still went to the aborted upload was refused (404 NoSuchUpload)
	test "$(proxy_count "^[A-Z]+ [^ ]*uploadId=$id8(&[^ ]*)? 404 ")" -ge 1 &&
	test "$(proxy_count "^[A-Z]+ [^ ]*uploadId=$id8(&[^ ]*)? ")" = \
		"$(proxy_count "^[A-Z]+ [^ ]*uploadId=$id8(&[^ ]*)? 404 ")" &&
	test "$(proxy_count "^POST .*\?uploads 200 ")" = 1 &&
	test "$(proxy_count "^PUT .*partNumber=.* 200 ")" = 5 &&
	test "$(remote_sha r8 "$(loose_key $BIG)")" = "$BIG" &&
	test_path_is_missing "$state8"
EOF

test_done
