#!/bin/sh
test_description='a hostile S3 remote: forged sizes and numbers, a lying server'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
proxy_start
REMOTE_KIND=s3
REMOTE_ENDPOINT=$PROXY_ENDPOINT
. "$TEST_DIRECTORY/lib-hostile.sh"
. "$TEST_DIRECTORY/lib-hostile-remote.sh"

# What only a server can do: say a key has another size than it has
# (t/helpers/faultproxy.py's length action).

test_expect_success 'a server saying a 10-byte object has 16 TiB: a few ranges asked, little memory' - <<-\EOF
	fresh_store lies lies &&
	forge_remote lies m "r['files'][0]['size'] = 16 << 40; r['size'] = 16 << 40" &&
	proxy_rules "[{\"method\":\"HEAD\",\"path\":\"/lies/objects/\",\"action\":\"length:17592186044416\"}]" &&
	: >"$PROXY_LOG" &&
	STORE=$S test_fails_remote "1|128" "^[a-z]*: remote .evil.: .*\\(object $W1\\|$W1_KEY\\)" \
		with_rss mlreg --store "$S" download evil m &&
	rss_below $RSS_MAX &&
	test "$(proxy_count "^HEAD /mlreg-test/lies/$W1_KEY .* length:")" = 1 &&
	test "$(proxy_count "^GET /mlreg-test/lies/$W1_KEY ")" -le 16 &&
	test_path_is_missing "$S/models/m/model.json" &&
	find "$S/tmp" -type f >left && test_must_be_empty left
EOF

test_expect_success 'a listing of several honest pages is read whole' - <<-\EOF
	proxy_rules "[]" &&
	mkdir junk && i=0 &&
	while test $i -lt 1100
	do
		: >junk/$i && i=$((i + 1)) || return 1
	done &&
	awscli s3 cp --recursive --quiet junk "s3://$S3_BUCKET/pages/objects/zz/" &&
	fresh_store pages pages &&
	printf "x\n" >x.bin &&
	mlreg --store "$S" register --create m x.bin >/dev/null &&
	: >"$PROXY_LOG" &&
	mlreg --store "$S" upload evil >out &&
	echo m@1 >expect && test_cmp expect out &&
	test "$(proxy_count "^GET /mlreg-test\?.*prefix=pages%2Fobjects%2F&continuation-token=.* 200 ")" = 1
EOF

test_done
