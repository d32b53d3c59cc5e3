#!/bin/sh
test_description='alias set/rm/list/log: NAME@ALIAS everywhere, every move an
event of the model'"'"'s log, safe under concurrent writers and kill -9'
. "$(dirname "$0")/lib.sh"

MLREG_AUTHOR='Ann <ann@example.com>'
export MLREG_AUTHOR

# events NAME: the model's latest_event (0 when absent), from model.json.
events () {
	json_get "$(model_dir "$1")/model.json" 'd.get("latest_event", 0)'
}

test_expect_success 'setup: a model with three versions of different files' - <<-\EOF
	mlreg init &&
	mlreg create clf &&
	mlreg create team/det &&
	for i in 1 2 3
	do
		mkdir -p m$i && echo "weights $i" >m$i/w.bin &&
		mlreg register clf m$i --message "v$i" --metric acc=0.$i >/dev/null || return 1
	done &&
	mlreg register team/det m1 >/dev/null
EOF

test_expect_success 'alias set is quiet and alias list prints ALIAS NAME@N' '
	mlreg alias set clf@2 production -m "won the A/B test" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	mlreg alias set clf@3 staging &&
	mlreg alias set team/det@1 production &&
	mlreg alias list >out &&
	test_write_lines "production clf@2" "staging clf@3" "production team/det@1" >expect &&
	test_cmp expect out &&
	mlreg alias list clf >out &&
	test_write_lines "production clf@2" "staging clf@3" >expect &&
	test_cmp expect out &&
	mlreg alias >out &&
	test_line_count = 3 out
'

test_expect_success 'NAME@ALIAS works wherever NAME@N does' '
	mlreg describe clf@production --json >d.json &&
	json_assert d.json "d[\"version\"][\"version\"] == 2" \
		"d[\"version\"][\"aliases\"] == [\"production\"]" \
		"d[\"version\"][\"deprecated\"] is False" \
		"d[\"aliases\"] == {\"production\": 2, \"staging\": 3}" &&
	json_schema described d.json &&
	mlreg checkout clf@staging co &&
	test_cmp m3/w.bin co/w.bin &&
	mlreg export clf@production -o p.zip &&
	"$PYTHON" -c "import sys, zipfile; sys.exit(zipfile.ZipFile(\"p.zip\").read(\"w.bin\") != open(\"m2/w.bin\", \"rb\").read())" &&
	mlreg validate clf@production >/dev/null &&
	mlreg diff --exit-code clf@production clf@2 &&
	test_expect_code 1 mlreg diff --exit-code clf@production clf@staging >/dev/null &&
	mlreg describe clf@latest --json | json_get - "d[\"version\"][\"version\"]" >v &&
	echo 3 >expect &&
	test_cmp expect v
'

test_expect_success 'describe and list-versions show the aliases' '
	mlreg describe clf@3 >out &&
	test_grep "^aliases:      staging$" out &&
	mlreg list-versions clf >out &&
	test_grep "^3 .*  (staging) v3$" out &&
	test_grep "^2 .*  (production) v2$" out &&
	test_grep "^1 .*  v1$" out &&
	mlreg list-versions clf --filter "aliases = production" --json >l.json &&
	json_assert l.json "[v[\"version\"] for v in d] == [2]" &&
	mlreg list-versions clf --filter "aliases != production" --json >l.json &&
	json_assert l.json "[v[\"version\"] for v in d] == [3, 1]" &&
	mlreg search "has aliases" >out &&
	test_write_lines clf@3 clf@2 team/det@1 >expect &&
	test_cmp expect out
'

test_expect_success 'setting an alias to the version it names records nothing' '
	n=$(events clf) &&
	mlreg alias set clf@2 production --json >s.json &&
	json_assert s.json "d == {\"model\": \"clf\", \"alias\": \"production\", \"version\": 2, \"event\": None}" &&
	test "$(events clf)" = "$n"
'

test_expect_success 'a move through another alias; the log says who, when, from, to, why' - <<-\EOF
	MLREG_AUTHOR="Bob <bob@example.com>" \
	mlreg alias set clf@staging production -m "staging is better" --json >s.json &&
	json_assert s.json 'd["version"] == 3' 'd["event"]["action"] == "alias-set"' \
		'd["event"]["previous"] == 2' 'd["event"]["user"] == "Bob <bob@example.com>"' \
		'd["event"]["message"] == "staging is better"' 'len(d["event"]["id"]) == 64' &&
	mlreg alias log clf >log &&
	sed -e "s/^[0-9T:.Z-]*  //" log >got &&
	cat >expect <<-\LOG &&
	Bob <bob@example.com>  production: clf@2 -> clf@3  staging is better
	Ann <ann@example.com>  staging: (none) -> clf@3
	Ann <ann@example.com>  production: (none) -> clf@2  won the A/B test
	LOG
	test_cmp expect got &&
	mlreg alias log clf staging >log &&
	test_line_count = 1 log &&
	mlreg alias log clf --json >l.json &&
	json_assert l.json '[e["event"] for e in d] == [3, 2, 1]' \
		'd[2]["parent"] is None' 'all(d[i]["parent"] == d[i + 1]["id"] for i in range(2))' \
		'all(e["model"] == "clf" for e in d)' \
		'sorted(d[0]) == sorted(["model", "event", "parent", "time", "user", "action", "alias", "version", "previous", "message", "id"])'
EOF

test_expect_success 'alias rm removes it, recorded; the old alias then fails clearly' - <<-\EOF
	mlreg alias rm clf staging -m "done" --json >r.json &&
	json_assert r.json 'd["version"] is None' 'd["event"]["action"] == "alias-remove"' \
		'd["event"]["previous"] == 3' &&
	mlreg alias list clf >out &&
	echo "production clf@3" >expect &&
	test_cmp expect out &&
	mlreg alias log clf >log &&
	head -n 1 log | sed -e "s/^[0-9T:.Z-]*  //" >got &&
	echo "Ann <ann@example.com>  staging: clf@3 -> (none)  done" >expect &&
	test_cmp expect got &&
	test_fails 1 "^error: model ${SQ}clf${SQ} has no alias ${SQ}staging${SQ} (it has: production)$" \
		mlreg checkout clf@staging co2 &&
	test_fails 1 "^error: model ${SQ}clf${SQ} has no alias ${SQ}staging${SQ} (it has: production)$" \
		mlreg alias rm clf staging &&
	test_fails 1 "^error: model ${SQ}team/det${SQ} has no alias ${SQ}qa${SQ} (it has: production)$" \
		mlreg describe team/det@qa
EOF

test_expect_success 'invalid aliases are refused, nothing changes' - <<-\EOF
	for a in Prod 1st latest "a..b" "a." _x "a b" "" "$(printf "a\tb")" \
		"$(printf "%065d" 0 | tr 0 a)"
	do
		test_fails 128 "^fatal: invalid alias: " mlreg alias set clf@1 "$a" || return 1
	done &&
	test_fails 128 "^fatal: invalid alias: ${SQ}latest${SQ} is built in" \
		mlreg alias set clf@1 latest &&
	test_fails 128 "^fatal: invalid alias: it must start with a lowercase letter$" \
		mlreg alias rm clf Prod &&
	# 64 characters is the longest
	long=$(printf "%064d" 0 | tr 0 a) &&
	mlreg alias set clf@1 "$long" &&
	mlreg alias rm clf "$long"
EOF

test_expect_success 'missing model, version, bare name, bad usage: errors, nothing changes' - <<-\EOF
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg alias set nope@1 prod &&
	test_fails 1 "^error: version 9 of model ${SQ}clf${SQ} not found$" mlreg alias set clf@9 prod &&
	test_fails 129 "^error: name the version: clf@N" mlreg alias set clf prod &&
	test_fails 129 "^error: too many arguments" mlreg alias set clf@1 a b &&
	test_fails 129 "^error: option ${SQ}--at${SQ} is not for this subcommand" \
		mlreg alias set clf@1 prod --at 2026-01-01 &&
	test_fails 129 "^error: option ${SQ}--message${SQ} is not for this subcommand" \
		mlreg alias list -m x &&
	test_fails 129 "^error: unknown subcommand ${SQ}lst${SQ}; did you mean ${SQ}list${SQ}?" \
		mlreg alias lst &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg alias log nope &&
	test_fails 1 "^error: model ${SQ}nope${SQ} not found$" mlreg alias list nope
EOF

test_expect_success 'alias list --at replays the log to a time' - <<-\EOF
	mlreg create hist &&
	for i in 1 2 3
	do
		mlreg register hist m$i >/dev/null || return 1
	done &&
	mlreg alias set hist@1 production &&
	mlreg alias set hist@2 production &&
	mlreg alias set hist@3 production &&
	mlreg alias log hist --json >l.json &&
	t1=$(json_get l.json 'd[2]["time"]') &&
	t2=$(json_get l.json 'd[1]["time"]') &&
	mlreg alias list hist --at "$t1" >out &&
	echo "production hist@1" >expect &&
	test_cmp expect out &&
	mlreg alias list hist --at "$t2" --json >a.json &&
	json_equal a.json "[{\"model\": \"hist\", \"alias\": \"production\", \"version\": 2}]" &&
	mlreg alias list hist --at 2000-01-01 >out &&
	test_must_be_empty out &&
	mlreg alias list hist --at 2999-12-31 >out &&
	echo "production hist@3" >expect &&
	test_cmp expect out &&
	# a second of the time, without its fraction, is its start
	sec=$(echo "$t1" | sed -e "s/\.[0-9]*Z$/Z/") &&
	mlreg alias list hist --at "$sec" >out &&
	test_must_be_empty out &&
	for bad in yesterday 2026-13-01 2026-01-01T10:00:00 "2026-01-01 10:00:00Z" 2026-01-01T10:00:00+01:00
	do
		test_fails 129 "^error: invalid --at ${SQ}" mlreg alias list hist --at "$bad" || return 1
	done
EOF

test_expect_success 'fsck checks the log against the record' - <<-\EOF
	mlreg fsck &&
	dir=$(model_dir hist) &&
	cp "$dir/model.json" model.saved &&
	json_edit "$dir/model.json" 'd["aliases"]["production"] = 1' &&
	test_expect_code 1 mlreg fsck >out 2>&1 &&
	test_grep "aliases or deprecated versions of model ${SQ}hist${SQ} are not what its events say" out &&
	cp model.saved "$dir/model.json" &&
	cp "$dir/events/2.json" event.saved &&
	sed -e "s/\"version\":2/\"version\":1/" event.saved >"$dir/events/2.json" &&
	test_expect_code 1 mlreg fsck >out 2>&1 &&
	test_grep "event 3 of model ${SQ}hist${SQ} does not follow event 2" out &&
	rm "$dir/events/2.json" &&
	test_expect_code 1 mlreg fsck >out 2>&1 &&
	test_grep "event 2 of model ${SQ}hist${SQ} is missing" out &&
	test_fails 1 "event 2 of model ${SQ}hist${SQ} is missing; run ${SQ}mlreg fsck${SQ}" \
		mlreg alias log hist &&
	cp event.saved "$dir/events/2.json" &&
	mlreg fsck
EOF

test_expect_success 'an event above latest_event (an interrupted writer) is invisible and overwritten' - <<-\EOF
	dir=$(model_dir hist) &&
	printf "{\"junk\":1}\n" >"$dir/events/4.json" &&
	mlreg fsck &&
	mlreg alias log hist >log &&
	test_line_count = 3 log &&
	mlreg alias set hist@1 old &&
	json_assert "$dir/events/4.json" 'd["alias"] == "old"' &&
	mlreg fsck
EOF

test_expect_success 'concurrent writers: every change is kept, the chain stays whole' - <<-\EOF
	mlreg create busy &&
	mlreg register busy m1 >/dev/null &&
	mlreg register busy m2 >/dev/null &&
	for i in 1 2 3 4 5 6 7 8
	do
		mlreg alias set busy@$((i % 2 + 1)) "a$i" -m "writer $i" &
		mlreg alias set busy@$((i % 2 + 1)) shared -m "writer $i" &
	done &&
	wait &&
	mlreg alias list busy >out &&
	test_line_count = 9 out &&
	mlreg alias log busy --json >l.json &&
	# 8 own aliases, and "shared" moved at least once (between 2 versions)
	json_assert l.json 'len([e for e in d if e["alias"] != "shared"]) == 8' \
		'1 <= len([e for e in d if e["alias"] == "shared"]) <= 8' \
		'[e["event"] for e in d] == list(range(len(d), 0, -1))' &&
	mlreg fsck
EOF

test_expect_success 'kill -9 at any moment of alias set leaves a sound store' - <<-\EOF
	mlreg create killed &&
	mlreg register killed m1 >/dev/null &&
	mlreg register killed m2 >/dev/null &&
	i=0 &&
	while test $i -lt 30
	do
		mlreg alias set killed@$((i % 2 + 1)) prod -m "round $i" 2>/dev/null &
		pid=$! &&
		# no wait: the kill lands wherever the command is
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		i=$((i + 1))
	done &&
	mlreg fsck &&
	mlreg alias set killed@1 after &&
	mlreg alias log killed --json >l.json &&
	json_assert l.json 'd[0]["alias"] == "after"' &&
	mlreg fsck
EOF

test_expect_success 'upload NAME@ALIAS sends the versions up to it, and the events naming them' - <<-\EOF
	mkdir remote &&
	mlreg remote add origin "file://$PWD/remote" &&
	mlreg alias set clf@2 candidate &&
	mlreg upload -q origin clf@candidate >out &&
	test_write_lines clf@1 clf@2 >expect &&
	test_cmp expect out &&
	test_path_is_missing remote/models/clf/versions/3.json &&
	test_fails 1 "^error: model ${SQ}clf${SQ} has no alias ${SQ}candidate${SQ} on remote ${SQ}origin${SQ} (it has: production)$" \
		mlreg download origin clf@candidate &&
	test_fails 1 "^error: model ${SQ}clf${SQ} has no alias ${SQ}nope${SQ}" \
		mlreg upload origin clf@nope
EOF

test_expect_success 'control characters in messages and users are escaped' - <<-\EOF
	MLREG_AUTHOR="$(printf "evil\033]0;x\007")" \
		mlreg alias set clf@1 esc -m "$(printf "a\033[31mb")" &&
	mlreg alias log clf esc >out &&
	test_no_control_chars out &&
	test_grep "evil" out
EOF

test_expect_success '--git-tag mirrors moves as annotated tags (GTO names)' - <<-\EOF
	git init -q repo &&
	(
		cd repo &&
		git config user.name "Tag Ger" && git config user.email tg@example.com &&
		mlreg init -q &&
		mlreg create team/clf &&
		echo 1 >w && git add w && git commit -q -m c1 &&
		mlreg register team/clf w >/dev/null &&
		echo 2 >w && git commit -q -a -m c2 &&
		mlreg register team/clf w >/dev/null &&
		c1=$(git rev-parse HEAD^) && c2=$(git rev-parse HEAD) &&
		mlreg alias set team/clf@1 production --git-tag -m "first" &&
		mlreg alias set team/clf@2 production --git-tag &&
		mlreg alias rm team/clf production --git-tag &&
		git for-each-ref --format="%(refname:short) %(objecttype) %(*objectname)" refs/tags >tags &&
		cat >expect <<-TAGS &&
		team/clf#production!#3 tag $c2
		team/clf#production#1 tag $c1
		team/clf#production#2 tag $c2
		team/clf@v1 tag $c1
		team/clf@v2 tag $c2
		TAGS
		test_cmp expect tags &&
		git tag -l -n1 "team/clf#production#1" >msg &&
		test_grep "first" msg &&
		git cat-file tag "team/clf#production#1" >tag &&
		test_grep "^tagger Tag Ger <tg@example.com>" tag
	)
EOF

test_expect_success '--git-tag outside a git work tree fails before changing anything' '
	test_fails 1 "^error: --git-tag: not in a git work tree$" \
		mlreg alias set clf@1 tagged --git-tag
'

test_done
