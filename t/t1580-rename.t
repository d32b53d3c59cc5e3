#!/bin/sh
test_description='rename OLD NEW: every version, its provenance, aliases,
deprecations and events kept; OLD a redirect naming NEW; interrupted renames
finished by a rerun; a renamed model through a file:// remote'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

MLREG_AUTHOR='Ann <ann@example.com>'
export MLREG_AUTHOR

fsck_clean () {
	mlreg fsck >fsck.out 2>fsck.err &&
	test_must_be_empty fsck.out &&
	test_must_be_empty fsck.err
}

# renamed_msg OLD NEW: the pattern of the one line a use of OLD prints.
renamed_msg () {
	printf "^error: model ${SQ}%s${SQ} was renamed to ${SQ}%s${SQ} (on 20[0-9T:.-]*Z by Ann <ann@example.com>); use ${SQ}%s${SQ}\$" "$1" "$2" "$2"
}

test_expect_success 'setup: three versions, an alias, a deprecation, events' - <<-\EOF
	mlreg init &&
	mlreg create clf -d "a classifier" -m team=vision &&
	for i in 1 2 3
	do
		mkdir -p m$i && echo "weights $i" >m$i/w.bin &&
		mlreg register clf m$i --message "v$i" --metric acc=0.$i >/dev/null || return 1
	done &&
	mlreg alias set clf@2 production -m "won" &&
	mlreg deprecate clf@3 &&
	mlreg list-versions clf --json >versions.before &&
	mlreg describe clf@2 >describe.before &&
	for i in 1 2 3
	do
		sha256sum <"$(version_record clf $i)" >>records.before || return 1
	done &&
	mlreg alias log clf >log.before &&
	count_objects >objects.before
EOF

test_expect_success 'rename is quiet; the records are not rewritten' - <<-\EOF
	mlreg rename clf vision/clf -m "moved to the vision team" >out 2>err &&
	test_must_be_empty out &&
	test_must_be_empty err &&
	test_path_is_missing "$(model_dir clf)/versions" &&
	for i in 1 2 3
	do
		sha256sum <"$(version_record vision/clf $i)" >>records.after || return 1
	done &&
	test_cmp records.before records.after &&
	json_equal "$(model_dir clf)/model.json" \
		"{\"name\": \"clf\", \"renamed_to\": \"vision/clf\", \"time\": \"$(json_get \
		"$(model_dir clf)/model.json" 'd["time"]')\", \"user\": \"Ann <ann@example.com>\"}" &&
	json_assert "$(model_dir vision/clf)/model.json" 'd["name"] == "vision/clf"' \
		'd["former_names"] == ["clf"]' 'd["latest_version"] == 3' \
		'd["aliases"] == {"production": 2}' 'd["deprecated"] == [3]' \
		'd["metadata"] == {"team": "vision"}' 'd["description"] == "a classifier"'
EOF

test_expect_success 'every version, alias, deprecation and event is kept under the new name' - <<-\EOF
	mlreg list-versions vision/clf --json >versions.after &&
	test_grep "^    \"model\": \"clf\",$" versions.before &&
	sed "s|^    \"model\": \"clf\",$|    \"model\": \"vision/clf\",|" versions.before >expect &&
	test_cmp expect versions.after &&
	mlreg describe vision/clf@2 >describe.after &&
	sed -e "1,/^$/d" describe.before >expect &&	# the version, below the model
	sed -e "1,/^$/d" describe.after >actual &&
	test_grep "^version:      2$" actual &&
	test_cmp expect actual &&
	mlreg checkout vision/clf@production co &&
	test_cmp m2/w.bin co/w.bin &&
	mlreg checkout vision/clf@3 co3 2>err &&
	test_cmp m3/w.bin co3/w.bin &&
	echo "warning: vision/clf@3 is deprecated" >expect &&
	test_cmp expect err &&
	mlreg list-versions vision/clf >out &&
	test_grep "^2 .*(production)" out &&
	mlreg alias log vision/clf >log.after &&
	head -n 1 log.after >first &&
	test_grep "  Ann <ann@example.com>  renamed clf -> vision/clf  moved to the vision team$" first &&
	sed 1d log.after >rest &&
	sed "s|clf@|vision/clf@|" log.before >expect &&
	test_cmp expect rest &&
	mlreg alias log vision/clf --json >log.json &&
	json_assert log.json 'd[0]["action"] == "rename"' 'd[0]["from"] == "clf"' \
		'd[0]["to"] == "vision/clf"' 'd[0]["model"] == "vision/clf"' &&
	fsck_clean &&
	mlreg gc --prune=now >/dev/null &&
	test "$(count_objects)" = "$(cat objects.before)" &&
	mlreg checkout vision/clf@1 co1 &&
	test_cmp m1/w.bin co1/w.bin
EOF

test_expect_success 'list leaves the redirect out; --json too' '
	mlreg list >out &&
	test_grep "^vision/clf " out &&
	! grep "^clf " out &&
	mlreg list --json >l.json &&
	json_assert l.json "[m[\"name\"] for m in d] == [\"vision/clf\"]"
'

# old_name_fails CMD...: CMD exits 1, prints nothing on stdout and on stderr
# only the line naming vision/clf (test_fails, with the store compared once
# for all of them by the caller).
old_name_fails () {
	"$@" >out 2>err
	test $? = 1 && test_must_be_empty out && test_line_count = 1 err &&
	grep -e "$(renamed_msg clf vision/clf)" err >/dev/null || {
		printf 'old_name_fails: %s\n' "$*" >&2 && cat err >&2 && return 1
	}
}

test_expect_success 'every command given the old name fails with one line naming the new one' - <<-\EOF
	store_snapshot >store.before &&
	old_name_fails mlreg describe clf &&
	old_name_fails mlreg describe clf@1 &&
	old_name_fails mlreg describe clf@production &&
	old_name_fails mlreg checkout clf@2 co-old &&
	test_path_is_missing co-old &&
	old_name_fails mlreg register clf m1 &&
	old_name_fails mlreg register --create clf m1 &&
	old_name_fails mlreg list-versions clf &&
	old_name_fails mlreg alias set clf@1 staging &&
	old_name_fails mlreg alias rm clf production &&
	old_name_fails mlreg alias log clf &&
	old_name_fails mlreg deprecate clf@1 &&
	old_name_fails mlreg metadata clf &&
	old_name_fails mlreg metadata clf --add k=v &&
	old_name_fails mlreg export clf@1 -o x.zip &&
	test_path_is_missing x.zip &&
	old_name_fails mlreg validate clf@1 &&
	old_name_fails mlreg diff clf@1 vision/clf@2 &&
	store_snapshot >store.after &&
	test_cmp store.before store.after &&
	test_fails 1 "$(renamed_msg clf vision/clf)" mlreg describe clf
EOF

test_expect_success 'create of the old name is refused while it redirects, saying how to move back' '
	test_fails 1 "^error: model ${SQ}clf${SQ} was renamed to ${SQ}vision/clf${SQ} and its old name redirects there; ${SQ}mlreg rename vision/clf clf${SQ} moves it back, ${SQ}mlreg create --force clf${SQ} replaces it$" \
		mlreg create clf &&
	test_fails 1 "^error: model ${SQ}vision/clf${SQ} already exists$" mlreg create --force vision/clf
'

test_expect_success 'register NEW makes NEW@4, whose record names NEW' - <<-\EOF
	mkdir -p m4 && echo "weights 4" >m4/w.bin &&
	mlreg register vision/clf m4 >out &&
	echo vision/clf@4 >expect &&
	test_cmp expect out &&
	json_assert "$(version_record vision/clf 4)" 'd["model"] == "vision/clf"' 'd["version"] == 4' &&
	fsck_clean
EOF

test_expect_success '--git-tag names use the new name after a rename' - <<-\EOF
	git init -q repo &&
	(
		cd repo &&
		git config user.name "Tag Ger" && git config user.email tg@example.com &&
		echo 1 >w && git add w && git commit -q -m c1 &&
		mlreg --store .mlreg init -q &&
		mlreg --store .mlreg register --create old w >/dev/null &&
		mlreg --store .mlreg rename old new &&
		mlreg --store .mlreg alias set new@1 production --git-tag &&
		git for-each-ref --format="%(refname:short)" refs/tags >tags &&
		# NAME#STAGE#K: K is the event number, and the rename was event 1
		test_write_lines "new#production#2" "new@v1" >expect &&
		test_cmp expect tags
	)
EOF

test_expect_success 'rename --json prints the renamed model (the schema of mlreg-rename(1))' - <<-\EOF
	mlreg create det &&
	mlreg register det m1 >/dev/null &&
	mlreg rename det det2 --json >r.json &&
	json_assert r.json 'd["name"] == "det2"' 'd["former_names"] == ["det"]' \
		'd["latest_version"] == 1' 'd["latest_event"] == 1' \
		'"latest_id" not in d and "latest_event_id" not in d' \
		'sorted(d) == ["creation_time", "description", "former_names", "last_updated_time", "latest_event", "latest_version", "metadata", "name"]'
EOF

test_expect_success 'bad input: one line, the store unchanged' - <<-\EOF
	test_fails 129 "^error: missing model name (see ${SQ}mlreg rename -h${SQ})$" mlreg rename &&
	test_fails 129 "^error: missing new name" mlreg rename det2 &&
	test_fails 129 "^error: too many arguments" mlreg rename det2 a b &&
	test_fails 129 "^error: a rename names models, not versions: OLD NEW" mlreg rename det2@1 x &&
	test_fails 128 "^fatal: invalid model name" mlreg rename det2 "bad name" &&
	test_fails 128 "^fatal: cannot rename model ${SQ}det2${SQ} to itself$" mlreg rename det2 det2 &&
	test_fails 1 "^error: model ${SQ}nosuch${SQ} not found$" mlreg rename nosuch x &&
	test_fails 1 "^error: model ${SQ}vision/clf${SQ} exists$" mlreg rename det2 vision/clf &&
	test_fails 1 "$(renamed_msg clf vision/clf)" mlreg rename clf other &&
	test_fails 1 "$(renamed_msg det det2)" mlreg rename det det2
EOF

test_expect_success 'a chain of renames is followed to its end' - <<-\EOF
	mlreg rename det2 det3 &&
	test_fails 1 "^error: model ${SQ}det${SQ} was renamed to ${SQ}det2${SQ} (on .*) and later to ${SQ}det3${SQ}; use ${SQ}det3${SQ}$" \
		mlreg describe det &&
	json_assert "$(model_dir det3)/model.json" 'd["former_names"] == ["det", "det2"]' &&
	fsck_clean
EOF

test_expect_success 'renaming back replaces the redirect; the former names stay' - <<-\EOF
	mlreg rename det3 det &&
	mlreg describe det@1 --json >d.json &&
	json_assert d.json 'd["version"]["model"] == "det"' 'd["former_names"] == ["det2", "det3"]' &&
	test_fails 1 "$(renamed_msg det3 det)" mlreg describe det3 &&
	test_fails 1 "^error: model ${SQ}det2${SQ} was renamed to ${SQ}det3${SQ} (on .*) and later to ${SQ}det${SQ}; use ${SQ}det${SQ}$" \
		mlreg describe det2 &&
	mlreg alias log det >log &&
	test_line_count = 3 log &&
	fsck_clean
EOF

test_expect_success 'create --force replaces a redirect with a new model' - <<-\EOF
	mlreg rename det scratch &&
	mlreg create --force det -d "a new det" --json >c.json &&
	json_assert c.json 'd["name"] == "det"' 'd["latest_version"] == 0' \
		'"former_names" not in d' &&
	mlreg register det m2 >/dev/null &&
	mlreg describe det@1 --json >d.json &&
	json_assert d.json 'd["description"] == "a new det"' 'd["version"]["model"] == "det"' &&
	test_cmp m2/w.bin "$(object_path "$(json_get d.json 'd["version"]["files"][0]["sha256"]')")" &&
	mlreg describe scratch@1 >/dev/null &&
	fsck_clean
EOF

test_expect_success 'redirects that loop: fsck reports them, a use says to run it' - <<-\EOF
	mkdir "$(model_dir la)" "$(model_dir lb)" &&
	echo "{\"name\":\"la\",\"renamed_to\":\"lb\",\"time\":\"t\",\"user\":\"u\"}" >"$(model_dir la)/model.json" &&
	echo "{\"name\":\"lb\",\"renamed_to\":\"la\",\"time\":\"t\",\"user\":\"u\"}" >"$(model_dir lb)/model.json" &&
	test_fails 1 "^error: model ${SQ}la${SQ} was renamed to ${SQ}lb${SQ} (on t by u), but the redirects from ${SQ}lb${SQ} are malformed, loop or go on for more than 32 renames; run ${SQ}mlreg fsck${SQ}$" \
		mlreg describe la &&
	test_must_fail mlreg fsck >out 2>&1 &&
	test_grep "redirects from ${SQ}lb${SQ} are malformed, loop" out &&
	echo "{\"name\":\"la\",\"renamed_to\":\"la\",\"time\":\"t\",\"user\":\"u\"}" >"$(model_dir la)/model.json" &&
	test_fails 1 "^error: the redirect of model ${SQ}la${SQ} (a renamed model) is malformed; run ${SQ}mlreg fsck${SQ}$" \
		mlreg describe la &&
	rm -r "$(model_dir la)" "$(model_dir lb)" &&
	fsck_clean
EOF

test_expect_success 'a redirect whose model is gone: not found, and no problem for fsck' - <<-\EOF
	mkdir "$(model_dir gone)" &&
	echo "{\"name\":\"gone\",\"renamed_to\":\"nowhere\",\"time\":\"t\",\"user\":\"u\"}" >"$(model_dir gone)/model.json" &&
	test_fails 1 "^error: model ${SQ}gone${SQ} was renamed to ${SQ}nowhere${SQ} (on t by u), which no longer exists$" \
		mlreg describe gone &&
	fsck_clean &&
	mlreg rename det gone &&
	test_fails 1 "$(renamed_msg det gone)" mlreg describe det &&
	mlreg rename gone det
EOF

test_expect_success 'interrupted after the directory moved: every use says to rerun; the rerun finishes' - <<-\EOF
	mlreg create kws &&
	mlreg register kws m1 >/dev/null &&
	mlreg alias set kws@1 prod &&
	mv "$(model_dir kws)" "$(model_dir kws2)" &&
	msg="a rename of model ${SQ}kws${SQ} to ${SQ}kws2${SQ} was interrupted; run ${SQ}mlreg rename kws kws2${SQ} again" &&
	test_fails 1 "^error: $msg$" mlreg describe kws2 &&
	test_fails 1 "^error: $msg$" mlreg register kws2 m2 &&
	test_fails 1 "^error: $msg$" mlreg alias set kws2@1 x &&
	test_fails 1 "^error: $msg$" mlreg list &&
	test_fails 1 "^error: model ${SQ}kws${SQ} not found$" mlreg describe kws &&
	test_must_fail mlreg fsck >out 2>&1 &&
	test_grep "$msg" out &&
	mlreg rename kws kws2 &&
	mlreg describe kws2@prod --json >d.json &&
	json_assert d.json 'd["version"]["version"] == 1' 'd["former_names"] == ["kws"]' &&
	test_fails 1 "$(renamed_msg kws kws2)" mlreg describe kws &&
	fsck_clean
EOF

test_expect_success 'interrupted before the redirect: the old name is not found; the rerun writes it' - <<-\EOF
	rm -r "$(model_dir kws)" &&
	test_fails 1 "^error: model ${SQ}kws${SQ} not found$" mlreg describe kws &&
	fsck_clean &&
	cp "$(model_dir kws2)/model.json" record.before &&
	mlreg rename kws kws2 &&
	test_cmp record.before "$(model_dir kws2)/model.json" &&
	test_fails 1 "$(renamed_msg kws kws2)" mlreg describe kws &&
	fsck_clean
EOF

test_expect_success 'the new name left by an interrupted create: replaced when it holds no record' - <<-\EOF
	mkdir -p "$(model_dir half)/versions" &&
	: >"$(model_dir half)/model.json.lock" &&
	mlreg rename kws2 half &&
	mlreg describe half@1 >/dev/null &&
	mkdir -p "$(model_dir half2)/versions" &&
	cp "$(version_record half 1)" "$(model_dir half2)/versions/1.json" &&
	test_fails 1 "^error: cannot rename to ${SQ}half2${SQ}: ${SQ}.*/models/half2${SQ} holds records but no model record (an interrupted download?); remove it first$" \
		mlreg rename half half2 &&
	rm -r "$(model_dir half2)" &&
	fsck_clean
EOF

test_expect_success 'a register of OLD and a rename waiting on one lock: either order is clean' - <<-\EOF
	mlreg create race &&
	mlreg register race m1 >/dev/null &&
	lock="$(model_dir race)/model.json.lock" &&
	mkdir -p m5 && echo "weights 5" >m5/w.bin &&
	: >"$lock" || return 1
	# a background job ends its own list: the lines with & stand alone,
	# and the lock is released whatever happens in between
	flock "$lock" sh -c ": >held; while ! test -f go; do sleep 0.05; done" >/dev/null 2>&1 &
	wait_until 10 test -f held
	held=$?
	{ mlreg register race m5 >reg.out 2>reg.err; echo $? >reg.rc; } &
	{ mlreg rename race race2 >ren.out 2>ren.err; echo $? >ren.rc; } &
	: >go
	wait
	test $held = 0 &&
	echo 0 >expect &&
	test_cmp expect ren.rc &&
	test_must_be_empty ren.err &&
	if test "$(cat reg.rc)" = 0
	then
		echo race@2 >expect && test_cmp expect reg.out && v=2
	else
		echo 1 >expect && test_cmp expect reg.rc &&
		test_line_count = 1 reg.err &&
		grep -e "$(renamed_msg race race2)" -e "^error: model ${SQ}race${SQ} not found" reg.err &&
		v=1
	fi &&
	json_assert "$(model_dir race2)/model.json" "d['latest_version'] == $v" &&
	mlreg fsck >fsck.out &&	# the failed register's object may be unreferenced
	test_must_be_empty fsck.out
EOF

test_expect_success 'a renamed model through a file:// remote: upload, download elsewhere' - <<-\EOF
	remote_add "$MLREG_DIR" origin &&
	mlreg upload origin half >/dev/null &&
	json_assert "$SCRATCH/remotes/origin/models/half/model.json" 'd["former_names"] == ["kws", "kws2"]' &&
	json_assert "$SCRATCH/remotes/origin/models/half/versions/1.json" 'd["model"] == "kws"' &&
	mkdir other &&
	mlreg --store other/.mlreg init >/dev/null &&
	remote_add other/.mlreg origin &&
	mlreg --store other/.mlreg download origin half >/dev/null &&
	mlreg --store other/.mlreg describe half@1 --json >d.json &&
	json_assert d.json 'd["version"]["model"] == "half"' 'd["former_names"] == ["kws", "kws2"]' &&
	mlreg --store other/.mlreg checkout half@1 co-other &&
	test_cmp m1/w.bin co-other/w.bin &&
	mlreg --store other/.mlreg fsck >out &&
	test_fails 1 "$(renamed_msg kws2 half)" mlreg upload origin kws2 &&
	mlreg --store other/.mlreg rename half half3 &&
	STORE=other/.mlreg test_fails_remote 1 "$(renamed_msg half half3)" \
		mlreg --store other/.mlreg download origin half &&
	mlreg --store other/.mlreg upload origin half3 >/dev/null &&
	json_assert "$SCRATCH/remotes/origin/models/half3/model.json" \
		'd["former_names"] == ["kws", "kws2", "half"]' &&
	json_assert "$SCRATCH/remotes/origin/models/half/model.json" \
		'd["former_names"] == ["kws", "kws2"]'
EOF

test_expect_success 'a remote record naming a model that is not a former name is refused' - <<-\EOF
	json_edit "$SCRATCH/remotes/origin/models/half/model.json" 'd["former_names"] = ["zzz"]' &&
	mkdir third &&
	mlreg --store third/.mlreg init >/dev/null &&
	remote_add third/.mlreg origin &&
	# (the events are checked before the version records: the first is refused)
	STORE=third/.mlreg test_fails_remote 1 "models/half/events/1.json is corrupt: event 1 of model .half. names another model or event" \
		mlreg --store third/.mlreg download origin half
EOF

test_done
