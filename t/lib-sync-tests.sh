# t/lib-sync-tests.sh: the upload/download tests every kind of remote must
# pass alike, sourced by t/t6200-sync-file.t (REMOTE_KIND=file) and
# t/t6201-sync-s3.t (REMOTE_KIND=s3) after t/lib-remote.sh.

A="$SCRATCH/stores/a/.mlreg" B="$SCRATCH/stores/b/.mlreg"

# json_field FILE EXPR: shorthand for the JSON summaries.
json_field () {
	json_get "$1" "$2"
}

test_expect_success 'setup: a store with two models, small and large files' '
	mlreg init stores/a && mlreg init stores/b &&
	make_files m1/small 30 3000 &&
	make_files m1/large 1 1500000 &&
	printf "hello\n" >m1/readme.txt &&
	mlreg --store "$A" register --create mnist m1 --message first &&
	mlreg --store "$A" register mnist m1/readme.txt m1/large/f1 --message second &&
	mkdir m2 && printf "weights\n" >m2/w.bin &&
	mlreg --store "$A" create team/det -d "a detector" -m owner=alice &&
	mlreg --store "$A" register team/det m2 &&
	remote_add "$A" origin shared &&
	remote_add "$B" origin shared
'

test_expect_success 'upload sends every version and prints them' '
	mlreg --store "$A" upload >out &&
	test_write_lines mnist@1 mnist@2 team/det@1 >expect &&
	test_cmp expect out
'

test_expect_success 'the remote holds the layout of store-format.md' - <<-\EOF
	remote_keys shared >keys &&
	grep -x "mlreg-remote" keys &&
	grep -x "models/mnist/model.json" keys &&
	grep -x "models/mnist/versions/1.json" keys &&
	grep -x "models/mnist/versions/2.json" keys &&
	grep -x "models/team%2Fdet/versions/1.json" keys &&
	grep -x "models/team%2Fdet/model.json" keys &&
	test "$(grep -c "^packs/pack-[0-9a-f]*\.pack$" keys)" = 1 &&
	test "$(grep -c "^packs/pack-[0-9a-f]*\.idx$" keys)" = 1 &&
	big=$(sha256_of m1/large/f1) &&
	grep -x "$(loose_key $big)" keys &&
	test "$(grep -c ^objects/ keys)" = 1 &&
	remote_get shared mlreg-remote marker &&
	echo "mlreg remote format 1" >expect && test_cmp expect marker
EOF

test_expect_success 'records on the remote are the local bytes; objects hash to their names' - <<-\EOF
	remote_get shared models/mnist/versions/2.json rec &&
	cmp rec "$A/models/mnist/versions/2.json" &&
	big=$(sha256_of m1/large/f1) &&
	remote_get shared "$(loose_key $big)" obj &&
	test "$(sha256_of obj)" = "$big" &&
	pack=$(sed -n "s|^packs/pack-\([0-9a-f]*\)\.pack$|\1|p" keys) &&
	remote_get shared "packs/pack-$pack.pack" p &&
	test "$(sha256_of p)" = "$pack" &&
	remote_get shared "packs/pack-$pack.idx" idx &&
	head -n 1 idx >first && echo "mlreg pack index 1" >expect && test_cmp expect first &&
	test "$(sed -n 2p idx)" = "pack $pack $(wc -c <p | tr -d " ") 32"
EOF

test_expect_success 'a pack index locates each small object by offset and size' - <<-\EOF
	sed -n "3,\$p" idx | while read hex off size
	do
		dd if=p bs=1 skip=$off count=$size 2>/dev/null | sha256sum | cut -d" " -f1 >h &&
		test "$(cat h)" = "$hex" || exit 1
	done
EOF

test_expect_success 'the remote model record names the latest version' '
	remote_get shared models/mnist/model.json mj &&
	json_assert mj "d[\"latest_version\"] == 2" \
		"d[\"latest_id\"] == \"$(sha256_of "$A/models/mnist/versions/2.json")\"" &&
	remote_get shared models/team%2Fdet/model.json tj &&
	json_assert tj "d[\"description\"] == \"a detector\"" "d[\"metadata\"] == {\"owner\": \"alice\"}"
'

test_expect_success 'a second upload of an unchanged store sends nothing, in a few requests' '
	mlreg --store "$A" upload --json >sum &&
	json_assert sum "d[\"versions\"] == []" "d[\"objects\"][\"sent\"] == 0" \
		"d[\"bytes\"][\"sent\"] == 0" "d[\"requests\"] <= 6" &&
	mlreg --store "$A" upload >out && test_must_be_empty out
'

test_expect_success 'list --remote reads the remote registry' '
	mlreg --store "$B" list --remote origin >rlist &&
	mlreg --store "$A" list >llist &&
	test_cmp llist rlist &&
	mlreg --store "$B" list --remote origin --json >rl.json &&
	json_batch rl.json schema models -- assert \
		"[m[\"name\"] for m in d] == [\"mnist\", \"team/det\"]"
'

test_expect_success 'list-versions --remote shows the versions with their ids' '
	mlreg --store "$B" list-versions mnist --remote origin >rv &&
	mlreg --store "$A" list-versions mnist >lv &&
	test_cmp lv rv &&
	mlreg --store "$B" list-versions mnist --remote origin --json >rv.json &&
	mlreg --store "$A" list-versions mnist --json >lv.json &&
	json_schema versions rv.json &&
	test_cmp lv.json rv.json &&
	test_path_is_missing "$B/models/mnist"
'

test_expect_success 'download NAME brings the latest version with its files' '
	mlreg --store "$B" download mnist >out &&
	test_write_lines mnist@1 mnist@2 >expect &&
	test_cmp expect out &&
	cmp "$A/models/mnist/versions/1.json" "$B/models/mnist/versions/1.json" &&
	cmp "$A/models/mnist/versions/2.json" "$B/models/mnist/versions/2.json" &&
	mlreg --store "$B" checkout mnist b2 &&
	cmp m1/readme.txt b2/readme.txt && cmp m1/large/f1 b2/f1 &&
	mlreg --store "$B" fsck
'

test_expect_success 'the versions before it are known, their files not downloaded' '
	mlreg --store "$B" list-versions mnist >bv &&
	mlreg --store "$A" list-versions mnist >av &&
	test_cmp av bv &&
	test_path_is_file "$B/models/mnist/versions/1.partial" &&
	test_path_is_missing "$B/models/mnist/versions/2.partial" &&
	test_fails 1 "^error: mnist@1 was downloaded without its files (30 not in the local store): run .mlreg download origin mnist@1.$" \
		mlreg --store "$B" checkout mnist@1 b1 &&
	test_path_is_missing b1 &&
	test_fails 1 "downloaded without its files" mlreg --store "$B" export mnist@1 -o x.zip &&
	mlreg --store "$B" fsck
'

test_expect_success 'download NAME@N brings the files of an earlier version' '
	mlreg --store "$B" download origin mnist@1 --json >sum &&
	json_assert sum "d[\"versions\"] == []" "d[\"objects\"][\"received\"] == 30" \
		"d[\"objects\"][\"skipped\"] == 2" &&
	test_path_is_missing "$B/models/mnist/versions/1.partial" &&
	mlreg --store "$B" checkout mnist@1 b1 &&
	diff -r m1 b1 &&
	mlreg --store "$B" fsck
'

test_expect_success 'download with no name brings every model, metadata included' '
	mlreg --store "$B" download >out &&
	echo team/det@1 >expect && test_cmp expect out &&
	mlreg --store "$B" describe team/det --json >d &&
	json_assert d "d[\"description\"] == \"a detector\"" "d[\"metadata\"] == {\"owner\": \"alice\"}" &&
	mlreg --store "$A" describe team/det --json >a &&
	json_assert a "d[\"creation_time\"] == \"$(json_get d d[\"creation_time\"])\""
'

test_expect_success 'a second download gets nothing' '
	mlreg --store "$B" download --json >sum &&
	json_assert sum "d[\"versions\"] == []" "d[\"objects\"][\"received\"] == 0" &&
	mlreg --store "$B" download >out && test_must_be_empty out
'

test_expect_success 'versions registered elsewhere come back: a shared registry' '
	printf "v3\n" >v3.txt &&
	mlreg --store "$B" register mnist v3.txt --message third >out &&
	echo mnist@3 >expect && test_cmp expect out &&
	mlreg --store "$B" upload >out && test_cmp expect out &&
	mlreg --store "$A" download mnist >out && test_cmp expect out &&
	mlreg --store "$A" checkout mnist a3 && cmp v3.txt a3/v3.txt &&
	cmp "$A/models/mnist/versions/3.json" "$B/models/mnist/versions/3.json" &&
	mlreg --store "$A" fsck
'

test_expect_success 'metadata changed later wins on both sides' '
	mlreg --store "$A" metadata team/det --add stage=prod &&
	mlreg --store "$A" upload >out && test_must_be_empty out &&
	mlreg --store "$B" download team/det &&
	mlreg --store "$B" metadata team/det --json >m &&
	json_assert m "d == {\"owner\": \"alice\", \"stage\": \"prod\"}"
'

test_expect_success 'upload NAME@N sends versions 1..N only' '
	mlreg init stores/c &&
	remote_add "$SCRATCH/stores/c/.mlreg" origin partial &&
	remote_add "$A" p partial &&
	mlreg --store "$A" upload p mnist@2 >out &&
	test_write_lines mnist@1 mnist@2 >expect && test_cmp expect out &&
	mlreg --store "$SCRATCH/stores/c/.mlreg" list-versions mnist --remote origin --json >v &&
	json_assert v "[x[\"version\"] for x in d] == [2, 1]" &&
	test_fails 1 "^error: model .team/det. not found on remote .origin.$" \
		mlreg --store "$SCRATCH/stores/c/.mlreg" list-versions team/det --remote origin
'

test_expect_success 'a partial version cannot be uploaded elsewhere' '
	mlreg init stores/d && remote_add "$SCRATCH/stores/d/.mlreg" origin shared &&
	mlreg --store "$SCRATCH/stores/d/.mlreg" download mnist@3 &&
	mlreg --store "$SCRATCH/stores/d/.mlreg" remote add other "$(remote_url other)" \
		$(test $REMOTE_KIND = s3 && echo --endpoint "$S3_ENDPOINT") &&
	test_fails_remote 1 "^error: mnist@1 was downloaded without its files (they are on remote .origin.): run .mlreg download origin mnist@1. before uploading it$" \
		mlreg --store "$SCRATCH/stores/d/.mlreg" upload other mnist
'

test_expect_success 'the same NAME@N made twice: the second upload is refused' - <<-\EOF
	printf "alice's\n" >a4 && printf "bob's\n" >b4 &&
	mlreg --store "$A" register mnist a4 && mlreg --store "$B" download mnist &&
	mlreg --store "$B" register mnist b4 &&
	mlreg --store "$A" upload mnist >out && echo mnist@4 >expect && test_cmp expect out &&
	remote_keys shared >before &&
	test_fails_remote 1 "^error: remote .origin. already has another mnist@4 (id [0-9a-f]\{12\}, registered by .* at .*): your mnist@4 and later were not uploaded and are unchanged" \
		mlreg --store "$B" upload &&
	remote_keys shared >after && test_cmp before after &&
	remote_get shared models/mnist/versions/4.json r4 &&
	cmp r4 "$A/models/mnist/versions/4.json" &&
	mlreg --store "$B" checkout mnist@4 bb4 && cmp b4 bb4/b4
EOF

test_expect_success 'and downloading it is refused too, losing nothing' '
	test_fails_remote 1 "^error: remote .origin. has another mnist@4 than the local store" \
		mlreg --store "$B" download mnist &&
	mlreg --store "$B" fsck
'

test_expect_success 'a conflict fails only its own model: the others are uploaded' '
	printf "det v2\n" >d2 && mlreg --store "$B" register team/det d2 >/dev/null &&
	test_expect_code 1 mlreg --store "$B" upload >out 2>err &&
	echo team/det@2 >expect && test_cmp expect out &&
	test_line_count = 1 err && grep "already has another mnist@4" err &&
	remote_get shared models/team%2Fdet/versions/2.json r &&
	cmp r "$B/models/team%2Fdet/versions/2.json"
'

test_expect_success 'and downloaded' '
	printf "other\n" >o1 && mlreg --store "$A" register --create other o1 >/dev/null &&
	mlreg --store "$A" upload other >out && echo other@1 >expect && test_cmp expect out &&
	test_expect_code 1 mlreg --store "$B" download >out 2>err &&
	echo other@1 >expect && test_cmp expect out &&
	grep "has another mnist@4 than the local store" err &&
	mlreg --store "$B" checkout other o && cmp o1 o/o1
'

test_expect_success 'errors: no such model or version, locally or on the remote' '
	test_fails 1 "^error: model .nope. not found$" mlreg --store "$A" upload nope &&
	test_fails 1 "^error: version 9 of model .mnist. not found$" mlreg --store "$A" upload mnist@9 &&
	test_fails_remote 1 "^error: model .nope. not found on remote .origin.$" \
		mlreg --store "$B" download nope &&
	test_fails_remote 1 "^error: version 9 of model .mnist. not found on remote .origin.$" \
		mlreg --store "$B" download mnist@9 &&
	test_fails 1 "^error: model .nope. not found on remote .origin.$" \
		mlreg --store "$B" list-versions nope --remote origin &&
	test_fails 129 "^error: invalid --jobs .0." mlreg --store "$A" upload -j 0 &&
	test_fails 128 "^fatal: invalid model name" mlreg --store "$A" upload "bad name"
'

test_expect_success 'errors: no remote, or several and none named' '
	mlreg init stores/e &&
	test_fails 1 "^error: no remote configured (add one with .mlreg remote add NAME URL.)$" \
		mlreg --store "$SCRATCH/stores/e/.mlreg" upload &&
	mlreg --store "$SCRATCH/stores/e/.mlreg" remote add one file:///tmp &&
	mlreg --store "$SCRATCH/stores/e/.mlreg" remote add two file:///tmp &&
	test_fails 1 "^error: several remotes and none is called .origin.: name the remote$" \
		mlreg --store "$SCRATCH/stores/e/.mlreg" download
'

test_expect_success 'a missing object on the remote: an error naming it, nothing visible' - <<-\EOF
	big=$(sha256_of m1/large/f1) &&
	key=$(loose_key $big) &&
	remote_get shared "$key" saved &&
	mlreg init stores/f && remote_add "$SCRATCH/stores/f/.mlreg" origin shared &&
	if test $REMOTE_KIND = s3
	then
		awscli s3api delete-object --bucket "$S3_BUCKET" --key "shared/$key" >/dev/null
	else
		rm "$SCRATCH/remotes/shared/$key"
	fi &&
	test_fails_remote 1 "^error: remote .origin.*$(echo $big | cut -c3-)" \
		mlreg --store "$SCRATCH/stores/f/.mlreg" download mnist@2 &&
	test_path_is_missing "$SCRATCH/stores/f/.mlreg/models/mnist/model.json" &&
	remote_put shared "$key" saved &&
	mlreg --store "$SCRATCH/stores/f/.mlreg" download mnist@2 &&
	mlreg --store "$SCRATCH/stores/f/.mlreg" checkout mnist@2 f2 && cmp m1/large/f1 f2/f1
EOF

test_expect_success 'a corrupt object on the remote is refused before it is stored' - <<-\EOF
	printf "not the weights\n" >bad &&
	key=$(loose_key $big) &&
	remote_put shared "$key" bad &&
	mlreg init stores/g && remote_add "$SCRATCH/stores/g/.mlreg" origin shared &&
	test_fails_remote 1 "^error: remote .origin.: object $big is corrupt (loose): its bytes hash to $(sha256_of bad) (16 bytes, expected 1500000); nothing was stored$" \
		mlreg --store "$SCRATCH/stores/g/.mlreg" download mnist@2 &&
	! test -e "$(STORE="$SCRATCH/stores/g/.mlreg" object_path $big)" &&
	test_path_is_missing "$SCRATCH/stores/g/.mlreg/models/mnist" ||
	test_path_is_missing "$SCRATCH/stores/g/.mlreg/models/mnist/model.json" &&
	remote_put shared "$key" saved
EOF

test_expect_success 'a corrupt pack is refused, naming the object and the pack' - <<-\EOF
	remote_get shared "packs/pack-$pack.pack" p &&
	remote_get shared "packs/pack-$pack.idx" idx &&
	# readme.txt's object, wherever its hash puts it among the random files
	hello=$(sha256_of m1/readme.txt) &&
	set -- $(grep "^$hello " idx) &&
	test "$3" = 6 &&
	cp p p.bad && flip_byte p.bad $(($2 + 3)) &&
	remote_put shared "packs/pack-$pack.pack" p.bad &&
	mlreg init stores/h && remote_add "$SCRATCH/stores/h/.mlreg" origin shared &&
	test_fails_remote 1 "^error: remote .origin.: object $hello is corrupt (packs/pack-$pack.pack at $2)" \
		mlreg --store "$SCRATCH/stores/h/.mlreg" download mnist@1 &&
	remote_put shared "packs/pack-$pack.pack" p &&
	mlreg --store "$SCRATCH/stores/h/.mlreg" download mnist@1 &&
	mlreg --store "$SCRATCH/stores/h/.mlreg" fsck
EOF

test_expect_success 'a version record that does not chain is refused' - <<-\EOF
	remote_get shared models/mnist/versions/2.json r2 &&
	"$PYTHON" -c "
import sys
t = open(sys.argv[1]).read().replace('\"message\":\"second\"', '\"message\":\"forged\"')
open(sys.argv[2], 'w').write(t)" r2 r2.bad &&
	remote_put shared models/mnist/versions/2.json r2.bad &&
	mlreg init stores/i && remote_add "$SCRATCH/stores/i/.mlreg" origin shared &&
	test_fails_remote 1 "^error: remote .origin.: mnist@3 does not follow mnist@2 (its parent is [0-9a-f]\{12\}, not [0-9a-f]\{12\}): the remote is corrupt$" \
		mlreg --store "$SCRATCH/stores/i/.mlreg" download mnist@3 &&
	remote_put shared models/mnist/versions/2.json r2
EOF

test_expect_success 'a version record with an unsafe path is refused' - <<-\EOF
	remote_get shared models/mnist/versions/4.json r4 &&
	"$PYTHON" -c "
import sys
t = open(sys.argv[1]).read().replace('\"path\":\"a4\"', '\"path\":\"../../escape\"')
open(sys.argv[2], 'w').write(t)" r4 r4.bad &&
	remote_put shared models/mnist/versions/4.json r4.bad &&
	mlreg init stores/j && remote_add "$SCRATCH/stores/j/.mlreg" origin shared &&
	test_fails_remote 1 "^error: remote .origin.: models/mnist/versions/4.json is corrupt: the record of mnist@4: the version record lists an unsafe path .\.\./\.\./escape.$" \
		mlreg --store "$SCRATCH/stores/j/.mlreg" download mnist@4 &&
	remote_put shared models/mnist/versions/4.json r4
EOF

# Listings come in pages of 1,000 keys on S3: a model of 1,001 versions and
# 1,001 loose objects (forged, put at once) are seen whole only by a lister
# that follows the continuation tokens.
test_expect_success 'over 1,000 keys below a prefix: every listing sees them all' - <<-\EOF
	"$PYTHON" "$TEST_DIRECTORY/helpers/forge-remote.py" paged many \
		$(seq 1 1001 | sed "s/.*/pass/") &&
	printf "mlreg remote format 1\n" >paged/mlreg-remote &&
	test "$(find paged/objects -type f | wc -l)" = 1001 &&
	remote_put_tree paged paged &&
	# 2,002 objects and records to store: on a tmpfs when there is one
	# (fsync costs nothing there), removed when the script ends
	fast=$SCRATCH/stores &&
	if test -d /dev/shm && test -w /dev/shm &&
		shm=$(mktemp -d /dev/shm/mlreg-$TEST_NAME.XXXXXX 2>/dev/null)
	then
		test_atexit "rm -rf '$shm'" &&
		fast=$shm
	fi &&
	mlreg init "$fast/k" && K="$fast/k/.mlreg" &&
	remote_add "$K" origin paged &&
	mlreg --store "$K" list-versions many --remote origin --json >v &&
	json_assert v "[x[\"version\"] for x in d] == list(range(1001, 0, -1))" &&
	mlreg --store "$K" download many >out &&
	seq 1 1001 | sed "s/^/many@/" >expect && test_cmp expect out &&
	mlreg --store "$K" checkout many co &&
	echo "weights 1001" >expect && test_cmp expect co/w.bin &&
	# a new version made of the 1,001 objects the remote holds loose:
	# the upload finds them all in its listing of objects/, sends none
	"$PYTHON" -c "
import os, shutil, sys
os.makedirs(\"all\")
for d, _, names in os.walk(\"paged/objects\"):
    for n in names:
        shutil.copy(os.path.join(d, n), os.path.join(\"all\", os.path.basename(d) + n))" &&
	mlreg --store "$K" register --create every all >/dev/null &&
	mlreg --store "$K" upload origin every --json >sum &&
	json_assert sum "d[\"versions\"] == [\"every@1\"]" \
		"d[\"objects\"][\"sent\"] == 0" "d[\"objects\"][\"skipped\"] == 1001" \
		"d[\"packs\"] == 0" &&
	mlreg --store "$K" fsck
EOF

# The event log travels as version records do (store-format.md 10.2 step 5):
# with a server that ignores If-None-Match (s3rver), by check-then-verify.
test_expect_success 'aliases and deprecations go with the versions; a second log conflicts' - <<-\EOF
	mkdir ev && echo "weights 1" >ev/w.bin &&
	mlreg --store "$A" register --create evt ev >/dev/null &&
	echo "weights 2" >ev/w.bin &&
	mlreg --store "$A" register evt ev >/dev/null &&
	mlreg --store "$A" alias set evt@2 production &&
	mlreg --store "$A" deprecate evt@1 &&
	mlreg --store "$A" upload origin evt --json >sum &&
	json_assert sum "d[\"events\"] == [{\"model\": \"evt\", \"from\": 1, \"to\": 2}]" &&
	mlreg --store "$B" download -q origin evt@production &&
	mlreg --store "$A" alias log evt --json >la &&
	mlreg --store "$B" alias log evt --json >lb &&
	test_cmp la lb &&
	mlreg --store "$B" alias set evt@2 staging &&
	mlreg --store "$B" upload -q origin evt &&
	mlreg --store "$A" alias set evt@2 canary &&
	test_expect_code 1 mlreg --store "$A" upload -q origin evt 2>err &&
	test_grep "^error: remote .origin. has another event 3 of model .evt. (alias-set staging evt@2 by " err &&
	mlreg --store "$A" alias list evt >out &&
	test_write_lines "canary evt@2" "production evt@2" >expect &&
	test_cmp expect out
EOF
