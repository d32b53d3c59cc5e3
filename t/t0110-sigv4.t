#!/bin/sh
# Unit tests of the SigV4 signer in C; 'make test' builds t/unit/sigv4-test first.
bin="${MLREG_TEST_BUILD:-$(dirname "$0")}/unit/sigv4-test"
if ! [ -x "$bin" ]; then
	echo "1..0 # SKIP $bin not built (run 'make test')"
	exit 0
fi
exec "$bin"
