# t/lib-inspect.sh: helpers shared by the model-file inspection tests
# (t/t41xx, t/t42xx), sourced after lib.sh.

# inspect FILE: the inspection object of FILE (mlreg inspect --json) in
# FILE.json, and in inspect.json too (the last inspection).
inspect () {
	mlreg inspect "$1" --json >"$1.all" &&
	json_get "$1.all" 'd[0]' >"$1.json" &&
	cp "$1.json" inspect.json
}

# inspect_survives FILE [PATTERN]: inspecting FILE, within 20 seconds,
# either succeeds quietly or fails with exit 128 and one 'fatal:' line that
# matches PATTERN (default: FILE quoted, "'FILE'"); a crash, a hang or any
# other ending is a failure.
inspect_survives () {
	is_pat_=${2:-"'$1'"}
	timeout 20 mlreg inspect "$1" >survive.out 2>survive.err
	is_rc_=$?
	case $is_rc_ in
	0)
		test_must_be_empty survive.err ;;
	128)
		test_line_count = 1 survive.err &&
		test_grep "^fatal: .*$is_pat_" survive.err ;;
	*)
		printf 'inspect_survives: exit %s for %s\n' "$is_rc_" "$1" >&2
		cat survive.err >&2
		return 1 ;;
	esac
}

# prefixes_survive FILE STEP: every prefix of FILE whose length is a
# multiple of STEP (and the one a byte short) survives inspection.
prefixes_survive () {
	ps_size_=$(wc -c <"$1") &&
	ps_n_=0 &&
	while test $ps_n_ -lt $ps_size_
	do
		head -c $ps_n_ "$1" >"cut-$1" &&
		inspect_survives "cut-$1" || return 1
		ps_n_=$((ps_n_ + $2))
	done &&
	head -c $((ps_size_ - 1)) "$1" >"cut-$1" &&
	inspect_survives "cut-$1"
}

disk_free_kb () {
	df -Pk . | awk 'NR == 2 { print $4 }'
}
