# bash completion for mlreg(1)                              -*- shell-script -*-
#
# Install as $(PREFIX)/share/bash-completion/completions/mlreg ('make install'
# does), or source it from ~/.bashrc:
#
#     . /path/to/contrib/completion/mlreg.bash
#
# Completes commands, each command's options, model names, NAME@N version
# numbers, then NAME@ALIAS for each alias and NAME@latest, files for PATH,
# FILE and --spec/--contract/-o arguments (model names too for validate),
# directories for init, checkout and template, the template kinds, the
# values of --sort-by, --order-by and --format, the subcommands of 'remote'
# and 'alias' with their own options, a model's aliases after 'alias rm
# NAME' and 'alias log NAME', and remote names: as the first argument of upload
# and download (before model names and NAME@N), for --remote of list and
# list-versions, and for 'remote remove'.  Model names are read from the
# directory names under the store's models/ directory ("%2F" decoded to "/")
# rather than from 'mlreg list', so completion stays fast.  Remote names are
# the output of 'mlreg remote', run with the store found below: it only reads
# the store's config file and never contacts a remote; it is the only time
# completion runs mlreg.  Model names after upload and download are those
# of the local store.  The store is found as mlreg finds it: the --store
# argument on the command line, else $MLREG_DIR, else the nearest .mlreg
# directory upwards from the current directory (each taken from the
# directory of -C DIR, as mlreg takes them).  Works with or without the
# bash-completion package.

_mlreg_commands="init create register import describe diff list list-versions search metadata alias deprecate undeprecate delete rename checkout export validate inspect template fsck gc remote upload download help"

# _mlreg_opts COMMAND: print the options of COMMAND
_mlreg_opts()
{
	case $1 in
	init) echo "-q --quiet -h --help" ;;
	create) echo "-d --description -m --metadata --metadata-file --force --json -h --help" ;;
	register) echo "-m --metadata --message --framework --metrics-file --metric --hparams-file --hparam --spec --contract --create --force --if-changed --no-if-changed --json -q --quiet -h --help" ;;
	import) echo "--name --message --force --if-changed --no-if-changed --json -q --quiet -h --help" ;;
	describe) echo "--json -h --help" ;;
	diff) echo "--json --exit-code --signature-only -h --help" ;;
	list) echo "--sort-by --order-by --name --description --remote --json -h --help" ;;
	list-versions) echo "--remote --json --filter --sort-by --order-by --limit --columns --deleted -h --help" ;;
	search) echo "--filter --sort-by --order-by --limit --columns --json -h --help" ;;
	metadata) echo "--add --add-file --remove --json -h --help" ;;
	alias | alias:list) echo "--at --json -h --help" ;;
	alias:set | alias:rm | alias:remove) echo "-m --message --git-tag --json -h --help" ;;
	alias:*) echo "--json -h --help" ;;
	deprecate | undeprecate) echo "-m --message --json -h --help" ;;
	rename) echo "-m --message --json -h --help" ;;
	delete) echo "-m --message --force --json -h --help" ;;
	checkout) echo "-f --force -h --help" ;;
	export) echo "--format -o --output -f --force -h --help" ;;
	validate) echo "--spec --contract --json -h --help" ;;
	inspect) echo "--json -h --help" ;;
	template) echo "-h --help" ;;
	fsck) echo "--json -h --help" ;;
	gc) echo "-n --dry-run --prune --json -q --quiet -h --help" ;;
	remote | remote:list) echo "-v --verbose --json -h --help" ;;
	remote:add) echo "--endpoint --region --profile --path-style --no-path-style -h --help" ;;
	remote:*) echo "-h --help" ;;
	upload) echo "-j --jobs --json -q --quiet -h --help" ;;
	download) echo "--all -j --jobs --json -q --quiet -h --help" ;;
	help) echo "-h --help" ;;
	esac
}

# _mlreg_takes_arg COMMAND OPTION: succeed when OPTION of COMMAND takes an argument
_mlreg_takes_arg()
{
	case $1:$2 in
	*:--store) return 0 ;;
	create:-d | create:--description | create:-m | create:--metadata | \
	create:--metadata-file) return 0 ;;
	register:-m | register:--metadata | register:--message | register:--framework | \
	register:--metrics-file | register:--hparams-file | register:--spec | \
	register:--contract | register:--metric | register:--hparam) return 0 ;;
	import:--name | import:--message) return 0 ;;
	export:--format | export:-o | export:--output) return 0 ;;
	validate:--spec | validate:--contract) return 0 ;;
	list:--sort-by | list:--order-by | list:--name | list:--description | \
	list:--remote | list-versions:--remote) return 0 ;;
	remote:--endpoint | remote:--region | remote:--profile) return 0 ;;
	upload:-j | upload:--jobs | download:-j | download:--jobs) return 0 ;;
	metadata:--add | metadata:--add-file | metadata:--remove) return 0 ;;
	alias:-m | alias:--message | alias:--at) return 0 ;;
	deprecate:-m | deprecate:--message | undeprecate:-m | undeprecate:--message) return 0 ;;
	rename:-m | rename:--message) return 0 ;;
	delete:-m | delete:--message) return 0 ;;
	list-versions:--filter | list-versions:--sort-by | list-versions:--order-by | \
	list-versions:--limit | list-versions:--columns) return 0 ;;
	search:--filter | search:--sort-by | search:--order-by | search:--limit | \
	search:--columns) return 0 ;;
	gc:--prune) return 0 ;;
	esac
	return 1
}

# _mlreg_store WORDS...: print the store directory for a command line
_mlreg_store()
{
	local w store= i=1 dir cdir=
	local -a a=("$@")
	while [ "$i" -lt "${#a[@]}" ]; do
		w=${a[i]}
		case $w in
		--store=*) store=${w#--store=} ;;
		--store) store=${a[i + 1]-}; i=$((i + 1)) ;;
		-C)	# git's -C: later paths are taken from there
			w=${a[i + 1]-}; i=$((i + 1))
			case $w in
			"") ;;
			/*) cdir=$w ;;
			*) cdir=${cdir:-$PWD}/$w ;;
			esac ;;
		esac
		i=$((i + 1))
	done
	if [ -z "$store" ]; then
		store=${MLREG_DIR-}
	fi
	if [ -n "$store" ]; then
		case $store in
		"~") store=$HOME ;;
		"~/"*) store=$HOME/${store#"~/"} ;;
		/*) ;;
		*) [ -z "$cdir" ] || store=$cdir/$store ;;
		esac
		printf '%s\n' "$store"
		return
	fi
	dir=${cdir:-$PWD}
	while :; do
		if [ -d "${dir%/}/.mlreg" ]; then
			printf '%s\n' "${dir%/}/.mlreg"
			return
		fi
		[ -z "$dir" ] || [ "$dir" = / ] && return
		dir=${dir%/*}
		[ -n "$dir" ] || dir=/
	done
}

# _mlreg_models STORE: print the model names in STORE, one a line
_mlreg_models()
{
	local d enc
	for d in "$1"/models/*/model.json; do
		[ -f "$d" ] || continue
		d=${d%/model.json}
		enc=${d##*/}
		printf '%s\n' "${enc//%2F//}"
	done
}

# _mlreg_aliases STORE NAME: print the aliases of model NAME, one a line
# (read from model.json after the last "latest_version", the top-level key,
# which follows "metadata" in the record, so a metadata key "aliases" is
# never taken for them; only names of the alias alphabet: lowercase,
# digits, - _ . as lifecycle.h has it)
_mlreg_aliases()
{
	local rec a f re='"aliases":\{([^}]*)\}'
	local re2='^"([a-z][a-z0-9._-]*)":[0-9]+,?(.*)$'
	[ -n "$1" ] || return 0
	f=$1/models/${2//\//%2F}/model.json
	[ -f "$f" ] || return 0
	rec=$(<"$f")
	[[ $rec == *'"latest_version":'* ]] || return 0
	rec=${rec##*\"latest_version\":}
	[[ $rec =~ $re ]] || return 0
	a=${BASH_REMATCH[1]}
	while [[ $a =~ $re2 ]]; do
		printf '%s\n' "${BASH_REMATCH[1]}"
		a=${BASH_REMATCH[2]}
	done
}

# _mlreg_versions STORE NAME: print NAME@N for each version N of model NAME,
# newest first, NAME@ALIAS for each alias, then NAME@latest when it has a
# version (latest_version is read from model.json; the last match is the
# top-level key, which follows "metadata" in the record)
_mlreg_versions()
{
	local rec n f top a re='.*"latest_version":([0-9]+)'
	f=$1/models/${2//\//%2F}/model.json
	[ -f "$f" ] || return
	rec=$(<"$f")
	[[ $rec =~ $re ]] || return
	top=${BASH_REMATCH[1]}
	for ((n = top; n >= 1; n--)); do
		printf '%s@%s\n' "$2" "$n"
	done
	for a in $(_mlreg_aliases "$1" "$2"); do
		printf '%s@%s\n' "$2" "$a"
	done
	if [ "$top" -ge 1 ]; then
		printf '%s@latest\n' "$2"
	fi
}

# _mlreg_remotes PROG STORE: print the remote names of STORE, one a line, as
# 'PROG remote' lists them (nothing when STORE is empty or has none)
_mlreg_remotes()
{
	[ -n "$2" ] && [ -d "$2" ] || return 0
	"$1" --store "$2" remote 2>/dev/null
}

# _mlreg_reply WORD CANDIDATES...: set COMPREPLY to the candidates starting
# with WORD
_mlreg_reply()
{
	local cur=$1 c
	shift
	COMPREPLY=()
	for c in "$@"; do
		[[ $c == "$cur"* ]] && COMPREPLY+=("$c")
	done
}

# _mlreg_files [-d]: complete file names (directories with -d) for $cur
_mlreg_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir ${1:+"$1"}
	else
		local IFS=$'\n'
		compopt -o filenames 2>/dev/null
		if [ "$1" = -d ]; then
			COMPREPLY=($(compgen -d -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
	fi
}

# _mlreg_addprefix P: put P before every candidate
_mlreg_addprefix()
{
	local i
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=$1${COMPREPLY[i]}
	done
}

# _mlreg_strip P: remove the leading P from every candidate
_mlreg_strip()
{
	local i
	[ -n "$1" ] || return 0
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=${COMPREPLY[i]#"$1"}
	done
}

_mlreg()
{
	local -a words=() raw=("${COMP_WORDS[@]}")
	local cword=0 i w join= breaks=${COMP_WORDBREAKS-}
	local cur prev rawcur prefix cmd= cmdi=0 npos=0 optarg= endopts= first= second=
	local prog=${COMP_WORDS[0]:-mlreg}
	[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}

	# Rejoin the words bash split at '=', '@' or ':' ("--sort-by=na",
	# "mnist@2", "-m k:=1"), so each option and NAME@N is one word again.
	breaks=${breaks//[$' \t\n\"\'']/}
	for ((i = 0; i < ${#raw[@]}; i++)); do
		w=${raw[i]}
		if [ -n "$w" ] && [ -n "$breaks" ] && [ -z "${w//["$breaks"]/}" ] &&
			[ "${#words[@]}" -gt 1 ]; then
			words[${#words[@]} - 1]+=$w
			join=1
		elif [ -n "$join" ] && [ -n "$w" ]; then
			words[${#words[@]} - 1]+=$w
			join=
		else
			words+=("$w")
			join=
		fi
		[ "$i" -le "$COMP_CWORD" ] && cword=$((${#words[@]} - 1))
	done
	cur=${words[cword]-}
	prev=${words[cword - 1]-}
	# Readline replaces only the text after the last word break, so every
	# candidate is computed in full and this prefix stripped from it.
	rawcur=${raw[COMP_CWORD]-}
	[ -n "$breaks" ] && [ -z "${rawcur//["$breaks"]/}" ] && rawcur=
	prefix=${cur%"$rawcur"}

	# Find the command, skipping the global options before it.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--store | -C) i=$((i + 1)) ;;
		-*) ;;
		*) cmd=$w; cmdi=$i; break ;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [ "$prev" = --store ] || [ "$prev" = -C ]; then
			_mlreg_files -d
		elif [[ $cur == --store=* ]]; then
			cur=${cur#--store=}
			_mlreg_files -d
			_mlreg_addprefix --store=
		elif [[ $cur == -* ]]; then
			_mlreg_reply "$cur" -C --store --version -h --help
		else
			_mlreg_reply "$cur" $_mlreg_commands
		fi
		_mlreg_strip "$prefix"
		return
	fi

	# Walk the command's words before the cursor: count the positional
	# arguments (keeping the first, a subcommand of remote or alias, and the
	# second, the model of alias rm and log) and see whether the cursor is
	# an option's argument.
	for ((i = cmdi + 1; i < cword; i++)); do
		w=${words[i]}
		if [ -n "$endopts" ]; then
			[ "$npos" -eq 0 ] && first=$w
			[ "$npos" -eq 1 ] && second=$w
			npos=$((npos + 1))
		elif [ "$w" = -- ]; then
			endopts=1
		elif [[ $w == --*=* ]]; then
			:
		elif [[ $w == -?* ]]; then
			if _mlreg_takes_arg "$cmd" "$w"; then
				i=$((i + 1))
				[ "$i" -eq "$cword" ] && optarg=$w
			fi
		else
			[ "$npos" -eq 0 ] && first=$w
			[ "$npos" -eq 1 ] && second=$w
			npos=$((npos + 1))
		fi
	done

	local eq=
	if [ -z "$optarg" ] && [ -z "$endopts" ] && [[ $cur == --*=* ]]; then
		optarg=${cur%%=*}
		eq=$optarg=
		cur=${cur#*=}
	fi
	if [ -n "$optarg" ]; then
		case $optarg in
		--sort-by) _mlreg_reply "$cur" name description creation_time last_updated_time ;;
		--order-by) _mlreg_reply "$cur" asc desc ;;
		--format) _mlreg_reply "$cur" zip tar.gz ;;
		--prune) _mlreg_reply "$cur" now never 1.hour.ago 1.day.ago 2.weeks.ago ;;
		--metadata-file | --metrics-file | --hparams-file | --add-file | \
		--spec | --contract | -o | --output) _mlreg_files ;;
		--store) _mlreg_files -d ;;
		--remote)
			local IFS=$'\n'
			_mlreg_reply "$cur" $(_mlreg_remotes "$prog" "$(_mlreg_store "${words[@]:0:cword}")")
			;;
		*) COMPREPLY=(); return ;;
		esac
		[ -z "$eq" ] || _mlreg_addprefix "$eq"
		_mlreg_strip "$prefix"
		return
	fi

	if [ -z "$endopts" ] && [[ $cur == -* ]]; then
		if { [ "$cmd" = remote ] || [ "$cmd" = alias ]; } && [ -n "$first" ]; then
			_mlreg_reply "$cur" $(_mlreg_opts "$cmd:$first")
		else
			_mlreg_reply "$cur" $(_mlreg_opts "$cmd")
		fi
		_mlreg_strip "$prefix"
		return
	fi

	local store what remotes=
	local -a files=()
	case $cmd:$npos in
	init:0) _mlreg_files -d; return ;;
	help:0) _mlreg_reply "$cur" $_mlreg_commands; return ;;
	register:0 | list-versions:0 | metadata:0 | rename:0) what=name ;;
	describe:0 | checkout:0 | export:0 | diff:0 | diff:1) what=ref ;;
	deprecate:0 | undeprecate:0) what=ref ;;
	delete:*) what=ref ;;
	alias:0) _mlreg_reply "$cur" set rm list log; return ;;
	alias:1)
		case $first in
		set) what=ref ;;
		rm | remove | list | log) what=name ;;
		*) COMPREPLY=(); return ;;
		esac
		;;
	alias:2)
		case $first in
		rm | remove | log)
			local IFS=$'\n'
			_mlreg_reply "$cur" $(_mlreg_aliases \
				"$(_mlreg_store "${words[@]:0:cword}")" "$second")
			;;
		*) COMPREPLY=() ;;
		esac
		return
		;;
	validate:0) what=ref; _mlreg_files; files=("${COMPREPLY[@]}") ;;
	register:* | import:0 | inspect:*) _mlreg_files; return ;;
	checkout:1 | template:1) _mlreg_files -d; return ;;
	template:0) _mlreg_reply "$cur" trainable servable; return ;;
	upload:0 | download:0) what=ref; remotes=1 ;;
	upload:* | download:*) what=ref ;;
	remote:0) _mlreg_reply "$cur" add list remove; return ;;
	remote:1)
		case $first in
		remove | rm)
			local IFS=$'\n'
			_mlreg_reply "$cur" $(_mlreg_remotes "$prog" "$(_mlreg_store "${words[@]:0:cword}")")
			;;
		*) COMPREPLY=() ;;
		esac
		return
		;;
	remote:2)
		if [ "$first" = add ]; then
			_mlreg_reply "$cur" s3:// file:///
			compopt -o nospace 2>/dev/null
			_mlreg_strip "$prefix"
		else
			COMPREPLY=()
		fi
		return
		;;
	*) COMPREPLY=(); return ;;
	esac

	store=$(_mlreg_store "${words[@]:0:cword}")
	if [ -z "$store" ] || [ ! -d "$store/models" ]; then
		COMPREPLY=("${files[@]}")
		return
	fi
	local IFS=$'\n'
	if [ "$what" = ref ] && [[ $cur == *@* ]]; then
		_mlreg_reply "$cur" $(_mlreg_versions "$store" "${cur%@*}")
	elif [ -n "$remotes" ]; then
		# upload/download REMOTE NAME...: the remotes first, then the models
		_mlreg_reply "$cur" $(_mlreg_remotes "$prog" "$store") $(_mlreg_models "$store")
	else
		_mlreg_reply "$cur" $(_mlreg_models "$store")
	fi
	_mlreg_strip "$prefix"
	# validate takes a file or directory as well as NAME[@N]
	for w in "${files[@]}"; do
		[[ " ${COMPREPLY[*]} " == *" $w "* ]] || COMPREPLY+=("$w")
	done
}

complete -F _mlreg mlreg
