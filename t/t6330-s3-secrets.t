#!/bin/sh
test_description='no secret key, session token or signature ever shows: not in output, traces, the store or the remote'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
proxy_start

A="$SCRATCH/a/.mlreg" B="$SCRATCH/b/.mlreg" C="$SCRATCH/c/.mlreg"
OUTS="$SCRATCH/outs"

# random_text N [PREFIX]: PREFIX and N random letters and digits.
random_text () {
	"$PYTHON" -c '
import secrets, string, sys
abc = string.ascii_letters + string.digits
print(sys.argv[2] + "".join(secrets.choice(abc) for _ in range(int(sys.argv[1]))))' "$1" "${2:-}"
}

# s3rver does not know it; like AWS's, it has "+" and "/" in it (where they
# make it neither a bucket name nor a host name, see the URL tests)
SECRET=$(random_text 9)+$(random_text 8)/$(random_text 10)+$(random_text 10)
TOKEN=$(random_text 200 FwoGZXIvYXdzE)
PSECRET=$(random_text 20)/$(random_text 19)	# in a profile
PTOKEN=$(random_text 180 IQoJb3JpZ2luX2Vj)

# every_command TAG ENV...: runs every command that talks to a remote, with
# env(1) arguments ENV and MLREG_TRACE=1 for some, keeping what each prints
# in $OUTS/TAG-N.out and .err and its exit code in $OUTS/TAG-N.code.
every_command () {
	test_ec_tag_=$1
	shift
	test_ec_n_=0
	while read -r test_ec_cmd_
	do
		test_ec_n_=$((test_ec_n_ + 1))
		eval "env \"\$@\" $test_ec_cmd_" </dev/null >"$OUTS/$test_ec_tag_-$test_ec_n_.out" \
			2>"$OUTS/$test_ec_tag_-$test_ec_n_.err"
		echo $? >"$OUTS/$test_ec_tag_-$test_ec_n_.code"
		printf '%s\n' "$test_ec_cmd_" >"$OUTS/$test_ec_tag_-$test_ec_n_.cmd"
	done <<-\EOF
	mlreg --store "$A" remote list -v
	mlreg --store "$A" remote list --json
	MLREG_TRACE=1 mlreg --store "$A" upload px
	mlreg --store "$A" upload origin --json
	MLREG_TRACE=1 mlreg --store "$A" upload prof --json
	mlreg --store "$A" upload origin
	mlreg --store "$B" download origin m
	MLREG_TRACE=1 mlreg --store "$B" download px --json
	MLREG_TRACE=1 mlreg --store "$C" download px m --all
	mlreg --store "$B" list --remote origin
	MLREG_TRACE=1 mlreg --store "$B" list --remote px --json
	MLREG_TRACE=1 mlreg --store "$B" list-versions m --remote px
	mlreg --store "$B" list-versions m --remote origin --json
	MLREG_TRACE=1 mlreg --store "$B" list-versions m --remote prof --json
	EOF
}

# codes TAG: the exit codes of the commands of every_command TAG, one line.
codes () {
	cat "$OUTS/$1"-[0-9].code "$OUTS/$1"-[0-9][0-9].code | tr '\n' ' '
}

# no_secret_in WHAT...: none of the secrets, nor a signature, in any file
# under each WHAT (a directory or a file).
no_secret_in () {
	for test_ns_s_ in "$SECRET" "$TOKEN" "$PSECRET" "$PTOKEN" "Signature=" \
		"AWS4-HMAC-SHA256 Credential" "x-amz-security-token"
	do
		if grep -r -F -l -e "$test_ns_s_" "$@" >"$TEST_ROOT/leaks"
		then
			printf 'no_secret_in: %s found in:\n' "$test_ns_s_" >&2
			sed -e 's/^/| /' "$TEST_ROOT/leaks" >&2
			return 1
		fi
	done
}

test_expect_success 'setup: stores, remotes direct, through the proxy, with a profile' '
	test ${#SECRET} = 40 && test ${#PSECRET} = 40 && test ${#TOKEN} -gt 200 &&
	mkdir "$OUTS" &&
	mlreg init a && mlreg init b && mlreg init c &&
	make_files m1 4 3000 &&
	make_files loose 1 1500000 && mv loose/f1 m1/loose.bin &&
	mlreg --store "$A" register --create m m1 &&
	for s in "$A" "$B" "$C"
	do
		mlreg --store "$s" remote add origin s3://mlreg-test/s --endpoint "$S3_ENDPOINT" &&
		mlreg --store "$s" remote add px s3://mlreg-test/s --endpoint "$PROXY_ENDPOINT" &&
		mlreg --store "$s" remote add prof s3://mlreg-test/s --endpoint "$PROXY_ENDPOINT" \
			--profile dev || return 1
	done &&
	mkdir aws &&
	printf "%s\n" "[dev]" "aws_access_key_id = S3RVER" "aws_secret_access_key = S3RVER" \
		"aws_session_token = $PTOKEN" >aws/good &&
	printf "%s\n" "[dev]" "aws_access_key_id = S3RVER" "aws_secret_access_key = $PSECRET" \
		"aws_session_token = $PTOKEN" >aws/wrong &&
	printf "%s\n" "[dev]" "aws_access_key_id = S3RVER" "aws_secret_access_key $PSECRET" \
		>aws/malformed &&
	printf "%s\n" "[dev]" "aws_access_key_id = S3RVER" "  $PSECRET" >aws/continued &&
	printf "%s\n" "[profile dev]" "aws_access_key_id = S3RVER" \
		"aws_secret_access_key = $PSECRET" "aws_session_token = $PTOKEN" >aws/config
'

test_expect_success 'success: the right secret with a session token, every command' '
	every_command ok AWS_SESSION_TOKEN="$TOKEN" AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/good" &&
	test "$(codes ok)" = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 " &&
	echo m@1 >expect && test_cmp expect "$OUTS/ok-3.out" &&
	grep "^mlreg: trace: PUT /s/models/m/versions/1.json -> 200" "$OUTS/ok-3.err" &&
	grep "^mlreg: trace: GET /s/mlreg-remote -> 200" "$OUTS/ok-5.err" &&
	test_cmp expect "$OUTS/ok-7.out" &&
	mlreg --store "$C" checkout m cm && cmp m1/loose.bin cm/loose.bin &&
	echo more >more.txt && mlreg --store "$A" register m more.txt &&
	every_command ok2 AWS_SECURITY_TOKEN="$TOKEN" AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/good" &&
	test "$(codes ok2)" = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 " &&
	echo m@2 >expect && test_cmp expect "$OUTS/ok2-3.out" &&
	no_secret_in "$OUTS" "$SCRATCH/a" "$SCRATCH/b" "$SCRATCH/c"
'

test_expect_success 'failure: a wrong secret (SignatureDoesNotMatch), with a token' '
	echo again >again.txt && mlreg --store "$A" register m again.txt &&
	every_command bad AWS_SECRET_ACCESS_KEY="$SECRET" AWS_SESSION_TOKEN="$TOKEN" \
		AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/wrong" &&
	test "$(codes bad)" = "0 0 128 128 128 128 128 128 128 128 128 128 128 128 " &&
	for n in 3 4 6 7 8 9 10 11 12 13
	do
		grep "^fatal: remote .[a-z]*.: GET s3://mlreg-test/s/mlreg-remote: HTTP 403 SignatureDoesNotMatch: the credentials (from environment) are not accepted" \
			"$OUTS/bad-$n.err" || return 1
	done &&
	grep "^fatal: remote .prof.: GET s3://mlreg-test/s/mlreg-remote: HTTP 403 SignatureDoesNotMatch: the credentials (from profile .dev. in $SCRATCH/aws/wrong) are not accepted" \
		"$OUTS/bad-5.err" "$OUTS/bad-14.err" &&
	grep "^mlreg: trace: GET /s/mlreg-remote -> 403" "$OUTS/bad-3.err" &&
	no_secret_in "$OUTS" "$SCRATCH/a" "$SCRATCH/b" "$SCRATCH/c"
'

test_expect_success 'failure: the secret in a malformed credentials file is not quoted' '
	every_command malformed AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/malformed" &&
	grep "^fatal: remote .prof.: malformed AWS credentials file .*/aws/malformed. at line 3" \
		"$OUTS/malformed-5.err" "$OUTS/malformed-14.err" &&
	every_command continued AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws/continued" &&
	test "$(cat "$OUTS/continued-5.code")" != 0 &&
	no_secret_in "$OUTS"
'

test_expect_success 'failure: the secret of a profile of the config file' '
	every_command config AWS_CONFIG_FILE="$SCRATCH/aws/config" \
		AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/missing" &&
	grep "^fatal: remote .prof.: GET s3://mlreg-test/s/mlreg-remote: HTTP 403 SignatureDoesNotMatch: the credentials (from profile .dev. in $SCRATCH/aws/config) are not accepted" \
		"$OUTS/config-5.err" &&
	no_secret_in "$OUTS"
'

test_expect_success 'the store, the server data, its logs and the proxy log hold no secret' '
	no_secret_in "$SCRATCH/a" "$SCRATCH/b" "$SCRATCH/c" "$S3_DATA" "$PROXY_LOG" \
		"$TEST_ROOT/s3rver.log" "$TEST_ROOT/proxy.stderr" &&
	grep "^PUT /mlreg-test/s/models/m/versions/2.json 200 " "$PROXY_LOG" &&
	# what the server stored is what mlreg sent: no header became metadata
	! grep -r -F -i -l -e "x-amz-security-token" -e "authorization" "$S3_DATA"
'

test_expect_success 'a URL or an endpoint with credentials in it is refused without echoing them' '
	test_fails 128 "^fatal: invalid remote URL: .@. is not allowed in an s3:// URL (credentials do not belong in a URL" \
		mlreg --store "$A" remote add x "s3://AKIAIOSFODNN7EXAMPLE:$SECRET@mlreg-test/p" &&
	! grep -F -e "$SECRET" "$ERR" &&
	test_fails 128 "^fatal: invalid remote URL: .@. is not allowed in an s3:// URL (credentials do not belong in a URL" \
		mlreg --store "$A" remote add x "s3://$(printf %s "$SECRET" | tr -d /)@mlreg-test" &&
	! grep -F -e "$(printf %s "$SECRET" | tr -d /)" "$ERR" &&
	test_fails 128 "^fatal: invalid endpoint: credentials do not belong in a URL" \
		mlreg --store "$A" remote add x s3://mlreg-test/p \
		--endpoint "http://S3RVER:$(printf %s "$SECRET" | tr -d /)@127.0.0.1:$S3_PORT" &&
	! grep -F -e "$(printf %s "$SECRET" | tr -d /)" "$ERR" &&
	! grep -F -e "$(printf %s "$SECRET" | tr -d /)" "$A/config" &&
	mlreg --store "$A" remote list >remotes &&
	test_write_lines origin prof px >expect && test_cmp expect remotes
'

# An AWS secret often holds a "/", which would end what is taken for the
# bucket (or the host): any "@" in an s3:// URL or an endpoint is refused
# without the URL being quoted.
test_expect_success 'a secret with a "/" in a URL or an endpoint is not echoed either' '
	test_fails 128 "^fatal: invalid remote URL" \
		mlreg --store "$A" remote add x "s3://$SECRET@mlreg-test" &&
	! grep -F -e "$SECRET" "$ERR" &&
	test_fails 128 "^fatal: invalid endpoint" \
		mlreg --store "$A" remote add x s3://mlreg-test/p \
		--endpoint "http://S3RVER:$SECRET@127.0.0.1:$S3_PORT" &&
	! grep -F -e "$SECRET" "$ERR"
'

test_expect_success 'nothing in the store names a secret after all that' '
	no_secret_in "$SCRATCH/a" "$SCRATCH/b" "$SCRATCH/c" "$S3_DATA" "$PROXY_LOG"
'

test_done
