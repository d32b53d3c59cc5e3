# fish completion for mlreg(1)
#
# Install as $(PREFIX)/share/fish/vendor_completions.d/mlreg.fish ('make
# install' does), or copy it to ~/.config/fish/completions/mlreg.fish.
#
# Completes what contrib/completion/mlreg.bash completes (t/t0020-options.t
# checks that every option there is here): commands, each command's options
# and their values, model names read from the store's models/ directory
# ("%2F" decoded to "/"), NAME@N versions from model.json's latest_version,
# then NAME@ALIAS for each of its "aliases" and NAME@latest, the subcommands
# of remote and alias with their own options, a model's aliases after alias
# rm and log NAME, and remote names from 'mlreg remote', the only time
# completion runs mlreg (it reads the store's config file and never contacts
# a remote).  The store is found as mlreg finds it: --store on the command
# line, else $MLREG_DIR, else the nearest .mlreg directory upwards (each
# taken from the directory of -C DIR).

# __mlreg_cmd: print the command of the line being completed (the first
# word that is not a global option nor the value of -C or --store); fail
# when there is none yet
function __mlreg_cmd
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case --store -C
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

# __mlreg_using CMD [SUB]: succeed when the command is CMD (and, with SUB,
# the first argument after it, a subcommand of remote or alias, is one of
# SUB...)
function __mlreg_using
    set -l cmd (__mlreg_cmd); or return 1
    test "$cmd" = $argv[1]; or return 1
    set -q argv[2]; or return 0
    set -l words (commandline -opc)
    set -l i (contains -i -- $cmd $words)
    for w in $words[(math $i + 1)..-1]
        switch $w
            case '-*'
            case '*'
                contains -- $w $argv[2..-1]
                return
        end
    end
    return 1
end

# The options that take a value as the next word, of any command (no
# option takes a value for one command and none for another).
set -g __mlreg_valued -d --description -m --metadata --metadata-file --message \
    --framework --metrics-file --hparams-file --spec --contract --name --format \
    -o --output --sort-by --order-by --filter --limit --columns --metric --hparam --remote --add \
    --add-file --remove \
    --endpoint --region --profile -j --jobs --at

# __mlreg_args: print the arguments (not options, nor their values) that
# follow the command, one a line
function __mlreg_args
    set -l cmd (__mlreg_cmd); or return 1
    set -l words (commandline -opc)
    set -l i (contains -i -- $cmd $words)
    set -l skip
    for w in $words[(math $i + 1)..-1]
        if test -n "$skip"
            set skip
        else if contains -- $w $__mlreg_valued
            set skip 1
        else if not string match -q -- '-*' $w
            echo $w
        end
    end
end

# __mlreg_npos: print how many arguments (not options, nor their values)
# follow the command
function __mlreg_npos
    __mlreg_cmd >/dev/null; or return 1
    count (__mlreg_args)
    return 0
end

# __mlreg_store: print the store directory for the line being completed; as
# mlreg and mlreg.bash's _mlreg_store: the last --store, else $MLREG_DIR,
# taken from the directory of -C DIR (git's: each from the last), else the
# nearest .mlreg directory upwards from there
function __mlreg_store
    set -l words (commandline -opc)
    set -l store
    set -l cdir
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case '--store=*'
                set store (string replace -- --store= '' $words[$i])
            case --store
                set i (math $i + 1)
                set store $words[$i]
            case -C
                set i (math $i + 1)
                set -l w $words[$i]
                switch "$w"
                    case ''
                    case '/*'
                        set cdir $w
                    case '*'
                        test -n "$cdir"; or set cdir $PWD
                        set cdir $cdir/$w
                end
            case '-*'
            case '*'
                break
        end
        set i (math $i + 1)
    end
    test -n "$store"; or set store $MLREG_DIR
    if test -n "$store"
        set store (string replace -r -- '^~(?=/|$)' $HOME $store)
        if test -n "$cdir"; and not string match -q -- '/*' $store
            set store $cdir/$store
        end
        echo $store
        return
    end
    set -l dir $PWD
    test -n "$cdir"; and set dir $cdir
    while true
        if test -d (string trim -r -c / -- $dir)/.mlreg
            echo (string trim -r -c / -- $dir)/.mlreg
            return
        end
        test -z "$dir" -o "$dir" = /; and return
        set dir (path dirname -- $dir 2>/dev/null; or dirname -- $dir)
    end
end

# __mlreg_models: print the model names of the store
function __mlreg_models
    set -l store (__mlreg_store)
    test -n "$store" -a -d "$store/models"; or return
    for f in $store/models/*/model.json
        string replace -a %2F / -- (basename (dirname $f))
    end
end

# __mlreg_model_aliases FILE: print the aliases in the model.json FILE (as
# mlreg.bash's _mlreg_aliases: read after the last "latest_version", the
# top-level key, which follows "metadata" in the record, so a metadata key
# "aliases" is never taken for them; only names of the alias alphabet,
# lifecycle.h's; the record is quoted where string reads it, an empty one
# never making string read stdin)
function __mlreg_model_aliases
    test -f "$argv[1]"; or return
    set -l rec (string join ' ' < $argv[1])
    string match -q -- '*"latest_version":*' "$rec"; or return
    set rec (string replace -r -- '.*"latest_version":' '' "$rec")
    set -l pairs (string match -r -g -- '"aliases":\{([^}]*)\}' "$rec")
    for p in (string split -- , "$pairs")
        string match -r -g -- '^"([a-z][a-z0-9._-]*)":[0-9]+$' "$p"
    end
end

# __mlreg_refs: print the model names, or once the word holds an '@' NAME@N
# for each version N, newest first, NAME@ALIAS for each alias, then
# NAME@latest when the model has a version (as mlreg.bash's
# _mlreg_versions: the last "latest_version" is the top-level key, which
# follows "metadata" in the record)
function __mlreg_refs
    set -l cur (commandline -ct)
    if string match -q -- '*@*' $cur
        set -l name (string replace -r -- '@[^@]*$' '' $cur)
        set -l f (__mlreg_store)/models/(string replace -a / %2F -- $name)/model.json
        test -f "$f"; or return
        set -l rec (string join ' ' < $f)
        set -l n (string match -r -g -- '.*"latest_version":([0-9]+)' "$rec")
        test -n "$n"; or return
        for v in (seq $n -1 1)
            echo $name@$v
        end
        for a in (__mlreg_model_aliases $f)
            echo $name@$a
        end
        test $n -ge 1; and echo $name@latest
    else
        __mlreg_models
    end
end

# __mlreg_aliases: print the aliases of the model that follows the alias
# subcommand (alias rm NAME ALIAS, alias log NAME ALIAS)
function __mlreg_aliases
    set -l name (__mlreg_args)[2]
    set -l store (__mlreg_store)
    test -n "$name" -a -n "$store"; or return
    __mlreg_model_aliases $store/models/(string replace -a / %2F -- $name)/model.json
end

# __mlreg_remotes: print the remote names of the store
function __mlreg_remotes
    set -l store (__mlreg_store)
    test -n "$store" -a -d "$store"; or return
    set -l prog (commandline -opc)[1]
    $prog --store $store remote 2>/dev/null
end

complete -c mlreg -e
complete -c mlreg -f

# Global options and the commands.
complete -c mlreg -n 'not __mlreg_cmd' -s C -x -a '(__fish_complete_directories)' -d 'run as if started in the directory'
complete -c mlreg -n 'not __mlreg_cmd' -l store -x -a '(__fish_complete_directories)' -d 'the store directory'
complete -c mlreg -n 'not __mlreg_cmd' -l version -d 'print the version'
complete -c mlreg -n 'not __mlreg_cmd' -s h -l help -d 'show the usage'
complete -c mlreg -n 'not __mlreg_cmd' -a init -d 'create a store'
complete -c mlreg -n 'not __mlreg_cmd' -a create -d 'create a model'
complete -c mlreg -n 'not __mlreg_cmd' -a register -d 'store files as the next version of a model'
complete -c mlreg -n 'not __mlreg_cmd' -a import -d 'register a model from an MLX model YAML, .tar.gz or URL'
complete -c mlreg -n 'not __mlreg_cmd' -a describe -d 'show a model and one of its versions'
complete -c mlreg -n 'not __mlreg_cmd' -a diff -d 'compare two versions: files, metrics, metadata, signature'
complete -c mlreg -n 'not __mlreg_cmd' -a list -d 'list models'
complete -c mlreg -n 'not __mlreg_cmd' -a list-versions -d "list a model's versions, newest first"
complete -c mlreg -n 'not __mlreg_cmd' -a search -d 'find versions across models by a filter expression'
complete -c mlreg -n 'not __mlreg_cmd' -a metadata -d "show or change a model's metadata"
complete -c mlreg -n 'not __mlreg_cmd' -a alias -d 'set, remove, list aliases (stages) and their log'
complete -c mlreg -n 'not __mlreg_cmd' -a deprecate -d 'mark a version as one not to use'
complete -c mlreg -n 'not __mlreg_cmd' -a undeprecate -d "clear a version's deprecation"
complete -c mlreg -n 'not __mlreg_cmd' -a rename -d 'give a model a new name (the old one redirects)'

complete -c mlreg -n 'not __mlreg_cmd' -a delete -d 'delete versions or a model, keeping tombstones'
complete -c mlreg -n 'not __mlreg_cmd' -a checkout -d "write a version's files into a directory"
complete -c mlreg -n 'not __mlreg_cmd' -a export -d 'write a version as a zip or tar.gz artifact archive'
complete -c mlreg -n 'not __mlreg_cmd' -a validate -d "run a version's, a directory's or an archive's checks"
complete -c mlreg -n 'not __mlreg_cmd' -a inspect -d 'read model files: format, details, signatures'
complete -c mlreg -n 'not __mlreg_cmd' -a template -d 'print an MLX model spec skeleton for a repository'
complete -c mlreg -n 'not __mlreg_cmd' -a fsck -d 'verify the objects and records of the store'
complete -c mlreg -n 'not __mlreg_cmd' -a gc -d 'remove unreferenced objects and dead temporary files'
complete -c mlreg -n 'not __mlreg_cmd' -a remote -d 'add, list or remove remotes'
complete -c mlreg -n 'not __mlreg_cmd' -a upload -d 'send versions the remote lacks'
complete -c mlreg -n 'not __mlreg_cmd' -a download -d 'bring versions from a remote into the store'
complete -c mlreg -n 'not __mlreg_cmd' -a help -d 'show help for mlreg or a command'

# -h/--help, which every command takes.
for c in init create register import describe diff list list-versions search metadata alias deprecate undeprecate delete rename checkout export validate inspect template fsck gc remote upload download help
    complete -c mlreg -n "__mlreg_using $c" -s h -l help -d 'show the usage'
end

# init
complete -c mlreg -n '__mlreg_using init' -x -a '(__fish_complete_directories)'
complete -c mlreg -n '__mlreg_using init' -s q -l quiet -d 'say nothing on success'

# create
complete -c mlreg -n '__mlreg_using create' -s d -l description -x -d "the model's description"
complete -c mlreg -n '__mlreg_using create' -s m -l metadata -x -d 'set a metadata key (KEY=VALUE)'
complete -c mlreg -n '__mlreg_using create' -l metadata-file -r -F -d 'metadata from a JSON or YAML mapping'
complete -c mlreg -n '__mlreg_using create' -l force -d "replace the redirect of a renamed model's old name"
complete -c mlreg -n '__mlreg_using create' -l json -d 'print the new model as JSON'

# register
complete -c mlreg -n '__mlreg_using register' -s m -l metadata -x -d 'set version metadata (KEY=VALUE)'
complete -c mlreg -n '__mlreg_using register' -l message -x -d 'describe the version'
complete -c mlreg -n '__mlreg_using register' -l framework -x -d 'the framework that made the model (NAME[:VERSION])'
complete -c mlreg -n '__mlreg_using register' -l metrics-file -r -F -d 'metrics from a JSON or YAML mapping'
complete -c mlreg -n '__mlreg_using register' -l metric -x -d 'set one metric (KEY=VALUE)'
complete -c mlreg -n '__mlreg_using register' -l hparam -x -d 'set one hyperparameter (KEY=VALUE)'
complete -c mlreg -n '__mlreg_using register' -l hparams-file -r -F -d 'hyperparameters from a JSON or YAML mapping'
complete -c mlreg -n '__mlreg_using register' -l spec -r -F -d 'an MLX model YAML, kept with the version'
complete -c mlreg -n '__mlreg_using register' -l contract -r -F -d 'a Hydrosphere contract'
complete -c mlreg -n '__mlreg_using register' -l create -d 'create the model if it does not exist'
complete -c mlreg -n '__mlreg_using register' -l force -d 'make a new version even when it equals the latest'
complete -c mlreg -n '__mlreg_using register' -l if-changed -d 'no new version when it equals the latest (the default)'
complete -c mlreg -n '__mlreg_using register' -l no-if-changed -d 'always make a new version'
complete -c mlreg -n '__mlreg_using register' -l json -d 'print the version as JSON'
complete -c mlreg -n '__mlreg_using register' -s q -l quiet -d 'no progress bar, no notice of an unchanged version'
complete -c mlreg -n '__mlreg_using register; and test (__mlreg_npos) = 0' -a '(__mlreg_models)'
complete -c mlreg -n '__mlreg_using register; and test (__mlreg_npos) -ge 1' -F

# import
complete -c mlreg -n '__mlreg_using import' -l name -x -d 'the model name'
complete -c mlreg -n '__mlreg_using import' -l message -x -d "the version's message"
complete -c mlreg -n '__mlreg_using import' -l force -d 'make a new version even when it equals the latest'
complete -c mlreg -n '__mlreg_using import' -l if-changed -d 'no new version when it equals the latest (the default)'
complete -c mlreg -n '__mlreg_using import' -l no-if-changed -d 'always make a new version'
complete -c mlreg -n '__mlreg_using import' -l json -d 'print the version as JSON'
complete -c mlreg -n '__mlreg_using import' -s q -l quiet -d 'no notice of an unchanged version'
complete -c mlreg -n '__mlreg_using import' -F

# describe
complete -c mlreg -n '__mlreg_using describe' -l json -d 'print the model and version as JSON'
complete -c mlreg -n '__mlreg_using describe; and test (__mlreg_npos) = 0' -a '(__mlreg_refs)'

# diff
complete -c mlreg -n '__mlreg_using diff' -l json -d 'print the comparison as JSON'
complete -c mlreg -n '__mlreg_using diff' -l exit-code -d 'exit 1 when the versions differ'
complete -c mlreg -n '__mlreg_using diff' -l signature-only -d 'only whether B can replace A; exit 1 when breaking'
complete -c mlreg -n '__mlreg_using diff; and test (__mlreg_npos) -lt 2' -a '(__mlreg_refs)'

# list
complete -c mlreg -n '__mlreg_using list' -l sort-by -x -a 'name description creation_time last_updated_time' -d 'the sort key'
complete -c mlreg -n '__mlreg_using list' -l order-by -x -a 'asc desc' -d 'the order'
complete -c mlreg -n '__mlreg_using list' -l name -x -d 'only models whose name contains SUBSTR'
complete -c mlreg -n '__mlreg_using list' -l description -x -d 'only models whose description contains SUBSTR'
complete -c mlreg -n '__mlreg_using list' -l remote -x -a '(__mlreg_remotes)' -d 'the models of a remote'
complete -c mlreg -n '__mlreg_using list' -l json -d 'print an array of model objects'

# list-versions
complete -c mlreg -n '__mlreg_using list-versions' -l remote -x -a '(__mlreg_remotes)' -d 'the versions on a remote'
complete -c mlreg -n '__mlreg_using list-versions' -l json -d 'print an array of version objects'
complete -c mlreg -n '__mlreg_using list-versions; and test (__mlreg_npos) = 0' -a '(__mlreg_models)'
complete -c mlreg -n '__mlreg_using list-versions' -l filter -x -d 'only versions matching the expression'
complete -c mlreg -n '__mlreg_using list-versions' -l sort-by -x -a 'version created size framework' -d 'sort by a field'
complete -c mlreg -n '__mlreg_using list-versions' -l order-by -x -a 'asc desc' -d 'the sort order'
complete -c mlreg -n '__mlreg_using list-versions' -l limit -x -d 'show at most N versions'
complete -c mlreg -n '__mlreg_using list-versions' -l columns -x -d 'show these fields as columns'
complete -c mlreg -n '__mlreg_using list-versions' -l deleted -d 'list deleted versions too'

# search
complete -c mlreg -n '__mlreg_using search' -l filter -x -d 'only versions matching the expression'
complete -c mlreg -n '__mlreg_using search' -l sort-by -x -a 'version created size framework' -d 'sort by a field'
complete -c mlreg -n '__mlreg_using search' -l order-by -x -a 'asc desc' -d 'the sort order'
complete -c mlreg -n '__mlreg_using search' -l limit -x -d 'show at most N versions'
complete -c mlreg -n '__mlreg_using search' -l columns -x -d 'show these fields as columns'
complete -c mlreg -n '__mlreg_using search' -l json -d 'print an array of version objects'

# metadata
complete -c mlreg -n '__mlreg_using metadata' -l add -x -d 'set a top-level key (KEY=VALUE)'
complete -c mlreg -n '__mlreg_using metadata' -l add-file -r -F -d 'merge the keys of a JSON or YAML mapping'
complete -c mlreg -n '__mlreg_using metadata' -l remove -x -d 'delete a top-level key'
complete -c mlreg -n '__mlreg_using metadata' -l json -d 'print the resulting metadata'
complete -c mlreg -n '__mlreg_using metadata; and test (__mlreg_npos) = 0' -a '(__mlreg_models)'

# alias
complete -c mlreg -n '__mlreg_using alias; and test (__mlreg_npos) = 0' -a 'set rm list log'
complete -c mlreg -n '__mlreg_using alias; and not __mlreg_using alias set rm remove log' -l at -x -d 'the aliases as they were at TIME (RFC 3339 or YYYY-MM-DD)'
complete -c mlreg -n '__mlreg_using alias' -l json -d 'print JSON'
complete -c mlreg -n '__mlreg_using alias set rm remove' -s m -l message -x -d "why (kept in the model's log)"
complete -c mlreg -n '__mlreg_using alias set rm remove' -l git-tag -d 'also tag the move in the current git repository'
complete -c mlreg -n '__mlreg_using alias set; and test (__mlreg_npos) = 1' -a '(__mlreg_refs)'
complete -c mlreg -n '__mlreg_using alias rm remove list log; and test (__mlreg_npos) = 1' -a '(__mlreg_models)'
complete -c mlreg -n '__mlreg_using alias rm remove log; and test (__mlreg_npos) = 2' -a '(__mlreg_aliases)'

# deprecate and undeprecate
for c in deprecate undeprecate
    complete -c mlreg -n "__mlreg_using $c" -s m -l message -x -d "why (kept in the model's log)"
    complete -c mlreg -n "__mlreg_using $c" -l json -d 'print the event as JSON'
    complete -c mlreg -n "__mlreg_using $c; and test (__mlreg_npos) = 0" -a '(__mlreg_refs)'
end

# rename
complete -c mlreg -n '__mlreg_using rename' -s m -l message -x -d "why (kept in the model's log)"
complete -c mlreg -n '__mlreg_using rename' -l json -d 'print the renamed model as JSON'
complete -c mlreg -n '__mlreg_using rename; and test (__mlreg_npos) = 0' -a '(__mlreg_models)'

# delete
complete -c mlreg -n '__mlreg_using delete' -s m -l message -x -d 'why (kept in the tombstones)'
complete -c mlreg -n '__mlreg_using delete' -l force -d 'remove the aliases naming what is deleted first'
complete -c mlreg -n '__mlreg_using delete' -l json -d 'print the tombstones written as JSON'
complete -c mlreg -n '__mlreg_using delete' -a '(__mlreg_refs)'

# checkout
complete -c mlreg -n '__mlreg_using checkout' -s f -l force -d 'overwrite files that have other content'
complete -c mlreg -n '__mlreg_using checkout; and test (__mlreg_npos) = 0' -a '(__mlreg_refs)'
complete -c mlreg -n '__mlreg_using checkout; and test (__mlreg_npos) = 1' -a '(__fish_complete_directories)'

# export
complete -c mlreg -n '__mlreg_using export' -l format -x -a 'zip tar.gz' -d 'the archive format'
complete -c mlreg -n '__mlreg_using export' -s o -l output -r -F -d 'the archive to write, - for stdout'
complete -c mlreg -n '__mlreg_using export' -s f -l force -d 'write to stdout even when it is a terminal'
complete -c mlreg -n '__mlreg_using export; and test (__mlreg_npos) = 0' -a '(__mlreg_refs)'

# validate
complete -c mlreg -n '__mlreg_using validate' -l spec -r -F -d 'also validate an MLX model YAML'
complete -c mlreg -n '__mlreg_using validate' -l contract -r -F -d 'also validate a Hydrosphere model definition'
complete -c mlreg -n '__mlreg_using validate' -l json -d 'print the report as JSON'
complete -c mlreg -n '__mlreg_using validate; and test (__mlreg_npos) = 0' -F -a '(__mlreg_refs)'

# inspect
complete -c mlreg -n '__mlreg_using inspect' -l json -d 'print an array of inspection objects'
complete -c mlreg -n '__mlreg_using inspect' -F

# template
complete -c mlreg -n '__mlreg_using template; and test (__mlreg_npos) = 0' -a 'trainable servable'
complete -c mlreg -n '__mlreg_using template; and test (__mlreg_npos) = 1' -a '(__fish_complete_directories)'

# fsck
complete -c mlreg -n '__mlreg_using fsck' -l json -d 'print the problems as JSON'

# gc
complete -c mlreg -n '__mlreg_using gc' -s n -l dry-run -d 'remove nothing; list what would go'
complete -c mlreg -n '__mlreg_using gc' -l prune -x -a 'now never 1.hour.ago 1.day.ago 2.weeks.ago' -d 'remove unreferenced objects not modified after TIME'
complete -c mlreg -n '__mlreg_using gc' -l json -d 'print what was removed as JSON'
complete -c mlreg -n '__mlreg_using gc' -s q -l quiet -d 'print no summary'

# remote
complete -c mlreg -n '__mlreg_using remote; and test (__mlreg_npos) = 0' -a 'add list remove rm'
complete -c mlreg -n '__mlreg_using remote; and not __mlreg_using remote add remove rm' -s v -l verbose -d 'list URLs and settings too'
complete -c mlreg -n '__mlreg_using remote; and not __mlreg_using remote add remove rm' -l json -d 'print the remotes as JSON'
complete -c mlreg -n '__mlreg_using remote add' -l endpoint -x -d 'an S3-compatible server'
complete -c mlreg -n '__mlreg_using remote add' -l region -x -d "the bucket's region"
complete -c mlreg -n '__mlreg_using remote add' -l profile -x -d 'the AWS profile holding the credentials'
complete -c mlreg -n '__mlreg_using remote add' -l path-style -d 'address the bucket in the path'
complete -c mlreg -n '__mlreg_using remote add' -l no-path-style -d 'address it in the host name'
complete -c mlreg -n '__mlreg_using remote add; and test (__mlreg_npos) = 2' -a 's3:// file:///'
complete -c mlreg -n '__mlreg_using remote remove rm; and test (__mlreg_npos) = 1' -a '(__mlreg_remotes)'

# upload and download
for c in upload download
    complete -c mlreg -n "__mlreg_using $c" -s j -l jobs -x -d 'requests in flight at most'
    complete -c mlreg -n "__mlreg_using $c" -l json -d 'print a summary as JSON'
    complete -c mlreg -n "__mlreg_using $c" -s q -l quiet -d 'no progress meter'
    complete -c mlreg -n "__mlreg_using $c; and test (__mlreg_npos) = 0" -a '(__mlreg_remotes)'
    complete -c mlreg -n "__mlreg_using $c" -a '(__mlreg_refs)'
end
complete -c mlreg -n '__mlreg_using download' -l all -d 'also the files of every earlier version'

# help
complete -c mlreg -n '__mlreg_using help; and test (__mlreg_npos) = 0' -a 'init create register import describe diff list list-versions search metadata alias deprecate undeprecate delete rename checkout export validate inspect template fsck gc remote upload download help'
