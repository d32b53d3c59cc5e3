#!/usr/bin/python3
"""t/helpers/maxrss.py: run a command and note its peak memory.

    maxrss.py FILE CMD [ARG...]

runs CMD with the same standard input, output and error, then writes to
FILE the largest resident set size CMD reached, in KiB (getrusage(2)'s
ru_maxrss of the child, as /usr/bin/time -v reports it), and exits with
CMD's exit status (128 + N when a signal N killed it), so the tests can
bound the memory a command uses without any timing.
"""
import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: maxrss.py FILE CMD [ARG...]")
    out, argv = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            sys.stderr.write("maxrss.py: cannot run %s: %s\n" % (argv[0], e))
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w") as f:
        f.write("%d\n" % usage.ru_maxrss)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
