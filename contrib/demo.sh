#!/bin/bash
# demo.sh: a short real mlreg session on a scratch store ('make demo').
#
#   bash contrib/demo.sh [MLREG]     (MLREG: the binary, default ./mlreg)
#
# Registers contrib/example as version 1 of 'example-regressor' in a new
# store under a mktemp -d directory, then shows describe, list,
# list-versions, checkout and fsck; then shares it through a file:// remote
# (a directory laid out as a bucket would be) with a second store, which
# downloads it.  Each command is echoed before it runs.
# Run it from the repository root.  The scratch directory is removed on
# exit unless MLREG_DEMO_KEEP=1.
set -eu

mlreg=${1:-./mlreg}
case $mlreg in
*/*) ;;
*) mlreg=$(command -v -- "$mlreg") || { echo "demo.sh: '$1' not found" >&2; exit 1; } ;;
esac
if [ ! -x "$mlreg" ]; then
	echo "demo.sh: '$mlreg' is not an executable (run 'make' first)" >&2
	exit 1
fi
example=contrib/example
if [ ! -f "$example/model.onnx" ]; then
	echo "demo.sh: no $example/model.onnx here; run me from the repository root" >&2
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mlreg-demo.XXXXXX")
if [ "${MLREG_DEMO_KEEP:-0}" = 1 ]; then
	trap 'echo; echo "scratch directory kept: $scratch"' EXIT
else
	trap 'rm -rf -- "$scratch"' EXIT
fi
MLREG_DIR=$scratch/.mlreg
export MLREG_DIR

# quote ARG: print ARG as a shell word a reader can paste back
quote() {
	case $1 in
	'' | *[!A-Za-z0-9_./:@=+,-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}

# run ARGS...: echo '$ mlreg ARGS...' and run the binary with ARGS
run() {
	printf '\n$ mlreg'
	for a in "$@"; do printf ' %s' "$(quote "$a")"; done
	printf '\n'
	"$mlreg" "$@"
}

printf '$ export MLREG_DIR=%s\n' "$(quote "$MLREG_DIR")"
run init
run create example-regressor \
	-d 'linear regression on synthetic data (contrib/example)' \
	--metadata-file "$example/metadata.yaml"
run register example-regressor "$example" \
	--message 'first version' \
	--framework onnx:1.13 \
	--metrics-file "$example/metrics.json"
run describe example-regressor
run list
run list-versions example-regressor
run checkout example-regressor@1 "$scratch/out"
printf '\n$ ls -l %s\n' "$(quote "$scratch/out")"
ls -l "$scratch/out"
printf '\n$ mlreg fsck && echo '"'"'fsck: store is consistent'"'"'\n'
"$mlreg" fsck && echo 'fsck: store is consistent'

# Sharing: a directory as the remote, and a second store that downloads.
mkdir "$scratch/shared"
run remote add origin "file://$scratch/shared"
run upload
run list --remote origin
MLREG_DIR=$scratch/other/.mlreg
export MLREG_DIR
printf '\n$ export MLREG_DIR=%s\n' "$(quote "$MLREG_DIR")"
run init "$scratch/other"
run remote add origin "file://$scratch/shared"
run download example-regressor
run describe example-regressor@1
printf '\n$ mlreg fsck && echo '"'"'fsck: store is consistent'"'"'\n'
"$mlreg" fsck && echo 'fsck: store is consistent'
