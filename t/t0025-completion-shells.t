#!/bin/sh
test_description='the zsh and fish completions, loaded by real shells: zsh
runs its completion system in an interactive shell on a pseudo-terminal
(zpty), fish answers "complete -C"; each shell is skipped, saying so, when
it is not installed (make test-deps installs both)'
. "$(dirname "$0")/lib.sh"

COMPDIR=$TEST_DIRECTORY/../contrib/completion

command -v zsh >/dev/null && test_set_prereq ZSH ||
	say "zsh is not installed: skipping the zsh tests (apt-get install zsh)"
command -v fish >/dev/null && test_set_prereq FISH ||
	say "fish is not installed: skipping the fish tests (apt-get install fish)"

# zcomp.zsh DIR LINE OUT: types LINE and a tab into an interactive zsh
# (compinit with DIR first in $fpath) and writes every match the completion
# functions add (through compadd) to OUT, one a line; the tab key's widget
# writes OUT.comp when completion has finished.  It waits for files
# the shell writes, never for a time: at most 20 s for each, then fails.
cat >zcomp.zsh <<\EOF
zmodload zsh/zpty || exit 2
dir=$1 line=$2 out=$3
wait_for () {
	local i chunk
	for i in {1..200}; do
		[[ -f $1 ]] && return 0
		zpty -r -t z chunk
		sleep 0.1
	done
	print -u2 "zcomp: no $1 from zsh"
	return 1
}
rm -f $out $out.ready $out.comp $out.done
: >$out
zpty z zsh -f -i
zpty -w z "PS1='' RPROMPT=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd () { local -a h; builtin compadd -O h \"\$@\"; print -rl -- \"\${h[@]}\" >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "zcomp-tab () { zle complete-word; print >${(q)out}.comp; }; zle -N zcomp-tab; bindkey '^I' zcomp-tab"
zpty -w z "zstyle ':completion:*' menu no; LISTMAX=10000; print >${(q)out}.ready"
wait_for $out.ready || exit 3
zpty -w -n z "$line"$'\t'
wait_for $out.comp || exit 4
zpty -w z $'\C-u'"print >${(q)out}.done"
wait_for $out.done || exit 5
zpty -d z
EOF

# zcomp LINE: the sorted, distinct, non-empty matches zsh offers for LINE
zcomp () {
	zsh -f "$SCRATCH/zcomp.zsh" "$COMPDIR" "$1" "$SCRATCH/zout" &&
	grep -v "^$" "$SCRATCH/zout" | sort -u
}

# fcomp LINE: the sorted matches fish offers for LINE (without descriptions)
fcomp () {
	fish -N -c "source \"\$argv[1]\"; complete -C \"\$argv[2]\"" \
		"$COMPDIR/mlreg.fish" "$1" >"$SCRATCH/fout" &&
	cut -f1 "$SCRATCH/fout" | sort -u
}

test_expect_success 'setup: a store with models, versions and a remote' '
	mlreg init &&
	echo w >w.bin &&
	mlreg register --create clf w.bin -q &&
	mlreg register clf w.bin -q &&
	mlreg create team/detector &&
	mkdir r &&
	mlreg remote add origin "file://$SCRATCH/r"
'

for shell in zsh fish
do
	case $shell in
	zsh) comp=zcomp prereq=ZSH ;;
	fish) comp=fcomp prereq=FISH ;;
	esac

	test_expect_success $prereq "$shell: the file loads" '
		case $shell in
		zsh) zsh -n "$COMPDIR/_mlreg" ;;
		fish) fish -n "$COMPDIR/mlreg.fish" ;;
		esac
	'

	test_expect_success $prereq "$shell: commands" '
		$comp "mlreg list" >actual &&
		test_write_lines list list-versions >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the options of a command" '
		$comp "mlreg register --m" >actual &&
		test_write_lines --message --metadata --metric --metrics-file >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the options of remote add" '
		$comp "mlreg remote add x y --p" >actual &&
		test_write_lines --path-style --profile >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the values of an option" '
		$comp "mlreg list --order-by=" >actual &&
		case $shell in
		zsh) test_write_lines asc desc ;;
		fish) test_write_lines --order-by=asc --order-by=desc ;;
		esac >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: model names from the store, with a slash" '
		$comp "mlreg describe " >actual &&
		test_write_lines clf team/detector >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: NAME@N versions" '
		$comp "mlreg checkout clf@" >actual &&
		test_write_lines clf@1 clf@2 >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: an option value is not an argument" '
		$comp "mlreg export --format zip c" >actual &&
		echo clf >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: remotes and models after upload" '
		$comp "mlreg upload " >actual &&
		test_write_lines clf origin team/detector >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the store of --store, not MLREG_DIR" '
		mkdir other && (cd other && MLREG_DIR=$PWD/.mlreg mlreg init &&
			MLREG_DIR=$PWD/.mlreg mlreg create solo) &&
		$comp "mlreg --store other/.mlreg describe " >actual &&
		echo solo >expect &&
		test_cmp expect actual &&
		rm -rf other
	'

	test_expect_success $prereq "$shell: no store, no model names and no error" '
		mkdir "$TEST_ROOT/nostore" &&
		test_when_finished "rmdir \"\$TEST_ROOT/nostore\"" &&
		(cd "$TEST_ROOT/nostore" && unset MLREG_DIR &&
		 $comp "mlreg describe " >"$SCRATCH/actual") &&
		test_must_be_empty actual
	'
done

test_done
