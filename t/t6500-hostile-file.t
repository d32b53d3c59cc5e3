#!/bin/sh
test_description='hostile remotes built by hand: the forger itself, file://'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file
. "$TEST_DIRECTORY/lib-hostile.sh"

test_expect_success 'a forged remote with chained records downloads and checks out' '
	mlreg init &&
	remote_add "$MLREG_DIR" evil &&
	forge_remote evil m "" "r[\"message\"] = \"second\"" &&
	mlreg download evil m >out &&
	printf "m@1\nm@2\n" >expect &&
	test_cmp expect out &&
	mlreg fsck &&
	mlreg describe m --json >d.json &&
	json_assert d.json "d[\"version\"][\"message\"] == \"second\"" &&
	mlreg checkout m co &&
	printf "weights 2\n" >expect &&
	test_cmp expect co/w.bin
'

test_expect_success 'a forged broken chain is refused, so the forger can fail' '
	mlreg init s2 &&
	remote_add "$SCRATCH/s2/.mlreg" evil2 &&
	forge_remote evil2 m "" "r[\"parent\"] = \"0\" * 64" &&
	MLREG_DIR="$SCRATCH/s2/.mlreg" test_fails_remote 1 "m@2 does not follow m@1.*the remote is corrupt" mlreg download evil2 m
'

test_done
