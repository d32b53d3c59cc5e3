#!/bin/sh
test_description='S3 transfers killed with SIGKILL: what is left, and the rerun that finishes them'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
proxy_start
REMOTE_ENDPOINT=$PROXY_ENDPOINT
. "$TEST_DIRECTORY/lib-resume-tests.sh"
test_done
