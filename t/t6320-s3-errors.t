#!/bin/sh
test_description='S3 remote errors: credentials, buckets, endpoints, corrupt answers: one line each, nothing changed'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
proxy_start

# fresh_c: a new, empty store C with remote px (through the proxy).
fresh_c () {
	rm -rf "$SCRATCH/c" &&
	mlreg init "$SCRATCH/c" >/dev/null &&
	C="$SCRATCH/c/.mlreg" &&
	mlreg --store "$C" remote add px s3://mlreg-test/e --endpoint "$PROXY_ENDPOINT"
}

# remote_state LABEL: every file s3rver keeps for the keys of the remote
# (objects and their metadata), with its checksum: a write of any key, even
# of the same bytes, shows.
remote_state () {
	(
		cd "$S3_DATA/$S3_BUCKET/$1" &&
		find . -type f | sort &&
		find . -type f -exec sha256sum {} + | sort
	)
}

. "$TEST_DIRECTORY/lib-error-tests.sh"

test_expect_success 'setup: a shared credentials file with profiles dev and bad' '
	mkdir aws &&
	printf "%s\n" "[default]" "aws_access_key_id = AKIADEFAULTDEFAULT00" \
		"aws_secret_access_key = default-secret-that-is-wrong" \
		"[dev]" "aws_access_key_id = S3RVER" "aws_secret_access_key = S3RVER" \
		"[bad]" "aws_access_key_id = S3RVER" "aws_secret_access_key = wrong-one" \
		>aws/credentials &&
	CREDS="$SCRATCH/aws/credentials" &&
	mlreg --store "$A" remote add dev s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile dev &&
	mlreg --store "$B" remote add dev s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile dev &&
	mlreg --store "$A" remote add bad s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile bad &&
	mlreg --store "$B" remote add bad s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile bad &&
	mlreg --store "$A" remote add nope s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile nope &&
	mlreg --store "$B" remote add nope s3://mlreg-test/e --endpoint "$S3_ENDPOINT" --profile nope &&
	git config -f "$A/config" remote.dev.profile >p && echo dev >expect && test_cmp expect p
'

test_expect_success 'a profile with the wrong secret: the message names the profile and its file' '
	fails_everywhere 128 "^fatal: remote .bad.: GET s3://mlreg-test/e/mlreg-remote: HTTP 403 SignatureDoesNotMatch: the credentials (from profile .bad. in $CREDS) are not accepted; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the profile$" \
		bad AWS_SHARED_CREDENTIALS_FILE="$CREDS"
'

test_expect_success 'a profile that does not exist is named' '
	fails_everywhere 128 "^fatal: remote .nope.: AWS profile .nope. not found in .*$CREDS" \
		nope AWS_SHARED_CREDENTIALS_FILE="$CREDS"
'

test_expect_success 'credentials from profile dev (--profile): every command works, the environment is not used' - <<-\EOF
	AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_SECRET_ACCESS_KEY=not-the-secret-of-s3rver \
		mlreg --store "$A" list --remote dev >rl &&
	mlreg --store "$A" list --remote origin >expect && test_cmp expect rl &&
	AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_SECRET_ACCESS_KEY=not-the-secret-of-s3rver \
		mlreg --store "$A" upload dev --json >sum &&
	json_assert sum 'd["versions"] == ["m@2"]' &&
	AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_SECRET_ACCESS_KEY=not-the-secret-of-s3rver \
		mlreg --store "$A" list-versions m --remote dev >rv &&
	mlreg --store "$A" list-versions m >lv && test_cmp lv rv &&
	AWS_SHARED_CREDENTIALS_FILE="$CREDS" AWS_SECRET_ACCESS_KEY=not-the-secret-of-s3rver \
		mlreg --store "$B" download dev m >out &&
	echo m@2 >expect && test_cmp expect out &&
	mlreg --store "$B" checkout m b2 && cmp two.txt b2/two.txt
EOF

test_expect_success 'AWS_PROFILE chooses the profile when the environment has no keys' '
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$CREDS" \
		AWS_PROFILE=dev mlreg --store "$A" list --remote origin >rl &&
	mlreg --store "$A" list >expect && test_cmp expect rl &&
	test_fails 128 "^fatal: remote .origin.: GET s3://mlreg-test/e/mlreg-remote: HTTP 403 InvalidAccessKeyId: the credentials (from profile .default. in $CREDS) are not accepted" \
		env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$CREDS" \
		mlreg --store "$A" list --remote origin
'

test_expect_success 'setup: remote px, the same data through the fault proxy; a large object' '
	make_files bigdir 1 $((65 * 1024 * 1024)) && mv bigdir/f1 big.bin &&
	mlreg --store "$A" register --create big big.bin &&
	mlreg --store "$A" upload origin big >out && echo big@1 >expect && test_cmp expect out &&
	mlreg --store "$A" remote add px s3://mlreg-test/e --endpoint "$PROXY_ENDPOINT" &&
	LOOSE=$(sha256_of m1/loose.bin) && BIG=$(sha256_of big.bin)
'

test_expect_success 'a loose object corrupted on the way is refused, nothing is stored' - <<-\EOF
	fresh_c &&
	proxy_rules "[{\"method\":\"GET\",\"path\":\"/e/$(loose_key $LOOSE)\$\",\"action\":\"corrupt\"}]" &&
	STORE=$C test_fails_remote 1 "^error: remote .px.: object $LOOSE is corrupt (loose): its bytes hash to [0-9a-f]\{64\}.*; nothing was stored$" \
		mlreg --store "$C" download px m@1 &&
	! test -e "$(STORE=$C object_path $LOOSE)" &&
	test_path_is_missing "$C/models/m" &&
	grep -F "corrupt" "$PROXY_LOG"
EOF

test_expect_success 'a pack range corrupted on the way is refused, naming the pack' - <<-\EOF
	fresh_c &&
	proxy_rules '[{"method":"GET","path":"/e/packs/pack-[0-9a-f]*\\.pack$","action":"corrupt"}]' &&
	STORE=$C test_fails_remote 1 "^error: remote .px.: object [0-9a-f]\{64\} is corrupt (packs/pack-[0-9a-f]\{64\}\.pack at [0-9]*): its bytes hash to [0-9a-f]\{64\}.*; nothing was stored$" \
		mlreg --store "$C" download px m@1 &&
	test_path_is_missing "$C/models/m"
EOF

test_expect_success 'a range of a large object corrupted on the way is refused' - <<-\EOF
	fresh_c &&
	proxy_rules "[{\"method\":\"GET\",\"path\":\"/e/$(loose_key $BIG)\$\",\"skip\":2,\"times\":1,\"action\":\"corrupt\"}]" &&
	STORE=$C test_fails_remote 1 "^error: remote .px.: object $BIG is corrupt (loose): its bytes hash to [0-9a-f]\{64\}.*; nothing was stored$" \
		mlreg --store "$C" download px big &&
	! test -e "$(STORE=$C object_path $BIG)" &&
	test_path_is_missing "$C/models/big"
EOF

test_expect_success 'a version record corrupted on the way is refused' - <<-\EOF
	fresh_c &&
	proxy_rules '[{"method":"GET","path":"/e/models/m/versions/2\\.json$","action":"corrupt"}]' &&
	STORE=$C test_fails_remote 1 "^error: remote .px.: \(m@2 is not the version its model record names\|models/m/versions/2\.json is corrupt\)" \
		mlreg --store "$C" download px m &&
	test_path_is_missing "$C/models/m"
EOF

test_expect_success 'without the faults the same downloads succeed' '
	proxy_rules "[]" &&
	fresh_c &&
	mlreg --store "$C" download px m big >out &&
	test_write_lines big@1 m@1 m@2 >expect && test_cmp expect out &&
	mlreg --store "$C" checkout big cb && cmp big.bin cb/big.bin &&
	mlreg --store "$C" download px m@1 &&
	mlreg --store "$C" checkout m@1 c1 && cmp m1/loose.bin c1/loose.bin &&
	mlreg --store "$C" fsck
'

test_done
