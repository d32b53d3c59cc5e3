#!/bin/sh
# Every input kept in t/fuzz/corpus/ (fuzzer seeds and the crashes it once
# found) goes through its parser again; a crash fails the run.
dir=$(cd "$(dirname "$0")" && pwd)
replay="${MLREG_TEST_BUILD:-$dir}/fuzz/replay"
if ! [ -x "$replay" ]; then
	echo "1..0 # SKIP $replay not built (run 'make test')"
	exit 0
fi
set --
for d in "$dir"/fuzz/corpus/*; do
	[ -d "$d" ] && set -- "$@" "$d"
done
[ $# -gt 0 ] || { echo "1..0 # SKIP no fuzz corpus"; exit 0; }
exec "$replay" "$@"
