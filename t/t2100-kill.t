#!/bin/sh
test_description='a register killed with SIGKILL leaves no trace a reader can see'
. "$(dirname "$0")/lib.sh"

# A 2 GiB sparse file takes register long enough (hashing and copying) for
# the poll below to see its temporary file under .mlreg/tmp; nothing here
# depends on how long it takes.

test_expect_success 'setup' '
	mlreg init &&
	mlreg create big &&
	truncate -s 2G big.bin
'

test_expect_success 'start register, kill -9 it once its temporary file appears' - <<-\EOF
	mlreg register big big.bin >reg.out 2>reg.err &
	pid=$!
	i=0 seen=
	while test $i -lt 400
	do
		if test -d "$MLREG_DIR/tmp" &&
		   test -n "$(find "$MLREG_DIR/tmp" -type f | head -n 1)"
		then
			seen=t
			break
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null
	wait $pid
	code=$?
	if test -n "$seen" && test $code = 137
	then
		test_set_prereq KILLED
	elif test -n "$seen"
	then
		say "suspicious: register had finished (exit $code) before it could be killed"
	else
		say "suspicious: no temporary file ever appeared under .mlreg/tmp (register exit $code)"
	fi
	true
EOF

test_expect_success KILLED 'no version is visible' - <<-\EOF
	mlreg list-versions big >out &&
	test_must_be_empty out &&
	mlreg describe big --json >d.json &&
	json_assert d.json 'd["latest_version"] == 0' 'd["version"] is None' &&
	test_path_is_missing "$(version_record big 1)"
EOF

test_expect_success KILLED 'fsck passes' '
	mlreg fsck >out &&
	test_must_be_empty out
'

test_expect_success KILLED 'a rerun of register prints NAME@1' '
	mlreg register big big.bin >out 2>err &&
	echo big@1 >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	mlreg describe big --json >d.json &&
	json_assert d.json "d[\"version\"][\"files\"][0][\"sha256\"] == \"$(sha256_of big.bin)\"" &&
	mlreg fsck
'

test_done
