#!/bin/sh
test_description='what mlreg puts on S3 is read with awscli, and a remote made with awscli is read by mlreg'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3

A="$SCRATCH/a/.mlreg" H="$SCRATCH/h/.mlreg" D="$SCRATCH/d/.mlreg"
BUCKET=mlreg-test

test_expect_success 'setup: two models, small files, a loose one, one over 64 MiB; uploaded' '
	mlreg init a &&
	make_files net/small 5 2000 &&
	make_files net/loose 1 1500000 &&
	printf "labels\n" >net/labels.txt &&
	mlreg --store "$A" register --create net net --message "first net" &&
	make_files bigdir 1 $((65 * 1024 * 1024)) && mv bigdir/f1 big.bin &&
	mkdir det && printf "weights\n" >det/w.bin && cp big.bin det/ &&
	mlreg --store "$A" create team/det -d "a detector" -m owner=alice &&
	mlreg --store "$A" register team/det det &&
	remote_add "$A" origin interop &&
	mlreg --store "$A" upload >out &&
	test_write_lines net@1 team/det@1 >expect && test_cmp expect out
'

test_expect_success 'aws s3 ls --recursive shows the marker, the records, packs and objects' - <<-\EOF
	awscli s3 ls --recursive "s3://$BUCKET/interop/" >ls &&
	awk "{ print \$4 }" ls | sed "s|^interop/||" | sort >keys &&
	grep -x "mlreg-remote" keys &&
	grep -x "models/net/model.json" keys &&
	grep -x "models/net/versions/1.json" keys &&
	grep -x "models/team%2Fdet/model.json" keys &&
	grep -x "models/team%2Fdet/versions/1.json" keys &&
	test "$(grep -c "^packs/pack-[0-9a-f]\{64\}\.pack$" keys)" = 1 &&
	test "$(grep -c "^packs/pack-[0-9a-f]\{64\}\.idx$" keys)" = 1 &&
	grep -x "$(loose_key $(sha256_of net/loose/f1))" keys &&
	grep -x "$(loose_key $(sha256_of big.bin))" keys &&
	test "$(grep -c "^objects/" keys)" = 2 &&
	test "$(wc -l <keys)" = 9 &&
	remote_keys interop >keys2 && test_cmp keys keys2
EOF

test_expect_success 'aws s3 cp of an object gives the bytes its key names' - <<-\EOF
	for hex in $(sha256_of net/loose/f1) $(sha256_of big.bin)
	do
		rm -f obj &&
		awscli s3 cp --quiet "s3://$BUCKET/interop/$(loose_key $hex)" obj &&
		test "$(sha256sum <obj | cut -d" " -f1)" = "$hex" || return 1
	done &&
	cmp obj big.bin &&
	awscli s3api head-object --bucket $BUCKET --key "interop/$(loose_key $(sha256_of big.bin))" >head &&
	json_assert head "d[\"ContentLength\"] == $((65 * 1024 * 1024))"
EOF

test_expect_success 'a pack hashes to its name; its index lists the small files' - <<-\EOF
	pack=$(sed -n "s|^packs/pack-\([0-9a-f]*\)\.pack$|\1|p" keys) &&
	awscli s3 cp --quiet "s3://$BUCKET/interop/packs/pack-$pack.pack" p &&
	test "$(sha256sum <p | cut -d" " -f1)" = "$pack" &&
	awscli s3 cp --quiet "s3://$BUCKET/interop/packs/pack-$pack.idx" idx &&
	test "$(sed -n 2p idx)" = "pack $pack $(wc -c <p | tr -d " ") 7" &&
	sed 1,2d idx | cut -d" " -f1 | sort >listed &&
	(sha256sum net/small/* net/labels.txt det/w.bin | cut -d" " -f1 | sort) >want &&
	test_cmp want listed
EOF

test_expect_success 'the version records fetched with awscli are the local bytes; model.json names them' - <<-\EOF
	awscli s3 cp --quiet "s3://$BUCKET/interop/models/net/versions/1.json" v1 &&
	cmp v1 "$A/models/net/versions/1.json" &&
	awscli s3api get-object --bucket $BUCKET --key "interop/models/team%2Fdet/versions/1.json" d1 >/dev/null &&
	cmp d1 "$A/models/team%2Fdet/versions/1.json" &&
	awscli s3 cp --quiet "s3://$BUCKET/interop/models/team%2Fdet/model.json" dm &&
	json_assert dm 'd["name"] == "team/det"' 'd["description"] == "a detector"' \
		'd["metadata"] == {"owner": "alice"}' 'd["latest_version"] == 1' \
		"d[\"latest_id\"] == \"$(sha256_of d1)\"" &&
	awscli s3api head-object --bucket $BUCKET --key interop/models/net/versions/1.json >hv &&
	json_assert hv "d[\"ETag\"] == '\"$(md5sum <v1 | cut -d" " -f1)\"'" &&
	awscli s3 cp --quiet "s3://$BUCKET/interop/mlreg-remote" marker &&
	echo "mlreg remote format 1" >expect && test_cmp expect marker
EOF

# The other way: a remote made by hand with awscli, from the records of a
# store that never uploaded, objects loose and in a pack made with python.
test_expect_success 'setup: a remote made by hand with aws s3api put-object and aws s3 cp' - <<-\EOF
	mlreg init h &&
	make_files h1 3 1000 && make_files h1/sub 1 1200000 &&
	mlreg --store "$H" register --create hand h1 --message "by hand 1" &&
	make_files h2 4 800 && make_files big2 1 $((20 * 1024 * 1024)) && mv big2/f1 h2/big &&
	mlreg --store "$H" register hand h2 --message "by hand 2" &&
	r1="$H/models/hand/versions/1.json" r2="$H/models/hand/versions/2.json" &&
	put () { awscli s3api put-object --bucket $BUCKET --key "handmade/$1" --body "$2" >/dev/null; } &&
	printf "mlreg remote format 1\n" >marker && put mlreg-remote marker &&
	put models/hand/versions/1.json "$r1" &&
	put models/hand/versions/2.json "$r2" &&
	cat >mrec <<-JSON &&
	{"name":"hand","description":"made by hand","metadata":{"by":"awscli"},"creation_time":"2026-01-01T00:00:00.000000Z","last_updated_time":"2026-01-02T00:00:00.000000Z","latest_version":2,"latest_id":"$(sha256_of "$r2")"}
	JSON
	put models/hand/model.json mrec &&
	# version 1: every file loose, small ones too
	for f in h1/f1 h1/f2 h1/f3 h1/sub/f1
	do
		put "$(loose_key $(sha256_of $f))" "$f" || return 1
	done &&
	# version 2: the large file with aws s3 cp (a multipart upload of its own),
	# the small ones in a pack made here
	awscli s3 cp --quiet h2/big "s3://$BUCKET/handmade/$(loose_key $(sha256_of h2/big))" &&
	"$PYTHON" - h2/f1 h2/f2 h2/f3 h2/f4 <<-\PY &&
	import hashlib, sys
	objs = sorted((hashlib.sha256(open(p, "rb").read()).hexdigest(), open(p, "rb").read())
	              for p in sys.argv[1:])
	pack = b"".join(b for _, b in objs)
	name = hashlib.sha256(pack).hexdigest()
	open("hand.pack", "wb").write(pack)
	lines = ["mlreg pack index 1", "pack %s %d %d" % (name, len(pack), len(objs))]
	off = 0
	for h, b in objs:
	    lines.append("%s %d %d" % (h, off, len(b)))
	    off += len(b)
	open("hand.idx", "w").write("\n".join(lines) + "\n")
	open("hand.name", "w").write(name + "\n")
	PY
	name=$(cat hand.name) &&
	put "packs/pack-$name.pack" hand.pack &&
	put "packs/pack-$name.idx" hand.idx
EOF

test_expect_success 'mlreg lists the hand-made remote' '
	mlreg init d &&
	remote_add "$D" origin handmade &&
	mlreg --store "$D" list --remote origin --json >rl &&
	json_assert rl "[m[\"name\"] for m in d] == [\"hand\"]" \
		"d[0][\"description\"] == \"made by hand\"" &&
	mlreg --store "$D" list-versions hand --remote origin --json >rv &&
	json_assert rv "[v[\"version\"] for v in d] == [2, 1]" \
		"d[0][\"id\"] == \"$(sha256_of "$H/models/hand/versions/2.json")\""
'

test_expect_success 'mlreg downloads it: every file, loose, packed or from an awscli multipart upload' '
	mlreg --store "$D" download --all hand --json >sum &&
	json_assert sum "d[\"versions\"] == [\"hand@1\", \"hand@2\"]" \
		"d[\"objects\"][\"received\"] == 9" &&
	mlreg --store "$D" checkout hand@1 out1 && diff -r h1 out1 &&
	mlreg --store "$D" checkout hand@2 out2 && diff -r h2 out2 &&
	cmp "$H/models/hand/versions/2.json" "$D/models/hand/versions/2.json" &&
	mlreg --store "$D" describe hand --json >desc &&
	json_assert desc "d[\"description\"] == \"made by hand\"" "d[\"metadata\"] == {\"by\": \"awscli\"}" &&
	mlreg --store "$D" fsck
'

test_expect_success 'and uploads the next version to it, which awscli then reads' '
	printf "three\n" >three.txt &&
	mlreg --store "$D" register hand three.txt --message "by mlreg" >out &&
	echo hand@3 >expect && test_cmp expect out &&
	mlreg --store "$D" upload --json >sum &&
	json_assert sum "d[\"versions\"] == [\"hand@3\"]" "d[\"objects\"][\"sent\"] == 1" &&
	awscli s3 cp --quiet "s3://$BUCKET/handmade/models/hand/versions/3.json" v3 &&
	cmp v3 "$D/models/hand/versions/3.json" &&
	awscli s3 cp --quiet "s3://$BUCKET/handmade/models/hand/model.json" m3 &&
	json_assert m3 "d[\"latest_version\"] == 3" "d[\"description\"] == \"made by hand\"" \
		"d[\"latest_id\"] == \"$(sha256_of v3)\""
'

test_done
