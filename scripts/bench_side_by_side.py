#!/usr/bin/env python3
"""gencache and nginx proxy_cache side by side, in front of the same slow origin.

Driven by scripts/bench.sh, which starts scripts/origin.py, one gencache node (http generator at the
origin) and nginx (proxy_cache at the origin, scripts/bench/nginx.conf.template), pins them, and runs
this file once per phase; every phase adds its figures to one JSON file (--results). This file only
talks HTTP, runs wrk (pinned to CPU 0 by taskset) and reads /proc. Python 3 standard library only.
Every loop is bounded in count and in time.

  bench_side_by_side.py COMMON hit   --gencache URL --gencache-pid PID [--sizes 102400,10240]
                                     [--runs 5] [--seconds 10] [--warmup 5] [--warmup-max-runs 60]
                                     [--jit-quiet 0.005] [--connections 64]
  bench_side_by_side.py COMMON burst --gencache URL --gencache-pid PID [--burst 200] [--rounds 3]
                                     [--warmup-rounds 0] [--warmup-max-rounds 200] [--warmup-jit-ms 15]
                                     [--delay-ms 300] [--sizes 102400,10240] [--generation-warmup 6000]
                                     --burst-client BINARY --lua scripts/bench/zipf.lua
  bench_side_by_side.py COMMON zipf  --gencache URL --gencache-pid PID --lua scripts/bench/zipf.lua
                                     [--requests 20000] [--prompts 1000] [--zipf-s 1.0]
                                     [--image-bytes 102400] [--budget-mb 32] [--max-seconds 240]
  bench_side_by_side.py COMMON report
  COMMON = --results FILE --origin URL --nginx URL --nginx-pid PID --tag RUN

hit    per image size, one prompt, primed on both (the second request must be a HIT, and both must
       serve the same bytes), a warm-up per server (--warmup s wrk runs, at least --warmup-min-runs
       the first time, then until two in a row agree within 10% and the JVM's JIT compiler threads
       used at most --jit-quiet of the last 30 s, at most --warmup-max-runs: the JIT of a JVM on one
       CPU shares the event loop's core, and kept compiling for 2-4 minutes of load here; each
       warm-up run's req/s, JIT CPU and p99 are printed), then --runs alternating runs of
       `wrk -t1 -c64 -d<seconds> --latency`: req/s, p50, p99 and the server's CPU time per request
       (utime + stime of the JVM, or of the nginx master and all its children, from /proc/PID/stat
       before and after the run, divided by the requests wrk counted). Medians over the runs.
cpu    counts every thread of the server process, GC and Hazelcast's included; the resolution is one
       clock tick (10 ms) per run, far below the seconds of CPU a run uses.
burst  per image size of --sizes. First --generation-warmup uncounted generations of distinct prompts
       (10 KB, origin delay 0, wrk with zipf.lua), and a tenth of it at each size: a burst runs the
       node's generation path once, and without them it still ran in the interpreter after a hundred
       warm-up bursts. Then per round and server, the burst client (scripts/bench/burst_client.c) opens --burst connections,
       then writes the same request for a new prompt on each, back to back, and reads the answers with
       epoll: origin generations during the burst (/stats), latency from each request written p50/p99,
       when the first answer came, the waiters' lag (each answer after the first one) p50/p99, and the
       waiters' answers after the generation completed (the origin's last byte written, its /stats
       last_done_monotonic; every answer but the MISS) p50/p99/max and the share within 5 ms; for gencache also the node's own lag histogram (gencache_waiter_lag_seconds) between
       a scrape before and after the round: waiters, share within 5 ms, p50/p99 interpolated in its
       buckets, mean. gencache warm-up rounds first, kept apart, not counted, printed ten to a
       line: at least --warmup-rounds, then until its JIT compiler threads used at most
       --warmup-jit-ms of CPU a round over the last 10, at most --warmup-max-rounds.
       Medians over the counted rounds. nginx's proxy_cache_lock waiters re-check every 500 ms, so
       their lag is up to 500 ms. Then the floor: the same burst for round 1's image, which both have
       cached (30 uncounted gencache runs, then 5 alternating runs each): median and last answer.
zipf   wrk with scripts/bench/zipf.lua (1 thread, 16 connections; same seed, so the same prompt
       sequence for both), after warming the restarted node up on one prompt: hit ratio = 1 - origin generations / 200 answers, and the X-Cache counts;
       afterwards gencache's map bytes (GET /v1/cluster) against its budget and its heap.
report the summary table, PROBLEM lines and the last line, `RATIO gencache/nginx: ...`.

Exit code: 0 measured (report: and no PROBLEM), 1 report found a PROBLEM, 2 setup error.
"""
import argparse
import hashlib
import http.client
import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

now = time.monotonic  # CLOCK_MONOTONIC: the origin's last_done_monotonic is on the same clock
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVERS = ("gencache", "nginx")
GENERATION_WARMUP_BYTES = 10240  # image size of the main generation warm-up: thousands fit in memory
BURST_JIT_WINDOW = 10  # rounds the burst warm-up's JIT rule looks back over


class SetupError(Exception):
    """The benchmark cannot measure (a service is down or misconfigured): exit 2."""


# --- HTTP -----------------------------------------------------------------------------------------

def request(base, method, path, timeout=30.0, headers=None):
    """One request on a fresh connection: (status, lower-case headers, body); raises SetupError."""
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    except (OSError, http.client.HTTPException) as e:
        raise SetupError("%s %s%s: %s" % (method, base, path, e))
    finally:
        c.close()


def get_json(base, path):
    status, _, body = request(base, "GET", path)
    if status != 200:
        raise SetupError("GET %s%s answered %d: %s" % (base, path, status, body[:200]))
    return json.loads(body)


def origin_mode(origin, **kw):
    status, _, body = request(origin, "POST", "/mode?" + urllib.parse.urlencode(kw))
    if status != 200:
        raise SetupError("origin POST /mode %s answered %d: %s" % (kw, status, body[:200]))
    return json.loads(body)


def origin_generations(origin):
    return get_json(origin, "/stats")["generations"]


def metrics(base):
    """gencache's /metrics as {(name, frozenset(labels)): value}."""
    status, _, body = request(base, "GET", "/metrics")
    if status != 200:
        raise SetupError("GET %s/metrics answered %d" % (base, status))
    out = {}
    for line in body.decode("utf-8", "replace").splitlines():
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        try:
            out[(m.group(1), labels)] = float(m.group(3))
        except ValueError:
            pass
    return out


def metric_sum(ms, name, **want):
    return sum(v for (n, labels), v in ms.items()
               if n == name and all((k, w) in labels for k, w in want.items()))


def lag_histogram_delta(before, after, name):
    """What a Prometheus histogram NAME gained between two scrapes: how many, the share within 5 ms,
    p50/p99 interpolated linearly within the cumulative buckets (the +Inf bucket reports its lower
    bound) and the mean."""
    def buckets(ms):
        out = {}
        for (n, labels), v in ms.items():
            if n == name + "_bucket":
                le = dict(labels)["le"]
                out[float("inf") if le == "+Inf" else float(le)] = v
        return out
    b0, b1 = buckets(before), buckets(after)
    bounds = sorted(b1)
    cum = [b1[b] - b0.get(b, 0) for b in bounds]
    n = cum[-1] if cum else 0
    res = {"server_waiters": n, "server_within_5ms": None, "server_waiter_p50_ms": None,
           "server_waiter_p99_ms": None, "server_waiter_mean_ms": None}
    if n <= 0:
        return res

    def quantile(q):
        rank, lo, below = q * n, 0.0, 0
        for bound, c in zip(bounds, cum):
            if c >= rank:
                if bound == float("inf"):
                    return lo * 1000
                return (lo + (bound - lo) * (rank - below) / max(c - below, 1)) * 1000
            lo, below = bound, c
        return lo * 1000
    within = [c for bound, c in zip(bounds, cum) if abs(bound - 0.005) < 1e-9]
    res["server_within_5ms"] = 100.0 * within[0] / n if within else None
    res["server_waiter_p50_ms"], res["server_waiter_p99_ms"] = quantile(0.5), quantile(0.99)
    res["server_waiter_mean_ms"] = (metric_sum(after, name + "_sum") - metric_sum(before, name + "_sum")) / n * 1000
    return res


# --- /proc ----------------------------------------------------------------------------------------

def proc_stat(pid):
    """(ppid, utime + stime in ticks) of PID, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def jit_ticks(pid):
    """utime + stime of PID's JIT compiler threads (HotSpot's "C1/C2 CompilerThreadN"); 0 without them."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if not f.read().startswith(("C1 CompilerThre", "C2 CompilerThre")):
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total


def cpu_ticks(root_pids):
    """utime + stime of the given PIDs and all their descendants (nginx: master, worker, cache processes)."""
    parents = {}
    ticks = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st:
                parents[int(entry)], ticks[int(entry)] = st
    total = 0
    for pid in ticks:
        p, hops = pid, 0
        while p and hops < 64:
            if p in root_pids:
                total += ticks[pid]
                break
            p, hops = parents.get(p, 0), hops + 1
    return total


# --- wrk ------------------------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
UNIT_B = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def parse_wrk(out):
    def dur(text):
        m = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
        return float(m.group(1)) * UNIT_MS[m.group(2)] if m else None
    r = {"p50_ms": None, "p99_ms": None, "requests": 0, "rps": None, "errors": 0, "non2xx": 0, "bytes": 0}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"(50|99)(?:\.000)?%\s+(\S+)$", line)
        if m:
            r["p%s_ms" % m.group(1)] = dur(m.group(2))
        m = re.match(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", line)
        if m:
            r["requests"] = int(m.group(1))
            r["bytes"] = float(m.group(4)) * UNIT_B.get(m.group(5), 1)
        m = re.match(r"Requests/sec:\s+([\d.]+)", line)
        if m:
            r["rps"] = float(m.group(1))
        m = re.match(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", line)
        if m:
            r["errors"] = sum(int(x) for x in m.groups())
        m = re.match(r"Non-2xx or 3xx responses: (\d+)", line)
        if m:
            r["non2xx"] = int(m.group(1))
    return r


def wrk(url, seconds, connections, extra=(), script_args=(), limit=None):
    """Runs wrk on CPU 0 (one thread) and returns its stdout; bounded by --duration and a hard timeout."""
    cmd = ["taskset", "-c", "0", "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s"]
    cmd += list(extra) + [url]
    if script_args:
        cmd += ["--"] + [str(a) for a in script_args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit or seconds + 30)
    except subprocess.TimeoutExpired:
        raise SetupError("wrk did not finish within its time limit: %s" % " ".join(cmd))
    if p.returncode != 0:
        raise SetupError("wrk failed (exit %d): %s %s" % (p.returncode, p.stdout[-500:], p.stderr[-500:]))
    return p.stdout


# --- figures --------------------------------------------------------------------------------------

def pct(values, p):
    """Nearest-rank percentile; None when empty."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def f(v, fmt="%.1f", none="-"):
    return none if v is None else fmt % v


def size_label(n):
    return "%dk" % round(n / 1024) if n >= 1024 else "%dB" % n


class Bench:
    def __init__(self, args):
        self.a = args
        self.problems = []
        self.data = {}
        if os.path.exists(args.results):
            with open(args.results) as fh:
                self.data = json.load(fh)
        self.data.setdefault("problems", [])

    def problem(self, text):
        print("  PROBLEM: " + text, flush=True)
        self.data["problems"].append(text)

    def save(self):
        tmp = self.a.results + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(self.data, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.a.results)

    def pids(self, server):
        return {self.a.gencache_pid} if server == "gencache" else {self.a.nginx_pid}

    def base(self, server):
        return self.a.gencache if server == "gencache" else self.a.nginx

    def alive(self, server):
        for pid in self.pids(server):
            if proc_stat(pid) is None:
                raise SetupError("%s (PID %d) is gone" % (server, pid))

    # --- phase 1: hits ----------------------------------------------------------------------------

    def hit(self):
        a = self.a
        out = self.data.setdefault("hit", {})
        print("=== hits: wrk -t1 -c%d -d%ds --latency, %d alternating run(s) per server after a warm-up of %d-%d runs of %d s"
              " (first time; then 2-%d), until req/s settle and the JIT used at most %.1f%% of the last runs"
              % (a.connections, a.seconds, a.runs, a.warmup_min_runs, a.warmup_max_runs, a.warmup,
                 a.warmup_max_runs, 100 * a.jit_quiet), flush=True)
        for size in [int(x) for x in a.sizes.split(",")]:
            label = size_label(size)
            origin_mode(a.origin, size_bytes=size)
            prompt = urllib.parse.quote("hit %s %s" % (a.tag, label))
            paths = {"gencache": "/v1/images/generations?prompt=%s&size=256x256&seed=1" % prompt,
                     "nginx": "/generate?prompt=%s&w=256&h=256&seed=1" % prompt}
            digests = {}
            for s in SERVERS:
                for i in (1, 2):
                    status, headers, body = request(self.base(s), "GET", paths[s], timeout=60)
                    if status != 200:
                        raise SetupError("%s priming GET %s answered %d: %s" % (s, paths[s], status, body[:300]))
                if headers.get("x-cache") != "HIT":
                    self.problem("%s: the second request for the %s image was %s, not HIT"
                                 % (s, label, headers.get("x-cache")))
                digests[s] = (len(body), hashlib.sha256(body).hexdigest()[:16])
            same = digests["gencache"] == digests["nginx"]
            print("--- %s image: %d bytes (sha256 %s) from gencache, %d bytes (%s) from nginx%s"
                  % (label, digests["gencache"][0], digests["gencache"][1], digests["nginx"][0],
                     digests["nginx"][1], "" if same else "  DIFFERENT BYTES"), flush=True)
            if not same:
                self.problem("gencache and nginx serve different bytes for the %s image" % label)
            for s in SERVERS:
                self.warm_up(s, self.base(s) + paths[s])
            runs = {s: [] for s in SERVERS}
            for i in range(a.runs):
                for s in SERVERS:
                    self.alive(s)
                    t0 = cpu_ticks(self.pids(s))
                    r = parse_wrk(wrk(self.base(s) + paths[s], a.seconds, a.connections, ["--latency"]))
                    t1 = cpu_ticks(self.pids(s))
                    r["cpu_s"] = (t1 - t0) / CLK_TCK
                    r["cpu_us_per_req"] = (r["cpu_s"] * 1e6 / r["requests"]) if r["requests"] else None
                    r["bytes_per_resp"] = r["bytes"] / r["requests"] if r["requests"] else None
                    runs[s].append(r)
                    print("  run %d %-8s %9s req/s  p50 %7s ms  p99 %7s ms  cpu %6s us/req (%.2f s CPU)  %s B/resp%s"
                          % (i + 1, s, f(r["rps"], "%.0f"), f(r["p50_ms"], "%.2f"), f(r["p99_ms"], "%.2f"),
                             f(r["cpu_us_per_req"], "%.1f"), r["cpu_s"], f(r["bytes_per_resp"], "%.0f"),
                             "  errors %d non-2xx %d" % (r["errors"], r["non2xx"]) if r["errors"] or r["non2xx"] else ""),
                          flush=True)
                    if r["non2xx"] or r["errors"] or not r["requests"]:
                        self.problem("%s %s run %d: %d non-2xx, %d socket errors, %d requests"
                                     % (s, label, i + 1, r["non2xx"], r["errors"], r["requests"]))
            summary = {}
            for s in SERVERS:
                summary[s] = {k: median([r[k] for r in runs[s]]) for k in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req")}
                rps = [r["rps"] for r in runs[s] if r["rps"] is not None]
                summary[s]["rps_min"], summary[s]["rps_max"] = (min(rps), max(rps)) if rps else (None, None)
                summary[s]["runs"] = runs[s]
                print("  median %-8s %9s req/s (%s..%s)  p50 %7s ms  p99 %7s ms  cpu %6s us/req"
                      % (s, f(summary[s]["rps"], "%.0f"), f(summary[s]["rps_min"], "%.0f"), f(summary[s]["rps_max"], "%.0f"),
                         f(summary[s]["p50_ms"], "%.2f"), f(summary[s]["p99_ms"], "%.2f"),
                         f(summary[s]["cpu_us_per_req"], "%.1f")), flush=True)
            out[label] = summary
        self.save()

    def warm_up(self, server, url, connections=64, until_jit_quiet=True):
        """--warmup s wrk runs until the server has settled, at most --warmup-max-runs. Settled: at least
        --warmup-min-runs (a process's first warm-up; later ones, the next image size, 2), the last two
        agree within 10% in req/s, and (until_jit_quiet) the JVM's JIT compiler threads used at most
        --jit-quiet of the CPU time of the last runs (6 on a first warm-up, else 2). Pinned to one CPU,
        the JIT shares the event loop's core: here it kept compiling for 2-4 minutes of load (rarely
        taken branches, deoptimisations, background tasks' code), taking the core in 4 ms scheduler
        ticks, and the runs measured during that time had 1.5-2.5x the p99 of a settled node. nginx has no
        JIT, so for it only the req/s rule applies."""
        a = self.a
        seen, jit_ms, p99 = [], [], []
        pid = min(self.pids(server))
        first = pid not in self.data.setdefault("warmed_pids", [])
        min_runs = a.warmup_min_runs if first else 2
        window = 6 if first else 2

        def rps_settled():
            return len(seen) >= 2 and abs(seen[-1] - seen[-2]) <= 0.1 * max(seen[-1], seen[-2])

        def jit_share():
            last = jit_ms[-window:]
            return sum(last) / (1000.0 * a.warmup * len(last)) if last else 0.0

        def settled():
            return (len(seen) >= min_runs and rps_settled()
                    and (not until_jit_quiet or len(jit_ms) >= window and jit_share() <= a.jit_quiet))

        for _ in range(max(a.warmup_max_runs, min_runs)):
            self.alive(server)
            before = jit_ticks(pid)
            r = parse_wrk(wrk(url, a.warmup, connections, ["--latency"]))
            jit_ms.append((jit_ticks(pid) - before) * 1000.0 / CLK_TCK)
            seen.append(r["rps"] or 0)
            p99.append(r["p99_ms"])
            if settled():
                break
        if first:
            self.data["warmed_pids"].append(pid)
        jit = until_jit_quiet and any(jit_ms)
        print("  warm-up %-8s %d x %d s%s: req/s %s%s%s" % (
            server, len(seen), a.warmup,
            " (JIT %.1f%% of the last %d s)" % (100 * jit_share(), a.warmup * min(window, len(jit_ms))) if jit else "",
            " ".join("%.0f" % x for x in seen),
            "; JIT ms %s" % " ".join("%.0f" % x for x in jit_ms) if jit else "",
            "; p99 ms %s" % " ".join(f(x, "%.1f") for x in p99)), flush=True)
        if not settled():
            print("  warm-up %-8s not settled after %d runs" % (server, len(seen)), flush=True)
        self.data.setdefault("warmup", {}).setdefault(server, []).append(
            {"rps": seen, "jit_ms": jit_ms, "p99_ms": p99, "settled": settled()})

    # --- phase 2: cold burst ----------------------------------------------------------------------

    def fire(self, base, path, n):
        """n connections, then n identical GETs written back to back and the answers read as they come,
        by scripts/bench/burst_client.c (one thread, epoll): [(status, x-cache, start, end)], times in
        seconds of CLOCK_MONOTONIC (now(), the origin's last_done_monotonic). Python clients (a thread per
        request, or one thread with selectors) took ~65 ms to read 200 answers of 100 KB here whatever
        the server, where nginx writes them in ~10 ms: they measured themselves."""
        u = urllib.parse.urlsplit(base)
        try:
            out = subprocess.run([self.a.burst_client, str(u.port), path, str(n), "50", "90"],
                                 capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise SetupError("burst: the client did not finish within 120 s")
        if out.returncode not in (0, 1):
            raise SetupError("burst: the client failed (%d): %s" % (out.returncode, out.stderr.strip()))
        results = [None] * n
        for line in out.stdout.splitlines():
            i, status, cache, start, end = line.split()
            results[int(i)] = (int(status), cache, float(start), float(end))
        if any(r is None for r in results):
            raise SetupError("burst: the client reported %d of %d answers" % (sum(1 for r in results if r), n))
        return results

    def burst(self):
        """The cold burst for each of --sizes: the waiters' answers include the transmission of every
        earlier answer on the server's one core, so a small image shows how soon a waiter is woken and
        a large one how long the answers take to write (the floor, a burst of hits, says how long)."""
        a = self.a
        sizes = [int(x) for x in a.sizes.split(",")]
        self.data["burst"] = {}
        if a.generation_warmup > 0:
            self.generation_warm_up(GENERATION_WARMUP_BYTES, a.generation_warmup)
        for size in sizes:
            if a.generation_warmup > 0:
                self.generation_warm_up(size, max(1, a.generation_warmup // 10))
            self.burst_size(size)

    def generation_warm_up(self, size, n):
        """n generations of distinct prompts (origin delay 0), uncounted, so that the node's generation
        path (generator call, hashing, the two stores, the finish announcement, the dispatch) is
        compiled as on a node that has generated thousands of images. A burst runs that path once:
        after a hundred warm-up bursts it still ran in the interpreter, and the MISS left 3.4-6 ms
        after the origin's last byte (README). Driven by wrk with zipf.lua over 10^6 prompts, s = 0."""
        a = self.a
        self.alive("gencache")
        origin_mode(a.origin, delay_ms=0, size_bytes=size)
        fmt = "/v1/images/generations?prompt=genwarm-%s-%s-%%d&size=256x256&seed=1" % (a.tag, size_label(size))
        g0 = origin_generations(a.origin)
        before = jit_ticks(a.gencache_pid)
        t0 = now()
        text = wrk(self.base("gencache") + "/", 120, 8, ["-s", a.lua], [1000000, 0, n, int(t0 * 1000) % 100000, fmt],
                   limit=180)
        wall = now() - t0
        # wrk stops at n answers with requests of its other connections still in flight: let their
        # generations finish here, or they would count as origin calls of the first burst.
        gens, deadline = origin_generations(a.origin) - g0, now() + 5
        while now() < deadline:
            time.sleep(0.2)
            settled = origin_generations(a.origin) - g0
            if settled == gens:
                break
            gens = settled
        jit_ms = (jit_ticks(a.gencache_pid) - before) * 1000.0 / CLK_TCK
        print("  warm-up  generations, %s images: %d in %.1f s (%.0f a second), JIT %.0f ms"
              % (size_label(size), gens, wall, gens / wall if wall else 0, jit_ms), flush=True)
        if gens < n * 0.9:
            self.problem("generation warm-up: %d origin calls for %d requests of distinct prompts" % (gens, n))
        self.data.setdefault("warmup", {}).setdefault("generations", []).append(
            {"size": size, "generations": gens, "seconds": wall, "jit_ms": jit_ms})

    def burst_size(self, size):
        a = self.a
        label = size_label(size)
        origin_mode(a.origin, delay_ms=a.delay_ms, size_bytes=size)
        print("=== cold burst, %s images: %d identical requests on new connections, written back to back, origin delay %d ms, "
              "%d round(s) after %d-%d uncounted gencache warm-up rounds (until its JIT used at most %g ms a round over %d rounds)"
              % (label, a.burst, a.delay_ms, a.rounds, a.warmup_rounds,
                 max(a.warmup_rounds, a.warmup_max_rounds), a.warmup_jit_ms, BURST_JIT_WINDOW), flush=True)
        rounds = {s: [] for s in SERVERS}
        rounds["gencache_warmup"] = self.burst_warm_up(label)
        for i in range(a.rounds):
            for s in SERVERS:
                rounds[s].append(self.burst_round(s, label, "round %d" % (i + 1)))
        out = {}
        for s in SERVERS:
            keys = ["origin_calls", "first_ms", "p50_ms", "p99_ms", "waiter_p50_ms", "waiter_p99_ms",
                    "after_gen_within_5ms", "after_gen_p50_ms", "after_gen_p99_ms", "after_gen_max_ms"]
            if s == "gencache":
                keys += ["server_within_5ms", "server_waiter_p50_ms", "server_waiter_p99_ms", "server_waiter_mean_ms"]
            out[s] = {k: median([r[k] for r in rounds[s]]) for k in keys}
            out[s]["rounds"] = rounds[s]
            print("  median %-8s origin calls %s  first answer %s ms  latency p50 %s / p99 %s ms  waiters p50 %s / p99 %s ms"
                  "  after the generation: within 5 ms %s, p50 %s / p99 %s / max %s ms%s"
                  % (s, f(out[s]["origin_calls"], "%g"), f(out[s]["first_ms"]), f(out[s]["p50_ms"]), f(out[s]["p99_ms"]),
                     f(out[s]["waiter_p50_ms"]), f(out[s]["waiter_p99_ms"]), f(out[s]["after_gen_within_5ms"], "%.0f%%"),
                     f(out[s]["after_gen_p50_ms"]), f(out[s]["after_gen_p99_ms"]), f(out[s]["after_gen_max_ms"]),
                     "" if s != "gencache" else "  server-side: within 5 ms %s, p50 %s / p99 %s ms"
                     % (f(out[s]["server_within_5ms"], "%.0f%%"), f(out[s]["server_waiter_p50_ms"]),
                        f(out[s]["server_waiter_p99_ms"]))), flush=True)
        out["gencache_warmup_rounds"] = rounds["gencache_warmup"]
        out["hit_burst"] = self.hit_burst(label)
        out["n"] = a.burst
        out["image_bytes"] = size
        self.data["burst"][label] = out
        self.save()

    def burst_warm_up(self, size_name):
        """gencache bursts, uncounted, until its JIT has compiled the waiters' answer path: at least
        --warmup-rounds, then until the JIT compiler threads used at most --warmup-jit-ms CPU a round
        over the last BURST_JIT_WINDOW rounds, at most --warmup-max-rounds. The hit warm-up does not
        cover that path (routing, the future chain, the single-flight): on a node that had served hits
        for minutes, C2 still took 96-147 ms of the core in each of the first 20 rounds, and the share
        of waiters answered within 5 ms rose from 34-56% to 70-85% as it went quiet (README). Printed
        ten rounds to a line; nginx has no JIT."""
        a = self.a
        pid = self.a.gencache_pid
        most = max(a.warmup_rounds, a.warmup_max_rounds)
        done, group = [], []

        def quiet():
            last = done[-BURST_JIT_WINDOW:]
            return (a.warmup_jit_ms <= 0 or len(last) == BURST_JIT_WINDOW
                    and sum(r["jit_ms"] for r in last) <= a.warmup_jit_ms * BURST_JIT_WINDOW)

        def settled():
            return len(done) >= a.warmup_rounds and quiet()

        while len(done) < most and not settled():
            before = jit_ticks(pid)
            rr = self.burst_round("gencache", size_name, "warm-up %d" % (len(done) + 1), quiet=True)
            rr["jit_ms"] = (jit_ticks(pid) - before) * 1000.0 / CLK_TCK
            done.append(rr)
            group.append(rr)
            if len(group) == 10 or len(done) == most or settled():
                print("  warm-up  rounds %d-%d gencache: within 5 ms %s, mean lag %s ms, latency p99 %s ms (medians); "
                      "JIT %s ms a round (mean)"
                      % (len(done) - len(group) + 1, len(done), f(median([r["server_within_5ms"] for r in group]), "%.0f%%"),
                         f(median([r["server_waiter_mean_ms"] for r in group])), f(median([r["p99_ms"] for r in group])),
                         f(sum(r["jit_ms"] for r in group) / len(group), "%.0f")), flush=True)
                group = []
        if not settled():
            print("  warm-up  gencache not quiet after %d rounds" % len(done), flush=True)
        self.data.setdefault("warmup", {})["burst " + size_name] = {"rounds": len(done), "settled": settled()}
        return done

    def burst_path(self, s, size_name, label):
        prompt = urllib.parse.quote("burst %s %s %s %s" % (self.a.tag, size_name, s, label))
        return ("/v1/images/generations?prompt=%s&size=256x256&seed=1" % prompt if s == "gencache"
                else "/generate?prompt=%s&w=256&h=256&seed=1" % prompt)

    def hit_burst(self, size_name, warmup=30, runs=5):
        """The floor the waiters' figures compare with: the same burst of requests for an image both
        servers have cached (round 1's), so no one waits for a generation. Times from the first request
        written to the median and the last answer read; gencache first gets uncounted warm-up runs
        (new connections' first requests are a path the wrk hit runs do not compile)."""
        a = self.a
        out = {s: [] for s in SERVERS}

        def once(s):
            res = self.fire(self.base(s), self.burst_path(s, size_name, "round 1"), a.burst)
            ok = [r for r in res if r[0] == 200]
            if len(ok) != a.burst or any(r[1] != "HIT" for r in ok):
                self.problem("%s hit burst %s: %d of %d answers were 200 HIT" % (s, size_name, sum(1 for r in ok if r[1] == "HIT"), a.burst))
            t0 = min((r[2] for r in ok), default=0.0)
            ends = sorted((r[3] - t0) * 1000 for r in ok)
            return {"p50_ms": pct(ends, 50), "last_ms": ends[-1] if ends else None}

        for _ in range(warmup):
            once("gencache")
        for _ in range(runs):
            for s in SERVERS:
                out[s].append(once(s))
        summary = {}
        for s in SERVERS:
            summary[s] = {k: median([r[k] for r in out[s]]) for k in ("p50_ms", "last_ms")}
            summary[s]["runs"] = out[s]
            print("  hit burst %-8s the same %d requests for a cached image: answers p50 %s / last %s ms after the first"
                  " request (median of %d runs; each: %s)"
                  % (s, a.burst, f(summary[s]["p50_ms"]), f(summary[s]["last_ms"]), runs,
                     " ".join("%s/%s" % (f(r["p50_ms"]), f(r["last_ms"])) for r in out[s])), flush=True)
        return summary

    def burst_round(self, s, size_name, label, quiet=False):
        """One burst against server s for a new prompt; its figures (printed unless quiet)."""
        a = self.a
        self.alive(s)
        path = self.burst_path(s, size_name, label)
        m0 = metrics(a.gencache) if s == "gencache" else None
        g0 = origin_generations(a.origin)
        res = self.fire(self.base(s), path, a.burst)
        time.sleep(0.2)  # a generation the answers did not wait for would show up here
        origin_stats = get_json(a.origin, "/stats")
        g1 = origin_stats["generations"]
        ok = [r for r in res if r[0] == 200]
        ends = sorted(r[3] for r in ok)
        lat = [(r[3] - r[2]) * 1000 for r in ok]
        lags = [(e - ends[0]) * 1000 for e in ends[1:]]
        cache = {}
        for r in res:
            key = r[1] if r[0] == 200 else "HTTP %d" % r[0] if r[0] > 0 else "error " + r[1]
            cache[key] = cache.get(key, 0) + 1
        starts = [r[2] for r in ok]
        rr = {"origin_calls": g1 - g0, "ok": len(ok), "answers": cache,
              "first_ms": (ends[0] - min(starts)) * 1000 if ok else None,
              "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None,
              "waiter_p50_ms": pct(lags, 50), "waiter_p99_ms": pct(lags, 99)}
        # The measure: each waiter's answer (all but the request that generated, MISS) after
        # the generation completed, i.e. after the origin wrote its answer's last byte (its
        # last_done_monotonic; same clock as now()). Client-side, so it includes the node's work after
        # the generation (hashing, the first-level file, the two stores) and this client's reading.
        done = origin_stats.get("last_done_monotonic")
        after = sorted((r[3] - done) * 1000 for r in ok if r[1] != "MISS") if done and g1 - g0 == 1 else []
        miss = [r[3] for r in ok if r[1] == "MISS"]
        rr.update({"origin_done": done, "miss_end": miss[0] if miss else None})
        rr.update({"after_gen_p50_ms": pct(after, 50), "after_gen_p99_ms": pct(after, 99),
                   "after_gen_max_ms": after[-1] if after else None,
                   "after_gen_within_5ms": 100.0 * sum(1 for x in after if x <= 5.0) / len(after) if after else None})
        server = ""
        if s == "gencache":
            # The node's own measure, free of this client's thread scheduling: from the result being
            # there to each waiter's answer written (gencache_waiter_lag_seconds, a histogram), the
            # difference of the scrapes before and after this round.
            rr.update(lag_histogram_delta(m0, metrics(a.gencache), "gencache_waiter_lag_seconds"))
            server = ("  server-side waiters (%s): within 5 ms %s, p50 %s / p99 %s ms (bucket-interpolated), mean %s ms"
                      % (f(rr["server_waiters"], "%d"), f(rr["server_within_5ms"], "%.0f%%"),
                         f(rr["server_waiter_p50_ms"]), f(rr["server_waiter_p99_ms"]), f(rr["server_waiter_mean_ms"])))
        if not quiet:
            print("  %-10s %-8s origin calls %d  answers %s  first answer %s ms  latency p50 %s / p99 %s ms  "
                  "waiters after the first: p50 %s / p99 %s ms  after the generation: within 5 ms %s, p50 %s / p99 %s"
                  " / max %s ms%s"
                  % (label, s, rr["origin_calls"], " ".join("%s=%d" % kv for kv in sorted(cache.items())),
                     f(rr["first_ms"]), f(rr["p50_ms"]), f(rr["p99_ms"]), f(rr["waiter_p50_ms"]), f(rr["waiter_p99_ms"]),
                     f(rr["after_gen_within_5ms"], "%.0f%%"), f(rr["after_gen_p50_ms"]), f(rr["after_gen_p99_ms"]),
                     f(rr["after_gen_max_ms"]), server), flush=True)
        if len(ok) != a.burst:
            self.problem("%s burst %s %s: %d of %d answers were 200" % (s, size_name, label, len(ok), a.burst))
        if s == "gencache" and rr["origin_calls"] != 1:
            self.problem("gencache burst %s %s: %d origin calls for %d identical requests (expected 1)"
                         % (size_name, label, rr["origin_calls"], a.burst))
        return rr

    # --- phase 3: Zipf ----------------------------------------------------------------------------

    def zipf(self):
        a = self.a
        origin_mode(a.origin, delay_ms=a.delay_ms, size_bytes=a.image_bytes)
        working_mb = a.prompts * a.image_bytes / 2 ** 20
        print("=== Zipf: %d requests over %d prompts (s = %s), %s images (working set %.0f MB), budget %d MB, "
              "origin delay %d ms, wrk -t1 -c%d"
              % (a.requests, a.prompts, a.zipf_s, size_label(a.image_bytes), working_mb, a.budget_mb,
                 a.delay_ms, a.connections), flush=True)
        fmt = {"gencache": "/v1/images/generations?prompt=zipf-%s-%%d&size=256x256&seed=1" % a.tag,
               "nginx": "/zipf/generate?prompt=zipf-%s-%%d&w=256&h=256&seed=1" % a.tag}
        out = {"budget_mb": a.budget_mb, "cluster_mb": a.cluster_mb, "working_set_mb": working_mb,
               "requests": a.requests, "prompts": a.prompts, "s": a.zipf_s}
        # The node is fresh (restarted with the small budget): warm its hit path up like in the hit phase,
        # on one prompt outside the Zipf set, so the figures below are not those of a cold JVM.
        warm = {"gencache": "/v1/images/generations?prompt=zipf-%s-warm&size=256x256&seed=1" % a.tag,
                "nginx": "/zipf/generate?prompt=zipf-%s-warm&w=256&h=256&seed=1" % a.tag}
        for s in SERVERS:
            request(self.base(s), "GET", warm[s], timeout=60)
            # Only the hit ratio is measured here, so the JIT need not be quiet.
            self.warm_up(s, self.base(s) + warm[s], until_jit_quiet=False)
        # The node's heap before the Zipf load, to set its growth against the images it then holds.
        heap_before_mb = self.heap_after_gc(a.gencache, a.gencache_pid)
        for s in SERVERS:
            self.alive(s)
            sampler = CacheSizeSampler((lambda: cluster_bytes(a.gencache)) if s == "gencache"
                                       else (lambda: dir_bytes(a.nginx_cache_dir) if a.nginx_cache_dir else 0))
            m0 = metrics(a.gencache) if s == "gencache" else None
            g0 = origin_generations(a.origin)
            c0 = cpu_ticks(self.pids(s))
            t0 = now()
            text = wrk(self.base(s) + "/", a.max_seconds, a.connections, ["-s", a.lua],
                       [a.prompts, a.zipf_s, a.requests, 20260101, fmt[s]], limit=a.max_seconds + 60)
            wall = now() - t0
            c1 = cpu_ticks(self.pids(s))
            peak = sampler.stop()
            time.sleep(0.3)
            g1 = origin_generations(a.origin)
            m = re.search(r"^ZIPF (.*)$", text, re.M)
            if not m:
                raise SetupError("zipf.lua printed no ZIPF line:\n" + text)
            z = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}
            w = parse_wrk(text)
            gens = g1 - g0
            r = {"answers": z, "origin_calls": gens, "seconds": wall, "rps": w["rps"],
                 "hit_ratio": 1 - gens / z["ok"] if z["ok"] else None,
                 "ideal_hit_ratio": 1 - z["distinct"] / z["sent"] if z["sent"] else None,
                 "xcache_hit_ratio": (z["hit"] + z["coalesced"] + z["stale"]) / z["ok"] if z["ok"] else None,
                 "cpu_us_per_req": (c1 - c0) / CLK_TCK * 1e6 / z["responses"] if z["responses"] else None,
                 "peak_cache_mb": peak / 2 ** 20}
            print("  %-8s %d answers (%d x 200) in %.1f s; origin calls %d -> hit ratio %s; X-Cache HIT %d MISS %d "
                  "COALESCED %d STALE/UPDATING %d other %d -> %s; cpu %s us/req"
                  % (s, z["responses"], z["ok"], wall, gens, f(r["hit_ratio"], "%.3f"), z["hit"], z["miss"],
                     z["coalesced"], z["stale"], z["other"], f(r["xcache_hit_ratio"], "%.3f"),
                     f(r["cpu_us_per_req"], "%.0f")), flush=True)
            if z["ok"] < a.requests or z["ok"] != z["responses"]:
                self.problem("%s Zipf: %d answers of %d were 200 (%d wanted)" % (s, z["ok"], z["responses"], a.requests))
            if s == "gencache":
                m1 = metrics(a.gencache)
                r["gencache_requests"] = {res: metric_sum(m1, "gencache_requests_total", result=res)
                                          - metric_sum(m0, "gencache_requests_total", result=res)
                                          for res in ("hit", "miss", "coalesced", "stale", "bypass", "error")}
                members = get_json(a.gencache, "/v1/cluster")["members"]
                r["map"] = {k: sum(mm.get(k) or 0 for mm in members) for k in ("bytes", "entries", "images")}
                r["heap_mb"] = metric_sum(m1, "jvm_memory_used_bytes", area="heap") / 2 ** 20
                r["heap_after_gc_mb"] = self.heap_after_gc(a.gencache, a.gencache_pid)
                r["heap_before_mb"] = heap_before_mb
                # The node's near-cache copies of the map's images, as counted against cache.near-cache-mb.
                r["near_cache"] = {"mb": metric_sum(m1, "gencache_near_cache_bytes") / 2 ** 20,
                                   "images": metric_sum(m1, "gencache_near_cache_images")}
                # The first level has its own budget (cache.l1-mb): files in the page cache, small images in direct memory.
                r["l1"] = {"mb": metric_sum(m1, "gencache_l1_bytes") / 2 ** 20,
                           "images": metric_sum(m1, "gencache_l1_images"), "files": metric_sum(m1, "gencache_l1_files"),
                           "direct_mb": metric_sum(m1, "jvm_buffer_memory_used_bytes", id="direct") / 2 ** 20}
                print("  gencache  first level (own budget, cache.l1-mb): %.1f MB in %d images, %d of them page-cache "
                      "files; JVM direct buffers %.1f MB" % (r["l1"]["mb"], r["l1"]["images"], r["l1"]["files"],
                                                             r["l1"]["direct_mb"]), flush=True)
                print("  gencache  /metrics requests %s; map: %d entries, %d images, %.1f MB (budget %d MB per member%s); "
                      "peak during the run %.1f MB; heap used %.0f MB, after four full GCs %s MB (%s MB before the load)"
                      % (" ".join("%s=%d" % (k, v) for k, v in r["gencache_requests"].items() if v),
                         r["map"]["entries"], r["map"]["images"], r["map"]["bytes"] / 2 ** 20, a.budget_mb,
                         ", cluster %d MB" % a.cluster_mb if a.cluster_mb else "",
                         r["peak_cache_mb"], r["heap_mb"], f(r["heap_after_gc_mb"], "%.0f"),
                         f(heap_before_mb, "%.0f")), flush=True)
                print("  gencache  near-cache copies (cache.near-cache-mb, the map's budget by default): %.1f MB in %d "
                      "images" % (r["near_cache"]["mb"], r["near_cache"]["images"]), flush=True)
                if r["l1"]["mb"] > a.budget_mb * 1.1:  # bench.sh gives the first level the same budget
                    self.problem("gencache's first level held %.1f MB, over its %d MB budget (+10%%)"
                                 % (r["l1"]["mb"], a.budget_mb))
                if max(r["map"]["bytes"], peak) > a.budget_mb * 2 ** 20 * 1.1:
                    self.problem("gencache's image map held up to %.1f MB, over its %d MB budget (+10%%)"
                                 % (max(r["map"]["bytes"], peak) / 2 ** 20, a.budget_mb))
            else:
                r["cache_dir_mb"] = dir_bytes(a.nginx_cache_dir) / 2 ** 20 if a.nginx_cache_dir else None
                if r["cache_dir_mb"] is not None:
                    print("  nginx     cache directory %.1f MB at the end, peak during the run %.1f MB (max_size %d MB; "
                          "nginx's cache manager evicts in the background)" % (r["cache_dir_mb"], r["peak_cache_mb"], a.budget_mb),
                          flush=True)
            print("  %-8s ideal hit ratio for these requests with an unbounded cache: %s (%d distinct prompts)"
                  % (s, f(r["ideal_hit_ratio"], "%.3f"), z["distinct"]), flush=True)
            out[s] = r
        self.data["zipf"] = out
        self.save()

    @staticmethod
    def heap_after_gc(base, pid):
        """Heap in use after four `jcmd PID GC.run` (full GCs), from /metrics; None when jcmd is unavailable.
        One is not enough: Serial GC's full collection may leave dead objects in place, up to
        MarkSweepDeadRatio (5%) of the old generation (35 MB of a 1 GB heap's), and compacts them all
        only every MarkSweepAlwaysCompactCount-th (4th) time. After the Zipf load two full GCs read 110 MB,
        35.9 MB of it such dead space (int[] fillers in a live histogram): 75 MB was live."""
        for _ in range(4):
            try:
                p = subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                return None
            if p.returncode != 0:
                return None
            time.sleep(0.5)
        return metric_sum(metrics(base), "jvm_memory_used_bytes", area="heap") / 2 ** 20

    # --- report -----------------------------------------------------------------------------------

    def report(self):
        d = self.data
        rows = []
        notes = []
        hit = d.get("hit", {})
        for label, v in hit.items():
            g, n = v["gencache"], v["nginx"]
            rows.append(("hit %s req/s (median)" % label, f(g["rps"], "%.0f"), f(n["rps"], "%.0f"), ratio(g["rps"], n["rps"])))
            rows.append(("hit %s p50 ms" % label, f(g["p50_ms"], "%.2f"), f(n["p50_ms"], "%.2f"), ratio(g["p50_ms"], n["p50_ms"])))
            rows.append(("hit %s p99 ms" % label, f(g["p99_ms"], "%.2f"), f(n["p99_ms"], "%.2f"), ratio(g["p99_ms"], n["p99_ms"])))
            rows.append(("hit %s CPU us/request" % label, f(g["cpu_us_per_req"]), f(n["cpu_us_per_req"]),
                         ratio(g["cpu_us_per_req"], n["cpu_us_per_req"])))
        bursts = d.get("burst") or {}
        for label, b in bursts.items():
            g, n = b["gencache"], b["nginx"]
            rows.append(("burst %s origin calls" % label, f(g["origin_calls"], "%g"), f(n["origin_calls"], "%g"), None))
            for k, name in (("first_ms", "first answer ms"), ("p50_ms", "latency p50 ms"), ("p99_ms", "latency p99 ms"),
                            ("waiter_p50_ms", "waiter lag p50 ms"), ("waiter_p99_ms", "waiter lag p99 ms"),
                            ("after_gen_p50_ms", "after generation p50 ms"),
                            ("after_gen_p99_ms", "after generation p99 ms")):
                rows.append(("burst %s %s" % (label, name), f(g[k]), f(n[k]), ratio(g[k], n[k])))
            rows.append(("burst %s after gen. within 5 ms" % label, f(g.get("after_gen_within_5ms"), "%.0f%%"),
                         f(n.get("after_gen_within_5ms"), "%.0f%%"), None))
            hb = b.get("hit_burst")
            if hb:
                for k, name in (("p50_ms", "hits: answers p50 ms"), ("last_ms", "hits: last answer ms")):
                    rows.append(("burst %s %s" % (label, name), f(hb["gencache"][k]), f(hb["nginx"][k]),
                                 ratio(hb["gencache"][k], hb["nginx"][k])))
            rows.append(("burst %s node: within 5 ms" % label, f(g.get("server_within_5ms"), "%.0f%%"), "-", None))
            rows.append(("burst %s node: lag p50/p99 ms" % label,
                         "%s / %s" % (f(g.get("server_waiter_p50_ms")), f(g.get("server_waiter_p99_ms"))), "-", None))
        z = d.get("zipf")
        if z:
            g, n = z["gencache"], z["nginx"]
            rows.append(("zipf hit ratio (origin calls)", f(g["hit_ratio"], "%.3f"), f(n["hit_ratio"], "%.3f"),
                         ratio(g["hit_ratio"], n["hit_ratio"])))
            rows.append(("zipf hit ratio (X-Cache)", f(g["xcache_hit_ratio"], "%.3f"), f(n["xcache_hit_ratio"], "%.3f"), None))
            rows.append(("zipf origin calls", "%d" % g["origin_calls"], "%d" % n["origin_calls"], None))
            rows.append(("zipf cache MB at end (budget %d)" % z["budget_mb"], f(g["map"]["bytes"] / 2 ** 20),
                         f(n.get("cache_dir_mb")), None))
            rows.append(("zipf cache MB peak (sampled 1/s)", f(g["peak_cache_mb"]), f(n["peak_cache_mb"]), None))
            if n.get("peak_cache_mb") and max(n["peak_cache_mb"], n.get("cache_dir_mb") or 0) > 1.1 * z["budget_mb"]:
                notes.append("nginx's Zipf cache grew to %.0f MB against max_size %d MB: its cache manager had not "
                             "woken up to evict, so its hit ratio is that of a cache larger than the budget "
                             "(see --nginx-zipf-inactive)" % (max(n["peak_cache_mb"], n.get("cache_dir_mb") or 0), z["budget_mb"]))
            rows.append(("zipf CPU us/request", f(g["cpu_us_per_req"], "%.0f"), f(n["cpu_us_per_req"], "%.0f"),
                         ratio(g["cpu_us_per_req"], n["cpu_us_per_req"])))
        print("=== summary (ratio = gencache / nginx; differences under ~20% are noise here)")
        print("  %-34s %12s %12s %8s" % ("", "gencache", "nginx", "ratio"))
        for name, gv, nv, rt in rows:
            print("  %-34s %12s %12s %8s" % (name, gv, nv, f(rt, "%.2f")))
        for note in notes:
            print("NOTE: " + note)
        for p in d.get("problems", []):
            print("PROBLEM: " + p)

        def hr(label, key):
            v = hit.get(label)
            return f(ratio(v["gencache"][key], v["nginx"][key]) if v else None, "%.2f")
        parts = []
        for label in hit:
            parts.append("%s req/s %s, p99 %s, cpu/req %s" % ("hit" + label, hr(label, "rps"), hr(label, "p99_ms"),
                                                              hr(label, "cpu_us_per_req")))
        for label, b in bursts.items():
            g, n = b["gencache"], b["nginx"]
            parts.append("burst%s origin calls %s vs %s, waiters after the generation p50 %s vs %s ms (%s vs %s within 5 ms), "
                         "waiter p50 %s vs %s ms (gencache server-side p50 %s ms, %s within 5 ms)"
                         % (label, f(g["origin_calls"], "%g"), f(n["origin_calls"], "%g"),
                            f(g["after_gen_p50_ms"]), f(n["after_gen_p50_ms"]),
                            f(g["after_gen_within_5ms"], "%.0f%%"), f(n["after_gen_within_5ms"], "%.0f%%"),
                            f(g["waiter_p50_ms"]), f(n["waiter_p50_ms"]),
                            f(g.get("server_waiter_p50_ms")), f(g.get("server_within_5ms"), "%.0f%%")))
            if b.get("hit_burst"):
                parts.append("burst%s of %d hits last answer %s vs %s ms" % (
                    label, b.get("n", 200), f(b["hit_burst"]["gencache"]["last_ms"]), f(b["hit_burst"]["nginx"]["last_ms"])))
        if z:
            parts.append("zipf hit ratio %s vs %s" % (f(z["gencache"]["hit_ratio"], "%.3f"), f(z["nginx"]["hit_ratio"], "%.3f")))
        print("RATIO gencache/nginx: " + "; ".join(parts), flush=True)
        return 1 if d.get("problems") else 0


class CacheSizeSampler:
    """Samples a cache size (bytes) once a second in the background; stop() returns the largest seen."""

    def __init__(self, measure):
        self.measure, self.peak, self.done = measure, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(1.0):
            try:
                self.peak = max(self.peak, self.measure())
            except (SetupError, OSError, ValueError):
                pass

    def stop(self):
        self.done.set()
        self.thread.join(10)
        return self.peak


def cluster_bytes(base):
    status, _, body = request(base, "GET", "/v1/cluster", timeout=5)
    return sum(m.get("bytes") or 0 for m in json.loads(body)["members"]) if status == 200 else 0


def dir_bytes(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="JSON file the phases add their figures to")
    ap.add_argument("--origin", required=True)
    ap.add_argument("--nginx", required=True)
    ap.add_argument("--nginx-pid", type=int, required=True, help="nginx master PID (its children are counted too)")
    ap.add_argument("--nginx-cache-dir", help="the Zipf zone's directory, to report its size")
    ap.add_argument("--tag", default="bench", help="run name, part of every prompt")
    sub = ap.add_subparsers(dest="phase", required=True)

    def server_args(p):
        p.add_argument("--gencache", required=True)
        p.add_argument("--gencache-pid", type=int, required=True, help="the JVM's PID")
        p.add_argument("--warmup", type=int, default=5, help="seconds of one warm-up run")
        p.add_argument("--warmup-min-runs", type=int, default=6,
                       help="warm-up runs at least, the first time a server process is warmed up (later: 2)")
        p.add_argument("--warmup-max-runs", type=int, default=60, help="warm-up runs at most, per server and size")
        p.add_argument("--jit-quiet", type=float, default=0.005,
                       help="settled when the JIT threads used at most this share of the last warm-up runs' time")
    p = sub.add_parser("hit")
    server_args(p)
    p.add_argument("--sizes", default="102400,10240", help="image sizes in bytes, comma-separated")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p = sub.add_parser("burst")
    server_args(p)
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup-rounds", type=int, default=0, help="uncounted gencache rounds at least")
    p.add_argument("--warmup-max-rounds", type=int, default=200, help="uncounted gencache rounds at most")
    p.add_argument("--warmup-jit-ms", type=float, default=15,
                   help="warm-up ends when the JIT used at most this CPU (ms) a round; 0 = just --warmup-rounds")
    p.add_argument("--delay-ms", type=int, default=300)
    p.add_argument("--sizes", default="102400,10240", help="image sizes in bytes, comma-separated: a burst phase each")
    p.add_argument("--burst-client", required=True, help="the compiled scripts/bench/burst_client.c")
    p.add_argument("--lua", required=True, help="scripts/bench/zipf.lua, which drives the generation warm-up")
    p.add_argument("--generation-warmup", type=int, default=6000,
                   help="uncounted generations of distinct prompts first (10 KB), then a tenth of it per size; 0 = none")
    p = sub.add_parser("zipf")
    server_args(p)
    p.add_argument("--lua", required=True)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--prompts", type=int, default=1000)
    p.add_argument("--zipf-s", type=float, default=1.0)
    p.add_argument("--image-bytes", type=int, default=102400)
    p.add_argument("--budget-mb", type=int, default=32)
    p.add_argument("--cluster-mb", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=20)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--max-seconds", type=int, default=240, help="time bound of each server's run")
    sub.add_parser("report")
    args = ap.parse_args()

    bench = Bench(args)
    try:
        if args.phase == "report":
            return bench.report()
        getattr(bench, args.phase)()
        return 0
    except SetupError as e:
        print("bench_side_by_side.py: %s" % e, file=sys.stderr, flush=True)
        bench.data.setdefault("setup_errors", []).append(str(e))
        bench.save()
        return 2


if __name__ == "__main__":
    sys.exit(main())
