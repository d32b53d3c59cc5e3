#!/bin/sh
test_description='import reads a .tar.gz holding an MLX spec in every tar format
that GNU tar and Python write (ustar, pax path records, GNU ././@LongLink
names) and refuses, in one line, what it cannot read'
. "$(dirname "$0")/lib.sh"

SEEDS=$TEST_DIRECTORY/data/seeds

# A directory name long enough that no ustar prefix/name split can hold it.
LONG=$(printf 'd%.0s' $(seq 1 120))

# pytar FORMAT OUT MEMBER: a .tar.gz (Python's tarfile, FORMAT = pax or
# gnu) holding servable.yaml as MEMBER.
pytar () {
	"$PYTHON" - "$@" <<-\EOF
	import io, sys, tarfile
	fmt = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT}[sys.argv[1]]
	data = open("servable.yaml", "rb").read()
	with tarfile.open(sys.argv[2], "w:gz", format=fmt) as t:
	    info = tarfile.TarInfo(sys.argv[3])
	    info.size = len(data)
	    t.addfile(info, io.BytesIO(data))
	EOF
}

# imports_as NAME FILE: import FILE as model NAME, whose one file is model.yaml.
imports_as () {
	mlreg import --name "$1" "$2" >out &&
	echo "$1@1" >expect && test_cmp expect out &&
	mlreg describe "$1" --json >d.json &&
	json_assert d.json 'd["version"]["files"][0]["path"] == "model.yaml"' \
		'd["version"]["spec"]["kind"] == "mlx"'
}

test_expect_success 'setup' '
	mlreg init &&
	sed -e "s|<model_docker_image>|codait/max-object-detector:latest|" \
		"$SEEDS/mlx-servable.yaml" >servable.yaml &&
	mkdir -p "src/$LONG/$LONG" &&
	cp servable.yaml "src/$LONG/$LONG/model.yaml"
'

test_expect_success 'GNU tar, --format=gnu: a long name in ././@LongLink' '
	tar -C src --format=gnu -czf gnu.tar.gz "$LONG" &&
	gzip -dc gnu.tar.gz | grep -a -q "././@LongLink" &&
	imports_as gnu gnu.tar.gz
'

test_expect_success 'GNU tar, --format=pax: a long name in a pax path record' '
	tar -C src --format=pax -czf pax.tar.gz "$LONG" &&
	gzip -dc pax.tar.gz | grep -a -q "path=$LONG/$LONG/model.yaml" &&
	imports_as pax pax.tar.gz
'

test_expect_success 'Python tarfile, pax and GNU formats' '
	pytar pax py-pax.tar.gz "$LONG/$LONG/model.yaml" &&
	imports_as py-pax py-pax.tar.gz &&
	pytar gnu py-gnu.tar.gz "$LONG/$LONG/model.yaml" &&
	imports_as py-gnu py-gnu.tar.gz
'

test_expect_success 'a pax path record names the member even when the ustar name says otherwise' '
	pytar pax py-nonascii.tar.gz "$LONG/mod\303\250le/model.yaml" &&
	imports_as nonascii py-nonascii.tar.gz
'

test_expect_success 'a malformed pax header is refused in one line' - <<-\EOF
	"$PYTHON" - <<-\PY &&
	import gzip, io, tarfile
	data = open("servable.yaml", "rb").read()
	buf = io.BytesIO()
	with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
	    info = tarfile.TarInfo("x" * 120 + "/model.yaml")
	    info.size = len(data)
	    t.addfile(info, io.BytesIO(data))
	tar = bytearray(buf.getvalue())
	# the record "141 path=...", right after the pax header block, claims
	# 999 bytes: more than its data (the header's checksum is unchanged)
	assert tar[512:516] == b"141 ", tar[512:516]
	tar[512:515] = b"999"
	open("badpax.tar.gz", "wb").write(gzip.compress(bytes(tar)))
	PY
	test_fails 128 "^fatal: .badpax.tar.gz. has a malformed pax header at offset 0$" \
		mlreg import --name badpax badpax.tar.gz
EOF

test_expect_success 'a member name longer than 4096 bytes is refused' '
	pytar gnu huge.tar.gz "$(printf "n%.0s" $(seq 1 5000)).yaml" &&
	test_fails 128 "^fatal: .huge.tar.gz. has a member name longer than 4096 bytes, at offset 0$" \
		mlreg import --name huge huge.tar.gz
'

test_expect_success 'a sparse .yaml member is refused, naming it' '
	mkdir sp && cp servable.yaml sp/model.yaml &&
	truncate -s 4194304 sp/model.yaml &&
	tar -C sp --sparse --format=gnu -czf sparse-gnu.tar.gz model.yaml &&
	tar -C sp --sparse --format=pax -czf sparse-pax.tar.gz model.yaml &&
	test_fails 128 "^fatal: .model.yaml. in .sparse-gnu.tar.gz. is a sparse file, which import cannot read$" \
		mlreg import --name sparse sparse-gnu.tar.gz &&
	test_fails 128 "is a sparse file, which import cannot read$" \
		mlreg import --name sparse sparse-pax.tar.gz
'

test_done
