#!/bin/sh
test_description='the Makefile: CFLAGS and LDFLAGS given on the command line or
in the environment replace only optimisation, debugging and warnings; what
the build needs (C11, _GNU_SOURCE, -Ilib, the version, the libraries) stays'
. "$(dirname "$0")/lib.sh"

TOP=$TEST_DIRECTORY/..

test_expect_success 'setup: a scratch copy of the sources' '
	mkdir src &&
	cp -R "$TOP/Makefile" "$TOP/lib" "$TOP/cmd" src/ &&
	rm -f src/lib/*.o src/cmd/*.o
'

# needs_all FILE: every compile and link line in FILE (make -n output) has
# what the build needs, and -O0 from CFLAGS, and not the default -O2.
needs_all () {
	grep -e " -o " "$1" >lines &&
	test_line_count -gt 5 lines &&
	while read -r line
	do
		for want in -std=c11 -D_GNU_SOURCE -Ilib "-DMLREG_VERSION=" -O0
		do
			case $line in
			*"$want"*) ;;
			*) echo "missing $want: $line" >&2; return 1 ;;
			esac
		done &&
		case $line in
		*" -O2"*) echo "default -O2 kept: $line" >&2; return 1 ;;
		esac || return 1
	done <lines &&
	grep " -o mlreg" lines >link &&
	test_grep -e "-lyaml" link && test_grep ! -e "-lgit2" link &&
	test_grep ! -e "-lcurl" link && test_grep -e "-ldl" link && test_grep -e "-lm" link &&
	test_grep -e "-Wl,--as-needed" link
}

test_expect_success 'make CFLAGS=-O0 LDFLAGS=...: every command keeps the needed flags' '
	make -C src -n CFLAGS=-O0 LDFLAGS=-Wl,--as-needed mlreg >plan 2>&1 &&
	needs_all plan
'

test_expect_success 'CFLAGS=-O0 make (from the environment): the same' '
	CFLAGS=-O0 LDFLAGS=-Wl,--as-needed make -C src -n mlreg >plan 2>&1 &&
	needs_all plan
'

test_expect_success 'make CFLAGS=-O0 really compiles (a command and a library file)' '
	make -C src -s CFLAGS=-O0 cmd/main.o lib/redact.o >out 2>&1 &&
	test_path_is_file src/cmd/main.o && test_path_is_file src/lib/redact.o
'

# lib/curl-dl.h: libcurl is loaded by the first command that needs it,
# never at start-up (it brings twenty libraries of its own).
test_expect_success 'libcurl is not linked, and loaded only by a command that uses HTTP' - <<-\EOF
	ldd "$TOP/mlreg" >libs && test_grep ! libcurl libs &&
	LD_DEBUG=files mlreg --version 2>debug >/dev/null &&
	test_grep ! "libcurl" debug &&
	mlreg init &&
	test_must_fail env LD_DEBUG=files mlreg import http://127.0.0.1:9/model.yaml 2>debug &&
	test_grep "file=libcurl.so.4 .*dynamically loaded" debug &&
	test_must_fail mlreg import http://127.0.0.1:9/model.yaml 2>err &&
	test_line_count = 1 err &&
	test_grep "^fatal: .*127.0.0.1" err
EOF

# lib/git-dl.h: libgit2 likewise, loaded only by what reads git: provenance
# inside a work tree, alias --git-tag, the remotes' configuration.  The store
# config (register.ifChanged) is read without it (lib/config.h).
# loads_git yes|no CMD...: CMD succeeds, and loads libgit2 (yes) or not.
loads_git () {
	want=$1 && shift &&
	LD_DEBUG=files "$@" >"$TEST_ROOT/out" 2>"$TEST_ROOT/debug" ||
	{ grep -v "^ *[0-9]*:" "$TEST_ROOT/debug" >&2; return 1; }
	if test "$want" = yes
	then
		test_grep "file=libgit2.so.* dynamically loaded" "$TEST_ROOT/debug"
	else
		test_grep ! "libgit2" "$TEST_ROOT/debug"
	fi
}

test_expect_success 'libgit2 is not linked, and loaded only by commands that read git' - <<-\EOF
	ldd "$TOP/mlreg" >libs && test_grep ! libgit2 libs &&
	mkdir -p outside && echo weights >outside/m.bin &&
	git config -f .mlreg/config register.ifChanged true &&
	loads_git no mlreg --version &&
	loads_git no mlreg register --create m outside/m.bin &&
	loads_git no mlreg register m outside/m.bin &&
	test_grep "^m@1" "$TEST_ROOT/out" &&
	loads_git no mlreg describe m &&
	loads_git no mlreg list &&
	loads_git no mlreg list-versions m &&
	loads_git no mlreg checkout m@1 co &&
	loads_git no mlreg fsck &&
	loads_git no mlreg inspect outside/m.bin &&
	git init -q repo && git -C repo config user.name Tagger &&
	git -C repo config user.email tagger@example.com &&
	echo w >repo/f && git -C repo add f &&
	git -C repo commit -q -m first &&
	(cd repo && loads_git yes mlreg register --create g f) &&
	mlreg describe --json g@1 >desc &&
	test_grep "\"commit\": \"$(git -C repo rev-parse HEAD)\"" desc &&
	(cd repo && loads_git yes mlreg alias set g@1 prod --git-tag) &&
	git -C repo tag >tags && test_grep "^g#prod#" tags &&
	loads_git yes mlreg remote add origin "file://$PWD/remote"
EOF

# Without libgit2 (a bind mount of /dev/null over it, in a user and mount
# namespace where that is allowed): what needs it fails with one line
# naming it and changes nothing; the rest does not notice.
git2=$(ldconfig -p | awk '/libgit2\.so\.[0-9]+\.[0-9]+ / { print $NF; exit }')
test -n "$git2" && unshare -rm true 2>/dev/null && test_set_prereq HIDE_GIT2
without_git2 () {
	unshare -rm sh -c 'mount --bind /dev/null "$0" && exec "$@"' "$git2" "$@"
}

test_expect_success HIDE_GIT2 'libgit2 missing: one line from the commands that need it' '
	without_git2 mlreg list >out 2>err &&
	test_must_be_empty err && test_grep "^m " out &&
	test_fails 128 "^fatal: cannot read .*config.*cannot load libgit2\.so\..* (install libgit2-" \
		without_git2 mlreg remote add other "file://$PWD/other" &&
	(cd repo && test_fails 128 "cannot load libgit2" \
		without_git2 mlreg alias set g@1 staging --git-tag) &&
	echo w2 >repo/f &&
	(cd repo && without_git2 mlreg register g f >../out 2>../err) &&
	test_must_be_empty err && test_grep "^g@2" out &&
	mlreg describe --json g@2 >desc && test_grep "\"git\": null" desc
'

test_done
