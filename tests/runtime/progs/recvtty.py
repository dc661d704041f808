#!/usr/bin/python3
"""recvtty — the other end of --console-socket, for tests.

recvtty SOCKET OUT [INPUT]: listen on the unix socket SOCKET, take one
connection, receive the pty master (SCM_RIGHTS) and write the message's
payload (the pty name) as the first line of OUT, then everything read from
the master.  INPUT, when given, is written to the master first.  Exits when
the master reports end of file (all of the container's ends closed)."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
master = fds[0]
with open(out, "wb") as f:
    f.write(msg + b"\n")
    f.flush()
    if len(sys.argv) > 3:
        os.write(master, sys.argv[3].encode())
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the slave side is closed
            break
        if not data:
            break
        f.write(data)
        f.flush()
