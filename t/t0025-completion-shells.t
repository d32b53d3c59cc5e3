#!/bin/sh
test_description='the bash, zsh and fish completions, loaded by real shells:
zsh runs its completion system in an interactive shell on a pseudo-terminal
(zpty), fish answers "complete -C", bash runs the completion function on
the words readline would give it; zsh and fish are each skipped, saying
so, when not installed (make test-deps installs both)'
. "$(dirname "$0")/lib.sh"

COMPDIR=$TEST_DIRECTORY/../contrib/completion

command -v zsh >/dev/null && test_set_prereq ZSH ||
	say "zsh is not installed: skipping the zsh tests (apt-get install zsh)"
command -v fish >/dev/null && test_set_prereq FISH ||
	say "fish is not installed: skipping the fish tests (apt-get install fish)"

# zcomp.zsh DIR LINE OUT: types LINE and a tab into an interactive zsh
# (compinit with DIR first in $fpath; the first call writes compinit's dump
# file, OUT.dump, and the others read it: without one, compinit reads every
# completion function, 2 s a call) and writes every match the completion
# functions add (through compadd) to OUT, one a line; the tab key's widget
# writes OUT.comp when completion has finished.  It waits for files
# the shell writes, never for a time: at most 20 s for each, then fails.
cat >zcomp.zsh <<\EOF
zmodload zsh/zpty || exit 2
dir=$1 line=$2 out=$3
wait_for () {
	local i chunk
	for i in {1..1000}; do
		[[ -f $1 ]] && return 0
		zpty -r -t z chunk
		sleep 0.02
	done
	print -u2 "zcomp: no $1 from zsh"
	return 1
}
rm -f $out $out.ready $out.comp $out.done
: >$out
zpty z zsh -f -i
zpty -w z "PS1='' RPROMPT=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -d ${(q)out}.dump"
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

# bcomp LINE: the sorted, distinct matches the bash completion offers for
# LINE, the cursor at its end.  bcomp.bash splits LINE into COMP_WORDS as
# readline does (at blanks, and each run of the default COMP_WORDBREAKS
# characters a word of its own, "--order-by=" being "--order-by" "="; no
# quoting) and calls _mlreg as complete -F would.
cat >bcomp.bash <<\EOF
. "$1" || exit 2
line=$2 brk=$'"\'><=;|&(:' w= prev= k=
COMP_WORDS=()
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	if [[ $c == [[:space:]] ]]; then
		k=
	elif [[ $brk == *"$c"* ]]; then
		k=b
	else
		k=t
	fi
	if [[ $k != "$prev" && -n $w ]]; then
		COMP_WORDS+=("$w")
		w=
	fi
	[[ -z $k ]] || w+=$c
	prev=$k
done
COMP_WORDS+=("$w")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
_mlreg mlreg "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF

bcomp () {
	bash --norc --noprofile "$SCRATCH/bcomp.bash" "$COMPDIR/mlreg.bash" "$1" \
		>"$SCRATCH/bout" &&
	grep -v "^$" "$SCRATCH/bout" | sort -u
}

test_expect_success 'setup: a store with models, versions, an alias and a remote' '
	mlreg init &&
	echo w >w.bin &&
	mlreg register --create clf w.bin -q &&
	mlreg register --force clf w.bin -q &&
	mlreg alias set clf@1 prod &&
	mlreg create team/detector &&
	mkdir r &&
	mlreg remote add origin "file://$SCRATCH/r"
'

for shell in bash zsh fish
do
	case $shell in
	bash) comp=bcomp prereq= ;;
	zsh) comp=zcomp prereq=ZSH ;;
	fish) comp=fcomp prereq=FISH ;;
	esac

	test_expect_success $prereq "$shell: the file loads" '
		case $shell in
		bash) bash -n "$COMPDIR/mlreg.bash" ;;
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
		bash | zsh) test_write_lines asc desc ;;
		fish) test_write_lines --order-by=asc --order-by=desc ;;
		esac >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: model names from the store, with a slash" '
		$comp "mlreg describe " >actual &&
		test_write_lines clf team/detector >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: NAME@N versions, NAME@ALIAS and NAME@latest" '
		$comp "mlreg checkout clf@" >actual &&
		test_write_lines clf@1 clf@2 clf@latest clf@prod >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the subcommands of alias" '
		$comp "mlreg alias " >actual &&
		test_write_lines list log rm set >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the options of alias set, not --at" '
		$comp "mlreg alias set -" >actual &&
		test_write_lines --git-tag --help --json --message -h -m >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the options of alias without a subcommand" '
		$comp "mlreg alias --" >actual &&
		test_write_lines --at --help --json >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: alias set takes a version, log and list a model" '
		$comp "mlreg alias set clf@p" >actual &&
		echo clf@prod >expect &&
		test_cmp expect actual &&
		$comp "mlreg alias log c" >actual &&
		echo clf >expect &&
		test_cmp expect actual &&
		$comp "mlreg alias list --at 2026-03-03 c" >actual &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: alias rm and log offer the model's aliases" '
		$comp "mlreg alias rm clf " >actual &&
		echo prod >expect &&
		test_cmp expect actual &&
		$comp "mlreg alias log clf p" >actual &&
		test_cmp expect actual &&
		$comp "mlreg alias rm -m why clf " >actual &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the model of deprecate and undeprecate" '
		$comp "mlreg deprecate c" >actual &&
		echo clf >expect &&
		test_cmp expect actual &&
		$comp "mlreg undeprecate clf@l" >actual &&
		echo clf@latest >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: a metadata key \"aliases\" is no alias" '
		mkdir decoy &&
		test_when_finished "rm -rf decoy" &&
		printf "{\"aliases\": {\"fake\": 1}, \"latest_version\": 9}" >md.json &&
		(cd decoy && MLREG_DIR=$PWD/.mlreg mlreg init &&
		 MLREG_DIR=$PWD/.mlreg mlreg create --metadata-file ../md.json m) &&
		$comp "mlreg --store decoy/.mlreg describe m@" >actual &&
		test_must_be_empty actual &&
		(cd decoy && MLREG_DIR=$PWD/.mlreg mlreg register m ../w.bin -q) &&
		$comp "mlreg --store decoy/.mlreg describe m@" >actual &&
		test_write_lines m@1 m@latest >expect &&
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
		mkdir other &&
		test_when_finished "rm -rf other" &&
		(cd other && MLREG_DIR=$PWD/.mlreg mlreg init &&
			MLREG_DIR=$PWD/.mlreg mlreg create solo) &&
		$comp "mlreg --store other/.mlreg describe " >actual &&
		echo solo >expect &&
		test_cmp expect actual
	'

	test_expect_success $prereq "$shell: the store of -C DIR, as mlreg finds it" '
		mkdir -p proj/sub &&
		test_when_finished "rm -rf proj" &&
		(cd proj && MLREG_DIR=$PWD/.mlreg mlreg init &&
			MLREG_DIR=$PWD/.mlreg mlreg create solo) &&
		(unset MLREG_DIR &&
		 $comp "mlreg -C proj describe " >"$SCRATCH/actual" &&
		 $comp "mlreg -C proj -C sub list-versions " >"$SCRATCH/actual2" &&
		 $comp "mlreg -C proj --store ../.mlreg describe " >"$SCRATCH/actual3") &&
		echo solo >expect &&
		test_cmp expect actual &&
		test_cmp expect actual2 &&
		test_write_lines clf team/detector >expect &&
		test_cmp expect actual3
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
