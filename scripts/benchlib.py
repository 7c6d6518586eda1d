"""What gencache's Python benchmarks share: a keep-alive HTTP client that never raises, and percentiles.

Standard library only; the bench_*.py scripts next to this file import it (Python puts the script's
own folder first on sys.path).
"""
import http.client
import json
import math
import os
import time
import urllib.parse

now = time.perf_counter

# The first of the node's bearer tokens, when the nodes run with auth.
AUTH = {}
if os.environ.get("GENCACHE_AUTH_TOKENS"):
    AUTH = {"Authorization": "Bearer " + os.environ["GENCACHE_AUTH_TOKENS"].split(",")[0].strip()}


class Resp:
    __slots__ = ("status", "headers", "body", "t0", "t1", "error")

    def __init__(self, status, headers, body, t0, t1, error=None):
        self.status, self.headers, self.body, self.t0, self.t1, self.error = status, headers, body, t0, t1, error

    def json(self):
        try:
            return json.loads(self.body)
        except (ValueError, TypeError):
            return None

    @property
    def ms(self):
        return (self.t1 - self.t0) * 1000.0

    def label(self):
        """X-Cache of a 200, else 'HTTP <status>', or 'error' for a transport failure."""
        if self.status == 200:
            return self.headers.get("x-cache") or "200 without X-Cache"
        return "HTTP %d" % self.status if self.status > 0 else "error"

    def brief(self):
        if self.status < 0:
            return "transport error %s" % self.error
        return "%d %s" % (self.status, self.body[:300].decode("utf-8", "replace").strip())


class Client:
    """One keep-alive HTTP/1.1 connection to one server; not thread-safe."""

    def __init__(self, base, timeout=30.0, headers=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.base_headers = dict(headers or {})
        self.conn = None
        self.used = False

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn, self.used = None, False

    def request(self, method, path, body=None, headers=None):
        """Returns a Resp; transport errors become status -1 with .error set (never raises)."""
        h = dict(self.base_headers)
        if headers:
            h.update(headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            reused = self.conn is not None and self.used
            t0 = now()
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                    self.conn.connect()
                    self.used = False
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                payload = r.read()
                t1 = now()
                self.used = True
                if (r.getheader("connection") or "").lower() == "close":
                    self.close()
                return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, payload, t0, t1)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine) as e:
                self.close()
                if attempt == 0 and reused:
                    continue  # a keep-alive connection the server had closed: once more, fresh
                return Resp(-1, {}, b"", t0, now(), repr(e))
            except (OSError, http.client.HTTPException) as e:
                self.close()
                return Resp(-1, {}, b"", t0, now(), repr(e))
        raise AssertionError("unreachable")


# --- figures --------------------------------------------------------------------------------------


def pct(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))
    return v[k]


def fmt_ms(x):
    return "-" if x is None else ("%.1f" % x)
