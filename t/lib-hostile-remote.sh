# t/lib-hostile-remote.sh: attacks by a remote's content that every kind of
# remote must withstand alike, sourced by t/t6520-hostile-remote-file.t
# (REMOTE_KIND=file) and t/t6521-hostile-remote-s3.t (REMOTE_KIND=s3) after
# t/lib-remote.sh and t/lib-hostile.sh.  Each test forges a remote by hand
# (forge_remote) and runs mlreg against it from a fresh store.
#
#   fresh_store DIR LABEL  a new store $SCRATCH/DIR (its path in $S) with
#                          remote "evil" at remote_url LABEL
#   with_rss CMD...        runs CMD under t/helpers/maxrss.py, which notes its
#                          peak resident memory in $TEST_ROOT/rss (KiB)
#   rss_below KIB          that peak was below KIB
#
# Memory is bounded, never timed: RSS_MAX is several times what mlreg needs
# (about 15 MiB), and the attacks made it take 30 to 600 times more.

RSS_MAX=65536	# KiB

fresh_store () {
	rm -rf "$SCRATCH/$1" &&
	mlreg init "$SCRATCH/$1" >/dev/null &&
	S="$SCRATCH/$1/.mlreg" &&
	remote_add "$S" evil "$2"
}

with_rss () {
	rm -f "$TEST_ROOT/rss" &&
	"$PYTHON" "$TEST_DIRECTORY/helpers/maxrss.py" "$TEST_ROOT/rss" "$@"
}

rss_below () {
	test_rb_got_=$(cat "$TEST_ROOT/rss") || return 1
	if test "$test_rb_got_" -ge "$1"
	then
		printf 'rss_below: peak RSS %s KiB, wanted below %s KiB\n' "$test_rb_got_" "$1" >&2
		return 1
	fi
}

# The object forge-remote.py writes for version 1 ("weights 1\n").
W1=$(printf 'weights 1\n' | sha256sum | cut -d' ' -f1)
W1_KEY=$(loose_key "$W1")

test_expect_success 'a record declaring 16 TiB for a 10-byte object is refused at once, in little memory' - <<-\EOF
	fresh_store huge huge &&
	forge_remote huge m "r['files'][0]['size'] = 16 << 40; r['size'] = 16 << 40" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: object $W1 has 10 bytes ($W1_KEY), not the 17592186044416 its version lists: the remote is corrupt$" \
		with_rss mlreg --store "$S" download evil m &&
	rss_below $RSS_MAX &&
	test_path_is_missing "$S/models/m/model.json" &&
	find "$S/tmp" -type f >left && test_must_be_empty left
EOF

test_expect_success 'a record declaring 64 MiB + 1 for a 10-byte object: the same' - <<-\EOF
	fresh_store edge edge &&
	forge_remote edge m "r['files'][0]['size'] = (64 << 20) + 1; r['size'] = (64 << 20) + 1" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: object $W1 has 10 bytes ($W1_KEY), not the 67108865 its version lists: the remote is corrupt$" \
		mlreg --store "$S" download evil m
EOF

test_expect_success 'a record declaring 64 MiB for a 10-byte object: refused when it arrives' - <<-\EOF
	fresh_store short short &&
	forge_remote short m "r['files'][0]['size'] = 64 << 20; r['size'] = 64 << 20" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: object $W1 is corrupt (loose): its bytes hash to $W1 (10 bytes, expected 67108864); nothing was stored$" \
		mlreg --store "$S" download evil m
EOF

test_expect_success 'a listed record numbered 99999999 costs no memory' - <<-\EOF
	fresh_store far far &&
	forge_remote far m "" "" &&
	printf "{}\n" >far.json &&
	remote_put far models/m/versions/99999999.json far.json &&
	with_rss mlreg --store "$S" list-versions m --remote evil --json >lv &&
	rss_below $RSS_MAX &&
	json_assert lv "[v[\"version\"] for v in d] == [2, 1]" &&
	with_rss mlreg --store "$S" download evil m >out &&
	rss_below $RSS_MAX &&
	test_write_lines m@1 m@2 >expect && test_cmp expect out &&
	mlreg --store "$S" fsck
EOF

test_expect_success 'a remote missing version 1 below version 2: the model is refused, nothing stored' - <<-\EOF
	fresh_store gap1 gap1 &&
	forge_remote gap1 m "omit = True" "" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: models/m/versions/1.json is missing, below version 2: the remote is corrupt$" \
		mlreg --store "$S" download evil m &&
	test_path_is_missing "$S/models/m" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: models/m/versions/1.json is missing, below version 2: the remote is corrupt$" \
		mlreg --store "$S" download evil
EOF

test_expect_success 'a remote missing version 2 of 3: no version of the model is stored' - <<-\EOF
	fresh_store gap2 gap2 &&
	forge_remote gap2 m "" "omit = True" "" &&
	STORE=$S test_fails_remote 1 "^error: remote .evil.: models/m/versions/2.json is missing, below version 3: the remote is corrupt$" \
		mlreg --store "$S" download evil m@1 &&
	test_path_is_missing "$S/models/m"
EOF

test_expect_success 'a model record with no version records: not stored as an empty model; the others are' - <<-\EOF
	fresh_store none none &&
	forge_remote none m "omit = True" "omit = True" &&
	forge_remote none good "" &&
	test_fails 1 "^error: model .m. has no versions on remote .evil.$" \
		mlreg --store "$S" download evil m &&
	test_path_is_missing "$S/models/m" &&
	test_expect_code 1 mlreg --store "$S" download evil >out 2>err &&
	echo good@1 >expect && test_cmp expect out &&
	echo "error: model 'm' has no versions on remote 'evil'" >expect &&
	test_cmp expect err &&
	test_path_is_missing "$S/models/m" &&
	mlreg --store "$S" list-versions good --json >lv &&
	json_assert lv "[v[\"version\"] for v in d] == [1]" &&
	mlreg --store "$S" fsck
EOF
