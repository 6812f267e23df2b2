#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Many short MPTCP connections, for event-storm tests of pathd.
#   mptcp_storm.py server PORT COUNT        accept COUNT connections, closing each at once
#   mptcp_storm.py client ADDR PORT COUNT   open and close COUNT connections, one at a time
#   mptcp_storm.py hold ADDR PORT SECONDS   one connection held open (server: `server PORT 1`)
import socket
import sys
import time

IPPROTO_MPTCP = 262


def main():
    mode = sys.argv[1]
    if mode == "server":
        port, count = int(sys.argv[2]), int(sys.argv[3])
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(1024)
        s.settimeout(120)
        conns = []
        for _ in range(count):
            c, _ = s.accept()
            if count == 1:
                conns.append(c)   # `hold`: keep it until the client goes
                c.recv(1)
            c.close()
        return 0
    addr, port = sys.argv[2], int(sys.argv[3])
    if mode == "client":
        failed = 0
        for _ in range(int(sys.argv[4])):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
            try:
                c.connect((addr, port))
            except OSError:
                failed += 1
            c.close()
        print(f"{int(sys.argv[4]) - failed} connections")
        return 0 if failed == 0 else 1
    if mode == "hold":
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        c.connect((addr, port))
        time.sleep(float(sys.argv[4]))
        c.close()
        return 0
    return 2


sys.exit(main())
