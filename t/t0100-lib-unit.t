#!/bin/sh
# Unit tests of lib/ in C; 'make test' builds t/unit/lib-test first.
bin="${MLREG_TEST_BUILD:-$(dirname "$0")}/unit/lib-test"
if ! [ -x "$bin" ]; then
	echo "1..0 # SKIP $bin not built (run 'make test')"
	exit 0
fi
exec "$bin"
