# t/lib-s3.sh: an S3 server, a fault proxy and awscli for mlreg's S3 tests.
#
# Source it after t/lib.sh, then start the server at the script's top level,
# before any test (it skips the whole script when node or s3rver is missing):
#
#	. "$(dirname "$0")/lib.sh"
#	. "$TEST_DIRECTORY/lib-s3.sh"
#	s3_start                          # bucket mlreg-test
#
# The server: @20minutes/s3rver (t/helpers/s3rver.js, installed by
# 'make test-deps'), on 127.0.0.1, credentials S3RVER / S3RVER (SigV4
# signatures checked; unsigned requests let through), region us-east-1,
# path-style URLs: $S3_ENDPOINT/BUCKET/KEY.
#
#   s3_start [BUCKET...]   start it (buckets default: mlreg-test), data under
#                          $TEST_ROOT/s3; exports S3_PORT,
#                          S3_ENDPOINT=http://127.0.0.1:PORT, S3_DATA,
#                          S3_BUCKET (the first bucket), S3_PID
#   s3_stop                stop it (the data stays)
#   s3_restart             stop it and start it again, same port, same data
#
# The fault proxy (t/helpers/faultproxy.py; rules and log format are
# described at its top), in front of the server:
#
#   proxy_start [RULESFILE]  start it (RULESFILE default
#                          $TEST_ROOT/proxy-rules.json, created as [] when
#                          missing); exports PROXY_PORT,
#                          PROXY_ENDPOINT=http://127.0.0.1:PORT, PROXY_RULES,
#                          PROXY_LOG (one line a request:
#                          METHOD TARGET STATUS BYTES_IN BYTES_OUT ACTION)
#   proxy_stop
#   proxy_rules JSON       write the rules file atomically (the proxy reads it
#                          at every request), e.g.
#                          proxy_rules '[{"method":"PUT","times":1,"action":"reset"}]'
#   proxy_count ERE        how many log lines match the extended regex ERE,
#                          e.g. proxy_count '^PUT .*partNumber='
#
# awscli, for setting up and checking what mlreg did:
#
#   aws_env                a clean AWS environment, for awscli and mlreg:
#                          AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY = S3RVER
#                          (or $S3_ACCESS_KEY / $S3_SECRET_KEY when set),
#                          AWS_REGION = AWS_DEFAULT_REGION = us-east-1, no
#                          profile, token, CA bundle or endpoint, and
#                          AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
#                          naming files that do not exist.  Run when this
#                          file is sourced; run it again after changing them.
#   awscli ARGS...         /usr/bin/aws --endpoint-url $S3_ENDPOINT
#                          --no-cli-pager ARGS, path-style, never retrying
#                          (AWS_MAX_ATTEMPTS=N to change that), its own
#                          config and HOME under $TEST_ROOT/aws
#   awscli_at URL ARGS...  the same against URL (e.g. $PROXY_ENDPOINT)
#   s3op ARGS...           t/helpers/s3op.py $S3_ENDPOINT ARGS (botocore):
#                          create buckets, PUT with conditional headers,
#                          PUTs racing for one key, PUT a tree at once
#
# Everything started here is stopped when the script ends (test_atexit),
# and stops by itself within a second if the script is killed.  The servers
# are not children of the script's shell, so a bare "wait" in a test only
# waits for the test's own background jobs.
# POSIX sh, like t/lib.sh.

S3_HELPERS="$TEST_DIRECTORY/helpers"
S3_NODE_MODULE="$S3_HELPERS/node_modules/@20minutes/s3rver"
S3_PID= PROXY_PID= s3_atexit_= proxy_atexit_=
unset S3_ACCESS_KEY S3_SECRET_KEY	# set by t/lib-rgw.sh, never from outside

# s3_alive_ PID: PID runs: one of its threads is not a zombie (dead but not
# reaped yet).  Every thread counts, not the leader's state alone: a
# process whose main thread has exited while another still runs (node
# does this as it dies) may still hold its listening socket.
s3_alive_ () {
	kill -0 "$1" 2>/dev/null || return 1
	sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' /proc/"$1"/task/*/stat 2>/dev/null |
		grep -q '[^ZX]'
}

# s3_wait_gone_ PID: wait (up to 10 s, then SIGKILL) until PID is gone.
s3_wait_gone_ () {
	s3_wg_n_=0
	while s3_alive_ "$1"
	do
		s3_wg_n_=$((s3_wg_n_ + 1))
		if test $s3_wg_n_ = 100
		then
			kill -9 "$1" 2>/dev/null
		elif test $s3_wg_n_ -gt 150
		then
			break
		fi
		sleep 0.1
	done
	return 0
}

# s3_wait_port_ PID FILE LOG WHAT: wait (up to 20 s) until PID has written its
# port to FILE; prints the port.
s3_wait_port_ () {
	s3_wp_n_=0
	while ! test -s "$2"
	do
		if ! s3_alive_ "$1"
		then
			printf 'error: %s exited before listening:\n' "$4" >&2
			sed -e 's/^/| /' "$3" >&2
			return 1
		fi
		s3_wp_n_=$((s3_wp_n_ + 1))
		if test $s3_wp_n_ -gt 200
		then
			printf 'error: %s did not listen within 20 s:\n' "$4" >&2
			sed -e 's/^/| /' "$3" >&2
			return 1
		fi
		sleep 0.1
	done
	cat "$2"
}

# s3_launch_ [PORT [TRIES]]: start s3rver.js (S3_PID), wait until it
# listens, set S3_PORT.  With PORT, a port in use is tried again TRIES times
# (default 20) 0.2 s apart before giving up.
s3_launch_ () {
	s3_port_=${1:-}
	s3_tries_=${2:-20}
	set --
	if test -n "$s3_port_"
	then
		set -- --port "$s3_port_"
	fi
	for s3_b_ in $S3_BUCKETS
	do
		set -- "$@" --bucket "$s3_b_"
	done
	rm -f "$TEST_ROOT/s3.port"
	s3_try_=0
	while :
	do
		# not a child of the script's shell: a bare "wait" in a test
		# must not wait for it
		(
			NODE_OPTIONS=--openssl-legacy-provider \
			node "$S3_HELPERS/s3rver.js" --dir "$S3_DATA" \
				--port-file "$TEST_ROOT/s3.port" --watch-pid $$ "$@" \
				</dev/null >>"$TEST_ROOT/s3rver.log" 2>&1 5>&- 6>&- &
			echo $! >"$TEST_ROOT/s3.pid"
		) || return 1
		S3_PID=$(cat "$TEST_ROOT/s3.pid") || return 1
		if S3_PORT=$(s3_wait_port_ "$S3_PID" "$TEST_ROOT/s3.port" \
			"$TEST_ROOT/s3rver.log" s3rver)
		then
			break
		fi
		s3_wait_gone_ "$S3_PID"
		S3_PID=
		# the old port may take a moment to come free after a restart
		s3_try_=$((s3_try_ + 1))
		test -n "$s3_port_" && test $s3_try_ -lt "$s3_tries_" &&
			grep EADDRINUSE "$TEST_ROOT/s3rver.log" >/dev/null || return 1
		sleep 0.2
	done
	S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
	export S3_PORT S3_ENDPOINT S3_DATA S3_BUCKET S3_PID
}

# s3_start [BUCKET...]
s3_start () {
	if ! command -v node >/dev/null 2>&1 ||
		! test -f "$S3_NODE_MODULE/package.json"
	then
		if test "$test_count" = 0
		then
			skip_all='the S3 tests need node and s3rver (make test-deps)'
			test_done
		fi
		printf 'error: s3_start: no node or no s3rver (make test-deps)\n' >&2
		return 1
	fi
	test -z "$S3_PID" || BUG "s3_start: the server is already running"
	test $# -gt 0 || set -- mlreg-test
	S3_BUCKETS="$*"
	S3_BUCKET=$1
	S3_DATA="$TEST_ROOT/s3"
	mkdir -p "$S3_DATA" || return 1
	if test -z "$s3_atexit_"
	then
		s3_atexit_=t
		test_atexit s3_stop
	fi
	# The server's home port is 10000 plus the script's number, so that
	# s3_restart can have it back: a port drawn by the system comes from
	# the ephemeral range, where any outgoing connection (a Ceph daemon's,
	# a client's) may take it while the server is down, and no other
	# script draws it (RGW draws from 20000-29999).  Taken anyway (a
	# second checkout testing at once): any free port.
	s3_home_=${TEST_NAME#t}
	s3_home_=${s3_home_%%-*}
	case $s3_home_ in
	[0-9][0-9][0-9][0-9]) s3_home_=1$s3_home_ ;;
	*) s3_home_= ;;
	esac
	{ test -n "$s3_home_" && s3_launch_ "$s3_home_" 1; } || s3_launch_ || {
		test "$test_count" = 0 && BUG "s3_start: cannot start s3rver"
		return 1
	}
}

s3_stop () {
	test -n "$S3_PID" || return 0
	kill "$S3_PID" 2>/dev/null
	s3_wait_gone_ "$S3_PID"
	S3_PID=
}

s3_restart () {
	test -n "$S3_PORT" || BUG "s3_restart: no s3_start before"
	s3_stop &&
	s3_launch_ "$S3_PORT"
}

# proxy_rules JSON
proxy_rules () {
	test -n "${PROXY_RULES:-}" || PROXY_RULES="$TEST_ROOT/proxy-rules.json"
	printf '%s\n' "$1" >"$PROXY_RULES.tmp" &&
	mv -f "$PROXY_RULES.tmp" "$PROXY_RULES"
}

# proxy_start [RULESFILE]
proxy_start () {
	test -n "${S3_PORT:-}" || BUG "proxy_start: no s3_start before"
	test -z "$PROXY_PID" || BUG "proxy_start: the proxy is already running"
	PROXY_RULES=${1:-$TEST_ROOT/proxy-rules.json}
	case $PROXY_RULES in
	/*) ;;
	*) PROXY_RULES="$(pwd)/$PROXY_RULES" ;;
	esac
	test -f "$PROXY_RULES" || proxy_rules '[]' || return 1
	PROXY_LOG="$TEST_ROOT/proxy.log"
	: >>"$PROXY_LOG"
	rm -f "$TEST_ROOT/proxy.port"
	if test -z "$proxy_atexit_"
	then
		proxy_atexit_=t
		test_atexit proxy_stop
	fi
	(
		"$PYTHON" "$S3_HELPERS/faultproxy.py" \
			--upstream "127.0.0.1:$S3_PORT" \
			--port-file "$TEST_ROOT/proxy.port" --rules "$PROXY_RULES" \
			--log "$PROXY_LOG" --watch-pid $$ \
			</dev/null >>"$TEST_ROOT/proxy.stderr" 2>&1 5>&- 6>&- &
		echo $! >"$TEST_ROOT/proxy.pid"
	) || return 1
	PROXY_PID=$(cat "$TEST_ROOT/proxy.pid") || return 1
	PROXY_PORT=$(s3_wait_port_ "$PROXY_PID" "$TEST_ROOT/proxy.port" \
		"$TEST_ROOT/proxy.stderr" faultproxy) || {
		s3_wait_gone_ "$PROXY_PID"
		PROXY_PID=
		return 1
	}
	PROXY_ENDPOINT="http://127.0.0.1:$PROXY_PORT"
	export PROXY_PORT PROXY_ENDPOINT PROXY_RULES PROXY_LOG PROXY_PID
}

proxy_stop () {
	test -n "$PROXY_PID" || return 0
	kill "$PROXY_PID" 2>/dev/null
	s3_wait_gone_ "$PROXY_PID"
	PROXY_PID=
}

# proxy_count ERE
proxy_count () {
	grep -c -E -e "$1" "$PROXY_LOG" 2>/dev/null || :
}

aws_env () {
	unset AWS_CA_BUNDLE AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN \
		AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
		AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_ROLE_ARN \
		AWS_ROLE_SESSION_NAME AWS_WEB_IDENTITY_TOKEN_FILE \
		AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
		AWS_USE_FIPS_ENDPOINT AWS_USE_DUALSTACK_ENDPOINT AWS_S3_US_EAST_1_REGIONAL_ENDPOINT \
		AWS_IGNORE_CONFIGURED_ENDPOINT_URLS AWS_CLI_FILE_ENCODING AWS_PAGER
	AWS_ACCESS_KEY_ID=${S3_ACCESS_KEY:-S3RVER}
	AWS_SECRET_ACCESS_KEY=${S3_SECRET_KEY:-S3RVER}
	AWS_REGION=us-east-1
	AWS_DEFAULT_REGION=us-east-1
	AWS_CONFIG_FILE="$TEST_ROOT/aws/no-config"
	AWS_SHARED_CREDENTIALS_FILE="$TEST_ROOT/aws/no-credentials"
	AWS_EC2_METADATA_DISABLED=true
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION \
		AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
		AWS_EC2_METADATA_DISABLED
}

# awscli_at URL ARGS...
awscli_at () {
	test -x /usr/bin/aws || {
		printf 'error: awscli: no /usr/bin/aws (make test-deps)\n' >&2
		return 1
	}
	if ! test -f "$TEST_ROOT/aws/cli-config"
	then
		mkdir -p "$TEST_ROOT/aws/home" &&
		printf '%s\n' '[default]' 'region = us-east-1' \
			'retry_mode = standard' 'max_attempts = 1' \
			's3 =' '    addressing_style = path' \
			>"$TEST_ROOT/aws/cli-config" || return 1
	fi
	(
		s3_url_=$1
		shift
		AWS_CONFIG_FILE="$TEST_ROOT/aws/cli-config"
		HOME="$TEST_ROOT/aws/home"
		AWS_PAGER= AWS_CLI_AUTO_PROMPT=off
		export AWS_CONFIG_FILE HOME AWS_PAGER AWS_CLI_AUTO_PROMPT
		exec /usr/bin/aws --endpoint-url "$s3_url_" --no-cli-pager "$@"
	)
}

# awscli ARGS...
awscli () {
	test -n "${S3_ENDPOINT:-}" || BUG "awscli: no s3_start before"
	awscli_at "$S3_ENDPOINT" "$@"
}

# s3op ARGS...
s3op () {
	test -n "${S3_ENDPOINT:-}" || BUG "s3op: no s3_start before"
	"$PYTHON" "$S3_HELPERS/s3op.py" "$S3_ENDPOINT" "$@"
}

aws_env
