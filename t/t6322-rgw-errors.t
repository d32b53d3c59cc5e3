#!/bin/sh
test_description='Ceph RGW refusing: credentials, buckets, another user, a read-only policy, a full quota: one line each, nothing changed'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
rgw_start
REMOTE_KIND=s3

# remote_state LABEL: each key of the remote as RGW's bucket index has it:
# its version epoch and write tag change with every write, even of the
# same bytes.
remote_state () {
	rgw_admin bucket list --bucket "$S3_BUCKET" --max-entries 100000 |
	"$PYTHON" -c '
import json, sys
for e in json.load(sys.stdin):
    if e["name"].startswith(sys.argv[1] + "/"):
        print(e["name"], e["ver"]["epoch"], e["tag"], e["meta"]["mtime"], e["meta"]["etag"])
' "$1"
}

. "$TEST_DIRECTORY/lib-error-tests.sh"

# What only a server with users, policies and quotas can say.

test_expect_success 'setup: users reader (allowed to read the bucket by its policy) and outsider' - <<-\EOF
	rgw_user reader READER reader-secret &&
	rgw_user outsider OUTSIDER outsider-secret &&
	cat >policy.json <<-\JSON &&
	{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
	  "Principal": {"AWS": ["arn:aws:iam:::user/reader"]},
	  "Action": ["s3:GetObject", "s3:ListBucket"],
	  "Resource": ["arn:aws:s3:::mlreg-test", "arn:aws:s3:::mlreg-test/*"]}]}
	JSON
	awscli s3api put-bucket-policy --bucket mlreg-test --policy file://policy.json
EOF

test_expect_success 'the keys of a user the bucket is not shared with: HTTP 403 AccessDenied' '
	fails_everywhere 128 "^fatal: remote .origin.: GET s3://mlreg-test/e/mlreg-remote: HTTP 403 AccessDenied$" \
		origin AWS_ACCESS_KEY_ID=OUTSIDER AWS_SECRET_ACCESS_KEY=outsider-secret
'

test_expect_success 'read-only keys: list, list-versions and download work' '
	mlreg init r && R="$SCRATCH/r/.mlreg" && remote_add "$R" origin e &&
	AWS_ACCESS_KEY_ID=READER AWS_SECRET_ACCESS_KEY=reader-secret \
		mlreg --store "$R" list --remote origin >rl &&
	mlreg --store "$B" list >expect && test_cmp expect rl &&
	AWS_ACCESS_KEY_ID=READER AWS_SECRET_ACCESS_KEY=reader-secret \
		mlreg --store "$R" list-versions m --remote origin >rv &&
	mlreg --store "$B" list-versions m >expect && test_cmp expect rv &&
	AWS_ACCESS_KEY_ID=READER AWS_SECRET_ACCESS_KEY=reader-secret \
		mlreg --store "$R" download m >out &&
	echo m@1 >expect && test_cmp expect out &&
	mlreg --store "$R" checkout m r1 && diff -r m1 r1 &&
	mlreg --store "$R" fsck
'

test_expect_success 'read-only keys: the upload fails at its first write, nothing is visible' '
	remote_state e >before &&
	test_fails_remote 128 "^fatal: remote .origin.: PUT s3://mlreg-test/e/packs/pack-[0-9a-f]\{64\}\.pack: HTTP 403 AccessDenied$" \
		env AWS_ACCESS_KEY_ID=READER AWS_SECRET_ACCESS_KEY=reader-secret \
		mlreg --store "$A" upload &&
	remote_state e >after &&
	test_cmp before after &&
	mlreg --store "$A" upload >out &&
	echo m@2 >expect && test_cmp expect out
'

test_expect_success 'a bucket over its quota: HTTP 403 QuotaExceeded, no version visible' '
	s3op mb small &&
	rgw_admin quota set --bucket=small --max-size=1048576 &&
	rgw_admin quota enable --bucket=small &&
	mlreg --store "$A" remote add q s3://small/q --endpoint "$S3_ENDPOINT" &&
	test_fails_remote 128 "^fatal: remote .q.: PUT s3://small/q/$(loose_key $(sha256_of m1/loose.bin)): HTTP 403 QuotaExceeded$" \
		mlreg --store "$A" upload q &&
	mlreg --store "$A" list --remote q >rl &&
	test_must_be_empty rl &&
	awscli s3api list-objects-v2 --bucket small --prefix q/models/ >keys &&
	test_must_be_empty keys
'

test_expect_success 'once the quota is lifted, the rerun uploads everything' '
	rgw_admin quota disable --bucket=small &&
	mlreg --store "$A" upload q >out &&
	test_write_lines m@1 m@2 >expect && test_cmp expect out &&
	mlreg init q && Q="$SCRATCH/q/.mlreg" &&
	mlreg --store "$Q" remote add q s3://small/q --endpoint "$S3_ENDPOINT" &&
	mlreg --store "$Q" download --all q m &&
	mlreg --store "$Q" checkout m@1 q1 && diff -r m1 q1 &&
	mlreg --store "$Q" fsck
'

test_done
