#!/bin/sh
test_description='racing uploads of one NAME@N to Ceph RGW, which honours If-None-Match: mlreg must take that path'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
rgw_start
proxy_start
REMOTE_KIND=s3 REMOTE_CONDITIONAL=yes REMOTE_ENDPOINT=$PROXY_ENDPOINT
CONFLICT_ROUNDS=10 CONFLICT_RACERS=4
. "$TEST_DIRECTORY/lib-conflict-tests.sh"
test_done
