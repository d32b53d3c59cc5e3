#!/usr/bin/python3
"""on-tty.py OUT CMD [ARG...]: run CMD with its standard output on a
pseudo-terminal (in raw mode, so bytes pass unchanged), copy what CMD
writes there into the file OUT, and exit with CMD's exit status (128+N
when a signal N killed it).  Standard input and error are left as they
are.  For tests of what a command does when its output is a terminal.
"""
import os
import pty
import sys
import tty


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: on-tty.py OUT CMD [ARG...]\n")
        return 2
    out_path, argv = sys.argv[1], sys.argv[2:]
    master, slave = pty.openpty()
    tty.setraw(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.dup2(slave, 1)
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
