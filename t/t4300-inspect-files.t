#!/bin/sh
test_description='inspect reads regular files only, and never waits on one that
is not: a FIFO, a device, a directory or a socket is refused at once'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a regular file is read' '
	printf "just text\n" >a.txt &&
	mlreg inspect --json a.txt >out &&
	json_assert out "d == [{\"format\": None, \"path\": \"a.txt\"}]"
'

test_expect_success 'a FIFO with no writer is refused, not waited on' '
	mkfifo pipe.onnx &&
	test_fails 128 "^fatal: .pipe.onnx. is a FIFO, not a regular file$" \
		timeout 60 mlreg inspect pipe.onnx
'

test_expect_success 'a device, a directory and a socket are refused, naming what they are' - <<-\EOF
	test_fails 128 "^fatal: ./dev/null. is a device, not a regular file$" \
		timeout 60 mlreg inspect /dev/null &&
	mkdir dir.onnx &&
	test_fails 128 "^fatal: .dir.onnx. is a directory, not a regular file$" \
		mlreg inspect dir.onnx &&
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock.onnx &&
	test_fails 128 "^fatal: cannot open .sock.onnx.: No such device or address$" \
		mlreg inspect sock.onnx
EOF

test_expect_success 'a symbolic link to a regular file is read' '
	ln -s a.txt link.txt &&
	mlreg inspect --json link.txt >out &&
	json_assert out "d == [{\"format\": None, \"path\": \"link.txt\"}]"
'

test_done
