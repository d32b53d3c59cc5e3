#!/usr/bin/python3
"""on-tty.py [--stderr] OUT CMD [ARG...]: run CMD with its standard output
(with --stderr: its standard error) on a pseudo-terminal (in raw mode, so
bytes pass unchanged), copy what CMD writes there into the file OUT, and
exit with CMD's exit status (128+N when a signal N killed it).  The other
descriptors are left as they are.  For tests of what a command does when
its output, or its error stream (progress meters), is a terminal.
"""
import os
import pty
import sys
import tty


def main():
    args = sys.argv[1:]
    fd = 1
    if args[:1] == ["--stderr"]:
        fd, args = 2, args[1:]
    if len(args) < 2:
        sys.stderr.write("usage: on-tty.py [--stderr] OUT CMD [ARG...]\n")
        return 2
    out_path, argv = args[0], args[1:]
    master, slave = pty.openpty()
    tty.setraw(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.dup2(slave, fd)
        os.close(slave)
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            sys.stderr.write("on-tty.py: cannot run %s: %s\n" % (argv[0], e))
            os._exit(127)
    os.close(slave)
    with open(out_path, "wb") as out:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:		# EIO: the child closed the terminal
                break
            if not chunk:
                break
            out.write(chunk)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
