#!/bin/sh
test_description='a file:// remote with links planted in it: nothing is followed, each is refused naming it'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

# Each test plants a link in a remote at a place mlreg reads, writes, lists
# or renames through, pointing into $SCRATCH/outside, and checks that the
# command fails with one line naming the link and that nothing outside
# changed (a link there used to make upload write into its target and
# download read from it).

A="$SCRATCH/a/.mlreg" B="$SCRATCH/b/.mlreg" STORE="$SCRATCH/a/.mlreg"

# outside_state: every path and checksum below $SCRATCH/outside.
outside_state () {
	(
		cd "$SCRATCH/outside" &&
		find . -print | sort &&
		find . -type f -exec sha256sum {} + | sort
	)
}

# fresh LABEL: a new remote LABEL (remote "r" of store A and store B) and a
# new, non-empty outside directory.
fresh () {
	rm -rf "$SCRATCH/remotes/$1" "$SCRATCH/outside" &&
	mkdir -p "$SCRATCH/outside/dir" &&
	printf 'precious\n' >"$SCRATCH/outside/file" &&
	printf 'precious\n' >"$SCRATCH/outside/dir/file" &&
	R="$SCRATCH/remotes/$1" &&
	for s in "$A" "$B"
	do
		mlreg --store "$s" remote remove r 2>/dev/null
		remote_add "$s" r "$1" || return 1
	done
}

# uploaded LABEL: a fresh remote holding everything of store A.
uploaded () {
	fresh "$1" &&
	mlreg --store "$A" upload r >/dev/null
}

# refused PATTERN CMD...: CMD fails with exit 1 and one line matching
# PATTERN, the store and the outside directory unchanged.
refused () {
	outside_state >outside.before &&
	test_fails_remote 1 "$@" &&
	outside_state >outside.after &&
	test_cmp outside.before outside.after
}

LINK=", and mlreg follows no link inside a remote$"

test_expect_success 'setup: a model with a small and a large (loose) file' '
	mlreg init a && mlreg init b &&
	mkdir m &&
	printf "weights\n" >m/w.bin &&
	head -c 2000000 /dev/urandom >m/big.bin &&
	mlreg --store "$A" register --create m m >/dev/null &&
	BIG=$(sha256_of m/big.bin) &&
	XX=$(printf %s "$BIG" | cut -c1-2)
'

test_expect_success 'upload: models is a link' - <<-\EOF
	fresh links1 &&
	ln -s "$SCRATCH/outside/dir" "$R/models" &&
	refused "^error: remote .r.: cannot list .models/.: .models. is a symbolic link$LINK" \
		mlreg --store "$A" upload r
EOF

test_expect_success 'upload: models/m is a link' - <<-\EOF
	fresh links2 &&
	mkdir "$R/models" &&
	ln -s "$SCRATCH/outside/dir" "$R/models/m" &&
	refused "^error: remote .r.: cannot list .models/.: .models/m. is a symbolic link$LINK" \
		mlreg --store "$A" upload r &&
	STORE=$A refused "^error: remote .r.: cannot list .models/m/.: .models/m. is a symbolic link$LINK" \
		mlreg --store "$A" upload r m
EOF

test_expect_success 'upload: models/m/versions is a link' - <<-\EOF
	fresh links3 &&
	mkdir -p "$R/models/m" &&
	ln -s "$SCRATCH/outside/dir" "$R/models/m/versions" &&
	refused "^error: remote .r.: cannot list .models/m/.: .models/m/versions. is a symbolic link$LINK" \
		mlreg --store "$A" upload r m
EOF

test_expect_success 'upload: models/m/model.json is a link' - <<-\EOF
	uploaded links4 &&
	rm "$R/models/m/model.json" &&
	ln -s "$SCRATCH/outside/file" "$R/models/m/model.json" &&
	refused "^error: remote .r.: cannot list .models/m/.: .models/m/model.json. is a symbolic link$LINK" \
		mlreg --store "$A" upload r m
EOF

test_expect_success 'upload: packs is a link' - <<-\EOF
	fresh links5 &&
	ln -s "$SCRATCH/outside/dir" "$R/packs" &&
	refused "^error: remote .r.: cannot list .packs/.: .packs. is a symbolic link$LINK" \
		mlreg --store "$A" upload r
EOF

test_expect_success 'upload: objects and objects/XX are links' - <<-\EOF
	fresh links6 &&
	ln -s "$SCRATCH/outside/dir" "$R/objects" &&
	refused "^error: remote .r.: cannot list .objects/.: .objects. is a symbolic link$LINK" \
		mlreg --store "$A" upload r &&
	rm "$R/objects" &&
	mkdir "$R/objects" &&
	ln -s "$SCRATCH/outside/dir" "$R/objects/$XX" &&
	refused "^error: remote .r.: cannot list .objects/.: .objects/$XX. is a symbolic link$LINK" \
		mlreg --store "$A" upload r
EOF

test_expect_success 'upload and download: the marker is a link' - <<-\EOF
	fresh links7 &&
	printf "mlreg remote format 1\n" >"$SCRATCH/outside/file" &&
	ln -s "$SCRATCH/outside/file" "$R/mlreg-remote" &&
	refused "^error: remote .r.: cannot read .mlreg-remote.: .mlreg-remote. is a symbolic link$LINK" \
		mlreg --store "$A" upload r &&
	STORE=$B refused "^error: remote .r.: cannot read .mlreg-remote.: .mlreg-remote. is a symbolic link$LINK" \
		mlreg --store "$B" download r m
EOF

test_expect_success 'download: a version record is a link' - <<-\EOF
	uploaded links8 &&
	cp "$R/models/m/versions/1.json" "$SCRATCH/outside/file" &&
	rm "$R/models/m/versions/1.json" &&
	ln -s "$SCRATCH/outside/file" "$R/models/m/versions/1.json" &&
	STORE=$B refused "^error: remote .r.: cannot list .models/m/.: .models/m/versions/1.json. is a symbolic link$LINK" \
		mlreg --store "$B" download r m &&
	STORE=$B refused "^error: remote .r.: cannot list .models/m/.: .models/m/versions/1.json. is a symbolic link$LINK" \
		mlreg --store "$B" list-versions m --remote r
EOF

test_expect_success 'download: objects/XX and a loose object are links' - <<-\EOF
	uploaded links9 &&
	key=$(loose_key $BIG) &&
	mv "$R/$key" "$SCRATCH/outside/file" &&
	ln -s "$SCRATCH/outside/file" "$R/$key" &&
	STORE=$B refused "^error: remote .r.: cannot read .$key.: .$key. is a symbolic link$LINK" \
		mlreg --store "$B" download r m &&
	rm "$R/$key" &&
	mv "$SCRATCH/outside/file" "$R/$key" &&
	mv "$R/objects/$XX" "$SCRATCH/outside/dir/$XX" &&
	ln -s "$SCRATCH/outside/dir/$XX" "$R/objects/$XX" &&
	STORE=$B refused "^error: remote .r.: cannot read .$key.: .objects/$XX. is a symbolic link$LINK" \
		mlreg --store "$B" download r m &&
	test_path_is_missing "$B/models/m"
EOF

test_expect_success 'download: a pack is a link' - <<-\EOF
	uploaded links10 &&
	pack=$(cd "$R/packs" && ls *.pack) &&
	mv "$R/packs/$pack" "$SCRATCH/outside/file" &&
	ln -s "$SCRATCH/outside/file" "$R/packs/$pack" &&
	STORE=$B refused "^error: remote .r.: cannot list .packs/.: .packs/$pack. is a symbolic link$LINK" \
		mlreg --store "$B" download r m
EOF

test_expect_success 'a link named as a temporary file is neither followed nor removed' - <<-\EOF
	uploaded links11 &&
	ln -s "$SCRATCH/outside/file" "$R/objects/$XX/.mlreg-tmp-planted" &&
	touch -h -d "2000-01-01" "$R/objects/$XX/.mlreg-tmp-planted" &&
	outside_state >outside.before &&
	printf "more\n" >m/more.bin &&
	mlreg --store "$A" register m m >/dev/null &&
	mlreg --store "$A" upload r >out &&
	echo m@2 >expect && test_cmp expect out &&
	outside_state >outside.after &&
	test_cmp outside.before outside.after &&
	test -h "$R/objects/$XX/.mlreg-tmp-planted" &&
	mlreg --store "$B" download r m >out &&
	mlreg --store "$B" checkout m co && cmp m/big.bin co/big.bin
EOF

test_expect_success 'a FIFO planted as a key is no key, and never blocks' - <<-\EOF
	mlreg init c && C="$SCRATCH/c/.mlreg" &&
	fresh links12 &&
	mlreg --store "$C" remote add r "file://$R" &&
	mkfifo "$R/mlreg-remote" &&
	test_expect_code 1 timeout 60 mlreg --store "$C" download r m 2>err &&
	test_grep "^error: model .m. not found on remote .r.$" err &&
	rm "$R/mlreg-remote" &&
	mlreg --store "$A" upload r >/dev/null &&
	rm "$R/models/m/versions/1.json" &&
	mkfifo "$R/models/m/versions/1.json" &&
	test_expect_code 1 timeout 60 mlreg --store "$C" download r m@1 2>err &&
	test_grep "^error: remote .r.: models/m/versions/1.json is missing, below version 2: the remote is corrupt$" err &&
	test_path_is_missing "$C/models/m"
EOF

test_expect_success 'the remote directory itself may be reached through a link' - <<-\EOF
	uploaded links14 &&
	ln -s "$SCRATCH/remotes/links14" "$SCRATCH/via-link" &&
	mlreg init d && D="$SCRATCH/d/.mlreg" &&
	mlreg --store "$D" remote add vl "file://$SCRATCH/via-link" &&
	mlreg --store "$D" download vl m >out &&
	test_write_lines m@1 m@2 >expect && test_cmp expect out &&
	mlreg --store "$D" checkout m co2 && diff -r m co2
EOF

test_done
