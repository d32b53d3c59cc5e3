#!/bin/sh
test_description='hostile records on a file:// remote: paths, modes, strict JSON, escaped output'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file
. "$TEST_DIRECTORY/lib-hostile.sh"
. "$TEST_DIRECTORY/lib-hostile-records.sh"
test_done
