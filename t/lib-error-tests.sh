# t/lib-error-tests.sh: what the S3 server answers when the credentials, the
# bucket or the endpoint are wrong, and what mlreg makes of it: one line
# each, for every command, and neither the stores nor the remote changed.
# Sourced by t/t6320-s3-errors.t (s3rver) and t/t6322-rgw-errors.t (Ceph
# RGW) after t/lib-remote.sh, with the server started (bucket mlreg-test)
# and REMOTE_KIND=s3, once the script has defined:
#
#   remote_state LABEL    what the remote LABEL holds, such that a write of
#                         any key shows (even of the same bytes, where the
#                         server allows telling)
#
# It sets A and B, the stores: m@1 is on remote e, m@2 only in store A.

A="$SCRATCH/a/.mlreg" B="$SCRATCH/b/.mlreg"

# fails_json_ CODE PATTERN CMD...: CMD (an upload or download --json)
# exits with CODE and one line on stderr matching PATTERN; what it prints
# on stdout, if anything, is a summary of nothing moved.
fails_json_ () {
	test_fj_code_=$1 test_fj_pat_=$2
	shift 2
	"$@" >"$OUT" 2>"$ERR"
	test_fj_got_=$?
	test "$test_fj_got_" = "$test_fj_code_" &&
	test_line_count = 1 "$ERR" &&
	test_grep -e "$test_fj_pat_" "$ERR" &&
	if test -s "$OUT"
	then
		json_assert "$OUT" 'd["versions"] == []' 'd["bytes"]["sent" if "sent" in d["bytes"] else "received"] == 0'
	fi || {
		printf 'fails_json_: exit %s (wanted %s): %s\n' "$test_fj_got_" "$test_fj_code_" "$*" >&2
		sed -e 's/^/| /' "$OUT" "$ERR" >&2
		return 1
	}
}

# fails_everywhere CODE PATTERN REMOTE [ENV...]: upload (of A's unsent
# m@2), download (into B), list --remote and list-versions --remote, each
# run with ENV (env(1) arguments), fail with exit CODE and one line
# matching PATTERN; neither store nor the remote "e" changes.
fails_everywhere () {
	test_fe_code_=$1 test_fe_pat_=$2 test_fe_remote_=$3
	shift 3
	remote_state e >"$TEST_ROOT/remote.before" &&
	test_fails "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$A" upload "$test_fe_remote_" &&
	fails_json_ "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$A" upload "$test_fe_remote_" m --json &&
	fails_json_ "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$B" download "$test_fe_remote_" m --json &&
	STORE=$B test_fails_remote "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$B" download "$test_fe_remote_" m &&
	test_fails "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$A" list --remote "$test_fe_remote_" &&
	test_fails "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$A" list-versions m --remote "$test_fe_remote_" &&
	test_fails "$test_fe_code_" "$test_fe_pat_" \
		env "$@" mlreg --store "$A" list-versions m --remote "$test_fe_remote_" --json &&
	remote_state e >"$TEST_ROOT/remote.after" &&
	test_cmp "$TEST_ROOT/remote.before" "$TEST_ROOT/remote.after"
}

test_expect_success 'setup: m@1 on remote e, m@2 only in store a; store b has m@1' '
	mlreg init a && mlreg init b &&
	make_files m1 5 3000 &&
	make_files loose 1 2000000 && mv loose/f1 m1/loose.bin &&
	mlreg --store "$A" register --create m m1 --message one &&
	remote_add "$A" origin e &&
	remote_add "$B" origin e &&
	mlreg --store "$A" upload >out && echo m@1 >expect && test_cmp expect out &&
	mlreg --store "$B" download m >out && test_cmp expect out &&
	echo two >two.txt &&
	mlreg --store "$A" register m two.txt --message two &&
	remote_keys e >keys && test_line_count = 6 keys
'

test_expect_success 'a wrong secret: HTTP 403 SignatureDoesNotMatch, naming the remote, the key, where the credentials came from' '
	fails_everywhere 128 "^fatal: remote .origin.: GET s3://mlreg-test/e/mlreg-remote: HTTP 403 SignatureDoesNotMatch: the credentials (from environment) are not accepted; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the profile$" \
		origin AWS_SECRET_ACCESS_KEY=not-the-secret-of-s3rver
'

test_expect_success 'an unknown access key id: HTTP 403 InvalidAccessKeyId' '
	fails_everywhere 128 "^fatal: remote .origin.: GET s3://mlreg-test/e/mlreg-remote: HTTP 403 InvalidAccessKeyId: the credentials (from environment) are not accepted; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the profile$" \
		origin AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
'

test_expect_success 'a bucket that does not exist: HTTP 404 NoSuchBucket' '
	mlreg --store "$A" remote add nb s3://no-such-bucket/x --endpoint "$S3_ENDPOINT" &&
	mlreg --store "$B" remote add nb s3://no-such-bucket/x --endpoint "$S3_ENDPOINT" &&
	fails_everywhere 128 "^fatal: remote .nb.: bucket .no-such-bucket. does not exist (GET s3://no-such-bucket/x/mlreg-remote: HTTP 404 NoSuchBucket)$" \
		nb MLREG_TRACE=
'

test_expect_success 'an endpoint nothing listens on: cannot reach it, after retries' - <<-\EOF
	port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') &&
	mlreg --store "$A" remote add down s3://mlreg-test/e --endpoint "http://127.0.0.1:$port" &&
	mlreg --store "$B" remote add down s3://mlreg-test/e --endpoint "http://127.0.0.1:$port" &&
	fails_everywhere 128 "^fatal: remote .down.: GET s3://mlreg-test/e/mlreg-remote: cannot reach http://127\.0\.0\.1:$port: " \
		down MLREG_RETRIES=1
EOF

test_expect_success 'no credentials at all: an error saying none were found' '
	fails_everywhere 128 "^fatal: remote .origin.: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure profile .default. in .*/missing/credentials. or .*/aws/no-config.$" \
		origin -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/missing/credentials"
'

test_expect_success 'half the credentials: the missing one is named' '
	fails_everywhere 128 "^fatal: remote .origin.: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not$" \
		origin -u AWS_SECRET_ACCESS_KEY &&
	fails_everywhere 128 "^fatal: remote .origin.: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not$" \
		origin -u AWS_ACCESS_KEY_ID
'
