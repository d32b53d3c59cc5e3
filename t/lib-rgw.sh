# t/lib-rgw.sh: a real distributed object store for mlreg's S3 tests: a
# Ceph cluster of one node (Debian's ceph-mon, ceph-osd, radosgw, 16.2) and
# its RADOS Gateway (RGW) serving S3 on 127.0.0.1.
#
# Source it after t/lib.sh, then start the cluster at the script's top level,
# before any test:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$TEST_DIRECTORY/lib-rgw.sh"
#	rgw_start                         # bucket mlreg-test
#
# It sources t/lib-s3.sh, and rgw_start sets what that file's s3_start
# sets, so awscli, proxy_start (the fault proxy in front of RGW) and
# t/lib-remote.sh's REMOTE_KIND=s3 work against RGW as against s3rver
# (s3_stop and s3_restart do not: they are s3rver's).
#
#   rgw_start [BUCKET...]  start a cluster and its gateway (buckets default:
#                          mlreg-test, owned by the S3 user); exports
#                          S3_PORT, S3_ENDPOINT=http://127.0.0.1:PORT,
#                          S3_BUCKET (the first bucket), S3_ACCESS_KEY and
#                          S3_SECRET_KEY (the S3 user's keys, random, also in
#                          AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY through
#                          aws_env), RGW_DIR, RGW_CONF (CEPH_CONF too),
#                          RGW_MON_PORT, RGW_START_SECONDS (how long it took;
#                          also printed as a TAP comment)
#   rgw_stop               stop it and delete its data (its logs stay)
#   rgw_ceph ARGS...       the ceph command against this cluster
#   rgw_admin ARGS...      radosgw-admin against this cluster
#   rgw_user UID ACCESS SECRET
#                          make another S3 user with these keys
#
# The cluster: one ceph-mon (monmaptool, then --mkfs), one ceph-osd with the
# memstore object store (objects in memory: nothing written to disk, and
# nothing kept), pools of size 1, auth none inside the cluster, and radosgw
# with the beast frontend; the S3 user is made by radosgw-admin.  All of it
# lives under $TEST_ROOT/rgw: its own ceph.conf (never /etc/ceph), run
# directory, admin sockets, logs, monitor store; the monitor and the gateway
# listen on free ports of 127.0.0.1 drawn at random (the OSD takes free ones
# of its own from Ceph's 6800-7568).
#
# Each script has a cluster of its own (8-12 s to start on a busy 2-core
# machine): scripts that run at once (prove -j2) share nothing, a
# script that fails or is killed harms no other, and each sees only its own
# keys and requests.  Sharing one cluster would save those seconds per script
# but needs a reference count across processes and a way to tell whose keys
# are whose; not worth it for the few RGW scripts.
#
# Readiness is polled, never waited for by a fixed sleep: the OSD is made
# and started only once 'ceph mon stat' answers (and answers with this
# cluster's fsid), the gateway once the OSD is up, the user and buckets
# once the gateway answers HTTP.  A start never reuses the ports of a
# cluster that is still running: rgw_start refuses while one is, and a
# failed try is stopped, and waited for, before the next draws new ports
# (a daemon of an old cluster talking to a new one on the same port gets
# 'wrong fsid').  When the cluster cannot start, the script stops at once,
# failed, with one line on its TAP output saying why ("not ok N - cannot
# start Ceph RGW: ..."), its scratch directory kept for the logs: never a
# skip.
#
# Everything started here is stopped when the script ends (test_atexit),
# whether its tests passed or not, and within about a second by a watcher
# if the script is killed.  The daemons are not children of the script's
# shell, so a bare "wait" in a test only waits for the test's own jobs.
# POSIX sh, like t/lib.sh.

test -n "${S3_HELPERS:-}" || . "$TEST_DIRECTORY/lib-s3.sh"

RGW_PIDS= RGW_WATCH_PID= rgw_atexit_= RGW_FAIL_=

# rgw_bail_ MESSAGE: the cluster cannot start: stop what was started and end
# the script, failed, with one TAP line saying why (a failed test, not
# "Bail out!", which would stop prove's other scripts too), its scratch
# directory kept for the logs.
rgw_bail_ () {
	trap - EXIT
	test_run_atexit_
	test_count=$((test_count + 1))
	printf 'not ok %d - cannot start Ceph RGW: %s\n' "$test_count" "$*" >&5
	printf '1..%d\n' "$test_count" >&5
	printf '%s: scratch directory kept in %s\n' "$TEST_NAME" "$TEST_ROOT" >&6
	exit 1
}

# rgw_free_port_: a port of 127.0.0.1 nobody listens on, drawn at random
# from 20000-29999: below the kernel's ephemeral ports, which outgoing
# connections may take meanwhile, and Ceph's own.
RGW_FREE_PORT_PY='
import random, socket
for _ in range(200):
    p = random.randrange(20000, 30000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit("no free port")
'
rgw_free_port_ () {
	"$PYTHON" -c "$RGW_FREE_PORT_PY"
}

# rgw_hex_ N: N random bytes as hex.
rgw_hex_ () {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

rgw_ceph () {
	ceph -c "$RGW_CONF" --connect-timeout 10 "$@"
}

rgw_admin () {
	radosgw-admin -c "$RGW_CONF" "$@"
}

# rgw_daemon_ NAME CMD...: start CMD in the foreground of a process of its
# own (not a child of the script's shell), its output in log/NAME.out; adds
# its pid to RGW_PIDS.
rgw_daemon_ () {
	rgw_d_name_=$1
	shift
	(
		"$@" </dev/null >>"$RGW_DIR/log/$rgw_d_name_.out" 2>&1 5>&- 6>&- &
		echo $! >"$RGW_DIR/run/$rgw_d_name_.spid"
	) || return 1
	rgw_d_pid_=$(cat "$RGW_DIR/run/$rgw_d_name_.spid") || return 1
	RGW_PIDS="$RGW_PIDS $rgw_d_pid_"
	# the watcher follows the daemons the script has
	printf '%s\n' $RGW_PIDS >"$RGW_DIR/run/pids"
}

# rgw_poll_ SECONDS WHAT PID LOG CMD...: run CMD every 0.2 s until it
# succeeds; fails with RGW_FAIL_ set when the daemon PID dies or SECONDS
# pass first.
rgw_poll_ () {
	rgw_p_s_=$1 rgw_p_what_=$2 rgw_p_pid_=$3 rgw_p_log_=$4
	rgw_p_end_=$(($(date +%s) + $1))
	shift 4
	while ! "$@" >/dev/null 2>&1
	do
		if ! s3_alive_ "$rgw_p_pid_"
		then
			RGW_FAIL_="$rgw_p_what_: the daemon exited (see $rgw_p_log_)"
			return 1
		fi
		if test "$(date +%s)" -ge $rgw_p_end_
		then
			RGW_FAIL_="$rgw_p_what_: not ready within $rgw_p_s_ s (see $rgw_p_log_)"
			return 1
		fi
		sleep 0.2
	done
}

# rgw_osd_up_: the OSD is up and in.
rgw_osd_up_ () {
	rgw_ceph osd stat -f json 2>/dev/null |
	"$PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["num_up_osds"] == 1 and d["num_in_osds"] == 1 else 1)'
}

# rgw_http_up_: the gateway answers an anonymous GET / as RGW does.
rgw_http_up_ () {
	curl -sS -m 5 -D "$RGW_DIR/run/head" -o /dev/null \
		"http://127.0.0.1:$RGW_PORT_/" &&
	grep -i '^x-amz-request-id: tx' "$RGW_DIR/run/head" >/dev/null
}

# rgw_write_conf_: ceph.conf for this try (fsid, ports).
rgw_write_conf_ () {
	cat >"$RGW_CONF" <<-EOF
	# written by t/lib-rgw.sh for $TEST_NAME
	[global]
	fsid = $RGW_FSID
	mon host = v2:127.0.0.1:$RGW_MON_PORT
	mon initial members = a
	public addr = 127.0.0.1
	ms bind msgr1 = false
	# auth none inside the cluster; the mon's default "secure" mode
	# needs cephx
	auth cluster required = none
	auth service required = none
	auth client required = none
	ms mon client mode = crc secure
	keyring = $RGW_DIR/keyring
	run dir = $RGW_DIR/run
	admin socket = $RGW_DIR/run/\$name.asok
	pid file = $RGW_DIR/run/\$name.pid
	log file = $RGW_DIR/log/\$name.log
	crash dir = $RGW_DIR/crash
	# one OSD: pools of one replica, few placement groups (the mon allows
	# at most 250 a OSD, and RGW makes 6 pools or more)
	osd pool default size = 1
	osd pool default min size = 1
	osd pool default pg num = 8
	osd pool default pgp num = 8
	osd pool default pg autoscale mode = off
	osd crush chooseleaf type = 0
	mon allow pool size one = true
	mon warn on pool no redundancy = false
	mon data avail crit = 0
	mon data avail warn = 0
	paxos propose interval = 0.1
	# a port taken meanwhile fails at once (then rgw_start draws others)
	ms bind retry count = 1
	ms bind retry delay = 1

	[mon]
	mon data = $RGW_DIR/mon/\$id

	[osd]
	osd data = $RGW_DIR/osd/\$id
	osd objectstore = memstore
	memstore device bytes = 4294967296

	[client.rgw]
	rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT_
	rgw data = $RGW_DIR/rgw
	rgw enable usage log = false
	rgw enable ops log = false
	rgw dynamic resharding = false
	EOF
}

# rgw_try_: one try at a cluster on fresh ports; 0 when it is up.
rgw_try_ () {
	RGW_MON_PORT=$(rgw_free_port_) && RGW_PORT_=$(rgw_free_port_) || {
		RGW_FAIL_='no free port on 127.0.0.1'
		return 1
	}
	RGW_FSID=$(cat /proc/sys/kernel/random/uuid) || return 1
	rm -rf "$RGW_DIR/mon" "$RGW_DIR/osd" "$RGW_DIR/rgw" "$RGW_DIR/run" &&
	mkdir -p "$RGW_DIR/mon/a" "$RGW_DIR/osd/0" "$RGW_DIR/rgw" \
		"$RGW_DIR/run" "$RGW_DIR/log" "$RGW_DIR/crash" &&
	rgw_write_conf_ || return 1
	if ! monmaptool --create --fsid "$RGW_FSID" \
			--addv a "[v2:127.0.0.1:$RGW_MON_PORT]" \
			"$RGW_DIR/run/monmap" >>"$RGW_DIR/log/setup.out" 2>&1 ||
		! ceph-mon -c "$RGW_CONF" -i a --mkfs \
			--monmap "$RGW_DIR/run/monmap" >>"$RGW_DIR/log/setup.out" 2>&1
	then
		RGW_FAIL_="ceph-mon --mkfs failed (see $RGW_DIR/log/setup.out)"
		return 1
	fi
	rgw_daemon_ mon.a ceph-mon -c "$RGW_CONF" -i a -f || return 1
	rgw_poll_ 60 ceph-mon "$rgw_d_pid_" "$RGW_DIR/log/mon.a.log" \
		rgw_ceph mon stat || return 1
	# and it is this cluster's, not one that took the port meanwhile
	test "$(rgw_ceph fsid 2>/dev/null)" = "$RGW_FSID" || {
		RGW_FAIL_="ceph-mon: another cluster answers on port $RGW_MON_PORT"
		RGW_CLASH_=t
		return 1
	}
	rgw_osd_uuid_=$(cat /proc/sys/kernel/random/uuid) &&
	rgw_osd_id_=$(rgw_ceph osd new "$rgw_osd_uuid_" 2>>"$RGW_DIR/log/setup.out") &&
	test "$rgw_osd_id_" = 0 &&
	ceph-osd -c "$RGW_CONF" -i 0 --mkfs --osd-uuid "$rgw_osd_uuid_" \
		>>"$RGW_DIR/log/setup.out" 2>&1 || {
		RGW_FAIL_="cannot make osd.0 (see $RGW_DIR/log/setup.out)"
		return 1
	}
	rgw_daemon_ osd.0 ceph-osd -c "$RGW_CONF" -i 0 -f || return 1
	rgw_poll_ 90 ceph-osd "$rgw_d_pid_" "$RGW_DIR/log/osd.0.log" \
		rgw_osd_up_ || return 1
	rgw_daemon_ client.rgw radosgw -c "$RGW_CONF" -n client.rgw -f || return 1
	rgw_poll_ 120 radosgw "$rgw_d_pid_" "$RGW_DIR/log/client.rgw.log" \
		rgw_http_up_ || return 1
	S3_ACCESS_KEY=MLREG$(rgw_hex_ 8 | tr a-f A-F)
	S3_SECRET_KEY=$(rgw_hex_ 20)
	rgw_user mlreg "$S3_ACCESS_KEY" "$S3_SECRET_KEY" || {
		RGW_FAIL_="radosgw-admin user create failed (see $RGW_DIR/log/setup.out)"
		return 1
	}
	return 0
}

rgw_user () {
	rgw_admin user create --uid "$1" --display-name "$1" \
		--access-key "$2" --secret "$3" >>"$RGW_DIR/log/setup.out" 2>&1
}

# rgw_start [BUCKET...]
rgw_start () {
	test -z "$RGW_PIDS" || BUG "rgw_start: a cluster is already running"
	rgw_missing_=
	for rgw_c_ in ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool curl
	do
		command -v $rgw_c_ >/dev/null 2>&1 || rgw_missing_="$rgw_missing_ $rgw_c_"
	done
	test -x /usr/bin/aws || rgw_missing_="$rgw_missing_ /usr/bin/aws"
	test -z "$rgw_missing_" ||
		rgw_bail_ "missing$rgw_missing_ (run 'make test-deps')"
	test $# -gt 0 || set -- mlreg-test
	RGW_DIR="$TEST_ROOT/rgw"
	RGW_CONF="$RGW_DIR/ceph.conf"
	CEPH_CONF=$RGW_CONF
	export RGW_DIR RGW_CONF CEPH_CONF
	mkdir -p "$RGW_DIR/run" "$RGW_DIR/log" || rgw_bail_ "cannot make $RGW_DIR"
	if test -z "$rgw_atexit_"
	then
		rgw_atexit_=t
		test_atexit rgw_stop
	fi
	# the watcher: once the script's shell is gone, it kills the daemons
	# (not a child of the script's shell either)
	: >"$RGW_DIR/run/pids"
	(
		(
			while kill -0 $$ 2>/dev/null
			do
				sleep 1
			done
			kill -9 $(cat "$RGW_DIR/run/pids") 2>/dev/null
		) </dev/null >/dev/null 2>&1 5>&- 6>&- &
		echo $! >"$RGW_DIR/watch.pid"
	)
	RGW_WATCH_PID=$(cat "$RGW_DIR/watch.pid")
	rgw_t0_=$(date +%s%N)
	rgw_try_n_=0
	RGW_CLASH_=
	until rgw_try_
	do
		rgw_try_n_=$((rgw_try_n_ + 1))
		rgw_kill_
		# a port another script took meanwhile: try others, twice
		grep -i -e 'Address already in use' "$RGW_DIR"/log/*.log \
			"$RGW_DIR"/log/*.out >/dev/null 2>&1 && RGW_CLASH_=t
		test $rgw_try_n_ -lt 3 && test -n "$RGW_CLASH_" ||
			rgw_bail_ "$RGW_FAIL_"
		RGW_CLASH_=
		for rgw_f_ in "$RGW_DIR"/log/*
		do
			case $rgw_f_ in
			*.try[0-9]) ;;
			*) mv "$rgw_f_" "$rgw_f_.try$rgw_try_n_" ;;
			esac
		done
	done
	S3_PORT=$RGW_PORT_
	S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
	S3_BUCKET=$1
	export S3_PORT S3_ENDPOINT S3_BUCKET S3_ACCESS_KEY S3_SECRET_KEY RGW_MON_PORT
	aws_env
	s3op mb "$@" >>"$RGW_DIR/log/setup.out" 2>&1 ||
		rgw_bail_ "cannot create the buckets $* (see $RGW_DIR/log/setup.out)"
	RGW_START_SECONDS=$("$PYTHON" -c 'import sys; print("%.1f" % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))' \
		"$rgw_t0_" "$(date +%s%N)")
	export RGW_START_SECONDS
	say "Ceph RGW up on $S3_ENDPOINT in $RGW_START_SECONDS s"
}

# rgw_kill_: kill the daemons and wait until they are gone (their ports
# free); nothing is flushed: the data is thrown away.
rgw_kill_ () {
	for rgw_k_ in $RGW_PIDS
	do
		kill -9 "$rgw_k_" 2>/dev/null
	done
	for rgw_k_ in $RGW_PIDS
	do
		s3_wait_gone_ "$rgw_k_"
	done
	RGW_PIDS=
	! test -d "$RGW_DIR/run" || : >"$RGW_DIR/run/pids"
}

rgw_stop () {
	test -n "${RGW_DIR:-}" || return 0
	rgw_kill_
	if test -n "$RGW_WATCH_PID"
	then
		kill "$RGW_WATCH_PID" 2>/dev/null
		RGW_WATCH_PID=
	fi
	rm -rf "$RGW_DIR/mon" "$RGW_DIR/osd" "$RGW_DIR/rgw" "$RGW_DIR/run" \
		"$RGW_DIR/crash"
}
