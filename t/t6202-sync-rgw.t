#!/bin/sh
test_description='upload and download through an S3 remote on Ceph RGW, as through file:// and s3rver'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-rgw.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
rgw_start
REMOTE_KIND=s3
. "$TEST_DIRECTORY/lib-sync-tests.sh"
test_done
