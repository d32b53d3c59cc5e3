#!/bin/sh
test_description='lib/config.c, the reader of the store config file, against
git config -f FILE --get and --bool --get on many files: the same value, the
same "not set", the same failure; libgit2 loaded only for a file outside the
subset config.h lists (include, continuations, odd escapes, garbage...)'
. "$(dirname "$0")/lib.sh"

bin="${MLREG_TEST_BUILD:-$TEST_DIRECTORY}/unit/config-get"
if ! [ -x "$bin" ]; then
	skip_all="$bin not built (run 'make test')"
	test_done
fi

# check FILE KEY PATH [BOOLPATH]: config-get and git agree on KEY in FILE,
# as a string and as a boolean (output and exit code: 0, 1 unset, 128
# error), and libgit2 was loaded (slow) or not (fast) for each (BOOLPATH
# defaults to PATH; a value git refuses as a boolean is always slow).
check () {
	for mode in "" --bool
	do
		git config --includes -f "$1" $mode --get "$2" >expect 2>/dev/null
		echo "exit $?" >>expect
		LD_DEBUG=files "$bin" $mode "$1" "$2" >actual 2>debug
		echo "exit $?" >>actual
		test_cmp expect actual || { echo "differs: $mode $1 $2" >&2; return 1; }
		want=$3
		test -z "$mode" || want=${4:-$3}
		grep -q "^exit 128" expect && want=slow
		case $want in
		fast) ! grep "file=libgit2" debug ||
			{ echo "libgit2 loaded: $mode $1 $2" >&2; return 1; } ;;
		slow) grep -q "file=libgit2.*dynamically loaded" debug ||
			{ echo "libgit2 not loaded: $mode $1 $2" >&2; return 1; } ;;
		esac || return 1
	done
}

test_expect_success 'what mlreg writes: read without libgit2' '
	printf "[core]\n\tformatversion = 1\n[register]\n\tifChanged = true\n" >plain &&
	check plain register.ifChanged fast &&
	check plain register.ifchanged fast &&
	check plain core.formatversion fast &&
	check plain core.missing fast &&
	check plain nosuch.key fast &&
	check missing-file register.ifChanged fast
'

test_expect_success 'sections and keys without case, subsections with it' '
	printf "[Register]\n\tIFCHANGED = yes\n[remote \"o\"]\n\turl = one\n[remote \"O\"]\n\turl = two\n" >case &&
	check case register.ifChanged fast &&
	check case remote.o.url fast &&
	check case remote.O.url fast &&
	check case REMOTE.o.URL fast &&
	check case remote.x.url fast &&
	check case remote.url fast &&
	printf "[remote \"a\\\\\"b\\\\\\\\c d\"]\n\turl = u\n" >sub &&
	check sub "remote.a\"b\\c d.url" fast
'

test_expect_success 'values: quotes, escapes, comments, spaces' '
	cat >values <<-\VALUES &&
	# a comment
	; another
	[v]
		plain = a b  c
		quoted = " a  b "
		mixed = x"y z"w
		semi = a ; comment
		hash = a # comment
		inq = "a;b#c"
		esc = "a\nb\tc\\d\"e\b"
		trail = a   
		empty =
		bare
		emptyq = ""
		tight=t
		  indented   =   i  
	VALUES
	for k in plain quoted mixed semi hash inq esc trail empty bare emptyq tight indented none
	do
		check values v.$k fast || return 1
	done
'

test_expect_success 'booleans: words, numbers, empty, bare' '
	printf "[b]\n" >bools &&
	i=0 &&
	for v in true yes on 1 TRUE On false no off 0 FALSE Off "\"\"" "" 2 -1 007 -0 123456789
	do
		i=$((i + 1)) &&
		printf "\tk%d = %s\n" $i "$v" >>bools || return 1
	done &&
	printf "\tbare\n" >>bools &&
	j=1 &&
	while test $j -le $i
	do
		check bools b.k$j fast && j=$((j + 1)) || return 1
	done &&
	check bools b.bare fast
'

test_expect_success 'booleans only libgit2 reads, and one that is not: the slow path' '
	printf "[b]\n\tk = 1k\n\th = 0x10\n\tbig = 2147483648\n\tbad = maybe\n" >slowbools &&
	check slowbools b.k fast slow &&
	check slowbools b.h fast slow &&
	check slowbools b.big fast slow &&
	check slowbools b.bad fast slow
'

test_expect_success 'duplicate keys: the last wins, across repeated sections' '
	printf "[d]\n\tk = 1\n\tk = 2\n[e]\n\tk = x\n[D]\n\tK = 3\n" >dups &&
	check dups d.k fast &&
	check dups e.k fast
'

test_expect_success 'include and includeIf: read by libgit2, included file and all' '
	printf "[x]\n\tk = included\n" >inc &&
	printf "[x]\n\tk = main\n[include]\n\tpath = inc\n" >withinc &&
	check withinc x.k slow &&
	printf "[includeIf \"gitdir:/nowhere/\"]\n\tpath = inc\n[x]\n\tk = main\n" >withif &&
	check withif x.k slow
'

test_expect_success 'syntax outside the subset: libgit2 reads it (continuation, tab, CR...)' '
	printf "[a]\n\tk = one \\\\\n two\n" >cont &&
	check cont a.k slow &&
	printf "[a]\r\n\tk = v\r\n" >crlf &&
	check crlf a.k slow &&
	printf "[a.b]\n\tk = v\n" >dotted &&
	check dotted a.b.k slow
'

test_expect_success 'garbage: the same failure as git (libgit2 says what)' '
	printf "[core\n\tk = v\n" >g1 &&
	printf "k = v\n[a]\n" >g2 &&
	printf "[a]\n\tk = a\\\\qb\n" >g5 &&
	printf "[a]\n\tk = v\n\x00\n" >g6 &&
	for f in g1 g2 g5
	do
		check $f a.k slow || return 1
	done &&
	LD_DEBUG=files test_expect_code 128 "$bin" g6 a.k 2>debug &&
	test_grep "file=libgit2" debug
'

# Where libgit2 and git differ, mlreg keeps libgit2's answer (what it read
# before this reader): the reader leaves those files to libgit2.
test_expect_success 'where git and libgit2 differ: libgit2 answers, as before' '
	printf "[a]\n\tk = one\ttwo\n" >tab &&
	printf "one\ttwo\n" >expect &&
	LD_DEBUG=files "$bin" tab a.k >actual 2>debug &&
	test_cmp expect actual &&
	test_grep "file=libgit2.*dynamically loaded" debug &&
	printf "[a]\n\tk = \"open\n" >open &&
	echo open >expect &&
	LD_DEBUG=files "$bin" open a.k >actual 2>debug &&
	test_cmp expect actual &&
	test_grep "file=libgit2.*dynamically loaded" debug &&
	printf "[a]\n\t1k = v\n\tk = v\n" >badname &&
	echo v >expect &&
	LD_DEBUG=files "$bin" badname a.k >actual 2>debug &&
	test_cmp expect actual &&
	test_grep "file=libgit2.*dynamically loaded" debug
'

test_done
