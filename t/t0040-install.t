#!/bin/sh
test_description='make install puts the binary, the manual pages, the
completions of bash, zsh and fish and the sample hooks under DESTDIR/PREFIX;
make uninstall with the same DESTDIR and PREFIX removes exactly those files'
. "$(dirname "$0")/lib.sh"

TOP=$(cd "$TEST_DIRECTORY/.." && pwd)
command -v make >/dev/null || skip_all='make is not installed'
test -x "$TOP/mlreg" || skip_all='no ./mlreg in the tree (run make)'

# mk TARGET: make TARGET in the source tree into DESTDIR=$SCRATCH/dest,
# PREFIX=/opt/m l (a space in it), without rebuilding (-o all)
mk () {
	make -s -C "$TOP" -o all -o check-pkgs "$1" DESTDIR="$SCRATCH/dest" \
		PREFIX="/opt/m l"
}

# installed: every file and link below dest, relative to it, sorted
installed () {
	(cd dest && find . ! -type d | sed "s|^\./||" | LC_ALL=C sort)
}

test_expect_success 'setup: the files install must put' '
	P="opt/m l" &&
	{
		echo "$P/bin/mlreg" &&
		for f in "$TOP"/man/*.1
		do
			echo "$P/share/man/man1/${f##*/}"
		done &&
		for f in "$TOP"/man/*.5
		do
			echo "$P/share/man/man5/${f##*/}"
		done &&
		echo "$P/share/bash-completion/completions/mlreg" &&
		echo "$P/share/zsh/site-functions/_mlreg" &&
		echo "$P/share/fish/vendor_completions.d/mlreg.fish" &&
		echo "$P/share/mlreg/hooks/README" &&
		echo "$P/share/mlreg/hooks/post-commit" &&
		echo "$P/share/mlreg/hooks/pre-push"
	} | LC_ALL=C sort >expect &&
	test_line_count -gt 20 expect
'

test_expect_success 'make install puts exactly those files' '
	mk install >out 2>err &&
	installed >actual &&
	test_cmp expect actual
'

test_expect_success 'with their contents and modes' '
	P="dest/opt/m l" &&
	test_cmp "$TOP/mlreg" "$P/bin/mlreg" &&
	test_cmp "$TOP/contrib/completion/_mlreg" "$P/share/zsh/site-functions/_mlreg" &&
	test_cmp "$TOP/contrib/completion/mlreg.fish" \
		"$P/share/fish/vendor_completions.d/mlreg.fish" &&
	test_cmp "$TOP/contrib/hooks/pre-push" "$P/share/mlreg/hooks/pre-push" &&
	test -x "$P/bin/mlreg" &&
	test -x "$P/share/mlreg/hooks/post-commit" &&
	test -x "$P/share/mlreg/hooks/pre-push" &&
	! test -x "$P/share/zsh/site-functions/_mlreg" &&
	"$P/bin/mlreg" --version
'

test_expect_success 'make uninstall removes every file install put, and leaves others' '
	other="dest/opt/m l/share/zsh/site-functions/_other" &&
	echo keep >"$other" &&
	mk uninstall >out 2>err &&
	test_must_be_empty err &&
	installed >actual &&
	echo "opt/m l/share/zsh/site-functions/_other" >expect-left &&
	test_cmp expect-left actual &&
	rm "$other" &&
	test_path_is_missing "dest/opt/m l/share/mlreg"
'

test_expect_success 'a second make uninstall, with nothing to remove, succeeds' '
	mk uninstall 2>err &&
	test_must_be_empty err &&
	installed >actual &&
	test_must_be_empty actual
'

test_expect_success 'install, uninstall, install again: the same files' '
	mk install &&
	installed >actual &&
	test_cmp expect actual &&
	mk uninstall &&
	installed >actual &&
	test_must_be_empty actual
'

test_done
