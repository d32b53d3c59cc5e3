#!/bin/sh
test_description='the progress meter: on standard error only when it is a
terminal and not --quiet, cut to the terminal width, its line cleared at
the end (register, upload, download)'
. "$(dirname "$0")/lib.sh"

on_tty_err () {
	"$PYTHON" "$TEST_DIRECTORY/helpers/on-tty.py" --stderr "$@"
}

# Prints the segments a meter drew in FILE (between carriage returns), one
# a line, with the erase-line sequence taken out.
segments () {
	"$PYTHON" -c '
import sys
data = open(sys.argv[1], "rb").read().replace(b"\x1b[K", b"")
for seg in data.split(b"\r"):
    if seg:
        sys.stdout.write(seg.decode() + "\n")
' "$1"
}

test_expect_success 'setup' '
	mlreg init &&
	mkdir m remote &&
	dd if=/dev/zero of=m/w.bin bs=1024 count=3072 2>/dev/null &&
	printf "config\n" >m/config.json
'

test_expect_success 'register draws a meter on a terminal and clears its line' '
	on_tty_err err.tty mlreg register --create m m >out &&
	echo m@1 >expect && test_cmp expect out &&
	segments err.tty >segs &&
	grep "^storing .* 100% 3.0 MiB / 3.0 MiB$" segs &&
	"$PYTHON" -c "import sys; d = open(sys.argv[1], \"rb\").read(); sys.exit(not d.endswith(b\"\\r\\x1b[K\"))" err.tty
'

test_expect_success 'register -q on a terminal draws nothing' '
	on_tty_err err.tty mlreg register --force -q m m >out &&
	echo m@2 >expect && test_cmp expect out &&
	test_must_be_empty err.tty
'

test_expect_success 'register with standard error not a terminal draws nothing' '
	COLUMNS=200 mlreg register --force m m >out 2>err &&
	echo m@3 >expect && test_cmp expect out &&
	test_must_be_empty err
'

test_expect_success 'the meter is cut to the width the terminal (here COLUMNS) gives' '
	COLUMNS=30 MLREG_STATCACHE=0 on_tty_err err.tty mlreg register --force m m >out &&
	segments err.tty >segs &&
	test -s segs &&
	awk "length(\$0) > 29 { bad = 1 } END { exit bad }" segs
'

test_expect_success 'upload and download draw their meter on a terminal, not with -q' '
	mlreg remote add origin "file://$PWD/remote" &&
	on_tty_err up.tty mlreg upload origin >out &&
	segments up.tty >segs &&
	grep "^uploading 100% 3.0 MiB / 3.0 MiB, 2/2 objects, .*/s$" segs &&
	for s in quiet loud
	do
		mlreg init $s &&
		mlreg --store $s/.mlreg remote add origin "file://$PWD/remote" || return 1
	done &&
	on_tty_err down.tty mlreg --store quiet/.mlreg download -q origin m >out &&
	test_write_lines m@1 m@2 m@3 m@4 >expect && test_cmp expect out &&
	test_must_be_empty down.tty &&
	on_tty_err down.tty mlreg --store loud/.mlreg download origin m >out &&
	test_cmp expect out &&
	segments down.tty >segs &&
	grep "^downloading 100% 3.0 MiB / 3.0 MiB, 2/2 objects, .*/s$" segs
'

test_done
