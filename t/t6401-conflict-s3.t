#!/bin/sh
test_description='racing uploads of one NAME@N to s3rver, which ignores If-None-Match (check-then-verify)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3 REMOTE_CONDITIONAL=no
. "$TEST_DIRECTORY/lib-conflict-tests.sh"
test_done
