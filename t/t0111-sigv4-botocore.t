#!/bin/sh
# The SigV4 signer against botocore's S3SigV4Auth on random S3 requests;
# 'make test' builds t/unit/sigv4-sign and installs python3-botocore first.
dir="$(dirname "$0")"
bin="${MLREG_TEST_BUILD:-$dir}/unit/sigv4-sign"
if ! /usr/bin/python3 -c 'import botocore' 2>/dev/null; then
	echo "1..0 # SKIP botocore not importable (apt-get install python3-botocore)"
	exit 0
fi
if ! [ -x "$bin" ]; then
	echo "1..0 # SKIP $bin not built (run 'make test')"
	exit 0
fi
exec /usr/bin/python3 "$dir/helpers/sigv4-check.py" "$bin"
