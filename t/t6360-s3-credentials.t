#!/bin/sh
test_description='AWS credentials beyond static keys: credential_process in botocore order, refreshed before they expire'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3

# s3rver accepts S3RVER / S3RVER only: an upload that succeeds proves those
# keys signed it, one that fails names where the keys came from.
BIN="$TEST_ROOT/bin"	# no space in it, unlike $SCRATCH
CONF="$TEST_ROOT/conf" CREDS="$TEST_ROOT/creds"
AWS_CONFIG_FILE=$CONF AWS_SHARED_CREDENTIALS_FILE=$CREDS
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
MARK=SeCrEtMaRk-do-not-print

# proc NAME ID SECRET [MINUTES [FAIL_FROM]]: writes $BIN/NAME, a
# credential_process printing ID and SECRET (Expiration MINUTES from now
# when given), counting its runs in $BIN/NAME.runs, keeping its standard
# input in $BIN/NAME.stdin; from its FAIL_FROMth run on it exits 1.
proc () {
	mkdir -p "$BIN" &&
	{
		printf '#!/bin/sh\n'
		printf 'echo run >>"$0.runs"\ncat >"$0.stdin"\n'
		test -z "$5" || printf 'test $(wc -l <"$0.runs") -lt %s || exit 1\n' "$5"
		if test -n "$4"
		then
			printf 'exp=$(date -u -d "+%s minutes" +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n' "$4"
			printf 'printf '\''{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "tok-%s", "Expiration": "%%s"}\\n'\'' "$exp"\n' "$2" "$3" "$MARK"
		else
			printf 'echo '\''{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'\''\n' "$2" "$3"
		fi
	} >"$BIN/$1" &&
	chmod +x "$BIN/$1" &&
	rm -f "$BIN/$1.runs"
}

# raw NAME BODY [STATUS]: $BIN/NAME prints BODY as is and exits STATUS.
raw () {
	mkdir -p "$BIN" &&
	printf '#!/bin/sh\nprintf "%%s\\n" '\''%s'\''\nexit %s\n' "$2" "${3:-0}" >"$BIN/$1" &&
	chmod +x "$BIN/$1"
}

# runs NAME: how many times $BIN/NAME ran.
runs () {
	if test -f "$BIN/$1.runs"; then wc -l <"$BIN/$1.runs"; else echo 0; fi
}

# new_version: registers one more version of m (6 new files: 8 objects or more to upload).
n_version=0
new_version () {
	n_version=$((n_version + 1)) &&
	rm -rf "v" && make_files "v$n_version" 6 100 && mv "v$n_version" v &&
	echo "$n_version" >v/n && mlreg register m v >/dev/null
}

test_expect_success 'setup: a store, remotes with and without a profile' '
	mlreg init >/dev/null &&
	make_files v 6 100 && mlreg register --create m v >/dev/null &&
	remote_add "$MLREG_DIR" origin s &&
	mlreg remote add prof "$(remote_url s)" --endpoint "$S3_ENDPOINT" --profile dev &&
	: >"$CREDS" && : >"$CONF"
'

test_expect_success 'credential_process in the config file signs the upload, run once' '
	proc good S3RVER S3RVER &&
	printf "%s\n" "[default]" "credential_process = $BIN/good --flag" >"$CONF" &&
	echo "not for it" >input &&
	MLREG_TRACE=1 mlreg upload origin <input >out 2>err &&
	echo m@1 >expect && test_cmp expect out &&
	grep "^mlreg: trace: credentials from credential_process of profile .default.$" err &&
	test "$(runs good)" = 1 && test_must_be_empty "$BIN/good.stdin"
'

test_expect_success 'credential_process in the credentials file (the two files merged)' '
	new_version && proc good S3RVER S3RVER &&
	printf "%s\n" "[default]" "credential_process = $BIN/good" >"$CREDS" &&
	printf "%s\n" "[default]" "aws_access_key_id = WRONG" "aws_secret_access_key = WRONG" >"$CONF" &&
	mlreg upload origin >out &&
	echo m@2 >expect && test_cmp expect out && test "$(runs good)" = 1
'

test_expect_success 'a quoted path with spaces, split as shlex.split does; stderr passed through' '
	new_version &&
	mkdir -p "$SCRATCH/with space" &&
	printf "#!/bin/sh\nfor a; do printf \"[%%s]\\\\n\" \"\$a\"; done >\"%s/args\"\necho from-proc >&2\nexec %s/good\n" \
		"$TEST_ROOT" "$BIN" >"$SCRATCH/with space/p" && chmod +x "$SCRATCH/with space/p" &&
	line="\"$SCRATCH/with space/p\" '\''a  b'\'' c\\ d \"e\\\"f\\g\" '\'''\'' h\"i j\"k" &&
	printf "%s\n" "[default]" "credential_process = $line" >"$CREDS" &&
	"$PYTHON" -c "import shlex, sys; [print(\"[%s]\" % a) for a in shlex.split(sys.argv[1])[1:]]" \
		"$line" >expect &&
	test_line_count = 5 expect &&
	mlreg upload origin >out 2>err &&
	test_cmp expect "$TEST_ROOT/args" &&
	echo from-proc >expect && test_cmp expect err
'

# mlreg_method REMOTE: where mlreg took its keys from (its trace), named as
# botocore names its providers; "none" when it found none.
mlreg_method () {
	MLREG_TRACE=1 mlreg list --remote "$1" 2>&1 >/dev/null </dev/null |
	sed -n -e "s/^mlreg: trace: credentials from environment$/env/p" \
		-e "s/^mlreg: trace: credentials from profile .* in .*\/creds\.[0-9]*$/shared-credentials-file/p" \
		-e "s/^mlreg: trace: credentials from credential_process of profile .*/custom-process/p" \
		-e "s/^mlreg: trace: credentials from profile .* in .*\/conf\.[0-9]*$/config-file/p" \
		>"$TEST_ROOT/method"
	if test -s "$TEST_ROOT/method"; then cat "$TEST_ROOT/method"; else echo none; fi
}

test_expect_success 'the order of providers is botocore'\''s (80 cases)' '
	proc p AKIDPROC S3RVER && mkdir "$TEST_ROOT/cases" &&
	static="aws_access_key_id = AKIDSTATIC
aws_secret_access_key = S3RVER" &&
	n=0 &&
	for conf in "[default]
$static
credential_process = $BIN/p" "[default]
credential_process = $BIN/p
[profile dev]
$static" "[default]
$static
[profile dev]
credential_process = $BIN/p" ""
	do
		for creds in "[default]
$static" "[default]
credential_process = $BIN/p
[dev]
$static" "[default]
region = x" ""
		do
			n=$((n + 1)) &&
			printf "%s\n" "$conf" >"$TEST_ROOT/cases/conf.$n" &&
			printf "%s\n" "$creds" >"$TEST_ROOT/cases/creds.$n" &&
			files="AWS_CONFIG_FILE=$TEST_ROOT/cases/conf.$n AWS_SHARED_CREDENTIALS_FILE=$TEST_ROOT/cases/creds.$n" &&
			echo "$files AWS_PROFILE=dev" &&
			for env in "" "AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=S3RVER"
			do
				echo "$files $env" &&
				echo "$files $env profile=dev" || return 1
			done
		done
	done >cases &&
	test_line_count = 80 cases &&
	AWS_EC2_METADATA_DISABLED=true "$PYTHON" "$TEST_DIRECTORY/helpers/botocreds.py" <cases |
		sed -e "s/ .*//" -e "s/^error$/none/" >expect &&
	while read -r line
	do
		case $line in
		*profile=dev) (export ${line% profile=dev} && mlreg_method prof) ;;
		*) (export $line && mlreg_method origin) ;;
		esac || return 1
	done <cases >actual &&
	test_line_count = 80 actual &&
	grep -q "^env$" expect && grep -q "^shared-credentials-file$" expect &&
	grep -q "^custom-process$" expect && grep -q "^config-file$" expect &&
	grep -q "^none$" expect &&
	test_cmp expect actual
'

test_expect_success 'static keys of the credentials file come before credential_process' '
	proc good S3RVER S3RVER &&
	printf "%s\n" "[default]" "aws_access_key_id = WRONG" "aws_secret_access_key = WRONG" \
		"credential_process = $BIN/good" >"$CREDS" && : >"$CONF" &&
	test_fails 128 "^fatal: remote .origin.: .*the credentials (from profile .default. in $CREDS) are not accepted" \
		mlreg upload origin &&
	test "$(runs good)" = 0
'

# fails_with NAME PATTERN: with credential_process = $BIN/NAME, an upload
# fails with PATTERN, never showing $MARK.
fails_with () {
	printf "%s\n" "[default]" "credential_process = $BIN/$1" >"$CREDS" &&
	test_fails 128 "^fatal: remote .origin.: credential_process of profile .default.: $2" \
		mlreg upload origin &&
	! grep -e "$MARK" "$ERR"
}

test_expect_success 'failures: a one-line error naming the profile, never what it printed' '
	raw exit3 "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"$MARK\"}" 3 &&
	fails_with exit3 ".*/exit3. exited with status 3$" &&
	raw notjson "$MARK is not JSON" &&
	fails_with notjson "its output is not a JSON object$" &&
	raw v2 "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"$MARK\"}" &&
	fails_with v2 "its output has another Version, not \"Version\": 1$" &&
	raw nov "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"$MARK\"}" &&
	fails_with nov "its output has no Version, not \"Version\": 1$" &&
	raw nosecret "{\"Version\": 1, \"AccessKeyId\": \"$MARK\"}" &&
	fails_with nosecret "its output has no SecretAccessKey string$" &&
	raw noid "{\"Version\": 1, \"SecretAccessKey\": \"$MARK\"}" &&
	fails_with noid "its output has no AccessKeyId string$" &&
	raw past "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"$MARK\", \"Expiration\": \"2020-01-01T00:00:00Z\"}" &&
	fails_with past "the credentials it gave expired at 2020-01-01T00:00:00Z$" &&
	raw baddate "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"$MARK\", \"Expiration\": \"tomorrow\"}" &&
	fails_with baddate "its Expiration is not an RFC 3339 date-time$" &&
	printf "#!/bin/sh\nhead -c 1100000 /dev/zero | tr \"\\\\0\" x\necho $MARK\n" >"$BIN/big" &&
	chmod +x "$BIN/big" &&
	fails_with big "its output is larger than 1048576 bytes$" &&
	fails_with "no-such-program" "cannot run .*no-such-program.: No such file or directory$" &&
	fails_with "good \"unclosed" "cannot split the command: no closing quotation$" &&
	fails_with "good \\" "cannot split the command: no escaped character$" &&
	printf "%s\n" "[default]" "credential_process = $BIN/exit3" "s3 =" "  x = y" >"$CONF"
'

test_expect_success 'credentials expiring within 15 minutes are fetched again before requests' '
	: >"$CONF" && new_version && proc soon S3RVER S3RVER 12 &&
	printf "%s\n" "[default]" "credential_process = $BIN/soon" >"$CREDS" &&
	mlreg upload origin >out && test -s out &&
	test "$(runs soon)" -gt 2
'

test_expect_success 'credentials good for longer are fetched once' '
	new_version && proc late S3RVER S3RVER 60 &&
	printf "%s\n" "[default]" "credential_process = $BIN/late" >"$CREDS" &&
	mlreg upload origin >out && test -s out &&
	test "$(runs late)" = 1
'

test_expect_success 'a failed refresh keeps credentials still good beyond 10 minutes' '
	new_version && proc flaky S3RVER S3RVER 12 2 &&
	printf "%s\n" "[default]" "credential_process = $BIN/flaky" >"$CREDS" &&
	mlreg upload origin >out && test -s out &&
	test "$(runs flaky)" -gt 2
'

test_expect_success 'a failed refresh of credentials expiring within 10 minutes fails the upload' '
	new_version && proc dying S3RVER S3RVER 5 2 &&
	printf "%s\n" "[default]" "credential_process = $BIN/dying" >"$CREDS" &&
	test_must_fail mlreg upload origin >out 2>err &&
	grep "cannot refresh the AWS credentials from credential_process of profile .default., which expire within 10 minutes: credential_process of profile .default.: .*/dying. exited with status 1" err &&
	! grep -e "$MARK" err
'

# fake_state JSON: what t/helpers/fake-aws.py answers from now on.
fake_state () {
	printf '%s\n' "$1" >"$TEST_ROOT/fake-state.tmp" &&
	mv "$TEST_ROOT/fake-state.tmp" "$TEST_ROOT/fake-state"
}

test_expect_success 'setup: the fake container and instance metadata endpoints' '
	: >"$CREDS" && : >"$CONF" && new_version &&
	fake_state "{}" && : >"$TEST_ROOT/fake-log" || return 1
	# alone: "a && b &" would run the whole list, new_version too, in the background
	"$PYTHON" "$TEST_DIRECTORY/helpers/fake-aws.py" "$TEST_ROOT/fake-port" \
		"$TEST_ROOT/fake-state" "$TEST_ROOT/fake-log" 2>"$TEST_ROOT/fake-err" &
	FAKE_PID=$! &&
	test_atexit "kill $FAKE_PID 2>/dev/null" &&
	n=0 && while ! test -s "$TEST_ROOT/fake-port" && test $n -lt 100
	do
		sleep 0.1 && n=$((n + 1))
	done &&
	FAKE="http://127.0.0.1:$(cat "$TEST_ROOT/fake-port")" &&
	test_must_fail mlreg upload origin 2>err &&
	grep "no AWS credentials" err
'

# container ARGS...: runs ARGS with the container endpoint of the fake set.
container () {
	env AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/v2/credentials" "$@"
}

test_expect_success 'container credentials (FULL_URI) with the authorization token' '
	fake_state "{\"auth\": \"$MARK-tok\", \"token\": \"$MARK-session\"}" &&
	container AWS_CONTAINER_AUTHORIZATION_TOKEN="$MARK-tok" MLREG_TRACE=1 \
		mlreg upload origin >out 2>err &&
	test -s out &&
	grep "^mlreg: trace: credentials from container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)$" err &&
	grep "^GET /v2/credentials auth=ok$" "$TEST_ROOT/fake-log" &&
	! grep -e "$MARK" err
'

test_expect_success 'the token file comes before the token variable' '
	new_version && printf "%s\n" "$MARK-tok" >"$TEST_ROOT/tokfile" &&
	container AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$TEST_ROOT/tokfile" mlreg upload origin >out &&
	test -s out
'

test_expect_success 'container failures: refused token, bad answer, host not allowed' '
	test_fails 128 "^fatal: remote .origin.: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): HTTP 401$" \
		container AWS_CONTAINER_AUTHORIZATION_TOKEN="$MARK-bad" mlreg upload origin &&
	! grep -e "$MARK" "$ERR" &&
	fake_state "{\"body\": \"$MARK not json\"}" &&
	test_fails 128 "^fatal: remote .origin.: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): its output is not a JSON object$" \
		container mlreg upload origin &&
	! grep -e "$MARK" "$ERR" &&
	test_fails 128 "host .example.com. is not allowed over http" \
		env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://example.com/creds mlreg upload origin &&
	test_fails 128 "host .10.0.0.1. is not allowed over http" \
		env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://10.0.0.1/creds mlreg upload origin
'

test_expect_success 'static keys of the config file come before the container' '
	fake_state "{\"key\": \"NOT-THIS\"}" &&
	printf "%s\n" "[default]" "aws_access_key_id = S3RVER" "aws_secret_access_key = S3RVER" >"$CONF" &&
	container MLREG_TRACE=1 mlreg upload origin >out 2>err &&
	grep "^mlreg: trace: credentials from profile .default. in $CONF$" err &&
	: >"$CONF"
'

test_expect_success 'botocore agrees: config file, then container, then instance metadata' '
	printf "%s\n" "[default]" "aws_access_key_id = AKIDCONF" "aws_secret_access_key = S3RVER" \
		>"$TEST_ROOT/conf-static" &&
	fake_state "{\"key\": \"AKIDFAKE\", \"token\": \"tok\"}" &&
	u=AWS_CONTAINER_CREDENTIALS_FULL_URI=$FAKE/v2/credentials &&
	m="AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$FAKE" &&
	cat >cases <<-EOF &&
	AWS_CONFIG_FILE=$TEST_ROOT/conf-static $u $m
	$u $m
	$m
	EOF
	"$PYTHON" "$TEST_DIRECTORY/helpers/botocreds.py" <cases >expect &&
	while read -r line
	do
		(export $line && MLREG_TRACE=1 mlreg list --remote origin 2>&1 >/dev/null </dev/null |
		 sed -n -e "s/^mlreg: trace: credentials from profile .* in .*conf-static$/config-file AKIDCONF/p" \
			-e "s/^mlreg: trace: credentials from container credentials.*/container-role AKIDFAKE/p" \
			-e "s/^mlreg: trace: credentials from EC2 instance metadata.*/iam-role AKIDFAKE/p")
	done <cases >actual &&
	test_cmp expect actual
'

# imds ARGS...: runs ARGS with the instance metadata of the fake.
imds () {
	env -u AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE" "$@"
}

test_expect_success 'EC2 instance metadata, IMDSv2' '
	new_version && fake_state "{\"token\": \"$MARK-session\"}" && : >"$TEST_ROOT/fake-log" &&
	imds MLREG_TRACE=1 mlreg upload origin >out 2>err &&
	test -s out &&
	grep "^mlreg: trace: credentials from EC2 instance metadata (role .mlreg-role.)$" err &&
	cat >expect <<-\EOF &&
	PUT /latest/api/token ttl=21600
	GET /latest/meta-data/iam/security-credentials/ token=ok
	GET /latest/meta-data/iam/security-credentials/mlreg-role token=ok
	EOF
	test_cmp expect "$TEST_ROOT/fake-log"
'

test_expect_success 'IMDSv1 when the token is refused with 404' '
	new_version && fake_state "{\"imdsv1\": true}" && : >"$TEST_ROOT/fake-log" &&
	imds mlreg upload origin >out && test -s out &&
	grep -c "token=none" "$TEST_ROOT/fake-log" >count && echo 2 >expect && test_cmp expect count
'

test_expect_success 'AWS_EC2_METADATA_DISABLED=true, or a failing service: no credentials' '
	: >"$TEST_ROOT/fake-log" &&
	test_fails 128 "^fatal: remote .origin.: no AWS credentials: " \
		imds AWS_EC2_METADATA_DISABLED=true mlreg upload origin &&
	test_must_be_empty "$TEST_ROOT/fake-log" &&
	fake_state "{\"status\": 500}" &&
	test_fails 128 "^fatal: remote .origin.: no AWS credentials: " imds mlreg upload origin &&
	test -s "$TEST_ROOT/fake-log" &&
	fake_state "{\"body\": \"$MARK\"}" &&
	test_fails 128 "^fatal: remote .origin.: no AWS credentials: " imds mlreg upload origin &&
	! grep -e "$MARK" "$ERR"
'

ARN=arn:aws:iam::123456789012:role/ci
# wid ARGS...: runs ARGS with a web identity from the environment, STS the fake.
wid () {
	env AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_ROOT/jwt" AWS_ROLE_ARN=$ARN \
		AWS_ENDPOINT_URL_STS="$FAKE" "$@"
}

test_expect_success 'web identity (AssumeRoleWithWebIdentity) from the environment' '
	new_version && printf "%s" "$MARK-jwt" >"$TEST_ROOT/jwt" &&
	fake_state "{\"web_token\": \"$MARK-jwt\"}" && : >"$TEST_ROOT/fake-log" &&
	wid AWS_ROLE_SESSION_NAME=ci-run MLREG_TRACE=1 mlreg upload origin >out 2>err &&
	test -s out &&
	grep "^mlreg: trace: credentials from web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role .$ARN.)$" err &&
	echo "POST / action=AssumeRoleWithWebIdentity version=2011-06-15 role=$ARN session=ci-run token=ok ctype=application/x-www-form-urlencoded" >expect &&
	test_cmp expect "$TEST_ROOT/fake-log" &&
	! grep -e "$MARK" err
'

test_expect_success 'web identity comes before static keys, as botocore has it' '
	new_version &&
	printf "%s\n" "[default]" "aws_access_key_id = AKIDSTATIC" "aws_secret_access_key = WRONG" >"$CREDS" &&
	echo "AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_ROOT/jwt AWS_ROLE_ARN=$ARN AWS_ENDPOINT_URL_STS=$FAKE" >cases &&
	BOTOCREDS_STS_ENDPOINT=$FAKE "$PYTHON" "$TEST_DIRECTORY/helpers/botocreds.py" <cases >actual &&
	echo "assume-role-with-web-identity S3RVER" >expect && test_cmp expect actual &&
	wid mlreg upload origin >out && test -s out && : >"$CREDS"
'

test_expect_success 'web identity from the profile, refreshed before it expires' '
	new_version && fake_state "{\"web_token\": \"$MARK-jwt\", \"minutes\": 12}" &&
	: >"$TEST_ROOT/fake-log" &&
	printf "%s\n" "[profile dev]" "web_identity_token_file = $TEST_ROOT/jwt" \
		"role_arn = $ARN" "role_session_name = from-profile" >"$CONF" &&
	env AWS_ENDPOINT_URL_STS="$FAKE" mlreg upload prof >out && test -s out &&
	grep -c "session=from-profile token=ok" "$TEST_ROOT/fake-log" >count &&
	test "$(cat count)" -gt 2 && : >"$CONF"
'

test_expect_success 'web identity failures: refused token, no role, no token file' '
	printf "%s" "wrong-$MARK" >"$TEST_ROOT/jwt" && fake_state "{\"web_token\": \"$MARK-jwt\"}" &&
	test_fails 128 "^fatal: remote .origin.: web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role .$ARN.): STS answered HTTP 400 InvalidIdentityToken$" \
		wid mlreg upload origin &&
	! grep -e "$MARK" "$ERR" &&
	test_fails 128 "^fatal: remote .origin.: web identity (AWS_WEB_IDENTITY_TOKEN_FILE): no role to assume: set AWS_ROLE_ARN or role_arn in profile .default.$" \
		wid env -u AWS_ROLE_ARN mlreg upload origin &&
	test_fails 128 "^fatal: remote .origin.: web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role .$ARN.): cannot read the token file: .*no-jwt" \
		wid AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_ROOT/no-jwt" mlreg upload origin
'

test_expect_success 'role_arn with source_profile: AssumeRole signed with the source keys' '
	new_version && fake_state "{\"source_key\": \"AKIDSRC\", \"source_secret\": \"$MARK-src\"}" &&
	: >"$TEST_ROOT/fake-log" &&
	printf "%s\n" "[src]" "aws_access_key_id = AKIDSRC" "aws_secret_access_key = $MARK-src" \
		"aws_session_token = src-token" >"$CREDS" &&
	printf "%s\n" "[profile dev]" "role_arn = $ARN" "source_profile = src" \
		"role_session_name = deploy" "external_id = ext-1" >"$CONF" &&
	env AWS_ENDPOINT_URL_STS="$FAKE" MLREG_TRACE=1 mlreg upload prof >out 2>err &&
	test -s out &&
	grep "^mlreg: trace: credentials from assume role (profile .dev., role .$ARN.)$" err &&
	echo "POST / action=AssumeRole role=$ARN session=deploy external_id=ext-1 sig=ok" >expect &&
	test_cmp expect "$TEST_ROOT/fake-log" &&
	echo "profile=dev" >cases &&
	env AWS_ENDPOINT_URL_STS= BOTOCREDS_STS_ENDPOINT=$FAKE "$PYTHON" \
		"$TEST_DIRECTORY/helpers/botocreds.py" <cases >actual &&
	echo "assume-role S3RVER" >expect && test_cmp expect actual
'

test_expect_success 'role_arn failures: wrong source keys, no source profile, a loop' '
	printf "%s\n" "[src]" "aws_access_key_id = AKIDSRC" "aws_secret_access_key = WRONG-$MARK" >"$CREDS" &&
	test_fails 128 "^fatal: remote .prof.: assume role (profile .dev., role .$ARN.): STS answered HTTP 403 SignatureDoesNotMatch$" \
		env AWS_ENDPOINT_URL_STS="$FAKE" mlreg upload prof &&
	! grep -e "$MARK" "$ERR" &&
	printf "%s\n" "[profile dev]" "role_arn = $ARN" "source_profile = nosuch" >"$CONF" &&
	test_fails 128 "^fatal: remote .prof.: profile .dev.: source_profile .nosuch.: AWS profile .nosuch. not found" \
		env AWS_ENDPOINT_URL_STS="$FAKE" mlreg upload prof &&
	printf "%s\n" "[profile dev]" "role_arn = $ARN" "source_profile = dev" >"$CONF" &&
	test_fails 128 "chains more than 5 profiles (a loop?)" \
		env AWS_ENDPOINT_URL_STS="$FAKE" mlreg upload prof &&
	: >"$CONF" && : >"$CREDS"
'

test_done
