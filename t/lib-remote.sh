# t/lib-remote.sh: remotes for mlreg's upload/download tests, sourced after
# t/lib.sh (and t/lib-s3.sh when REMOTE_KIND is s3).
#
#   REMOTE_KIND           s3 (needs s3_start first) or file
#   remote_url NAME       a fresh, empty remote URL: s3://$S3_BUCKET/NAME or
#                         file://$SCRATCH/remotes/NAME (the directory made)
#   remote_add STORE NAME [LABEL]
#                         adds remote NAME at remote_url LABEL (default NAME)
#                         to the store directory STORE (with --endpoint for s3:
#                         $REMOTE_ENDPOINT when set, e.g. $PROXY_ENDPOINT, else
#                         $S3_ENDPOINT)
#   remote_keys LABEL     the keys the remote holds, one a line, sorted
#   remote_get LABEL KEY FILE
#                         copies one key of the remote to FILE
#   remote_put LABEL KEY FILE
#                         writes FILE at KEY (to forge a remote's content)
#   remote_put_tree LABEL DIR
#                         writes every file below DIR at its relative path
#                         (many at once for s3, not a request a key)
#   registry_snapshot [STORE]
#                         what a failed transfer must leave as it was: every
#                         path and checksum under models/ and the config file
#                         (objects that arrived and the remote's local state
#                         under remotes/ may stay: a rerun reuses them)
#   test_fails_remote CODES PATTERN CMD...
#                         test_fails with registry_snapshot as the store check
#   make_files DIR N SIZE files DIR/fK (K = 1..N) of SIZE pseudo-random bytes
#                         each, the same bytes on every run (seeded by DIR,
#                         K and SIZE): a failure can be replayed, and hash
#                         order is no dice roll
#   loose_key HEX         the remote key of loose object HEX
#   remote_sha LABEL KEY  the SHA-256 of what the remote holds at KEY
#   wait_until SECONDS CMD...
#                         runs CMD every 0.1 s until it succeeds; fails, saying
#                         so, when SECONDS pass first (never asserts on time:
#                         SECONDS is only how long to wait at most)
#   lines_at_least N ERE FILE
#                         FILE exists and has at least N lines matching ERE
#
# The transfer settings are made quick for tests: retries after 20 ms, a
# verify delay of 50 ms (the concurrency tests set their own), 10 s without
# progress fails a request.

MLREG_RETRY_DELAY_MS=20
MLREG_VERIFY_DELAY_MS=50
MLREG_TIMEOUT=10
export MLREG_RETRY_DELAY_MS MLREG_VERIFY_DELAY_MS MLREG_TIMEOUT

remote_url () {
	case $REMOTE_KIND in
	s3)
		printf 's3://%s/%s\n' "$S3_BUCKET" "$1" ;;
	file)
		mkdir -p "$SCRATCH/remotes/$1" &&
		printf 'file://%s/remotes/%s\n' "$SCRATCH" "$1" ;;
	*)
		BUG "REMOTE_KIND is '$REMOTE_KIND', not s3 or file" ;;
	esac
}

remote_add () {
	test_ra_url_=$(remote_url "${3:-$2}") || return 1
	case $REMOTE_KIND in
	s3)
		mlreg --store "$1" remote add "$2" "$test_ra_url_" \
			--endpoint "${REMOTE_ENDPOINT:-$S3_ENDPOINT}" ;;
	file)
		mlreg --store "$1" remote add "$2" "$test_ra_url_" ;;
	esac
}

remote_keys () {
	case $REMOTE_KIND in
	s3)
		awscli s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1/" \
			--query 'Contents[].Key' --output text |
		tr '\t' '\n' | sed -n "s|^$1/||p" | grep -v '^None$' | sort ;;
	file)
		(cd "$SCRATCH/remotes/$1" && find . -type f ! -name '.mlreg-tmp-*' |
			sed 's|^\./||' | sort) ;;
	esac
}

remote_get () {
	case $REMOTE_KIND in
	s3)
		awscli s3api get-object --bucket "$S3_BUCKET" --key "$1/$2" "$3" >/dev/null ;;
	file)
		cp "$SCRATCH/remotes/$1/$2" "$3" ;;
	esac
}

remote_put () {
	case $REMOTE_KIND in
	s3)
		awscli s3api put-object --bucket "$S3_BUCKET" --key "$1/$2" --body "$3" \
			>/dev/null ;;
	file)
		mkdir -p "$(dirname "$SCRATCH/remotes/$1/$2")" &&
		rm -f "$SCRATCH/remotes/$1/$2" &&
		cp "$3" "$SCRATCH/remotes/$1/$2" ;;
	esac
}

remote_put_tree () {
	case $REMOTE_KIND in
	s3)
		s3op put-tree "$S3_BUCKET" "$1" "$2" ;;
	file)
		# one cp, as remote_put would copy each file (replacing, never
		# writing through, what is there): 2,000 keys in a second
		mkdir -p "$SCRATCH/remotes/$1" &&
		cp -R --remove-destination "$2/." "$SCRATCH/remotes/$1/" ;;
	esac
}

registry_snapshot () {
	test_rs_dir_=${1:-${STORE:-$MLREG_DIR}}
	if ! test -d "$test_rs_dir_"
	then
		printf '(no store at %s)\n' "$test_rs_dir_"
		return 0
	fi
	(
		cd "$test_rs_dir_" &&
		find config models -print | sort &&
		find config models -type f -exec sha256sum {} + | sort
	)
}

test_fails_remote () {
	test_snapshot_=registry_snapshot
	test_fails "$@"
	test_fr_ret_=$?
	test_snapshot_=
	return $test_fr_ret_
}

make_files () {
	mkdir -p "$1" &&
	"$PYTHON" - "$1" "$2" "$3" <<-\EOF
	import os, random, sys
	d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for k in range(1, n + 1):
	    with open(os.path.join(d, "f%d" % k), "wb") as f:
	        f.write(random.Random("%s/f%d %d" % (d, k, size)).randbytes(size))
	EOF
}

wait_until () {
	test_wu_n_=$(($1 * 10))
	shift
	while ! "$@"
	do
		test_wu_n_=$((test_wu_n_ - 1))
		if test $test_wu_n_ -le 0
		then
			printf 'wait_until: still false: %s\n' "$*" >&2
			return 1
		fi
		sleep 0.1
	done
}

lines_at_least () {
	test -f "$3" &&
	test "$(grep -c -E -e "$2" "$3")" -ge "$1"
}

loose_key () {
	printf 'objects/%s/%s\n' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-)"
}

remote_sha () {
	rm -f "$TEST_ROOT/got" &&
	remote_get "$1" "$2" "$TEST_ROOT/got" &&
	sha256_of "$TEST_ROOT/got"
}
