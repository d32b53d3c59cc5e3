# t/lib-hostile.sh: hostile remotes built by hand, sourced after t/lib.sh and
# t/lib-remote.sh (and t/lib-s3.sh when REMOTE_KIND is s3).
#
#   forge_remote LABEL MODEL EDIT...
#                         puts on remote LABEL (see remote_url) the marker
#                         mlreg-remote, then MODEL's version records 1..N
#                         made by the N EDITs (python, on a well-formed
#                         record r; see t/helpers/forge-remote.py), with
#                         correct ids and parents, the objects the EDITs
#                         made, and model.json naming the last record
#
# Each attack on download is then one forge_remote and one test_fails_remote:
#
#	forge_remote evil m "r['files'][0]['path'] = '../../x'" &&
#	test_fails_remote 1 "unsafe path" mlreg download evil m

forge_remote () {
	test_fr_label_=$1
	test_fr_dir_=$TEST_ROOT/forge.$$.$test_count
	shift
	rm -rf "$test_fr_dir_" &&
	"$PYTHON" "$TEST_DIRECTORY/helpers/forge-remote.py" "$test_fr_dir_" "$@" &&
	printf 'mlreg remote format 1\n' >"$test_fr_dir_/mlreg-remote" &&
	(cd "$test_fr_dir_" && find . -type f | sed 's|^\./||' | sort) \
		>"$test_fr_dir_.keys" &&
	remote_put_tree "$test_fr_label_" "$test_fr_dir_"
}
