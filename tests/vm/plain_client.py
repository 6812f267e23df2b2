#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A client written for plain TCP (socket.socket() with no protocol): talks to
# `mptcp-sched demo server`, prints one JSON line with the protocol its socket really got
# and the server's answer, then keeps the connection open for HOLD seconds, or, when HOLD
# is a path, until that file exists (at most 120 s): a test releases it once it has checked
# what it needs while the connection is open, however slow the machine.
#   usage: plain_client.py HOST PORT [HOLD]
import json, socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])
hold = sys.argv[3] if len(sys.argv) > 3 else "0"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
f = s.makefile("rwb")
greeting = f.readline()
f.write(b"mptcp-sched-demo 1\n")
f.flush()
answer = json.loads(f.readline())
proto = s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)
print(json.dumps({"protocol": proto, "local_port": s.getsockname()[1],
                  "greeting": greeting.decode().strip(), "server": answer}), flush=True)
try:
    time.sleep(float(hold))
except ValueError:
    import os
    end = time.monotonic() + 120
    while not os.path.exists(hold) and time.monotonic() < end:
        time.sleep(0.05)
