#!/bin/sh
test_description='a hostile file:// remote: forged sizes and numbers cost no memory (t/lib-hostile-remote.sh)'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/lib-remote.sh"
REMOTE_KIND=file
. "$TEST_DIRECTORY/lib-hostile.sh"
. "$TEST_DIRECTORY/lib-hostile-remote.sh"
test_done
