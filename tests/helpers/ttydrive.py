#!/usr/bin/env python3
"""ttydrive.py — drive an interactive command on a terminal, as a user would.

    ttydrive.py [--timeout S] -- COMMAND [ARGS...] <<'EOF'
    expect PATTERN        wait until the output so far matches the regex
    send TEXT             type TEXT (Python escapes: \\n, \\x10 for ctrl-p)
    sleep SECONDS
    eof                   wait for the command to end
    EOF

The steps come on stdin, one per line.  The command's output is echoed to
stdout (with \\r removed) once it ends or a step fails.  Exit status: the
command's own (128+N for a signal), or 124 when an expect or eof step times
out (the command is then killed), with the failing step on stderr.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 10.0
    if args[:1] == ["--timeout"]:
        timeout = float(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    steps = [line.rstrip("\n") for line in sys.stdin if line.strip()]

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(args[0], args)
    out = b""
    done = False
    status = None

    def pump(until):
        nonlocal out, done
        while not done:
            left = until - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], min(left, 0.05))
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    done = True
                    return
                # answer a cursor position query as a terminal would
                # (busybox's shell asks before each prompt)
                for _ in range(data.count(b"\x1b[6n")):
                    os.write(fd, b"\x1b[1;1R")
                out += data
                return

    def fail(step):
        sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
        sys.stderr.write("ttydrive.py: timed out at: %s\n" % step)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        sys.exit(124)

    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "expect":
            rx = re.compile(arg.encode())
            deadline = time.monotonic() + timeout
            while not rx.search(out):
                if done or time.monotonic() >= deadline:
                    fail(step)
                pump(deadline)
        elif verb == "eof":
            deadline = time.monotonic() + timeout
            while not done:
                if time.monotonic() >= deadline:
                    fail(step)
                pump(deadline)
        else:
            sys.stderr.write("ttydrive.py: unknown step: %s\n" % step)
            sys.exit(2)
    deadline = time.monotonic() + timeout
    while not done and time.monotonic() < deadline:
        pump(deadline)
    if not done:
        fail("the command's end")
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
