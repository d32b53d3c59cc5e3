#!/bin/sh
test_description='the event log on a file:// remote: aliases and deprecations
uploaded and downloaded with the versions, download NAME@ALIAS, partial
uploads, conflicts both ways, reruns, and hostile event records'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file

A="$SCRATCH/a/.mlreg" B="$SCRATCH/b/.mlreg"
R="$SCRATCH/remotes/shared"

# ma, mb: mlreg in store a (Ann's) and b (Bob's).
ma () {
	MLREG_AUTHOR='Ann <ann@example.com>' mlreg --store "$A" "$@"
}
mb () {
	MLREG_AUTHOR='Bob <bob@example.com>' mlreg --store "$B" "$@"
}

# same_lifecycle STORE1 STORE2: the same event log (ids included) for model
# clf, and the same aliases and deprecations (as list-versions marks them).
same_lifecycle () {
	mlreg --store "$1" alias log clf --json >log1 &&
	mlreg --store "$2" alias log clf --json >log2 &&
	test_cmp log1 log2 &&
	mlreg --store "$1" list-versions clf >lv1 &&
	mlreg --store "$2" list-versions clf >lv2 &&
	test_cmp lv1 lv2
}

# event_field STORE K EXPR: EXPR of event K of clf in STORE.
event_field () {
	json_get "$1/models/clf/events/$2.json" "$3"
}

test_expect_success 'setup: four versions, aliases moved, one deprecated' - <<-\EOF
	mlreg init -q a && mlreg init -q b &&
	for i in 1 2 3 4
	do
		mkdir -p m$i && echo "weights $i" >m$i/w.bin &&
		ma register --create clf m$i --message "v$i" >/dev/null || return 1
	done &&
	ma alias set clf@2 production -m "won the A/B test" &&
	ma alias set clf@3 staging &&
	ma deprecate clf@1 -m "leaks" &&
	ma alias set clf@4 production &&
	remote_add "$A" origin shared &&
	remote_add "$B" origin shared
EOF

test_expect_success 'upload NAME@2 sends the events up to the first naming a later version' - <<-\EOF
	ma upload -q origin clf@2 --json >s.json &&
	json_assert s.json 'd["versions"] == ["clf@1", "clf@2"]' \
		'd["events"] == [{"model": "clf", "from": 1, "to": 1}]' &&
	remote_keys shared | grep "^models/clf/events/" >keys &&
	test_write_lines models/clf/events/1.json >expect &&
	test_cmp expect keys &&
	cmp "$R/models/clf/events/1.json" "$A/models/clf/events/1.json" &&
	json_assert "$R/models/clf/model.json" 'd["latest_event"] == 1' \
		"d[\"latest_event_id\"] == \"$(sha256_of "$A/models/clf/events/1.json")\""
EOF

test_expect_success 'upload sends the rest, byte for byte, and the model record names the last' - <<-\EOF
	ma upload origin >out &&
	test_write_lines clf@3 clf@4 >expect &&
	test_cmp expect out &&
	for k in 1 2 3 4
	do
		cmp "$R/models/clf/events/$k.json" "$A/models/clf/events/$k.json" || return 1
	done &&
	test_path_is_missing "$R/models/clf/events/5.json" &&
	json_assert "$R/models/clf/model.json" 'd["latest_event"] == 4' \
		"d[\"latest_event_id\"] == \"$(sha256_of "$A/models/clf/events/4.json")\"" &&
	ma upload origin --json >s.json &&
	json_assert s.json 'd["versions"] == [] and d["events"] == []'
EOF

test_expect_success 'download into a fresh store: the same aliases, deprecations and log; fsck clean' - <<-\EOF
	mb download origin clf --json >s.json &&
	json_assert s.json 'd["versions"] == ["clf@1", "clf@2", "clf@3", "clf@4"]' \
		'd["events"] == [{"model": "clf", "from": 1, "to": 4}]' &&
	same_lifecycle "$A" "$B" &&
	mb alias list clf >out &&
	test_write_lines "production clf@4" "staging clf@3" >expect &&
	test_cmp expect out &&
	mb describe clf@1 --json >d.json &&
	json_assert d.json 'd["version"]["deprecated"] is True' &&
	json_assert "$B/models/clf/model.json" 'd["latest_event"] == 4' &&
	mb fsck 2>err &&
	mb checkout clf@production co &&
	test_cmp m4/w.bin co/w.bin
EOF

test_expect_success 'later moves go incrementally, both ways' - <<-\EOF
	ma alias set clf@3 production -m "roll back" &&
	ma alias rm clf staging &&
	ma upload origin --json >s.json &&
	json_assert s.json 'd["versions"] == []' \
		'd["events"] == [{"model": "clf", "from": 5, "to": 6}]' &&
	mb download origin --json >s.json &&
	json_assert s.json 'd["versions"] == []' \
		'd["events"] == [{"model": "clf", "from": 5, "to": 6}]' &&
	same_lifecycle "$A" "$B" &&
	mb undeprecate clf@1 -m "fixed" &&
	mb upload -q origin &&
	ma download -q origin >out &&
	test_must_be_empty out &&
	same_lifecycle "$A" "$B" &&
	test "$(event_field "$A" 7 d[\"user\"])" = "Bob <bob@example.com>" &&
	ma fsck 2>err && mb fsck 2>err
EOF

test_expect_success 'list-versions --remote shows the remote'"'"'s aliases and deprecations' - <<-\EOF
	ma deprecate clf@2 &&
	ma list-versions clf --remote origin --json >l.json &&
	json_assert l.json '[(v["version"], v["aliases"], v["deprecated"]) for v in d] == [(4, [], False), (3, ["production"], False), (2, [], False), (1, [], False)]' &&
	json_schema versions l.json &&
	ma list-versions clf --remote origin >out &&
	test_grep "^3 .*  (production) v3$" out
EOF

test_expect_success 'download NAME@ALIAS resolves the alias by the remote'"'"'s events' - <<-\EOF
	mlreg init -q c && C="$SCRATCH/c/.mlreg" &&
	remote_add "$C" origin shared &&
	mlreg --store "$C" download origin clf@production >out &&
	test_write_lines clf@1 clf@2 clf@3 >expect &&
	test_cmp expect out &&
	mlreg --store "$C" checkout clf@3 co3 &&
	test_cmp m3/w.bin co3/w.bin &&
	# events 4 on name clf@4, which this store lacks: they come later
	json_assert "$C/models/clf/model.json" 'd["latest_event"] == 3' &&
	mlreg --store "$C" alias list clf >out &&
	test_write_lines "production clf@2" "staging clf@3" >expect &&
	test_cmp expect out &&
	mlreg --store "$C" fsck 2>err &&
	mlreg --store "$C" download origin clf@latest >out &&
	test_write_lines clf@4 >expect &&
	test_cmp expect out &&
	same_lifecycle "$B" "$C" &&
	mlreg --store "$C" fsck 2>err
EOF

test_expect_success 'download NAME@ALIAS: an unknown or invalid alias fails, nothing changed' - <<-\EOF
	mlreg init -q d && D="$SCRATCH/d/.mlreg" &&
	remote_add "$D" origin shared &&
	STORE=$D test_fails_remote 1 "^error: model .clf. has no alias .nope. on remote .origin. (it has: production)$" \
		mlreg --store "$D" download origin clf@nope &&
	test_path_is_missing "$D/models/clf" &&
	STORE=$D test_fails_remote 128 "^fatal: invalid alias" \
		mlreg --store "$D" download origin clf@Bad
EOF

test_expect_success 'conflict on upload: the versions go, the events stay local, exit 1' - <<-\EOF
	ma alias log clf --json >before.json &&
	ma alias set clf@4 production -m "Ann promotes 4" &&
	mb alias set clf@1 production -m "Bob promotes 1" &&
	mb upload -q origin &&
	mkdir m5 && echo "weights 5" >m5/w.bin &&
	ma register clf m5 >/dev/null &&
	ma alias log clf --json >mine.json &&
	test_expect_code 1 ma upload -q origin >out 2>err &&
	test_write_lines clf@5 >expect &&
	test_cmp expect out &&
	test_line_count = 1 err &&
	test_grep "^error: remote .origin. has another event 8 of model .clf. (alias-set production clf@1 by Bob <bob@example.com> at [0-9T:.Z-]*): your lifecycle changes from event 8 on stay local; to share them, download .clf. into another store and redo them there$" err &&
	test_path_is_file "$R/models/clf/versions/5.json" &&
	test "$(event_field "$R" 8 d[\"message\"])" = "Bob promotes 1" &&
	ma alias log clf --json >after.json &&
	test_cmp mine.json after.json &&
	json_assert "$R/models/clf/model.json" 'd["latest_version"] == 5 and d["latest_event"] == 8'
EOF

test_expect_success 'conflict on download: the versions come, the events stay as they are, exit 1' - <<-\EOF
	mkdir m6 && echo "weights 6" >m6/w.bin &&
	mb download -q origin &&
	mb register clf m6 >/dev/null &&
	mb upload -q origin &&
	ma alias log clf --json >mine.json &&
	ma alias list clf >aliases.before &&
	test_expect_code 1 ma download -q origin >out 2>err &&
	test_write_lines clf@6 >expect &&
	test_cmp expect out &&
	test_line_count = 1 err &&
	test_grep "^error: remote .origin. has another event 8 of model .clf. (alias-set production clf@1 by Bob <bob@example.com> at [0-9T:.Z-]*): its lifecycle changes from event 8 on were not downloaded and the local ones are unchanged; to take the remote.s, download .clf. into another store$" err &&
	ma alias log clf --json >after.json &&
	test_cmp mine.json after.json &&
	ma alias list clf >aliases.after &&
	test_cmp aliases.before aliases.after &&
	ma checkout clf@6 co6 && test_cmp m6/w.bin co6/w.bin &&
	ma fsck 2>err &&
	# NAME@ALIAS needs the remote's log, which conflicts: nothing is downloaded
	STORE=$A test_fails_remote 1 "^error: remote .origin. has another event 8 of model .clf. .* (and 1 more error)$" \
		ma download -q origin clf@production
EOF

test_expect_success 'the remedy: a store that downloads the remote takes its log' - <<-\EOF
	mlreg init -q e && E="$SCRATCH/e/.mlreg" &&
	remote_add "$E" origin shared &&
	mlreg --store "$E" download -q origin &&
	same_lifecycle "$B" "$E" &&
	mlreg --store "$E" fsck 2>err
EOF

test_expect_success 'an upload killed before its last event and model record: a rerun finishes' - <<-\EOF
	mb alias set clf@6 staging &&
	mb alias set clf@6 production &&
	mb upload -q origin &&
	n=$(json_get "$R/models/clf/model.json" 'd["latest_event"]') &&
	cp "$R/models/clf/model.json" model.json.after &&
	rm "$R/models/clf/events/$n.json" &&
	json_edit "$R/models/clf/model.json" "d[\"latest_event\"] = $n - 2; d[\"latest_event_id\"] = \"$(sha256_of "$B/models/clf/events/$((n - 2)).json")\"" &&
	mb upload --json origin >s.json &&
	json_assert s.json "d[\"events\"] == [{\"model\": \"clf\", \"from\": $n, \"to\": $n}]" &&
	cmp "$R/models/clf/events/$n.json" "$B/models/clf/events/$n.json" &&
	json_assert "$R/models/clf/model.json" "d[\"latest_event\"] == $n"
EOF

test_expect_success 'a download killed before its commit left nothing visible; a rerun finishes' - <<-\EOF
	E="$SCRATCH/e/.mlreg" &&
	n=$(json_get "$E/models/clf/model.json" 'd["latest_event"]') &&
	# what a download killed after writing an event, before model.json, leaves
	printf "half written" >"$E/models/clf/events/$((n + 1)).json" &&
	mlreg --store "$E" fsck 2>err &&
	mlreg --store "$E" alias log clf --json >l.json &&
	json_assert l.json "len(d) == $n" &&
	mlreg --store "$E" download -q origin &&
	same_lifecycle "$B" "$E" &&
	mlreg --store "$E" fsck 2>err
EOF

test_expect_success 'a corrupt local event is never sent; the versions still are' - <<-\EOF
	mlreg init -q f && F="$SCRATCH/f/.mlreg" &&
	mlreg --store "$F" register --create x m1 >/dev/null &&
	mlreg --store "$F" alias set x@1 production &&
	remote_add "$F" origin corrupt &&
	flip_byte "$F/models/x/events/1.json" 10 &&
	test_expect_code 1 mlreg --store "$F" upload -q origin >out 2>err &&
	test_write_lines x@1 >expect &&
	test_cmp expect out &&
	test_line_count = 1 err &&
	test_grep "^error: event 1 of model .x. .*; run .mlreg fsck.$" err &&
	test_path_is_missing "$SCRATCH/remotes/corrupt/models/x/events" &&
	test_path_is_file "$SCRATCH/remotes/corrupt/models/x/model.json"
EOF

# forge_events LABEL EDIT...: remote LABEL gets a copy of shared's model clf
# whose events 1..N are made by the N EDITs (python on r, a copy of shared's
# event K; an EDIT "bytes = b'...'" replaces the record's bytes), every
# later event's parent and model.json's hint made to name them.
forge_events () {
	test_fe_label_=$1
	shift
	rm -rf "$SCRATCH/remotes/$test_fe_label_" &&
	cp -R "$R" "$SCRATCH/remotes/$test_fe_label_" &&
	"$PYTHON" - "$SCRATCH/remotes/$test_fe_label_/models/clf" "$@" <<-\PY
	import hashlib, json, os, sys
	d, edits = sys.argv[1], sys.argv[2:]
	ev = os.path.join(d, "events")
	for f in os.listdir(ev):
	    os.unlink(os.path.join(ev, f))
	src = os.path.join(os.path.dirname(os.path.dirname(d)), "..", "shared", "models", "clf", "events")
	parent = None
	for k, code in enumerate(edits, 1):
	    r = json.load(open(os.path.join(src, "%d.json" % k)))
	    r["parent"] = parent
	    env = {"r": r, "bytes": None}
	    exec(code, env)
	    t = env["bytes"] if env["bytes"] is not None else \
	        (json.dumps(env["r"], separators=(",", ":")) + "\n").encode()
	    open(os.path.join(ev, "%d.json" % k), "wb").write(t)
	    parent = hashlib.sha256(t).hexdigest()
	m = json.load(open(os.path.join(d, "model.json")))
	m["latest_event"] = len(edits)
	m["latest_event_id"] = parent
	open(os.path.join(d, "model.json"), "w").write(json.dumps(m, separators=(",", ":")) + "\n")
	PY
}

# refused LABEL PATTERN EDIT...: store h (without clf) downloading the
# forged remote LABEL fails with exit 1 and one line matching PATTERN,
# storing nothing.
refused () {
	test_rf_label_=$1 test_rf_pat_=$2
	shift 2
	forge_events "$test_rf_label_" "$@" &&
	mlreg --store "$SCRATCH/h/.mlreg" remote add evil "file://$SCRATCH/remotes/$test_rf_label_" &&
	STORE="$SCRATCH/h/.mlreg" test_fails_remote 1 "$test_rf_pat_" \
		mlreg --store "$SCRATCH/h/.mlreg" download evil clf &&
	test_path_is_missing "$SCRATCH/h/.mlreg/models/clf" &&
	test_no_control_chars "$ERR" &&
	mlreg --store "$SCRATCH/h/.mlreg" remote remove evil
}

test_expect_success 'hostile events: a forged but well-formed log is taken' - <<-\EOF
	forge_events good "" "" "" &&
	rm -rf h && mlreg init -q h &&
	mlreg --store h/.mlreg remote add evil "file://$SCRATCH/remotes/good" &&
	mlreg --store h/.mlreg download -q evil clf &&
	mlreg --store h/.mlreg alias list clf >out &&
	test_write_lines "production clf@2" "staging clf@3" >expect &&
	test_cmp expect out &&
	mlreg --store h/.mlreg fsck 2>err &&
	rm -rf h && mlreg init -q h
EOF

test_expect_success 'hostile events: not JSON, a repeated member, a \u0000' - <<-\EOF
	refused notjson "^error: remote .evil.: models/clf/events/2.json is corrupt: " \
		"" "bytes = b'{\"model\": '" &&
	refused dup "^error: remote .evil.: models/clf/events/1.json is corrupt: .*repeat" \
		"bytes = b'{\"model\":\"clf\",\"model\":\"clf\"}\\n'" &&
	refused nul "^error: remote .evil.: models/clf/events/1.json is corrupt: .*NUL" \
		"r['message'] = 'a\\0b'"
EOF

test_expect_success 'hostile events: a bad chain, another model, another number' - <<-\EOF
	refused chain "^error: remote .evil.: models/clf/events/2.json is corrupt: it does not follow the event before it" \
		"" "r['parent'] = '0' * 64" &&
	refused other "^error: remote .evil.: models/clf/events/1.json is corrupt: event 1 of model .clf. names another model or event$" \
		"r['model'] = 'other'" &&
	refused number "^error: remote .evil.: models/clf/events/2.json is corrupt: event 2 of model .clf. names another model or event$" \
		"" "r['event'] = 7" &&
	forge_events hint "" "" &&
	json_edit "$SCRATCH/remotes/hint/models/clf/model.json" "d[\"latest_event_id\"] = \"1\" * 64" &&
	mlreg --store h/.mlreg remote add hint "file://$SCRATCH/remotes/hint" &&
	STORE="$SCRATCH/h/.mlreg" test_fails_remote 1 "^error: remote .hint.: models/clf/events/2.json is corrupt: it is not the event its model record names (latest_event_id)$" \
		mlreg --store "$SCRATCH/h/.mlreg" download hint clf
EOF

test_expect_success 'hostile events: an unknown action, an alias never set, a version out of range' - <<-\EOF
	refused action "^error: remote .evil.: models/clf/events/1.json is corrupt: event 1 of model .clf. has an action mlreg does not know$" \
		"r['action'] = 'promote'" &&
	refused unset "^error: remote .evil.: models/clf/events/2.json is corrupt: event 2 of model .clf. does not follow the state before it" \
		"" "r.update(action='alias-remove', alias='ghost', previous=1); del r['version']" &&
	refused range "^error: remote .evil.: models/clf/events/1.json is corrupt: it names version 99, which the remote does not have$" \
		"r['version'] = 99" &&
	refused zero "^error: remote .evil.: models/clf/events/1.json is corrupt: event 1 of model .clf. has no valid version$" \
		"r['version'] = 0"
EOF

test_expect_success 'hostile events: a ../ or escape-laden alias is refused, escaped' - <<-\EOF
	refused dotdot "^error: remote .evil.: models/clf/events/1.json is corrupt: event 1 of model .clf. names an invalid alias$" \
		"r['alias'] = '../../x'" &&
	refused esc "^error: remote .evil.: models/clf/events/1.json is corrupt: event 1 of model .clf. names an invalid alias$" \
		"r['alias'] = 'a\\x1b[2J'"
EOF

test_expect_success 'hostile events: keys that are no event are ignored; a huge number costs nothing' - <<-\EOF
	forge_events junk "" "" &&
	for k in 99999999 0 01 -1 x 1.json.bak
	do
		printf "{}\n" >"$SCRATCH/remotes/junk/models/clf/events/$k.json" || return 1
	done &&
	rm -rf h && mlreg init -q h &&
	mlreg --store h/.mlreg remote add evil "file://$SCRATCH/remotes/junk" &&
	mlreg --store h/.mlreg download -q evil clf &&
	mlreg --store h/.mlreg alias log clf --json >l.json &&
	json_assert l.json "len(d) == 2" &&
	mlreg --store h/.mlreg fsck 2>err
EOF

test_done
