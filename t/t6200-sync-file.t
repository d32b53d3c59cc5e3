#!/bin/sh
test_description='upload and download through a file:// remote'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file
. "$TEST_DIRECTORY/lib-sync-tests.sh"
test_done
