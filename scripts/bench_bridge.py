#!/usr/bin/env python3
"""Latency of a cache HIT over gencache's TCP event-bus bridge, next to the same HIT over HTTP.

Driven by scripts/bench-bridge.sh, which starts one node and stops it again. Standard library only.

  python3 scripts/bench_bridge.py --http http://127.0.0.1:P --bridge 127.0.0.1:B \\
      [--requests 5000] [--warmup 2000] [--seconds 60] [--results FILE]

One prompt is generated once (MISS), then requested again and again as a HIT, one request at a time,
in rounds: each round sends one request of every variant below, in a rotating order (so drift of the
machine hits all alike). The warm-up rounds are not counted. Every loop is bounded by its count and by
--seconds. Variants:
  bridge   gencache.generate with scripts/clients/gencache_bridge.py (reader thread + waiting caller)
  raw      gencache.generate over a second bridge connection read in the caller's own thread (the
           same frames without the client's thread hand-off)
  http     POST /v1/images/generations, the same body, one keep-alive http.client connection
  ping     ping -> pong with gencache_bridge.py: the bridge's round trip without a request behind it
Each reply must be a HIT (the bridge's gencache.cache, HTTP's X-Cache), else it counts as a PROBLEM.
Exit code 0 when all was measured and every reply was a HIT, 1 on a PROBLEM, 2 on a setup error.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time
import uuid

from benchlib import AUTH, Client, now, pct

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients"))
from gencache_bridge import BridgeError, GencacheBridge  # noqa: E402

VARIANTS = ("bridge", "raw", "http", "ping")
LABELS = {"bridge": "bridge generate (gencache_bridge.py)", "raw": "bridge generate (raw socket, 1 thread)",
          "http": "HTTP POST (keep-alive)", "ping": "bridge ping -> pong"}
TOKEN = AUTH.get("Authorization", "")[len("Bearer "):] or None


class RawBridge:
    """A blocking bridge connection read in the caller's thread: one request at a time."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = {"authorization": "Bearer " + TOKEN} if TOKEN else {}
        self.reply = "bench.raw.%s" % uuid.uuid4()

    def request(self, address, body):
        data = json.dumps({"type": "send", "address": address, "body": body, "replyAddress": self.reply,
                           "headers": self.headers}, separators=(",", ":")).encode()
        self.headers = {}  # the token once, on the first frame
        self.sock.sendall(struct.pack(">I", len(data)) + data)
        while True:
            frame = json.loads(self.read(struct.unpack(">I", self.read(4))[0]))
            if frame.get("address") == self.reply:
                if frame["type"] != "message":
                    raise BridgeError(frame.get("message", "error"), frame.get("failureCode"))
                return frame["body"]

    def read(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise BridgeError("connection closed")
            buf += chunk
        return bytes(buf)

    def close(self):
        self.sock.close()


def us(x):
    return "-" if x is None else "%d" % round(x)


def summary(values):
    return {"n": len(values), "p50": pct(values, 50), "p90": pct(values, 90), "p99": pct(values, 99),
            "max": max(values) if values else None, "mean": sum(values) / len(values) if values else None}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--http", required=True, help="the node's HTTP base URL")
    p.add_argument("--bridge", required=True, help="host:port of the node's TCP bridge")
    p.add_argument("--requests", type=int, default=5000, help="measured rounds (one request per variant each)")
    p.add_argument("--warmup", type=int, default=2000, help="uncounted rounds first")
    p.add_argument("--seconds", type=float, default=60, help="time bound of the warm-up and of the measurement each")
    p.add_argument("--size", default="256x256")
    p.add_argument("--results", help="write the figures as JSON here")
    a = p.parse_args()
    host, _, port = a.bridge.rpartition(":")
    body = {"prompt": "bench bridge hit %s" % uuid.uuid4().hex[:8], "size": a.size}
    problems = []
    try:
        bridge = GencacheBridge(host, int(port), token=TOKEN, connect_timeout=10)
        raw = RawBridge(host, int(port), timeout=30)
        first = bridge.generate(body, timeout=60)
    except (OSError, BridgeError) as e:
        print("bench_bridge.py: cannot use the bridge at %s: %s" % (a.bridge, e), file=sys.stderr)
        return 2
    http = Client(a.http, timeout=30, headers=AUTH)
    if first["gencache"]["cache"] != "MISS":
        problems.append("the first request was %s, not MISS" % first["gencache"]["cache"])

    def one(variant):
        """One request; returns (microseconds, None) or (microseconds, problem)."""
        t0 = now()
        try:
            if variant == "bridge":
                cache = bridge.generate(body, timeout=30)["gencache"]["cache"]
            elif variant == "raw":
                cache = raw.request("gencache.generate", body)["gencache"]["cache"]
            elif variant == "http":
                r = http.request("POST", "/v1/images/generations", body)
                cache = r.headers.get("x-cache") if r.status == 200 else r.brief()
            else:
                bridge.ping(timeout=30)
                cache = "HIT"
        except (OSError, BridgeError, KeyError, TypeError) as e:
            cache = repr(e)
        return (now() - t0) * 1e6, None if cache == "HIT" else "%s: %s" % (variant, cache)

    def rounds(count, record):
        samples = {v: [] for v in VARIANTS}
        t_end = time.monotonic() + a.seconds
        done = 0
        while done < count and time.monotonic() < t_end:
            for k in range(len(VARIANTS)):
                variant = VARIANTS[(done + k) % len(VARIANTS)]
                micros, problem = one(variant)
                samples[variant].append(micros)
                if problem and record and len(problems) < 20:
                    problems.append(problem)
            done += 1
        return done, samples

    t0 = time.monotonic()
    warm, _ = rounds(a.warmup, record=False)
    print("warm-up: %d rounds (%d requests) in %.1f s" % (warm, warm * len(VARIANTS), time.monotonic() - t0))
    t0 = time.monotonic()
    done, samples = rounds(a.requests, record=True)
    took = time.monotonic() - t0
    bridge.close()
    raw.close()
    http.close()
    if done < a.requests:
        print("note: the %g s bound stopped the measurement after %d of %d rounds" % (a.seconds, done, a.requests))
    print("measured: %d rounds in %.1f s; prompt %r %s; latency in microseconds"
          % (done, took, body["prompt"], a.size))
    figures = {v: summary(samples[v]) for v in VARIANTS}
    print("  %-40s %7s %7s %7s %7s %8s %7s" % ("", "n", "p50", "p90", "p99", "max", "mean"))
    for v in VARIANTS:
        f = figures[v]
        print("  %-40s %7d %7s %7s %7s %8s %7s" % (LABELS[v], f["n"], us(f["p50"]), us(f["p90"]), us(f["p99"]),
                                                   us(f["max"]), us(f["mean"])))
    for problem in problems:
        print("PROBLEM %s" % problem)
    if a.results:
        with open(a.results, "w") as out:
            json.dump({"prompt": body["prompt"], "size": a.size, "rounds": done, "seconds": took,
                       "figures": figures, "problems": problems}, out, indent=2)
    b, h = figures["bridge"], figures["http"]
    print("RESULT cache HIT round trip, %d sequential requests each: TCP bridge p50 %s / p90 %s / p99 %s / max %s us"
          " (raw socket p50 %s us), HTTP POST p50 %s / p90 %s / p99 %s / max %s us; %s"
          % (done, us(b["p50"]), us(b["p90"]), us(b["p99"]), us(b["max"]), us(figures["raw"]["p50"]),
             us(h["p50"]), us(h["p90"]), us(h["p99"]), us(h["max"]),
             "%d PROBLEM(s)" % len(problems) if problems else "all HIT"))
    return 1 if problems or done == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
