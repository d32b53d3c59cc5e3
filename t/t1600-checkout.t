#!/bin/sh
test_description='checkout: writing a version'"'"'s files out, verified'
. "$(dirname "$0")/lib.sh"

# same_tree A B: directories A and B hold the same files, byte for byte,
# with the same modes, and nothing else.
same_tree () {
	(cd "$1" && find . ! -type d | sort) >tree.a &&
	(cd "$2" && find . ! -type d | sort) >tree.b &&
	test_cmp tree.a tree.b &&
	while read -r f
	do
		test -f "$2/$f" && ! test -h "$2/$f" &&
		cmp "$1/$f" "$2/$f" &&
		test "$(stat -c %a "$1/$f")" = "$(stat -c %a "$2/$f")" || {
			printf 'same_tree: %s differs\n' "$f" >&2
			return 1
		}
	done <tree.a
}

test_expect_success 'setup' - <<-\EOF
	mlreg init &&
	mkdir -p v1 v2/sub/deeper &&
	head -c 70000 /dev/urandom >v1/model.bin &&
	head -c 5000 /dev/urandom >v2/model.bin &&
	printf '#!/bin/sh\necho serve\n' >v2/serve.sh &&
	chmod 755 v2/serve.sh &&
	printf 'cfg\n' >v2/sub/config.yaml &&
	printf '' >v2/sub/deeper/empty.txt &&
	mlreg register --create m v1/model.bin &&
	mlreg register m v2
EOF

test_expect_success 'checkout NAME writes the latest version into a new directory' '
	mlreg checkout m out >stdout 2>stderr &&
	test_must_be_empty stdout &&
	test_must_be_empty stderr &&
	same_tree v2 out
'

test_expect_success 'executable bits are kept' '
	test "$(stat -c %a out/serve.sh)" = 755 &&
	test "$(stat -c %a out/model.bin)" = 644 &&
	test "$(stat -c %a out/sub/config.yaml)" = 644
'

test_expect_success 'checkout NAME@N' '
	mlreg checkout m@1 out1 &&
	same_tree v1 out1
'

test_expect_success 'checkout into missing parent directories' '
	mlreg checkout m@1 a/b/c &&
	same_tree v1 a/b/c
'

test_expect_success 'checkout into an existing directory keeps other files' '
	mkdir existing &&
	printf mine >existing/mine.txt &&
	mlreg checkout m existing &&
	cmp v2/model.bin existing/model.bin &&
	cmp v2/sub/config.yaml existing/sub/config.yaml &&
	printf mine >expect &&
	test_cmp expect existing/mine.txt
'

test_expect_success 'checking out again over identical files is fine' '
	mlreg checkout m out >stdout 2>stderr &&
	test_must_be_empty stdout &&
	test_must_be_empty stderr &&
	same_tree v2 out
'

test_expect_success 'checkout does not change the store' '
	store_snapshot >before &&
	mlreg checkout m fresh-out &&
	store_snapshot >after &&
	test_cmp before after
'

test_expect_success 'an existing different file is refused, and nothing is written' - <<-\EOF
	mkdir conflict &&
	printf 'local edits\n' >conflict/serve.sh &&
	test_fails 1 "serve\.sh" mlreg checkout m conflict &&
	printf 'local edits\n' >expect &&
	test_cmp expect conflict/serve.sh &&
	(cd conflict && find . ! -type d) >files &&
	test_write_lines ./serve.sh >expect &&
	test_cmp expect files
EOF

test_expect_success '--force overwrites it' '
	mlreg checkout --force m conflict &&
	same_tree v2 conflict
'

test_expect_success 'a file where the version has a directory is refused' '
	mkdir clash &&
	printf x >clash/sub &&
	test_fails 1 "sub" mlreg checkout m clash &&
	printf x >expect &&
	test_cmp expect clash/sub &&
	test "$(ls clash)" = sub
'

test_expect_success 'DIR naming a regular file is refused' '
	printf "a file\n" >plainfile &&
	test_fails "1|128" "plainfile" mlreg checkout m plainfile &&
	printf "a file\n" >expect &&
	test_cmp expect plainfile
'

test_expect_success 'an unknown model or version fails and creates nothing' '
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg checkout nope o1 &&
	test_path_is_missing o1 &&
	test_fails 1 "^error: version 9 of model ${SQ}m${SQ} not found$" mlreg checkout m@9 o2 &&
	test_path_is_missing o2 &&
	test_fails 128 "invalid version" mlreg checkout m@0 o3 &&
	test_path_is_missing o3
'

test_expect_success 'missing or extra arguments are usage errors' '
	test_fails 129 "" mlreg checkout m &&
	test_fails 129 "" mlreg checkout m o4 o5 &&
	test_path_is_missing o4 &&
	test_path_is_missing o5
'

test_expect_success 'a corrupted object fails the checkout with a hash error, no partial file' - <<-\EOF
	obj=$(object_path "$(sha256_of v1/model.bin)") &&
	cp "$obj" saved-object &&
	test_when_finished "chmod u+w \"$obj\" && cp saved-object \"$obj\"" &&
	chmod u+w "$obj" &&
	flip_byte "$obj" 40000 &&
	! cmp -s saved-object "$obj" &&
	test_fails 1 "hash\|sha256\|SHA-256\|corrupt" mlreg checkout m@1 corrupt-out &&
	test_grep -e "$(sha256_of v1/model.bin)" "$ERR" &&
	test_grep ! -e "model.bin${SQ}: cannot write ${SQ}model.bin" "$ERR" &&
	if test -d corrupt-out
	then
		find corrupt-out ! -type d >leftovers &&
		test_must_be_empty leftovers
	fi
EOF

test_expect_success 'the same over an existing file leaves that file alone' - <<-\EOF
	obj=$(object_path "$(sha256_of v1/model.bin)") &&
	test_when_finished "chmod u+w \"$obj\" && cp saved-object \"$obj\"" &&
	chmod u+w "$obj" &&
	flip_byte "$obj" 40000 &&
	mkdir corrupt-force &&
	printf 'previous\n' >corrupt-force/model.bin &&
	test_fails 1 "hash\|sha256\|SHA-256\|corrupt" mlreg checkout --force m@1 corrupt-force &&
	printf 'previous\n' >expect &&
	test_cmp expect corrupt-force/model.bin &&
	test "$(ls -A corrupt-force)" = model.bin
EOF

test_expect_success 'a truncated object fails the checkout too' - <<-\EOF
	obj=$(object_path "$(sha256_of v1/model.bin)") &&
	test_when_finished "chmod u+w \"$obj\" && cp saved-object \"$obj\"" &&
	chmod u+w "$obj" &&
	truncate -s 100 "$obj" &&
	test_fails 1 "hash\|sha256\|SHA-256\|corrupt\|size" mlreg checkout m@1 truncated-out &&
	test_path_is_missing truncated-out/model.bin
EOF

test_expect_success 'after the repair checkout works again' '
	mlreg checkout m@1 repaired &&
	same_tree v1 repaired
'

# hostile_version N PATH: rewrites the path of the file of evil@N to PATH
# (which breaks the id chain; no matter: checkout must refuse either way).
hostile_version () {
	rec=$(version_record evil $1) &&
	chmod u+w "$rec" &&
	cp "evil$1.json" "$rec" &&
	json_edit "$rec" "d['files'][0]['path'] = '$2'"
}

test_expect_success 'setup: a model whose versions will be tampered with' '
	mlreg register --create evil v1/model.bin &&
	mlreg register --force evil v1/model.bin &&
	mlreg register --force evil v1/model.bin &&
	mkdir -p jail outside &&
	cp "$(version_record evil 2)" evil2.json &&
	cp "$(version_record evil 3)" evil3.json
'

for n in 2 3
do
	test_expect_success "evil@$n with ../ in a path never writes outside DIR" - <<-EOF
		hostile_version $n ../evil &&
		test_fails "1|128" "" mlreg checkout evil@$n jail/dir &&
		test_path_is_missing jail/evil &&
		test_path_is_missing evil &&
		hostile_version $n ../../outside/evil &&
		test_fails "1|128" "" mlreg checkout --force evil@$n jail/dir &&
		test_path_is_missing outside/evil &&
		hostile_version $n sub/../../evil &&
		test_fails "1|128" "" mlreg checkout --force evil@$n jail/dir &&
		test_path_is_missing jail/evil &&
		test_path_is_missing evil
	EOF

	test_expect_success "evil@$n with an absolute path never writes outside DIR" - <<-EOF
		hostile_version $n "\$SCRATCH/outside/abs" &&
		test_fails "1|128" "" mlreg checkout --force evil@$n jail/dir2 &&
		test_path_is_missing outside/abs &&
		test_path_is_missing "jail/dir2\$SCRATCH/outside/abs"
	EOF

	test_expect_success "evil@$n with other paths naming no file is refused" - <<-EOF
		for p in "" . .. ./ sub/..
		do
			hostile_version $n "\$p" &&
			test_fails "1|128" "" mlreg checkout --force evil@$n jail/dir3 || return 1
		done
	EOF
done

test_expect_success 'with the records restored, checkout works again' '
	cp evil2.json "$(version_record evil 2)" &&
	cp evil3.json "$(version_record evil 3)" &&
	mlreg checkout evil@2 jail/dir5 &&
	cmp v1/model.bin jail/dir5/model.bin &&
	mlreg fsck
'

# checkout_may_refuse ARGS...: mlreg checkout ARGS either succeeds or fails
# with 1 or 128 and one line of error; anything else (a crash) fails.
checkout_may_refuse () {
	mlreg checkout "$@" 2>err
	cmr_code_=$?
	case $cmr_code_ in
	0) test_must_be_empty err ;;
	1|128) test_line_count = 1 err ;;
	*)
		printf 'checkout exited %s\n' $cmr_code_ >&2
		return 1 ;;
	esac
}

test_expect_success 'a symlinked directory inside DIR is not followed' - <<-\EOF
	mkdir -p linked victim &&
	ln -s ../victim linked/sub &&
	test_must_fail mlreg checkout m linked 2>err &&
	test_line_count = 1 err &&
	test "$(ls -A victim)" = "" &&
	checkout_may_refuse --force m linked &&
	test "$(ls -A victim)" = ""
EOF

test_expect_success 'a symlinked file inside DIR is not written through' - <<-\EOF
	mkdir -p linked2 &&
	printf 'victim\n' >victim.txt &&
	ln -s ../victim.txt linked2/model.bin &&
	test_must_fail mlreg checkout m linked2 2>err &&
	test_line_count = 1 err &&
	printf 'victim\n' >expect &&
	test_cmp expect victim.txt &&
	checkout_may_refuse --force m linked2 &&
	test_cmp expect victim.txt &&
	if test $cmr_code_ = 0
	then
		! test -h linked2/model.bin &&
		cmp v2/model.bin linked2/model.bin
	fi
EOF

test_done
