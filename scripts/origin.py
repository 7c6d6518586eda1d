#!/usr/bin/env python3
"""Stand-in image origin for gencache benchmarks: a slow, countable, breakable image generator.

Binds 127.0.0.1 (or --host) on --port (0 = any free port) and prints `listening on PORT` as the
first line of stdout. Python 3 standard library only; one thread per connection, HTTP/1.1 keep-alive.

  python3 scripts/origin.py [--port 0] [--delay-ms 300] [--size-bytes N] [--verbose]

Generation (every answer comes after the current delay, failures too):
  GET  /generate?prompt=P&w=W&h=H&seed=S      image/png, W x H (1..4096 each; absent or empty: w, h 256, seed 0)
  POST /v1/images/generations                 OpenAI-style: {"prompt", "size": "WxH"|"auto", "n": 1..10,
                                              "response_format": "b64_json"|"url", "seed"} answered with
                                              {"created", "data": [{"b64_json"} or {"url"}]}; image i of n
                                              is the one for seed + i
  The PNG is deterministic: the same (prompt, w, h, seed) and size target give the same bytes. Its
  pixels are an RGB pattern seeded from SHA-256 of the parameters; with a size target the file is
  padded to about that many bytes with a private ancillary chunk (`gcPd`, pseudo-random bytes), which
  every PNG decoder skips. A target below the natural size leaves the natural size.

Control:
  GET  /stats        {"generations", "requests", "failures_served", "mode", "delay_ms", "size_bytes",
                      "service_ms": {"n", "p50", "p99", "max"}} (service times of the last 10,000
                      generations, from reading the request to the last byte written, delay included),
                     "last_done_monotonic" (time.monotonic() when the last generation's answer was
                     written: CLOCK_MONOTONIC, which every process of the machine shares; null before any)
  POST /stats/reset  clears the service-time window (the counters keep counting)
  POST /mode?fail=500        every generation answers 500 with a JSON error body (any 400..599); fail=0 restores
  POST /mode?delay_ms=N      changes the delay (0..600000)
  POST /mode?size_bytes=N    changes the size target (0 = natural size)
  (one POST /mode may set several; it answers like GET /stats)

`generations` counts images generated, `requests` answered generation requests (including failures),
`failures_served` the answers given in fail mode. Bad parameters are a 400 and count as neither.
SIGTERM or SIGINT stops the server (exit 0).
"""
import argparse
import base64
import collections
import hashlib
import json
import math
import signal
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SIDE = 4096
MAX_SIZE_BYTES = 64 << 20
MAX_BODY = 1 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PAD_CHUNK = b"gcPd"  # ancillary (g), private (c), reserved bit clear (P), safe to copy (d)
# ADD[k] adds k to every byte (mod 256): one C-speed bytes.translate per row instead of a loop per pixel.
ADD = [bytes((i + k) & 255 for i in range(256)) for k in range(256)]


# --- PNG ------------------------------------------------------------------------------------------

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(prompt, w, h, seed, size_bytes=0):
    """Deterministic w x h RGB PNG for the parameters, padded to about size_bytes when that is larger."""
    digest = hashlib.sha256(json.dumps([prompt, w, h, seed], ensure_ascii=False).encode()).digest()
    # Per channel: a start colour and a horizontal step (wrapping mod 256, so colour bands); per row a
    # vertical step, and bands of rows alternate between two such patterns. Rows use PNG filter 1 (Sub):
    # a linear row filters to its first pixel plus one repeated (step, step, step) triple, so the
    # natural size is small and --size-bytes padding sets the size.
    rows = []
    for variant in (0, 1):
        first = bytes(digest[c + 6 * variant] for c in range(3))
        steps = bytes((((digest[c + 3 + 6 * variant] % 7) + 1) * (variant + 1)) & 255 for c in range(3))
        rows.append((first, steps * (w - 1)))
    vstep = (digest[12] % 5) + 1
    band = 8 + digest[13] % 56
    raw = bytearray()
    for y in range(h):
        first, tail = rows[(y // band) & 1]
        raw += b"\x01" + first.translate(ADD[(vstep * y) & 255]) + tail
    idat = zlib.compress(bytes(raw), 6)
    head = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat)
    tail = chunk(b"IEND", b"")
    missing = size_bytes - len(head) - len(tail) - 12  # 12 = length, type and CRC of the padding chunk
    if missing >= 0:
        filler = hashlib.shake_256(b"gencache-origin-pad" + digest).digest(missing) if missing else b""
        head += chunk(PAD_CHUNK, filler)
    return head + tail


# --- state ----------------------------------------------------------------------------------------

class State:
    def __init__(self, delay_ms, size_bytes):
        self.lock = threading.Lock()
        self.delay_ms = delay_ms
        self.size_bytes = size_bytes
        self.fail = 0
        self.generations = 0
        self.requests = 0
        self.failures_served = 0
        self.service_ms = collections.deque(maxlen=10000)
        self.last_done = None  # time.monotonic() when the last generation's answer was written

    def snapshot(self):
        with self.lock:
            times = sorted(self.service_ms)
            return {
                "generations": self.generations,
                "requests": self.requests,
                "failures_served": self.failures_served,
                "mode": "fail=%d" % self.fail if self.fail else "normal",
                "delay_ms": self.delay_ms,
                "size_bytes": self.size_bytes,
                "last_done_monotonic": self.last_done,
                "service_ms": {"n": len(times), "p50": pct(times, 50), "p99": pct(times, 99),
                               "max": round(times[-1], 3) if times else None},
            }


def pct(sorted_values, p):
    """Nearest-rank percentile of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100.0 * len(sorted_values)) - 1))
    return round(sorted_values[k], 3)


class BadRequest(Exception):
    pass


def side(value, name):
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise BadRequest("%s must be a whole number, was %r" % (name, value))
    if v < 1:
        raise BadRequest("%s must be at least 1, was %d" % (name, v))
    return min(v, MAX_SIDE)


def seed_of(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest("seed must be a whole number, was %r" % (value,))


# --- HTTP -----------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms delayed-ACK stalls
    server_version = "gencache-origin/1"
    state = None  # set in main()
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("origin: %s %s\n" % (self.address_string(), fmt % args))

    def send(self, status, body, ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def error(self, status, message, kind="invalid_request_error"):
        self.send(status, {"error": {"message": message, "type": kind, "code": status}})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise BadRequest("body over %d bytes" % MAX_BODY)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/generate":
            q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            one = lambda k, d: q.get(k, [""])[0] or d  # absent or empty (a template's missing seed): default
            self.generation(lambda: self.answer_image(one("prompt", ""), side(one("w", 256), "w"),
                                                      side(one("h", 256), "h"), seed_of(one("seed", 0))))
        elif u.path == "/stats":
            self.send(200, self.state.snapshot())
        elif u.path in ("/", "/health"):
            self.send(200, {"status": "ok"})
        else:
            self.error(404, "no such path: %s" % u.path)

    do_HEAD = do_GET

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        try:
            body = self.read_body()
        except (BadRequest, ValueError) as e:
            self.close_connection = True
            return self.error(400, str(e))
        if u.path == "/v1/images/generations":
            self.generation(lambda: self.answer_openai(body))
        elif u.path == "/mode":
            self.mode(urllib.parse.parse_qs(u.query))
        elif u.path == "/stats/reset":
            with self.state.lock:
                self.state.service_ms.clear()
            self.send(200, self.state.snapshot())
        else:
            self.error(404, "no such path: %s" % u.path)

    def mode(self, q):
        s = self.state
        try:
            changes = {}
            for key, lo, hi in (("fail", 0, 599), ("delay_ms", 0, 600000), ("size_bytes", 0, MAX_SIZE_BYTES)):
                if key in q:
                    v = int(q[key][0])
                    if not lo <= v <= hi or (key == "fail" and v and v < 400):
                        raise ValueError("%s must be %s, was %d" % (
                            key, "0 or 400..599" if key == "fail" else "%d..%d" % (lo, hi), v))
                    changes[key] = v
            if not changes:
                raise ValueError("give fail=, delay_ms= or size_bytes=")
        except ValueError as e:
            return self.error(400, str(e))
        with s.lock:
            for k, v in changes.items():
                setattr(s, k, v)
        sys.stderr.write("origin: mode %s\n" % ", ".join("%s=%d" % kv for kv in sorted(changes.items())))
        self.send(200, s.snapshot())

    def generation(self, produce):
        """Runs one generation: delay, then either the fail-mode error or produce()'s answer."""
        s = self.state
        t0 = time.perf_counter()
        with s.lock:
            delay, fail = s.delay_ms, s.fail
        if delay:
            time.sleep(delay / 1000.0)
        if fail:
            with s.lock:
                s.failures_served += 1
                s.requests += 1
            return self.error(fail, "origin is in fail mode (%d)" % fail, "server_error")
        try:
            images = produce()
        except BadRequest as e:
            return self.error(400, str(e))
        done = time.monotonic()
        with s.lock:
            s.generations += images
            s.requests += 1
            s.service_ms.append((time.perf_counter() - t0) * 1000.0)
            s.last_done = done

    def answer_image(self, prompt, w, h, seed):
        data = png(prompt, w, h, seed, self.state.size_bytes)
        self.send(200, data, "image/png", {"Cache-Control": "no-store"})
        return 1

    def answer_openai(self, body):
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise BadRequest("body is not JSON")
        if not isinstance(req, dict):
            raise BadRequest("body must be a JSON object")
        prompt = req.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise BadRequest("prompt is required")
        size = str(req.get("size") or "1024x1024").lower()
        if size == "auto":
            size = "1024x1024"
        parts = size.split("x")
        if len(parts) != 2:
            raise BadRequest("size must be WxH or auto, was %r" % size)
        w, h = side(parts[0], "width"), side(parts[1], "height")
        n = req.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= 10:
            raise BadRequest("n must be 1..10")
        seed = seed_of(req.get("seed", 0))
        fmt = req.get("response_format") or "b64_json"
        if fmt not in ("b64_json", "url"):
            raise BadRequest("response_format must be b64_json or url")
        data = []
        for i in range(n):
            if fmt == "url":
                host, port = self.server.server_address[:2]
                data.append({"url": "http://%s:%d/generate?%s" % (host, port, urllib.parse.urlencode(
                    {"prompt": prompt, "w": w, "h": h, "seed": seed + i}))})
            else:
                data.append({"b64_json": base64.b64encode(png(prompt, w, h, seed + i, self.state.size_bytes)).decode()})
        self.send(200, {"created": int(time.time()), "data": data})
        # A url answer generates on fetch: GET /generate counts it then.
        return n if fmt == "b64_json" else 0


class Server(ThreadingHTTPServer):
    daemon_threads = True  # requests in flight do not hold up the exit
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is no news
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="port to bind (0 = a free one; default 0)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--delay-ms", type=int, default=300, help="delay before every generation answer (default 300)")
    ap.add_argument("--size-bytes", type=int, default=0,
                    help="pad each PNG to about this many bytes (default 0 = natural size)")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args()
    if not 0 <= args.port <= 65535 or not 0 <= args.delay_ms <= 600000 or not 0 <= args.size_bytes <= MAX_SIZE_BYTES:
        ap.error("--port 0..65535, --delay-ms 0..600000, --size-bytes 0..%d" % MAX_SIZE_BYTES)

    Handler.state = State(args.delay_ms, args.size_bytes)
    Handler.verbose = args.verbose
    try:
        server = Server((args.host, args.port), Handler)
    except OSError as e:
        print("origin: cannot bind %s:%d: %s" % (args.host, args.port, e), file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    print("listening on %d" % server.server_address[1], flush=True)
    sys.stderr.write("origin: http://%s:%d delay %d ms, size %s\n" % (
        args.host, server.server_address[1], args.delay_ms, args.size_bytes or "natural"))
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    st = Handler.state.snapshot()
    sys.stderr.write("origin: stopped after %d generations, %d failures served\n"
                     % (st["generations"], st["failures_served"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
