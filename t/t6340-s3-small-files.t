#!/bin/sh
test_description='20,000 small files go up and come down in packs, in a few dozen requests'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
proxy_start
REMOTE_ENDPOINT=$PROXY_ENDPOINT

N=20000
SIZE=4096

# The stores take two fsyncs an object: on a disk, storing 20,000 of them
# takes half a minute.  They live on a tmpfs when there is one (where fsync
# costs nothing), removed when the script ends, whatever happens.
FAST=$SCRATCH
if test -d /dev/shm && test -w /dev/shm &&
	FAST=$(mktemp -d /dev/shm/mlreg-t6340.XXXXXX 2>/dev/null)
then
	test_atexit "rm -rf '$FAST'"
else
	FAST=$SCRATCH
fi
A="$FAST/a/.mlreg" B="$FAST/b/.mlreg"

# requests_logged: how many requests the proxy logged since the last ": >$PROXY_LOG".
requests_logged () {
	wc -l <"$PROXY_LOG" | tr -d ' '
}

test_expect_success "setup: $N distinct files of $SIZE bytes in one version" '
	"$PYTHON" - "$FAST/files" $N $SIZE <<-\EOF &&
	import os, sys
	d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	os.makedirs(d)
	for k in range(n):
	    line = b"file %05d of the many\n" % k
	    with open(os.path.join(d, "f%05d.txt" % k), "wb") as f:
	        f.write((line * (size // len(line) + 1))[:size])
	EOF
	test "$(ls "$FAST/files" | wc -l)" = $N &&
	mlreg init "$FAST/a" && mlreg init "$FAST/b" &&
	mlreg --store "$A" register --create many "$FAST/files" --message "$N files" >out &&
	echo many@1 >expect && test_cmp expect out &&
	test "$(STORE=$A count_objects)" -ge $N &&
	remote_add "$A" origin many &&
	remote_add "$B" origin many
'

test_expect_success 'the upload takes a few dozen requests, and the proxy saw as many' '
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload --json >sum &&
	json_assert sum "d[\"versions\"] == [\"many@1\"]" \
		"d[\"objects\"][\"sent\"] == $N" "d[\"bytes\"][\"sent\"] == $N * $SIZE" \
		"d[\"requests\"] <= 60" "d[\"retries\"] == 0" \
		"d[\"packs\"] == (d[\"bytes\"][\"sent\"] + 32 * 1024 * 1024 - 1) // (32 * 1024 * 1024)" \
		"d[\"requests\"] == $(requests_logged)" &&
	test "$(proxy_count "^PUT /mlreg-test/many/packs/pack-[0-9a-f]*\.pack 200 ")" = "$(json_get sum "d[\"packs\"]")" &&
	test "$(proxy_count "^PUT /mlreg-test/many/objects/")" = 0
'

test_expect_success 'every file is listed in a pack index, once, each pack at most 32 MiB' - <<-\EOF
	remote_keys many >keys &&
	! grep "^objects/" keys &&
	sed -n "s|^packs/\(pack-[0-9a-f]*\)\.pack$|\1|p" keys >packs &&
	test "$(wc -l <packs)" = "$(json_get sum 'd["packs"]')" &&
	: >listed &&
	while read p
	do
		grep -x "packs/$p.idx" keys &&
		remote_get many "packs/$p.idx" "$p.idx" </dev/null &&
		test "$(sed -n 1p "$p.idx")" = "mlreg pack index 1" &&
		set -- $(sed -n 2p "$p.idx") &&
		test "pack-$2" = "$p" && test "$3" -le $((32 * 1024 * 1024)) &&
		test "$4" = $(($(wc -l <"$p.idx") - 2)) &&
		sed 1,2d "$p.idx" | cut -d" " -f1 >>listed || return 1
	done <packs &&
	(cd "$FAST/files" && sha256sum -- *) | cut -d" " -f1 | sort >want &&
	sort listed >got &&
	test_cmp want got &&
	test "$(wc -l <got)" = $N
EOF

test_expect_success 'a pack is what its index says: its sha256 is its name, the objects at their offsets' - <<-\EOF
	p=$(sed -n 1p packs) &&
	remote_get many "packs/$p.pack" p.pack &&
	test "pack-$(sha256_of p.pack)" = "$p" &&
	"$PYTHON" - p.pack "$p.idx" <<-\PY
	import hashlib, sys
	data = open(sys.argv[1], "rb").read()
	lines = open(sys.argv[2]).read().splitlines()[2:]
	end = 0
	for line in lines:
	    hex, off, size = line.split()
	    off, size = int(off), int(size)
	    assert off == end, (off, end)
	    assert hashlib.sha256(data[off:off + size]).hexdigest() == hex, hex
	    end = off + size
	assert end == len(data)
	PY
EOF

test_expect_success 'a second upload sends nothing, in 6 requests at most' '
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload --json >sum2 &&
	json_assert sum2 "d[\"versions\"] == []" "d[\"objects\"][\"sent\"] == 0" \
		"d[\"requests\"] <= 6" "d[\"requests\"] == $(requests_logged)" &&
	# nothing of the registry is put again (the probe of conditional
	# writes may put keys of its own)
	test "$(proxy_count "^PUT /mlreg-test/many/(objects|packs|models)/")" = 0 &&
	mlreg --store "$A" upload >out && test_must_be_empty out
'

test_expect_success 'list-versions --remote reads the 20,000-file record' '
	mlreg --store "$B" list-versions many --remote origin --json >rv &&
	json_assert rv "len(d) == 1" "len(d[0][\"files\"]) == $N"
'

test_expect_success 'a download into a fresh store brings every file back, in a few dozen requests' '
	: >"$PROXY_LOG" &&
	mlreg --store "$B" download many --json >dsum &&
	json_assert dsum "d[\"versions\"] == [\"many@1\"]" \
		"d[\"objects\"][\"received\"] == $N" "d[\"requests\"] <= 60" \
		"d[\"requests\"] == $(requests_logged)" &&
	test "$(proxy_count "^GET /mlreg-test/many/packs/pack-[0-9a-f]*\.pack 206 ")" -le 10 &&
	test "$(proxy_count "^GET /mlreg-test/many/objects/")" = 0 &&
	mlreg --store "$B" checkout many "$FAST/out" &&
	diff -r "$FAST/files" "$FAST/out" &&
	mlreg --store "$B" fsck
'

test_expect_success 'a second download gets nothing' '
	: >"$PROXY_LOG" &&
	mlreg --store "$B" download --json >dsum2 &&
	json_assert dsum2 "d[\"versions\"] == []" "d[\"objects\"][\"received\"] == 0" \
		"d[\"requests\"] <= 10"
'

test_expect_success 'where the size classes end: empty, 1 MiB - 1, 1 MiB, 64 MiB, 64 MiB + 1' - <<-\EOF
	mkdir "$FAST/edge" &&
	: >"$FAST/edge/empty" &&
	printf x >"$FAST/edge/one" &&
	"$PYTHON" - "$FAST/edge" <<-\PY &&
	import os, sys
	d = sys.argv[1]
	for name, size in (("mib-1", (1 << 20) - 1), ("mib", 1 << 20),
	                   ("64mib", 64 << 20), ("64mib+1", (64 << 20) + 1)):
	    with open(os.path.join(d, name), "wb") as f:
	        f.write(os.urandom(size))
	PY
	mlreg --store "$A" register --create edge "$FAST/edge" &&
	mkdir "$FAST/onlyempty" && : >"$FAST/onlyempty/nothing" &&
	mlreg --store "$A" register --create onlyempty "$FAST/onlyempty" &&
	: >"$PROXY_LOG" &&
	mlreg --store "$A" upload edge onlyempty --json >esum &&
	json_assert esum 'd["versions"] == ["edge@1", "onlyempty@1"]' \
		'd["objects"]["sent"] == 6' 'd["packs"] == 1' &&
	for f in mib 64mib
	do
		grep "^PUT /mlreg-test/many/$(loose_key $(sha256_of "$FAST/edge/$f")) 200 " "$PROXY_LOG" ||
		return 1
	done &&
	big=$(loose_key $(sha256_of "$FAST/edge/64mib+1")) &&
	test "$(proxy_count "^PUT /mlreg-test/many/$big\?partNumber=[1-4]&[^ ]* 200 16777216 ")" = 4 &&
	test "$(proxy_count "^PUT /mlreg-test/many/$big\?partNumber=5&[^ ]* 200 1 ")" = 1 &&
	test "$(proxy_count "^PUT /mlreg-test/many/$big ")" = 0 &&
	remote_keys many >ekeys &&
	! grep -x "$(loose_key $(sha256_of "$FAST/edge/mib-1"))" ekeys &&
	! grep -x "$(loose_key $(sha256_of "$FAST/edge/empty"))" ekeys &&
	! grep -x "$(loose_key $(sha256_of "$FAST/edge/one"))" ekeys
EOF

test_expect_success 'they come back whole: an empty object from a pack, a 1-byte last range' - <<-\EOF
	rm -rf "$FAST/c" && mlreg init "$FAST/c" && remote_add "$FAST/c/.mlreg" origin many &&
	: >"$PROXY_LOG" &&
	mlreg --store "$FAST/c/.mlreg" download onlyempty edge --json >esum &&
	json_assert esum 'd["versions"] == ["edge@1", "onlyempty@1"]' \
		'd["objects"]["received"] == 6' &&
	big=$(loose_key $(sha256_of "$FAST/edge/64mib+1")) &&
	test "$(proxy_count "^GET /mlreg-test/many/$big 206 0 1 ")" = 1 &&
	test "$(proxy_count "^GET /mlreg-test/many/$big 206 0 16777216 ")" = 4 &&
	test "$(proxy_count "^GET /mlreg-test/many/$(loose_key $(sha256_of "$FAST/edge/64mib")) 200 0 67108864 ")" = 1 &&
	mlreg --store "$FAST/c/.mlreg" checkout edge "$FAST/edge-out" &&
	diff -r "$FAST/edge" "$FAST/edge-out" &&
	mlreg --store "$FAST/c/.mlreg" checkout onlyempty "$FAST/onlyempty-out" &&
	diff -r "$FAST/onlyempty" "$FAST/onlyempty-out" &&
	mlreg --store "$FAST/c/.mlreg" fsck
EOF

test_done
