#!/bin/sh
test_description='the ingest engine: many files on several threads, a large file in two'
. "$(dirname "$0")/lib.sh"

# files_of M@N: the files array of a version, one JSON line, to files.json.
files_of () {
	mlreg describe "$1" --json >d.json &&
	json_get d.json 'd["version"]["files"]' >files.json
}

test_expect_success 'setup: 300 small files in 10 directories and a large one' '
	mlreg init &&
	"$PYTHON" -c "
import os, random
r = random.Random(12)
for i in range(300):
    d = \"model/d%d\" % (i % 10)
    os.makedirs(d, exist_ok=True)
    open(\"%s/f%03d\" % (d, i), \"wb\").write(os.urandom(r.randrange(0, 9000)))
open(\"model/big.bin\", \"wb\").write(os.urandom(16 * 1048576 + 123))
" &&
	chmod +x model/d3/f003 &&
	: >model/empty
'

test_expect_success 'one thread and four store the same record, byte-identical on checkout' '
	MLREG_INGEST_THREADS=1 mlreg register --create one model >out &&
	echo one@1 >expect && test_cmp expect out &&
	MLREG_INGEST_THREADS=4 mlreg register --create four model >out &&
	echo four@1 >expect && test_cmp expect out &&
	files_of one@1 && mv files.json one.json &&
	files_of four@1 &&
	test_cmp one.json files.json &&
	json_batch files.json assert "len(d) == 302" \
		"[f[\"path\"] for f in d] == sorted(f[\"path\"] for f in d)" &&
	mlreg checkout four@1 out4 &&
	diff -r model out4 &&
	test -x out4/d3/f003 &&
	mlreg fsck
'

test_expect_success 'the same files again store no second copy' '
	find "$MLREG_DIR/objects" -type f | sort >before &&
	MLREG_STATCACHE=0 MLREG_INGEST_THREADS=4 mlreg register --force one model >out &&
	echo one@2 >expect && test_cmp expect out &&
	find "$MLREG_DIR/objects" -type f | sort >after &&
	test_cmp before after &&
	ls "$MLREG_DIR/tmp" >left &&
	test_must_be_empty left
'

# A file rewritten in a loop while it is stored: each register must store
# an object named by the hash of its bytes, whatever it read.
test_expect_success 'setup: two contents for a file rewritten in a loop' '
	mkdir moving &&
	head -c 12000000 /dev/urandom >a.bin &&
	head -c 7000000 /dev/urandom >b.bin &&
	cp a.bin moving/w.bin
'

test_expect_success 'a source rewritten during register never yields a bad object' '
	(
		while test ! -f stop
		do
			cp b.bin moving/w.bin
			dd if=a.bin of=moving/w.bin bs=1M conv=notrunc 2>/dev/null
		done
	) &
	rewriter=$! &&
	test_when_finished "touch stop; wait $rewriter 2>/dev/null; :" &&
	# --force: two registers may read the same bytes, which would make
	# no version without it (and leave mv@3 missing)
	for i in 1 2 3
	do
		mlreg register --create --force mv moving >out || return 1
	done &&
	touch stop && wait $rewriter &&
	mlreg fsck &&
	for i in 1 2 3
	do
		rm -rf co &&
		mlreg checkout mv@$i co &&
		files_of mv@$i &&
		json_batch files.json assert \
			"d[0][\"sha256\"] == sha256_file(\"co/w.bin\")" &&
		json_get files.json "d[0][\"size\"]" >expect &&
		wc -c <co/w.bin | tr -d " " >actual &&
		test_cmp expect actual || return 1
	done
'

# As root every file is readable: the failing registers run as nobody.
if test_have_prereq SANITY
then
	test_set_prereq NOREAD
	as_reader () { "$@"; }
elif test_have_prereq ROOT && command -v setpriv >/dev/null
then
	test_set_prereq NOREAD
	as_reader () {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	}
fi

test_expect_success NOREAD 'setup: a store the reader may write, two unreadable files' '
	chmod 755 "$TEST_ROOT" "$SCRATCH" &&
	MLREG_DIR=$SCRATCH/nstore mlreg init &&
	cp -R model locked &&
	chmod -R a+rX locked &&
	chmod 000 locked/d4/f104 locked/d7/f007 &&
	test_when_finished "chmod 644 locked/d4/f104 locked/d7/f007" &&
	if test_have_prereq ROOT
	then
		chown -R 65534:65534 "$SCRATCH/nstore"
	fi
'

for t in 1 4
do
	test_expect_success NOREAD "threads=$t: an unreadable file fails with one line naming the first" "
		chmod 000 locked/d4/f104 locked/d7/f007 &&
		test_when_finished 'chmod 644 locked/d4/f104 locked/d7/f007' &&
		STORE=\$SCRATCH/nstore MLREG_DIR=\$SCRATCH/nstore MLREG_INGEST_THREADS=$t \
			test_fails 128 \"^fatal: cannot open 'locked/d4/f104': Permission denied\$\" \
			as_reader mlreg register --create n locked &&
		ls \"\$SCRATCH/nstore/tmp\" >left &&
		test_must_be_empty left &&
		test_must_fail env MLREG_DIR=\"\$SCRATCH/nstore\" mlreg describe n@1 2>err &&
		test_grep \"model 'n' not found\" err
	"
done

test_expect_success NOREAD 'once readable, a rerun registers version 1 with all files' '
	chmod 644 locked/d4/f104 locked/d7/f007 &&
	MLREG_DIR=$SCRATCH/nstore MLREG_INGEST_THREADS=4 as_reader mlreg register --create n \
		locked >out &&
	echo n@1 >expect && test_cmp expect out &&
	MLREG_DIR=$SCRATCH/nstore as_reader mlreg fsck &&
	ls "$SCRATCH/nstore/tmp" >left &&
	test_must_be_empty left
'

# Many small files on four threads fill a small disk: the first failure
# is reported, once, and the batch leaves nothing.
if test_have_prereq ROOT && mkdir small && mount -t tmpfs -o size=2m tmpfs small 2>/dev/null
then
	test_set_prereq SMALLFS
fi

test_expect_success SMALLFS 'a full disk among many small files: one line, nothing left' '
	mkdir many &&
	"$PYTHON" -c "
import os
for i in range(400):
    open(\"many/f%03d\" % i, \"wb\").write(os.urandom(8192))
" &&
	MLREG_DIR=$SCRATCH/small/s mlreg init &&
	MLREG_DIR=$SCRATCH/small/s mlreg register --create s many/f000 >out &&
	STORE=$SCRATCH/small/s MLREG_DIR=$SCRATCH/small/s MLREG_INGEST_THREADS=4 \
		test_fails 128 "^fatal: cannot store .many/f[0-9]*.*No space left on device" \
		mlreg register --create s many &&
	ls small/s/tmp >left &&
	test_must_be_empty left &&
	MLREG_DIR=$SCRATCH/small/s mlreg fsck &&
	rm many/f1* many/f2* many/f3* &&
	MLREG_DIR=$SCRATCH/small/s MLREG_INGEST_THREADS=4 mlreg register s many >out &&
	echo s@2 >expect && test_cmp expect out
'

test_have_prereq SMALLFS && umount small

test_done
