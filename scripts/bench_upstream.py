#!/usr/bin/env python3
"""Upstream benchmark of gencache: what the gateway adds to a miss, and how it behaves when the
upstream generator fails.

Driven by scripts/bench-upstream.sh, which starts scripts/origin.py and one gencache node whose only
generator (`origin`, type http) calls that origin, and stops both again; this file only talks HTTP
to the two. Python 3 standard library only: http.client, one keep-alive connection to each, requests
sent one at a time. Every loop is bounded in count and in time.

  python3 scripts/bench_upstream.py --gencache http://127.0.0.1:P --origin http://127.0.0.1:Q \\
      [--requests 200] [--entries 100] [--delay-ms 100] [--image-bytes 102400] [--results FILE]

Phases:
  warm-up   --warmup unique prompts through gencache (MISS), not counted; also checks that gencache
            really calls the origin (its /stats count rises), else a setup error
  overhead  --requests unique prompts, one after the other: the origin's GET /generate with the
            parameters gencache sends (prompt, width, height, seed), then the same prompt as a POST
            through gencache (must be MISS), in alternating order; latency p50/p99 of both and of the
            per-prompt difference, the origin's own service time (/stats), gencache's generation time
            (gencache_generation_seconds), and the same prompts again as HITs
  failure   --entries prompts created with ttl_seconds --ttl, left to expire (--expire-wait s after the
            last), then the origin answers 500 to everything (POST /mode?fail=500) while the expired
            prompts and as many new ones are requested (interleaved by default): expired ones must come
            back STALE, new ones fail (502, then 503 once the breaker is open); the
            origin's request count before/after shows how many calls the breaker let through. Then the
            origin is restored, and after --breaker-reset-wait s a new prompt must be generated (MISS).
            Without a request Cache-Control gencache serves an expired entry STALE at once and refreshes
            it in the background (stale-while-revalidate; the refreshes are origin calls too); with
            --expired-cache-control max-stale=0 the request generates first and STALE comes from
            stale-if-error.

Exit code 0 when everything was measured and the gateway behaved, 1 when a check failed (listed as
PROBLEM lines; the figures are printed either way), 2 on a usage or setup error.
"""
import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
import urllib.parse

from benchlib import AUTH, Client, Resp, fmt_ms, now, pct


class SetupError(Exception):
    """The benchmark cannot measure (a service is down or misconfigured): exit 2."""


# --- figures --------------------------------------------------------------------------------------

def dist(values):
    return {"n": len(values), "p50": pct(values, 50), "p99": pct(values, 99),
            "min": min(values) if values else None, "max": max(values) if values else None}


def fmt_dist(d):
    return "p50 %s / p99 %s ms (min %s, max %s, n=%d)" % (
        fmt_ms(d["p50"]), fmt_ms(d["p99"]), fmt_ms(d["min"]), fmt_ms(d["max"]), d["n"])


def counts_of(labels):
    out = {}
    for x in labels:
        out[x] = out.get(x, 0) + 1
    return out


def fmt_counts(c):
    return ", ".join("%s %d" % kv for kv in sorted(c.items())) or "-"


BUCKETS = ("STALE", "HIT", "MISS", "502", "503", "504", "other")


def buckets(labels):
    """Answer labels counted as STALE / HIT / MISS / 502 / 503 / 504 / other (every bucket present)."""
    out = dict.fromkeys(BUCKETS, 0)
    for x in labels:
        b = x.replace("HTTP ", "")
        out[b if b in out else "other"] += 1
    return out


def fmt_buckets(b):
    return " / ".join("%s %d" % (k, b[k]) for k in BUCKETS)


SAMPLE_RE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)', re.M)
LABEL_RE = re.compile(r'(\w+)="([^"]*)"')


def metrics(client):
    """Prometheus samples of GET /metrics as [(name, {label: value}, float)]."""
    r = client.request("GET", "/metrics")
    if r.status != 200:
        raise SetupError("GET /metrics on gencache: %s" % r.brief())
    out = []
    for name, labels, value in SAMPLE_RE.findall(r.body.decode("utf-8", "replace")):
        try:
            out.append((name, dict(LABEL_RE.findall(labels or "")), float(value)))
        except ValueError:
            pass
    return out


def msum(samples, name, **labels):
    """Sum of the samples named `name` whose labels include `labels`; 0 when none."""
    return sum(v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items()))


def mgroup(samples, name, by, **labels):
    """{label value: sum} of the samples named `name`, grouped by label `by`."""
    out = {}
    for n, lab, v in samples:
        if n == name and all(lab.get(k) == x for k, x in labels.items()):
            out[lab.get(by, "?")] = out.get(lab.get(by, "?"), 0.0) + v
    return out


def mdelta(after, before):
    keys = set(after) | set(before)
    return {k: round(after.get(k, 0.0) - before.get(k, 0.0), 6) for k in keys
            if after.get(k, 0.0) != before.get(k, 0.0)}


class Run:
    def __init__(self, args):
        self.args = args
        self.gc = Client(args.gencache, args.request_timeout, AUTH)
        self.og = Client(args.origin, args.request_timeout)
        self.problems = []  # gateway misbehaviour, with evidence
        self.notes = []  # worth knowing, not a failure
        self.results = {}
        self.run_id = "%08x" % random.getrandbits(32)
        self.t_start = now()
        self.deadline = self.t_start + args.budget_seconds
        self.w, self.h = (int(x) for x in args.size.lower().split("x"))

    def problem(self, text):
        self.problems.append(text)
        print("  !! " + text, flush=True)

    def note(self, text):
        self.notes.append(text)
        print("  note: " + text, flush=True)

    def left(self):
        return self.deadline - now()

    # --- the two services -------------------------------------------------------------------------

    def origin(self, method, path):
        r = self.og.request(method, path)
        if r.status != 200:
            raise SetupError("origin %s %s: %s" % (method, path, r.brief()))
        return r.json()

    def origin_stats(self):
        return self.origin("GET", "/stats")

    def origin_mode(self, **kw):
        return self.origin("POST", "/mode?" + urllib.parse.urlencode(kw))

    def direct(self, prompt, seed):
        """The origin's GET /generate with the parameters gencache's template sends."""
        return self.og.request("GET", "/generate?prompt=%s&w=%d&h=%d&seed=%d" % (
            urllib.parse.quote(prompt, safe=""), self.w, self.h, seed))

    def post(self, prompt, seed, ttl=None, headers=None):
        body = {"prompt": prompt, "size": self.args.size, "seed": seed}
        if ttl is not None:
            body["ttl_seconds"] = ttl
        return self.gc.request("POST", "/v1/images/generations", body, headers)

    def prompt(self, phase, i):
        # Unique per run, single spaces only (gencache normalises whitespace; the direct call does not).
        return "bench-upstream %s %s %d: a lighthouse on a cliff at dusk, crashing waves" % (self.run_id, phase, i)

    # --- warm-up ----------------------------------------------------------------------------------

    def setup(self):
        a = self.args
        r = self.gc.request("GET", "/health/ready")
        if r.status != 200:
            raise SetupError("gencache GET /health/ready: %s" % r.brief())
        st = self.origin_mode(fail=0, delay_ms=a.delay_ms, size_bytes=a.image_bytes)
        print("origin: delay %d ms, image %s bytes; gencache: %s" % (
            st["delay_ms"], st["size_bytes"] or "natural", a.gencache), flush=True)

    def warmup(self):
        a = self.args
        n = max(1, a.warmup)
        print("\n== warm-up: %d unique prompts through gencache (not counted)" % n, flush=True)
        before = self.origin_stats()
        labels = []
        for i in range(n):
            if self.left() < 60:
                break
            r = self.post(self.prompt("warmup", i), 100000 + i)
            labels.append(r.label())
            if r.status != 200:
                raise SetupError("warm-up request %d through gencache: %s" % (i, r.brief()))
        after = self.origin_stats()
        called = after["requests"] - before["requests"]
        print("  %s; the origin answered %d requests" % (fmt_counts(counts_of(labels)), called), flush=True)
        if called < labels.count("MISS"):
            raise SetupError("gencache answered %d MISS but the origin saw %d requests: is the `origin` generator "
                             "configured and does it serve the default model?" % (labels.count("MISS"), called))
        if labels.count("MISS") != len(labels):
            self.problem("warm-up: unique prompts answered %s (all MISS expected)" % fmt_counts(counts_of(labels)))

    # --- (a) overhead -----------------------------------------------------------------------------

    def overhead(self):
        a = self.args
        print("\n== overhead: %d unique prompts, %s, origin delay %d ms: direct GET to the origin vs POST through "
              "gencache (alternating order), then the same prompts as hits" % (a.requests, a.size, a.delay_ms),
              flush=True)
        self.og.request("POST", "/stats/reset")
        m0 = metrics(self.gc)
        direct_ms, gc_ms, diff_ms, labels, mismatched, errors = [], [], [], [], 0, []
        prompts = []
        t_end = now() + max(10.0, self.left() - 90)  # leave time for the failure phase
        for i in range(a.requests):
            if now() > t_end:
                self.problem("overhead: time budget spent after %d of %d prompts" % (i, a.requests))
                break
            prompt, seed = self.prompt("overhead", i), 200000 + i
            if i % 2 == 0:
                d = self.direct(prompt, seed)
                g = self.post(prompt, seed)
            else:
                g = self.post(prompt, seed)
                d = self.direct(prompt, seed)
            labels.append(g.label())
            if d.status != 200:
                raise SetupError("origin GET /generate: %s" % d.brief())
            if g.status != 200 or g.label() != "MISS":
                if len(errors) < 3:
                    errors.append(g.brief() if g.status != 200 else "X-Cache %s" % g.label())
                continue
            prompts.append((prompt, seed))
            direct_ms.append(d.ms)
            gc_ms.append(g.ms)
            diff_ms.append(g.ms - d.ms)
            ids = ((g.json() or {}).get("gencache") or {}).get("ids") or []
            if ids[:1] != [hashlib.sha256(d.body).hexdigest()]:
                mismatched += 1
        origin_service = self.origin_stats()["service_ms"]
        m1 = metrics(self.gc)
        if len(prompts) < len(labels):
            self.problem("overhead: %d of %d unique prompts were not a 200 MISS (%s); first: %s"
                         % (len(labels) - len(prompts), len(labels), fmt_counts(counts_of(labels)), errors))
        if mismatched:
            self.note("%d of %d gencache images differ from the direct call's bytes (content id != SHA-256 of the "
                      "origin's body): gencache sends other parameters than this benchmark assumes, so the direct "
                      "figure is for a slightly different request" % (mismatched, len(prompts)))
        # Successful generations only, of every generator (the node has one: origin).
        gen_n = msum(m1, "gencache_generation_seconds_count") - msum(m0, "gencache_generation_seconds_count")
        gen_s = msum(m1, "gencache_generation_seconds_sum") - msum(m0, "gencache_generation_seconds_sum")
        gen_mean_ms = gen_s / gen_n * 1000.0 if gen_n > 0 else None

        hit_ms, hit_labels = [], []
        t_end = now() + max(5.0, self.left() - 80)
        for prompt, seed in prompts:
            if now() > t_end:
                self.problem("overhead: time budget spent after %d hits" % len(hit_labels))
                break
            g = self.post(prompt, seed)
            hit_labels.append(g.label())
            if g.status == 200 and g.label() == "HIT":
                hit_ms.append(g.ms)
        if len(hit_ms) < len(hit_labels):
            self.problem("overhead: repeated prompts answered %s (all HIT expected)" % fmt_counts(counts_of(hit_labels)))

        res = {"requests": len(labels), "measured": len(prompts), "labels": counts_of(labels),
               "direct": dist(direct_ms), "gencache": dist(gc_ms), "overhead": dist(diff_ms),
               "origin_service_ms": origin_service, "gencache_generation_mean_ms": gen_mean_ms,
               "image_mismatch": mismatched, "hit": dist(hit_ms), "hit_labels": counts_of(hit_labels)}
        self.results["overhead"] = res
        print("  direct to the origin:     %s" % fmt_dist(res["direct"]))
        print("  through gencache (MISS):  %s" % fmt_dist(res["gencache"]))
        print("  difference per prompt:    %s" % fmt_dist(res["overhead"]))
        print("  origin service time (its /stats, delay included, every generation of this phase): p50 %s / p99 %s ms "
              "(n=%s); gencache_generation_seconds mean: %s ms"
              % (fmt_ms(origin_service.get("p50")), fmt_ms(origin_service.get("p99")), origin_service.get("n"),
                 fmt_ms(gen_mean_ms)))
        print("  same prompts again (HIT): %s" % fmt_dist(res["hit"]), flush=True)

    # --- (b) failing upstream ---------------------------------------------------------------------

    def failure(self):
        a = self.args
        print("\n== failing upstream: %d entries with ttl_seconds %d, expired, then the origin answers 500; "
              "%d expired + %d new prompts (%s)%s" % (a.entries, a.ttl, a.entries, a.entries, a.order,
                                                       ", expired ones with Cache-Control: " + a.expired_cache_control
                                                       if a.expired_cache_control else ""),
              flush=True)
        expired, labels = [], []
        t_create = now()
        t_end = t_create + max(10.0, self.left() - 60)
        for i in range(a.entries):
            if now() > t_end:
                self.problem("failure: time budget spent after creating %d of %d entries" % (i, a.entries))
                break
            prompt, seed = self.prompt("stale", i), 300000 + i
            r = self.post(prompt, seed, ttl=a.ttl)
            labels.append(r.label())
            if r.status == 200 and r.label() == "MISS":
                expired.append((prompt, seed))
        t_created = now()
        if len(expired) < len(labels):
            self.problem("failure: creating entries answered %s (all MISS expected)" % fmt_counts(counts_of(labels)))
        if not expired:
            raise SetupError("failure: no entry could be created")
        print("  %d entries created in %.1f s; waiting %.1f s for the last to expire"
              % (len(expired), t_created - t_create, a.expire_wait), flush=True)
        time.sleep(max(0.0, t_created + a.expire_wait - now()))

        new = [(self.prompt("new", i), 400000 + i) for i in range(len(expired))]
        if a.order == "interleaved":
            plan = [x for pair in zip((("expired",) + e for e in expired), (("new",) + n for n in new)) for x in pair]
        elif a.order == "expired-first":
            plan = [("expired",) + e for e in expired] + [("new",) + n for n in new]
        else:
            plan = [("new",) + n for n in new] + [("expired",) + e for e in expired]
        stale_headers = {"Cache-Control": a.expired_cache_control} if a.expired_cache_control else None

        s0 = self.origin_stats()
        m0 = metrics(self.gc)
        self.origin_mode(fail=500)
        t_fail = now()
        out = {"expired": [], "new": []}
        try:
            t_end = now() + max(10.0, min(a.failure_seconds, self.left() - 30))
            for kind, prompt, seed in plan:
                if now() > t_end:
                    self.problem("failure: time budget spent after %d of %d requests"
                                 % (len(out["expired"]) + len(out["new"]), len(plan)))
                    break
                r = self.post(prompt, seed, headers=stale_headers if kind == "expired" else None)
                j = r.json() if r.status != 200 else None
                out[kind].append({"label": r.label(), "ms": r.ms, "t": r.t1 - t_fail,
                                  "retry_after": r.headers.get("retry-after"),
                                  "type": (j or {}).get("type") if isinstance(j, dict) else None,
                                  "brief": None if r.status == 200 else r.brief()})
            # Let generations still running in the background (stale-while-revalidate) reach the origin.
            time.sleep(0.5 + a.delay_ms / 1000.0)
            s1 = self.origin_stats()
        finally:
            self.origin_mode(fail=0)
        t_restored = now()
        m1 = metrics(self.gc)
        fail_s = t_restored - t_fail
        origin_calls = s1["requests"] - s0["requests"]
        failures_served = s1["failures_served"] - s0["failures_served"]

        exp_counts = buckets(x["label"] for x in out["expired"])
        new_counts = buckets(x["label"] for x in out["new"])
        first_503 = next((k for k, x in enumerate(out["new"]) if x["label"] == "HTTP 503"), None)
        retry_after = sorted({x["retry_after"] for x in out["new"] + out["expired"] if x["retry_after"]})
        types = counts_of(x["type"] for x in out["new"] + out["expired"] if x["type"])
        stale_ms = dist([x["ms"] for x in out["expired"] if x["label"] == "STALE"])
        error_ms = dist([x["ms"] for x in out["new"] if x["label"].startswith("HTTP ")])
        gens = mdelta(mgroup(m1, "gencache_generations_total", "outcome", generator="origin"),
                      mgroup(m0, "gencache_generations_total", "outcome", generator="origin"))
        reqs = mdelta(mgroup(m1, "gencache_requests_total", "result"), mgroup(m0, "gencache_requests_total", "result"))
        n_requests = len(out["expired"]) + len(out["new"])
        # What a breaker lets through: the failures that open it (each attempt counts; every generation
        # running when it opens may add its attempts), plus one trial call per reset period.
        allowed = (a.breaker_failures + a.max_concurrency) * (a.retries + 1) \
            + math.ceil(fail_s / a.breaker_reset_seconds) * (a.retries + 1)

        print("  expired prompts: %s" % fmt_buckets(exp_counts))
        print("  new prompts:     %s" % fmt_buckets(new_counts))
        print("  latency of the STALE answers %s; of the new prompts' errors %s; first 503 at new prompt #%s"
              % (fmt_dist(stale_ms), fmt_dist(error_ms), "-" if first_503 is None else first_503 + 1))
        print("  answer sequence of the new prompts: %s" % compress_seq([x["label"] for x in out["new"]]))
        print("  problem types: %s; Retry-After values: %s" % (fmt_counts(types), ", ".join(retry_after) or "-"))
        print("  origin: %d calls (%d failures served) during %.1f s of failure for %d requests through gencache "
              "(breaker bound %d)" % (origin_calls, failures_served, fail_s, n_requests, allowed))
        print("  gencache during the failure: generations{origin} %s; requests %s"
              % (fmt_counts(gens), fmt_counts(reqs)), flush=True)

        not_stale = [x for x in out["expired"] if x["label"] != "STALE"]
        if not_stale:
            self.problem("failure: %d of %d expired prompts were not served STALE under a failing upstream (%s); "
                         "first: %s" % (len(not_stale), len(out["expired"]), fmt_buckets(exp_counts),
                                        [x["brief"] or x["label"] for x in not_stale[:3]]))
        served_new = [x for x in out["new"] if x["label"] in ("MISS", "HIT", "COALESCED", "STALE", "BYPASS")]
        if served_new:
            self.problem("failure: %d new prompts were answered 200 (%s) while the origin failed every call"
                         % (len(served_new), fmt_buckets(new_counts)))
        odd = [x for x in out["new"] if x["label"] not in ("HTTP 502", "HTTP 503", "HTTP 504")
               and x not in served_new]
        if odd:
            self.problem("failure: %d new prompts answered other than 502/503/504: %s"
                         % (len(odd), [x["brief"] for x in odd[:3]]))
        no_retry_after = [x for x in out["new"] if x["label"] == "HTTP 503" and not x["retry_after"]]
        if no_retry_after:
            self.problem("failure: %d 503 answers without Retry-After" % len(no_retry_after))
        if origin_calls > allowed:
            self.problem("failure: the origin got %d calls during the failure (%d requests); a breaker opening after "
                         "%d failures allows about %d" % (origin_calls, n_requests, a.breaker_failures, allowed))

        # Recovery: once the breaker's reset has passed, a new prompt is generated again.
        time.sleep(max(0.0, t_restored + a.breaker_reset_wait - now()))
        prompt, seed = self.prompt("recovered", 0), 500000
        attempts = []
        t_end = now() + 30
        while len(attempts) < 6 and now() < t_end:
            r = self.post(prompt, seed)
            attempts.append({"label": r.label(), "ms": r.ms, "after_s": r.t1 - t_restored,
                             "brief": None if r.status == 200 else r.brief()})
            if r.status == 200:
                break
            time.sleep(2)
        recovered = attempts[-1] if attempts and attempts[-1]["label"] == "MISS" else None
        print("  recovery: origin restored, %.1f s later a new prompt: %s"
              % (a.breaker_reset_wait, "; ".join("%s in %.0f ms (%.1f s after restoring)"
                                                 % (x["label"], x["ms"], x["after_s"]) for x in attempts)), flush=True)
        if recovered is None:
            self.problem("failure: after restoring the origin a new prompt was not generated: %s"
                         % [x["brief"] or x["label"] for x in attempts])
        elif len(attempts) > 1:
            self.note("recovery needed %d attempts (the breaker was still open %.1f s after restoring)"
                      % (len(attempts), a.breaker_reset_wait))

        self.results["failure"] = {
            "entries": len(expired), "expired": exp_counts, "new": new_counts, "first_503": first_503,
            "new_sequence": [x["label"] for x in out["new"]], "problem_types": types, "retry_after": retry_after,
            "stale_latency": stale_ms, "error_latency": error_ms, "origin_calls": origin_calls,
            "failures_served": failures_served, "requests": n_requests, "failure_seconds": fail_s,
            "breaker_bound": allowed, "generations": gens, "gencache_requests": reqs,
            "recovery": attempts, "recovered_after_s": recovered["after_s"] if recovered else None}

    # --- summary ----------------------------------------------------------------------------------

    def summary(self):
        rows = []
        o = self.results.get("overhead")
        if o:
            rows.append(("direct to origin", "p50 %s / p99 %s ms" % (fmt_ms(o["direct"]["p50"]),
                                                                    fmt_ms(o["direct"]["p99"]))))
            rows.append(("via gencache, MISS", "p50 %s / p99 %s ms" % (fmt_ms(o["gencache"]["p50"]),
                                                                      fmt_ms(o["gencache"]["p99"]))))
            rows.append(("miss overhead", "p50 %s / p99 %s ms (n=%d)" % (fmt_ms(o["overhead"]["p50"]),
                                                                         fmt_ms(o["overhead"]["p99"]), o["overhead"]["n"])))
            rows.append(("origin service time", "p50 %s / p99 %s ms" % (fmt_ms(o["origin_service_ms"].get("p50")),
                                                                        fmt_ms(o["origin_service_ms"].get("p99")))))
            rows.append(("via gencache, HIT", "p50 %s / p99 %s ms" % (fmt_ms(o["hit"]["p50"]), fmt_ms(o["hit"]["p99"]))))
        f = self.results.get("failure")
        if f:
            rows.append(("expired, origin failing", fmt_buckets(f["expired"])))
            rows.append(("new, origin failing", fmt_buckets(f["new"])))
            rows.append(("origin calls in failure", "%d for %d requests in %.1f s (bound %d)"
                         % (f["origin_calls"], f["requests"], f["failure_seconds"], f["breaker_bound"])))
            rows.append(("recovery", "MISS %.1f s after restoring" % f["recovered_after_s"]
                         if f["recovered_after_s"] is not None else "not recovered"))
        m = self.results.get("metrics")
        if m:
            rows.append(("spend / saved", "%s / %s" % (m["spend_origin"], m["cost_saved"])))
        rows.append(("problems", str(len(self.problems))))
        w = max(len(r[0]) for r in rows)
        print("\n== summary (run %s, %.0f s)" % (self.run_id, now() - self.t_start))
        print("  %-*s | %s" % (w, "figure", "value"))
        print("  %s-+-%s" % ("-" * w, "-" * 60))
        for name, val in rows:
            print("  %-*s | %s" % (w, name, val))
        for p in self.problems:
            print("  PROBLEM: " + p)
        for n in self.notes:
            print("  NOTE: " + n)
        key = []
        if o:
            key.append("miss overhead p50 %s ms p99 %s ms (direct p50 %s, gencache p50 %s), hit p50 %s ms"
                       % (fmt_ms(o["overhead"]["p50"]), fmt_ms(o["overhead"]["p99"]), fmt_ms(o["direct"]["p50"]),
                          fmt_ms(o["gencache"]["p50"]), fmt_ms(o["hit"]["p50"])))
        if f:
            key.append("failing origin: expired STALE %d/%d, new 502 %d / 503 %d / 504 %d / other %d, origin calls %d "
                       "for %d requests, recovery %s"
                       % (f["expired"]["STALE"], sum(f["expired"].values()), f["new"]["502"], f["new"]["503"],
                          f["new"]["504"], f["new"]["other"] + f["new"]["STALE"] + f["new"]["HIT"] + f["new"]["MISS"],
                          f["origin_calls"], f["requests"],
                          "MISS" if f["recovered_after_s"] is not None else "FAILED"))
        key.append("problems %d" % len(self.problems))
        print("RESULT " + "; ".join(key))
        sys.stdout.flush()

    def final_metrics(self):
        m = metrics(self.gc)
        self.results["metrics"] = {
            "spend_origin": round(msum(m, "gencache_upstream_spend_total", generator="origin"), 6),
            "cost_saved": round(msum(m, "gencache_cost_saved_total"), 6),
            "requests": mgroup(m, "gencache_requests_total", "result"),
            "generations_origin": mgroup(m, "gencache_generations_total", "outcome", generator="origin"),
        }
        r = self.results["metrics"]
        print("\n== gencache /metrics at the end: upstream spend{origin} %s, cost saved %s; requests %s; "
              "generations{origin} %s" % (r["spend_origin"], r["cost_saved"], fmt_counts(r["requests"]),
                                          fmt_counts(r["generations_origin"])), flush=True)


def compress_seq(labels):
    """['HTTP 502', 'HTTP 502', 'HTTP 503'] -> '502 x2, 503 x1' (runs in order)."""
    runs = []
    for x in labels:
        x = x.replace("HTTP ", "")
        if runs and runs[-1][0] == x:
            runs[-1][1] += 1
        else:
            runs.append([x, 1])
    return ", ".join("%s x%d" % (x, n) for x, n in runs[:20]) + (" ..." if len(runs) > 20 else "") or "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gencache", required=True, help="base URL of the gencache node")
    ap.add_argument("--origin", required=True, help="base URL of scripts/origin.py (gencache's `origin` generator)")
    ap.add_argument("--warmup", type=int, default=30, help="uncounted miss requests (default 30)")
    ap.add_argument("--requests", type=int, default=200, help="unique prompts of the overhead phase (default 200)")
    ap.add_argument("--entries", type=int, default=100, help="expired entries, and new prompts, of the failure phase")
    ap.add_argument("--size", default="256x256", help="image size of every request (default 256x256)")
    ap.add_argument("--delay-ms", type=int, default=100, help="the origin's delay, set via POST /mode (default 100)")
    ap.add_argument("--image-bytes", type=int, default=102400,
                    help="the origin's image size target, set via POST /mode (default 102400; 0 = natural)")
    ap.add_argument("--ttl", type=int, default=2, help="ttl_seconds of the failure phase's entries (default 2)")
    ap.add_argument("--expire-wait", type=float, default=3, help="seconds to wait after the last entry (default 3)")
    ap.add_argument("--order", choices=("interleaved", "expired-first", "new-first"), default="interleaved",
                    help="order of the expired and new prompts while the origin fails (default interleaved)")
    ap.add_argument("--expired-cache-control", default="", metavar="VALUE",
                    help="Cache-Control of the requests for expired prompts (default: none). Without one, gencache "
                         "serves an expired entry STALE at once and refreshes it in the background "
                         "(stale-while-revalidate); 'max-stale=0' refuses that, so the request generates and gets "
                         "the stale entry only because generation failed (stale-if-error)")
    ap.add_argument("--failure-seconds", type=float, default=120, help="bound of the failing-origin requests")
    ap.add_argument("--breaker-reset-wait", type=float, default=6,
                    help="seconds after restoring the origin before the recovery request (default 6)")
    ap.add_argument("--breaker-failures", type=int, default=5, help="the generator's breaker-failures (for the bound)")
    ap.add_argument("--breaker-reset-seconds", type=float, default=5, help="the generator's breaker-reset in seconds")
    ap.add_argument("--retries", type=int, default=1, help="the generator's retries (for the bound)")
    ap.add_argument("--max-concurrency", type=int, default=8, help="the generator's max-concurrency (for the bound)")
    ap.add_argument("--request-timeout", type=float, default=30, help="client timeout of one request, seconds")
    ap.add_argument("--budget-seconds", type=float, default=300, help="soft limit of the whole run")
    ap.add_argument("--phases", default="overhead,failure", help="comma-separated: overhead, failure")
    ap.add_argument("--results", help="write every figure as JSON here")
    args = ap.parse_args()
    args.gencache, args.origin = args.gencache.rstrip("/"), args.origin.rstrip("/")
    if not re.fullmatch(r"\d{2,4}x\d{2,4}", args.size.lower()):
        ap.error("--size must be WxH")
    if min(args.requests, args.entries, args.ttl, args.breaker_failures) < 1 or args.warmup < 0 \
            or args.breaker_reset_seconds <= 0 or not 0 <= args.delay_ms <= 600000:
        ap.error("--requests, --entries, --ttl and --breaker-failures must be at least 1, --warmup at least 0")
    phases = set(args.phases.split(","))
    if not phases <= {"overhead", "failure"}:
        ap.error("--phases: overhead and/or failure")

    run = Run(args)
    rc = 0
    try:
        run.setup()
        run.warmup()
        if "overhead" in phases:
            run.overhead()
        if "failure" in phases:
            run.failure()
        run.final_metrics()
    except SetupError as e:
        print("\nbench_upstream: setup error: %s" % e, flush=True)
        rc = 2
    except Exception as e:  # print what was measured so far
        run.problem("aborted: %r" % e)
        rc = 2
    finally:
        # Leave the origin serving, whatever happened.
        run.og.request("POST", "/mode?fail=0")
    run.summary()
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"run_id": run.run_id, "args": vars(args), "results": run.results, "problems": run.problems,
                       "notes": run.notes}, f, indent=1, default=str)
        print("figures as JSON: %s" % args.results)
    return rc or (1 if run.problems else 0)


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        code = 130
    sys.exit(code)
