#!/bin/sh
test_description='a hostile S3 remote: forged sizes and numbers, a lying server, listings that never end'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
proxy_start
REMOTE_KIND=s3
REMOTE_ENDPOINT=$PROXY_ENDPOINT
. "$TEST_DIRECTORY/lib-hostile.sh"
. "$TEST_DIRECTORY/lib-hostile-remote.sh"

# What only a server can do: say a key has another size than it has, and
# hand out listing pages for ever (t/helpers/faultproxy.py's length and
# tokens actions).

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

test_expect_success 'setup: a remote with a model' - <<-\EOF
	proxy_rules "[]" &&
	fresh_store tok tok &&
	forge_remote tok m ""
EOF

test_expect_success 'a listing whose continuation tokens go round (A, B, A) stops, naming the remote' - <<-\EOF
	proxy_rules "[{\"method\":\"GET\",\"query\":\"list-type=2.*prefix=tok%2Fmodels%2Fm%2F\",\"action\":\"tokens\",\"tokens\":[\"A\",\"B\"]}]" &&
	: >"$PROXY_LOG" &&
	STORE=$S test_fails_remote 128 "^fatal: remote .evil.: the listing of s3://mlreg-test/tok/models/m/ does not end: the server repeats a listing page (a continuation token came again)$" \
		mlreg --store "$S" download evil m &&
	test "$(proxy_count "^GET /mlreg-test\?list-type=2.*prefix=tok%2Fmodels%2Fm%2F.* tokens$")" = 3 &&
	STORE=$S test_fails_remote 128 "the server repeats a listing page" \
		mlreg --store "$S" list-versions m --remote evil
EOF

test_expect_success 'a token coming back after many others is seen too' - <<-\EOF
	proxy_rules "[{\"method\":\"GET\",\"query\":\"list-type=2.*prefix=tok%2Fmodels%2F\",\"action\":\"tokens\",\"tokens\":[\"t1\",\"t2\",\"t3\",\"t4\",\"t5\",\"t6\",\"t7\",\"t8\",\"t9\",\"t10\",\"t11\",\"t12\",\"t13\",\"t14\",\"t15\",\"t16\",\"t17\",\"t18\",\"t19\",\"t20\",\"t21\",\"t22\",\"t23\",\"t24\",\"t25\",\"t26\",\"t27\",\"t28\",\"t29\",\"t30\",\"t31\",\"t32\",\"t33\",\"t34\",\"t35\",\"t36\",\"t37\",\"t38\",\"t39\",\"t40\"]}]" &&
	: >"$PROXY_LOG" &&
	STORE=$S test_fails_remote 128 "^fatal: remote .evil.: the listing of s3://mlreg-test/tok/models/ does not end: the server repeats a listing page" \
		mlreg --store "$S" download evil &&
	test "$(proxy_count " tokens$")" = 41
EOF

test_expect_success 'a listing of new tokens for ever stops at MLREG_LIST_MAX_PAGES' - <<-\EOF
	proxy_rules "[{\"method\":\"GET\",\"query\":\"list-type=2.*prefix=tok%2Fmodels%2Fm%2F\",\"action\":\"tokens\",\"tokens\":\"unique\"}]" &&
	: >"$PROXY_LOG" &&
	MLREG_LIST_MAX_PAGES=20 &&
	export MLREG_LIST_MAX_PAGES &&
	STORE=$S test_fails_remote 128 "^fatal: remote .evil.: the listing of s3://mlreg-test/tok/models/m/ has more than 20 pages (set MLREG_LIST_MAX_PAGES to allow more)$" \
		mlreg --store "$S" download evil m &&
	unset MLREG_LIST_MAX_PAGES &&
	test "$(proxy_count " tokens$")" = 20
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
