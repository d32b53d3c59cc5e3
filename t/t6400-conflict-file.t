#!/bin/sh
test_description='racing uploads of one NAME@N to a file:// remote (create-only links)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file REMOTE_CONDITIONAL=yes
. "$TEST_DIRECTORY/lib-conflict-tests.sh"
test_done
