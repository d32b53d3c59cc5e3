#!/bin/sh
test_description='upload and download through an S3 remote (s3rver), as through file://'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
s3_start
REMOTE_KIND=s3
. "$TEST_DIRECTORY/lib-sync-tests.sh"
test_done
