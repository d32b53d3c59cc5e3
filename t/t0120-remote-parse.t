#!/bin/sh
# Unit tests of the S3 remote's XML reader and AWS configuration lookup in C;
# 'make test' builds t/unit/remote-parse-test first.
bin="${MLREG_TEST_BUILD:-$(dirname "$0")}/unit/remote-parse-test"
if ! [ -x "$bin" ]; then
	echo "1..0 # SKIP $bin not built (run 'make test')"
	exit 0
fi
exec "$bin"
