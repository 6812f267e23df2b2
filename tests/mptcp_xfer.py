#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checksummed MPTCP transfers for the VM tests.

Protocol: an 8-byte big-endian length, then that many bytes (all ones: until the client
shuts down its sending side); the server replies with one
JSON line {"bytes": N, "sha256": "..."} and waits for the client to close, so the
connection (and its subflows' counters) stays alive until the client has sampled them.

server: accepts connections on PORT and answers each as above.
client: connects with IPPROTO_MPTCP, sends BYTES of deterministic data (optionally paced to
        RATE Mbit/s), reads the server's verdict, samples the kernel's per-subflow
        counters with `ss -ti` while the connection is still established, and prints
        one JSON object: what it sent, what the server got, whether they match, the longest
        gap between send progress, and the subflows. With --connections N: N short
        transfers in a row, each checked, and one summary. With --until FILE: sends until
        FILE exists (at most BYTES), so a test can keep traffic flowing for exactly as long
        as it needs, however slow the machine.
"""
import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

IPPROTO_MPTCP = 262
CHUNK = 64 * 1024
UNTIL_EOF = (1 << 64) - 1  # length header: the payload ends when the client shuts down


def pattern(n):
    """Deterministic, incompressible-ish data: SHA-256 counter blocks."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(i.to_bytes(8, "little")).digest() * 32
        i += 1
    return bytes(out[:n])


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def serve_one(conn):
    h = hashlib.sha256()
    total = 0
    want = int.from_bytes(recv_exact(conn, 8), "big")
    start = last = time.monotonic()
    max_gap = 0.0
    while total < want:
        data = conn.recv(min(1 << 20, want - total))
        if not data:
            break
        now = time.monotonic()
        max_gap = max(max_gap, now - last)
        last = now
        h.update(data)
        total += len(data)
    elapsed = last - start
    conn.sendall((json.dumps({"bytes": total, "sha256": h.hexdigest(),
                              "max_recv_gap_s": round(max_gap, 3),
                              "recv_seconds": round(elapsed, 3)}) + "\n").encode())
    try:
        conn.recv(1)  # until the client closes
    finally:
        conn.close()


def server(args):
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.listen(16)
    print("listening", flush=True)
    served = 0
    while args.count == 0 or served < args.count:
        conn, _ = s.accept()
        served += 1
        t = threading.Thread(target=serve_one, args=(conn,), daemon=True)
        t.start()
        if args.count:
            t.join()


def subflows(dport):
    """TCP subflows towards dport, with the kernel's byte counters."""
    out = subprocess.run(["ss", "-tinH", "state", "established", f"( dport = :{dport} )"],
                         capture_output=True, text=True).stdout
    rows = []
    cur = None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            addrs = [p for p in line.split() if re.search(r":\d+$", p)]
            if len(addrs) >= 2:
                cur = {"local": addrs[-2], "remote": addrs[-1]}
                rows.append(cur)
        elif cur is not None:
            for key in ("bytes_sent", "bytes_acked", "bytes_retrans", "segs_out"):
                m = re.search(rf"\b{key}:(\d+)", line)
                if m:
                    cur[key] = int(m.group(1))
            m = re.search(r"\brtt:([\d.]+)/", line)
            if m:
                cur["rtt_ms"] = float(m.group(1))
    return rows


def watch(args):
    """After a path comes back (TRIGGER): how long until a new subflow from LOCAL exists, and
    until a subflow from LOCAL has data acknowledged again (polls `ss` every 20 ms)."""
    def rows():
        return [r for r in subflows(args.port)
                if re.sub(r"%[^:\]]*", "", r["local"]).startswith(args.local + ":")]
    before = {r["local"]: r.get("bytes_acked", 0) for r in rows()}
    if args.trigger:
        subprocess.run(args.trigger, shell=True, check=True)
    start = time.monotonic()
    new_s = data_s = None
    while time.monotonic() - start < args.timeout and (new_s is None or data_s is None):
        now = time.monotonic() - start
        for r in rows():
            if r["local"] not in before and new_s is None:
                new_s = now
            if data_s is None and r.get("bytes_acked", 0) > before.get(r["local"], 0) + 1:
                data_s = now
        time.sleep(0.02)
    print(json.dumps({"new_subflow_s": None if new_s is None else round(new_s, 3),
                      "data_resumed_s": None if data_s is None else round(data_s, 3),
                      "timeout_s": args.timeout}))
    return 0


def connect(args):
    fam = socket.AF_INET6 if ":" in args.addr or args.v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, 0 if args.tcp else IPPROTO_MPTCP)
    if args.mark:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, args.mark)
    if args.bind_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.bind_port))
    addr = args.addr
    if fam == socket.AF_INET6 and ":" not in addr:
        addr = "::ffff:" + addr  # IPv4-mapped, from a dual-stack socket
    s.connect((addr, args.port))
    return s


def pattern_chunk(offset, n):
    """Bytes [offset, offset + n) of pattern(): generated piecewise, so a long transfer
    never holds its whole payload in memory (a 2 GiB guest runs out otherwise)."""
    first, last = offset // 1024, (offset + n + 1023) // 1024
    blob = b"".join(hashlib.sha256(i.to_bytes(8, "little")).digest() * 32
                    for i in range(first, last))
    return blob[offset - first * 1024:offset - first * 1024 + n]


def client(args):
    if args.connections > 1:
        return repeat(args, pattern(args.bytes))
    total = args.bytes
    s = connect(args)
    s.sendall((UNTIL_EOF if args.until else total).to_bytes(8, "big"))
    h = hashlib.sha256()
    if args.wait_subflows:
        # The header made the connection fully established, which is when the path
        # manager adds subflows; the payload waits for them, so a check of how it was
        # spread does not depend on how fast the join was on a busy machine.
        end = time.monotonic() + 60
        while len(subflows(args.port)) < args.wait_subflows:
            if time.monotonic() > end:
                print(f"mptcp_xfer: not {args.wait_subflows} subflows within 60 s", file=sys.stderr)
                return 1
            time.sleep(0.02)
    start = time.monotonic()
    last = start
    max_gap = 0.0
    sent = 0
    rate = args.rate * 1e6 / 8 if args.rate else 0
    buf = b""
    while sent < total:
        if not buf:
            if args.until and os.path.exists(args.until):
                break
            buf = pattern_chunk(sent, min(CHUNK, total - sent))
            h.update(buf)
        n = s.send(buf)
        buf = buf[n:]
        now = time.monotonic()
        max_gap = max(max_gap, now - last)
        last = now
        sent += n
        if rate:
            ahead = sent / rate - (now - start)
            if ahead > 0:
                time.sleep(ahead)
    flows = None
    if args.until:
        # Sampled while the subflows are still established: the shutdown below ends that.
        flows = subflows(args.port)
        s.shutdown(socket.SHUT_WR)
    reply = read_reply(s)
    elapsed = time.monotonic() - start
    if flows is None:
        flows = subflows(args.port)
    if args.sample_cmd:
        subprocess.run(args.sample_cmd, shell=True)
    s.close()
    got = json.loads(reply) if reply else {}
    want = h.hexdigest()
    result = {
        "sent": sent,
        "sha256": want,
        "server": got,
        # --until with the stop file already there sends nothing: that is no transfer
        "byte_exact": got.get("bytes") == sent and got.get("sha256") == want
                      and (sent > 0 or not args.until),
        "seconds": round(elapsed, 3),
        "goodput_mbit": round(sent * 8 / elapsed / 1e6, 2) if elapsed > 0 else 0,
        "max_send_gap_s": round(max_gap, 3),
        "subflows": flows,
    }
    print(json.dumps(result))
    return 0 if result["byte_exact"] else 1


def read_reply(s):
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply


def repeat(args, data):
    """CONNECTIONS sequential short transfers, each checked; one summary line."""
    want = hashlib.sha256(data).hexdigest()
    exact = 0
    start = time.monotonic()
    for _ in range(args.connections):
        s = connect(args)
        s.sendall(len(data).to_bytes(8, "big") + data)
        got = json.loads(read_reply(s) or b"{}")
        s.close()
        exact += got.get("bytes") == len(data) and got.get("sha256") == want
    result = {"connections": args.connections, "byte_exact_connections": exact,
              "byte_exact": exact == args.connections,
              "seconds": round(time.monotonic() - start, 3)}
    print(json.dumps(result))
    return 0 if result["byte_exact"] else 1


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    pf = sub.add_parser("subflows", help="print the subflows towards PORT as JSON")
    pf.add_argument("--port", type=int, required=True)
    ps = sub.add_parser("server")
    ps.add_argument("--addr", default="0.0.0.0")
    ps.add_argument("--port", type=int, required=True)
    ps.add_argument("--count", type=int, default=0, help="exit after N connections")
    pc = sub.add_parser("client")
    pc.add_argument("--addr", required=True)
    pc.add_argument("--port", type=int, required=True)
    pc.add_argument("--bytes", type=int, required=True)
    pc.add_argument("--rate", type=float, default=0, help="pace to this many Mbit/s")
    pc.add_argument("--until", default="",
                    help="send until this file exists (BYTES is then an upper bound)")
    pc.add_argument("--wait-subflows", type=int, default=0,
                    help="send the payload once this many subflows are established")
    pc.add_argument("--tcp", action="store_true", help="plain TCP instead of MPTCP")
    pc.add_argument("--mark", type=lambda v: int(v, 0), default=0, help="SO_MARK the socket")
    pc.add_argument("--bind-port", type=int, default=0, help="source port to bind")
    pc.add_argument("--v6", action="store_true",
                    help="use an IPv6 socket (IPv4 addresses become IPv4-mapped)")
    pc.add_argument("--connections", type=int, default=1,
                    help="make N sequential transfers of BYTES; print one summary")
    pc.add_argument("--sample-cmd", default="",
                    help="shell command run after the transfer, before the connection closes")
    pw = sub.add_parser("watch", help=watch.__doc__)
    pw.add_argument("--port", type=int, required=True)
    pw.add_argument("--local", required=True, help="local address of the returning path")
    pw.add_argument("--timeout", type=float, default=5)
    pw.add_argument("--trigger", default="",
                    help="shell command that brings the path back, run after the first sample")
    a = p.parse_args()
    if a.cmd == "subflows":
        print(json.dumps(subflows(a.port)))
        return 0
    if a.cmd == "watch":
        return watch(a)
    return server(a) if a.cmd == "server" else client(a)


if __name__ == "__main__":
    sys.exit(main())
