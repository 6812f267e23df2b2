# SPDX-License-Identifier: GPL-2.0
# Presses Ctrl-C on a terminal: runs `M run -- <counter>` on a new pty (a session of its
# own, the pty its controlling terminal), waits until the command inside says it is ready,
# writes ^C to the pty (the line discipline sends SIGINT to the whole foreground group,
# si_code SI_KERNEL, as a real terminal does) and prints the number of SIGINTs the command
# received and run's exit status as JSON.
# Usage: python3 ctrl_c.py MPTCP_SCHED
import json
import os
import pty
import re
import sys
import time

COUNTER = r'''
import signal, sys, time
n = 0
def on_int(s, f):
    global n
    n += 1
signal.signal(signal.SIGINT, on_int)
print("ready", flush=True)
t = time.time()
while n == 0 and time.time() - t < 60:
    time.sleep(0.01)
end = time.time() + 1.5       # a second SIGINT, if any, comes within this
while time.time() < end:
    time.sleep(0.01)
print("sigints %d" % n, flush=True)
'''

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "run", "--", sys.executable, "-c", COUNTER])
out = b""
sent = False
deadline = time.time() + 120
while time.time() < deadline and b"sigints" not in out.split(b"\n")[-1] + out[-40:]:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"ready" in out:
        os.write(fd, b"\x03")
        sent = True
    if b"sigints" in out and out.endswith(b"\n"):
        break
_, st = os.waitpid(pid, 0)
# The terminal echoes ^C without a newline: the count may follow it on the same line.
found = re.findall(r"sigints (\d+)", out.decode(errors="replace"))
count = int(found[-1]) if found else None
print(json.dumps({"sigints": count, "status": os.waitstatus_to_exitcode(st), "sent": sent,
                  "output": out.decode(errors="replace")}))
