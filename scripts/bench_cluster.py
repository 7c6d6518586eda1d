#!/usr/bin/env python3
"""Cluster benchmark of gencache: coalescing, invalidation round trip, leader failover.

Driven by scripts/bench-cluster.sh, which starts the nodes with scripts/cluster.sh and stops them
again; this file only talks HTTP to running nodes (and calls `cluster.sh kill I` for the failover).
Python 3 standard library only: threads + http.client with one keep-alive connection per thread and
node. Every loop is bounded in count and in time.

  python3 scripts/bench_cluster.py --urls http://127.0.0.1:P1,http://127.0.0.1:P2,http://127.0.0.1:P3 \
      --cluster-sh scripts/cluster.sh --state-dir target/bench-cluster-x [--rounds 5] [--waiters 150] \
      [--inval-cycles 200] [--entries 300] [--results FILE]

Exit code 0 when every figure was measured and the product behaved (one generation per coalescing
round, no 202, no lost entry, ...), 1 when a check failed (the figures are printed either way),
2 on a usage or setup error.
"""
import argparse
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import benchlib
from benchlib import AUTH, Resp, fmt_ms, now, pct


# --- HTTP -----------------------------------------------------------------------------------------

class Client(benchlib.Client):
    """A keep-alive connection to one node, with the nodes' bearer token when they use one."""

    def __init__(self, base, timeout=15.0):
        super().__init__(base, timeout, AUTH)


def gen_body(prompt, size):
    return {"prompt": prompt, "size": size}


def generate(client, prompt, size, only_if_cached=False):
    headers = {"Cache-Control": "only-if-cached"} if only_if_cached else None
    return client.request("POST", "/v1/images/generations", gen_body(prompt, size), headers)


# --- figures --------------------------------------------------------------------------------------

def dist(values):
    return {"n": len(values), "p50": pct(values, 50), "p99": pct(values, 99),
            "max": max(values) if values else None, "min": min(values) if values else None}


def fmt_dist(d):
    return "p50 %s / p99 %s / max %s ms (n=%d)" % (fmt_ms(d["p50"]), fmt_ms(d["p99"]), fmt_ms(d["max"]), d["n"])


GEN_RE = re.compile(r'^gencache_generations_total\{([^}]*)\}\s+(\S+)', re.M)
LABEL_RE = re.compile(r'(\w+)="([^"]*)"')


def generations(client):
    """{outcome: count} of gencache_generations_total for every generator on one node (absent = 0)."""
    r = client.request("GET", "/metrics")
    if r.status != 200:
        raise RuntimeError("GET /metrics: %s %s" % (r.status, r.error or r.body[:200]))
    out = {}
    for labels, value in GEN_RE.findall(r.body.decode("utf-8", "replace")):
        lab = dict(LABEL_RE.findall(labels))
        key = (lab.get("generator", "?"), lab.get("outcome", "?"))
        out[key] = out.get(key, 0.0) + float(value)
    return out


def coalesced_lag(urls):
    """Per node, the server-side lag from a generation's finish to that node answering its waiters:
    {node index: {"p50": ms, "p99": ms, "max": ms, "count": n}} (Micrometer's decaying window)."""
    out = {}
    for i, u in enumerate(urls, 1):
        c = Client(u, 10)
        r = c.request("GET", "/metrics")
        c.close()
        text = r.body.decode("utf-8", "replace") if r.status == 200 else ""
        d = {}
        for m in re.finditer(r'^gencache_coalesced_lag_seconds(\{quantile="([^"]+)"\}|_max|_count)\s+(\S+)', text, re.M):
            name = "p" + str(round(float(m.group(2)) * 100)) if m.group(2) else m.group(1)[1:]
            value = float(m.group(3))
            d[name] = value if name == "count" else value * 1000.0
        out[i] = d
    return out


def cluster_generations(urls):
    total = {}
    for u in urls:
        c = Client(u, 10)
        for k, v in generations(c).items():
            total[k] = total.get(k, 0.0) + v
        c.close()
    return total


def delta(after, before):
    keys = set(after) | set(before)
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys if after.get(k, 0.0) != before.get(k, 0.0)}


class Run:
    def __init__(self, args):
        self.args = args
        self.urls = args.urls
        self.problems = []  # product misbehaviour, with evidence
        self.results = {}
        self.run_id = "%08x" % random.getrandbits(32)
        self.t_start = now()
        self.deadline = self.t_start + args.budget_seconds

    def problem(self, text):
        self.problems.append(text)
        print("  !! " + text, flush=True)

    def left(self):
        return self.deadline - now()

    # --- 1. coalescing ----------------------------------------------------------------------------

    def coalescing(self):
        a = self.args
        print("\n== 1. coalescing: %d identical POSTs per round (%d per node, barrier), size %s, %d rounds"
              % (a.waiters, a.waiters // len(self.urls), a.coalesce_size, a.rounds), flush=True)
        # Warm-up: each node's JIT compiles the claim/announce/answer path, which otherwise shows as
        # tens of ms of compile-thread contention in the first rounds. Not counted below.
        for w in range(1, a.warmup_rounds + 1):
            if self.left() < 60:
                break
            self.coalesce_round("warm-up %d" % w, len(self.urls), quiet=True)
        if a.warmup_rounds:
            print("  (%d warm-up rounds of %d requests done, not counted)" % (a.warmup_rounds, len(self.urls)), flush=True)
        rounds = []
        for rnd in range(1, a.rounds + 1):
            if self.left() < 30:
                self.problem("coalescing: time budget exhausted before round %d" % rnd)
                break
            rounds.append(self.coalesce_round(rnd))
        all_waits = [w for r in rounds for w in r["waits_ms"]]
        agg = {
            "rounds": len(rounds),
            "generations": sum(r["generations"] for r in rounds),
            "miss": sum(r["counts"].get("MISS", 0) for r in rounds),
            "coalesced": sum(r["counts"].get("COALESCED", 0) for r in rounds),
            "hit": sum(r["counts"].get("HIT", 0) for r in rounds),
            "other": sum(v for r in rounds for k, v in r["counts"].items() if k not in ("MISS", "COALESCED", "HIT")),
            "waits": dist(all_waits),
            "gen_ms": dist([r["miss_ms"] for r in rounds if r["miss_ms"] is not None]),
        }
        print("  aggregate: %d generator calls for %d rounds; MISS %d, COALESCED %d, HIT %d, other %d; "
              "waiter latency after generation end: %s"
              % (agg["generations"], agg["rounds"], agg["miss"], agg["coalesced"], agg["hit"], agg["other"],
                 fmt_dist(agg["waits"])), flush=True)
        # The client-side figure above includes this client's own scheduling of 150 threads; the nodes
        # measure the lag from the generation's finish to answering their waiters themselves.
        agg["server_lag_ms"] = coalesced_lag(self.urls)
        print("  server-side lag, generation finished -> a node answered its waiters (gencache_coalesced_lag_seconds): "
              + "; ".join("node %d: p50 %s / p99 %s / max %s ms (n=%d)"
                          % (i, fmt_ms(d.get("p50")), fmt_ms(d.get("p99")), fmt_ms(d.get("max")), d.get("count", 0))
                          for i, d in agg["server_lag_ms"].items() if d.get("count")), flush=True)
        self.results["coalescing"] = {"rounds": rounds, "aggregate": agg}

    def coalesce_round(self, rnd, waiters=None, quiet=False):
        a = self.args
        n = waiters or a.waiters
        prompt = ("bench-cluster %s round %s: a lighthouse on a cliff at dusk, crashing waves, seagulls, "
                  "red and orange sky" % (self.run_id, rnd))
        before = cluster_generations(self.urls)
        barrier = threading.Barrier(n, timeout=30)
        out = [None] * n

        def worker(k):
            node = k % len(self.urls)
            c = Client(self.urls[node], a.gen_timeout)
            warm = c.request("GET", "/health/live")  # open the keep-alive connection before the barrier
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                out[k] = (node, Resp(-1, {}, b"", now(), now(), "barrier broken"))
                c.close()
                return
            r = generate(c, prompt, a.coalesce_size)
            out[k] = (node, r)
            c.close()
            if warm.status != 200:
                out[k] = (node, Resp(-1, {}, b"", r.t0, r.t1, "warm-up GET /health/live: %s" % warm.status))

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(n)]
        for t in threads:
            t.start()
        join_until = now() + a.gen_timeout + 35
        for t in threads:
            t.join(max(0.0, join_until - now()))
        hung = sum(1 for t in threads if t.is_alive())
        after = cluster_generations(self.urls)
        d = delta(after, before)
        gens = sum(v for (gen, outcome), v in d.items() if outcome == "success")
        other_outcomes = {"%s/%s" % k: v for k, v in d.items() if k[1] != "success"}

        rs = [x for x in out if x is not None]
        counts, per_node, keys, errors = {}, {}, set(), []
        for node, r in rs:
            label = r.headers.get("x-cache") if r.status == 200 else ("HTTP %d" % r.status if r.status > 0 else "error")
            counts[label] = counts.get(label, 0) + 1
            pn = per_node.setdefault(node + 1, {})
            pn[label] = pn.get(label, 0) + 1
            if r.status == 200:
                j = r.json() or {}
                keys.add((j.get("gencache") or {}).get("key"))
            elif len(errors) < 3:
                errors.append("node %d: %s %s" % (node + 1, r.status, r.error or r.body[:300].decode("utf-8", "replace")))
        misses = sorted(((r.t1, node, r) for node, r in rs if r.status == 200 and r.headers.get("x-cache") == "MISS"),
                        key=lambda m: m[0])
        starts = [r.t0 for _, r in rs]
        release_spread_ms = (max(starts) - min(starts)) * 1000.0 if starts else None
        waits, miss_ms, gen_end, miss_node, waits_by_node = [], None, None, None, {}
        if misses:
            gen_end, miss_node = misses[0][0], misses[0][1] + 1
            miss_ms = misses[0][2].ms
            for node, r in rs:
                if r.status == 200 and r.headers.get("x-cache") == "COALESCED":
                    waits.append((r.t1 - gen_end) * 1000.0)
                    waits_by_node.setdefault(node + 1, []).append((r.t1 - gen_end) * 1000.0)
        image_bytes = None
        if misses:
            url = ((misses[0][2].json() or {}).get("data") or [{}])[0].get("url") or ""
            path = urllib.parse.urlsplit(url).path
            if path:
                hc = Client(self.urls[misses[0][1]], 10)
                h = hc.request("HEAD", path)
                hc.close()
                image_bytes = int(h.headers.get("content-length", "0")) if h.status == 200 else None
        wd = dist(waits)
        wbn = {k: dist(v) for k, v in sorted(waits_by_node.items())}
        hit_after_ms = [(r.t0 - gen_end) * 1000.0 for _, r in rs
                        if gen_end is not None and r.status == 200 and r.headers.get("x-cache") == "HIT"]
        if quiet:
            if gens != 1 or len(misses) != 1:
                self.problem("coalescing %s: %g generator calls, %d MISS (expected 1 and 1)" % (rnd, gens, len(misses)))
            return None
        print("  round %d: generator calls %g | MISS %d COALESCED %d HIT %d%s | per node %s | MISS took %s ms, "
              "requests sent within %s ms | waiters after generation end: %s"
              % (rnd, gens, counts.get("MISS", 0), counts.get("COALESCED", 0), counts.get("HIT", 0),
                 "".join(" %s %d" % (k, v) for k, v in sorted(counts.items()) if k not in ("MISS", "COALESCED", "HIT")),
                 " ".join("%d:%s" % (k, "/".join("%s=%d" % (kk[0], vv) for kk, vv in sorted(v.items())))
                          for k, v in sorted(per_node.items())),
                 fmt_ms(miss_ms), fmt_ms(release_spread_ms), fmt_dist(wd)), flush=True)
        if wbn:
            print("           image %s bytes; waiters per node (p50/max ms after the MISS answer; MISS on node %s): %s"
                  % (image_bytes, miss_node, "  ".join("%d%s: %s/%s" % (k, "*" if k == miss_node else "", fmt_ms(v["p50"]), fmt_ms(v["max"]))
                                          for k, v in wbn.items())), flush=True)
        if gens != 1:
            self.problem("coalescing round %d: %g generator calls in the cluster for one prompt (expected 1); "
                         "success-counter deltas per generator: %s" % (rnd, gens, {"%s/%s" % k: v for k, v in d.items()}))
        t_first = min(starts) if starts else 0.0
        miss_detail = [{"node": node + 1, "sent_ms": round((r.t0 - t_first) * 1000, 1),
                        "done_ms": round((r.t1 - t_first) * 1000, 1)} for _, node, r in misses]
        if len(misses) != 1:
            self.problem("coalescing round %d: %d MISS responses (expected 1): %s (ms after the first request was sent); "
                         "node log lines: %s"
                         % (rnd, len(misses), miss_detail, log_lines(a.state_dir, len(self.urls), keys)))
        if other_outcomes:
            self.problem("coalescing round %d: generator outcomes other than success: %s" % (rnd, other_outcomes))
        if len(keys) > 1:
            self.problem("coalescing round %d: %d different keys for one request: %s" % (rnd, len(keys), sorted(map(str, keys))))
        if hung or len(rs) != n or any(r.status != 200 for _, r in rs):
            self.problem("coalescing round %d: %d of %d requests not 200 (%d threads still running); first: %s"
                         % (rnd, n - sum(1 for _, r in rs if r.status == 200), n, hung, errors))
        return {"round": rnd, "prompt": prompt, "key": sorted(map(str, keys)), "generations": gens,
                "other_outcomes": other_outcomes, "counts": counts, "per_node": per_node,
                "miss_ms": miss_ms, "miss_node": miss_node, "misses": miss_detail, "image_bytes": image_bytes,
                "release_spread_ms": release_spread_ms, "waits_ms": waits, "waits": wd, "waits_by_node": wbn,
                "hit_sent_after_generation_end_ms": hit_after_ms}

    # --- 2. invalidation --------------------------------------------------------------------------

    def invalidation(self):
        a = self.args
        n = len(self.urls)
        print("\n== 2. invalidation round trip: %d cycles (POST %s entry on node i, invalidate on a rotating node, "
              "then only-if-cached on every node)" % (a.inval_cycles, a.small_size), flush=True)
        clients = [Client(u, 15) for u in self.urls]
        lat, statuses, by_node = [], {}, {k + 1: [] for k in range(n)}
        stale_reads, bad_removed, create_fail, missing_202, cycles = [], [], [], [], 0
        stop_at = now() + min(a.inval_seconds, max(10.0, self.left() - 120))
        for i in range(a.inval_cycles):
            if now() > stop_at:
                self.problem("invalidation: time limit reached after %d of %d cycles" % (i, a.inval_cycles))
                break
            cnode = i % n
            inode = (i + i // n) % n  # over n*n cycles every (create, invalidate) node pair occurs
            prompt = "bench-cluster %s invalidate %d: a small blue square" % (self.run_id, i)
            r = generate(clients[cnode], prompt, a.small_size)
            j = r.json() or {}
            key = (j.get("gencache") or {}).get("key")
            if r.status != 200 or not key:
                create_fail.append("cycle %d node %d: %s %s" % (i, cnode + 1, r.status, r.error or r.body[:200]))
                continue
            v = clients[inode].request("POST", "/v1/cache/invalidate", {"keys": [key]})
            cycles += 1
            lat.append(v.ms)
            by_node[inode + 1].append(v.ms)
            statuses[v.status] = statuses.get(v.status, 0) + 1
            vj = v.json() or {}
            if v.status == 202:
                missing_202.append({"cycle": i, "node": inode + 1, "ms": round(v.ms, 1), "body": vj})
            elif v.status != 200:
                missing_202.append({"cycle": i, "node": inode + 1, "status": v.status,
                                    "body": v.error or v.body[:300].decode("utf-8", "replace")})
            if v.status in (200, 202) and vj.get("removed") != 1:
                bad_removed.append({"cycle": i, "key": key, "body": vj})
            if v.status == 200:
                for k in range(n):
                    c = generate(clients[k], prompt, a.small_size, only_if_cached=True)
                    if c.status != 504:
                        stale_reads.append({"cycle": i, "key": key, "read_node": k + 1, "invalidated_on": inode + 1,
                                            "status": c.status, "x_cache": c.headers.get("x-cache")})
        for c in clients:
            c.close()
        d = dist(lat)
        print("  invalidate latency: %s; status counts %s; 202s: %d; per node: %s"
              % (fmt_dist(d), dict(sorted(statuses.items())), statuses.get(202, 0),
                 " ".join("%d: p50 %s p99 %s" % (k, fmt_ms(pct(v, 50)), fmt_ms(pct(v, 99))) for k, v in by_node.items())),
              flush=True)
        print("  reads after an acknowledged invalidation that were not 504: %d of %d" % (len(stale_reads), statuses.get(200, 0) * n),
              flush=True)
        if create_fail:
            self.problem("invalidation: %d creates failed; first: %s" % (len(create_fail), create_fail[:3]))
        if missing_202:
            self.problem("invalidation: %d answers were not 200; first: %s" % (len(missing_202), json.dumps(missing_202[:3])))
        if bad_removed:
            self.problem("invalidation: %d answers with removed != 1; first: %s" % (len(bad_removed), json.dumps(bad_removed[:3])))
        if stale_reads:
            self.problem("invalidation: %d only-if-cached reads still answered after a 200 invalidation; first: %s"
                         % (len(stale_reads), json.dumps(stale_reads[:3])))
        self.results["invalidation"] = {"cycles": cycles, "latency": d, "statuses": statuses,
                                        "per_node": {k: dist(v) for k, v in by_node.items()},
                                        "non_200": missing_202, "removed_not_1": bad_removed,
                                        "stale_reads": stale_reads, "create_failures": create_fail}

    # --- 3. failover ------------------------------------------------------------------------------

    def cluster_view(self, url):
        c = Client(url, 10)
        r = c.request("GET", "/v1/cluster")
        c.close()
        if r.status != 200:
            raise RuntimeError("GET %s/v1/cluster: %s %s" % (url, r.status, r.error or r.body[:200]))
        return r.json()

    def failover(self):
        a = self.args
        n = len(self.urls)
        print("\n== 3. failover: %d entries (%s), SIGKILL the leader, poll /v1/cluster every %d ms on the survivors"
              % (a.entries, a.small_size, a.poll_ms), flush=True)
        # Create the entries, spread over the nodes.
        prompts = ["bench-cluster %s failover entry %d: a green triangle over a yellow field" % (self.run_id, i)
                   for i in range(a.entries)]
        created = [None] * a.entries
        work = queue.Queue()
        for i in range(a.entries):
            work.put(i)
        create_stop = now() + min(60.0, max(10.0, self.left() - 90))

        def creator():
            cs = [Client(u, 15) for u in self.urls]
            while now() < create_stop:
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    break
                created[i] = generate(cs[i % n], prompts[i], a.small_size)
            for c in cs:
                c.close()

        t0 = now()
        ts = [threading.Thread(target=creator, daemon=True) for _ in range(a.create_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(max(0.0, create_stop + 20 - now()))
        bad = [(i, r.status if r else None, r.headers.get("x-cache") if r else None) for i, r in enumerate(created)
               if r is None or r.status != 200 or r.headers.get("x-cache") != "MISS"]
        ok_idx = [i for i, r in enumerate(created) if r is not None and r.status == 200]
        print("  created %d/%d entries in %.1f s (%d not a 200 MISS%s)"
              % (len(ok_idx), a.entries, now() - t0, len(bad), ": %s" % bad[:5] if bad else ""), flush=True)
        if bad:
            self.problem("failover: %d of %d creates were not a 200 MISS; first: %s" % (len(bad), a.entries, bad[:5]))

        # Who leads, and which index is that.
        views = [self.cluster_view(u) for u in self.urls]
        ids = [v.get("node_id") for v in views]
        leaders = {(v.get("leader"), v.get("term")) for v in views}
        entries_before = sum(m.get("entries", 0) for m in views[0].get("members", []) if m.get("reachable", True))
        if len(leaders) != 1:
            self.problem("failover: the nodes disagree about the leader before the kill: %s" % leaders)
        leader, term0 = views[0].get("leader"), views[0].get("term")
        port_of = {urllib.parse.urlsplit(u).port: k for k, u in enumerate(self.urls)}
        via_url = {m.get("node_id"): port_of.get(urllib.parse.urlsplit(m.get("http_url") or "").port)
                   for m in views[0].get("members", [])}
        if leader not in ids:
            raise RuntimeError("leader %s is none of the nodes %s" % (leader, ids))
        kidx = ids.index(leader)
        if via_url.get(leader) != kidx:
            self.problem("failover: leader %s is node %d by its own node_id but node %s by members[].http_url"
                         % (leader, kidx + 1, None if via_url.get(leader) is None else via_url.get(leader) + 1))
        survivors = [k for k in range(n) if k != kidx]
        print("  leader %s term %s = node %d; owned entries in the cluster before the kill: %d"
              % (leader, term0, kidx + 1, entries_before), flush=True)

        pid_file = os.path.join(a.state_dir, "node-%d.pid" % (kidx + 1))
        with open(pid_file) as f:
            pid = int(f.read().strip())

        stop = threading.Event()
        lock = threading.Lock()
        polls, reads = [], []
        tick_queues = {s: queue.Queue() for s in survivors}

        def poller(s):
            c = Client(self.urls[s], 10)
            while not stop.is_set():
                try:
                    tick_queues[s].get(timeout=0.2)
                except queue.Empty:
                    continue
                r = c.request("GET", "/v1/cluster")
                j = r.json() if r.status == 200 else None
                rec = {"node": s, "t0": r.t0, "t1": r.t1, "status": r.status,
                       "leader": j.get("leader") if j else None, "term": j.get("term") if j else None,
                       "members": len(j.get("members") or []) if j else None,
                       "unreachable": sum(1 for m in (j.get("members") or []) if m.get("reachable") is False) if j else None}
                with lock:
                    polls.append(rec)
            c.close()

        def ticker():
            # One poll per survivor every poll_ms; a poll may take up to ~1 s while a member does not answer
            # its stats request, so polls overlap (up to poll_workers per survivor) to keep the 20 ms grid.
            nxt = now()
            while not stop.is_set():
                for s in survivors:
                    if tick_queues[s].qsize() < 2:
                        tick_queues[s].put(1)
                nxt += a.poll_ms / 1000.0
                time.sleep(max(0.0, nxt - now()))

        def reader(s, offset):
            c = Client(self.urls[s], 15)
            i = offset
            while not stop.is_set() and ok_idx:
                p = ok_idx[i % len(ok_idx)]
                i += 1
                r = generate(c, prompts[p], a.small_size, only_if_cached=True)
                with lock:
                    reads.append({"node": s, "t0": r.t0, "t1": r.t1, "status": r.status, "entry": p,
                                  "error": r.error})
            c.close()

        threads = [threading.Thread(target=poller, args=(s,), daemon=True) for s in survivors for _ in range(a.poll_workers)]
        threads.append(threading.Thread(target=ticker, daemon=True))
        threads += [threading.Thread(target=reader, args=(s, (k * a.readers + j) * len(ok_idx) // (len(survivors) * a.readers)),
                                     daemon=True) for k, s in enumerate(survivors) for j in range(a.readers)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # connections open, polls and reads flowing

        env = dict(os.environ, GENCACHE_STATE_DIR=a.state_dir)
        t_cmd = now()
        proc = subprocess.Popen([a.cluster_sh, "kill", str(kidx + 1)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        t_kill = None
        while now() - t_cmd < 15:
            if not pid_running(pid):
                t_kill = now()
                break
            time.sleep(0.001)
        try:
            kill_out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            kill_out, _ = proc.communicate()
        t_cmd_end = now()
        wall_kill = time.time() - (now() - t_kill)
        if proc.returncode != 0 or t_kill is None:
            stop.set()
            raise RuntimeError("cluster.sh kill %d failed (rc %s): %s" % (kidx + 1, proc.returncode, kill_out.strip()))
        print("  %s at %s (process gone %.0f ms after cluster.sh kill started; the command took %.0f ms)"
              % (kill_out.strip(), time.strftime("%H:%M:%S", time.localtime(wall_kill)) + (".%03d" % (wall_kill % 1 * 1000)),
                 (t_kill - t_cmd) * 1000, (t_cmd_end - t_cmd) * 1000), flush=True)

        def new_leader(p):
            return (p["status"] == 200 and p["leader"] is not None and p["leader"] != leader
                    and isinstance(p["term"], (int, float)) and p["term"] > term0)

        detected = {}
        give_up = now() + a.failover_seconds
        while now() < give_up:
            with lock:
                snap_polls, snap_reads = list(polls), list(reads)
            for s in survivors:
                hits = [p for p in snap_polls if p["node"] == s and new_leader(p)]
                if hits:
                    detected[s] = min(hits, key=lambda p: p["t1"])
            read_ok = {s for s in survivors for r in snap_reads if r["node"] == s and r["t0"] >= t_kill and r["status"] == 200}
            if len(detected) == len(survivors) and read_ok == set(survivors):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(20)

        with lock:
            polls_after = [p for p in polls if p["t1"] >= t_kill]
            reads_after = [r for r in reads if r["t0"] >= t_kill]
            reads_all = list(reads)
        leader_ms = {s + 1: (p["t1"] - t_kill) * 1000.0 for s, p in detected.items()}
        new_leaders = {(p["leader"], p["term"]) for p in detected.values()}
        failover_ms = max(leader_ms.values()) if len(detected) == len(survivors) else None
        new_leader_node = None
        if len(new_leaders) == 1:
            nl = next(iter(new_leaders))
            new_leader_node = ids.index(nl[0]) + 1 if nl[0] in ids else None
        # The poll answered just before the first new view (it may predate the kill): the figure's resolution.
        # /v1/cluster waits up to 1 s for a member that does not answer, so right after the kill answers are sparse.
        last_old = {}
        with lock:
            polls_all = list(polls)
        for s in survivors:
            olds = [p for p in polls_all if p["node"] == s and s in detected and p["t1"] < detected[s]["t1"]]
            last_old[s + 1] = (max(p["t1"] for p in olds) - t_kill) * 1000.0 if olds else None
        member_drop = {}
        for s in survivors:
            two = [p for p in polls_after if p["node"] == s and p["status"] == 200 and p["members"] is not None
                   and p["members"] < n]
            member_drop[s + 1] = (min(p["t1"] for p in two) - t_kill) * 1000.0 if two else None
        log_view = leader_log_times(a.state_dir, [s + 1 for s in survivors], wall_kill)
        poll_lat = dist([(p["t1"] - p["t0"]) * 1000.0 for p in polls_after])
        poll_status = {}
        for p in polls_after:
            poll_status[p["status"]] = poll_status.get(p["status"], 0) + 1
        print("  new leader: %s; seen on survivors %s ms after the kill (the answer before it at %s ms, old view); "
              "killed member gone from the member list after %s ms; %d polls after the kill, statuses %s, poll latency %s"
              % (", ".join("%s term %s (node %s)" % (l, t, new_leader_node) for l, t in new_leaders) or "NONE",
                 {k: round(v) for k, v in leader_ms.items()},
                 {k: (None if v is None else round(v)) for k, v in last_old.items()},
                 {k: (None if v is None else round(v)) for k, v in member_drop.items()},
                 len(polls_after), poll_status, fmt_dist(poll_lat)), flush=True)
        print("  node logs (cross-check): %s" % ("; ".join("node %d %s" % (k, v) for k, v in log_view.items()) or "-"),
              flush=True)
        if failover_ms is None:
            self.problem("failover: no new leader with a term above %s on every survivor within %d s of the kill; "
                         "last polls: %s" % (term0, a.failover_seconds,
                                             [{k: v for k, v in p.items() if k not in ("t0", "t1")} for p in polls_after[-4:]]))
        elif len(new_leaders) != 1:
            self.problem("failover: the survivors name different new leaders: %s" % new_leaders)

        # Reads during the failover.
        first_ok = [r for r in reads_after if r["status"] == 200]
        first_ok_ms = (min(r["t1"] for r in first_ok) - t_kill) * 1000.0 if first_ok else None
        first_ok_by_node = {}
        for s in survivors:
            ok = [r for r in first_ok if r["node"] == s]
            first_ok_by_node[s + 1] = round((min(r["t1"] for r in ok) - t_kill) * 1000.0) if ok else None
        read_status = {}
        for r in reads_after:
            read_status[r["status"]] = read_status.get(r["status"], 0) + 1
        # Reads in flight at the kill count too: a read that started before and ended after it.
        spanning = [r for r in reads_all if r["t0"] < t_kill <= r["t1"]]
        read_lat = dist([(r["t1"] - r["t0"]) * 1000.0 for r in reads_after + spanning])
        slowest = max(reads_after + spanning, key=lambda r: r["t1"] - r["t0"], default=None)
        stalled = [r for r in reads_after + spanning if (r["t1"] - r["t0"]) * 1000.0 > a.stall_ms]
        stalled_until = (max(r["t1"] for r in stalled) - t_kill) * 1000.0 if stalled else None
        print("  only-if-cached reads on the survivors during the failover (%d readers per survivor): %d started after "
              "the kill, statuses %s; first 200 completed %s ms after the kill (per survivor %s); %d reads took over %d ms, "
              "the last of them completed %s ms after the kill; read latency %s%s"
              % (a.readers, len(reads_after), read_status, fmt_ms(first_ok_ms), first_ok_by_node, len(stalled), a.stall_ms,
                 fmt_ms(stalled_until), fmt_dist(read_lat),
                 "" if slowest is None else "; slowest: node %d entry %d, %.0f..%.0f ms after the kill, status %s"
                 % (slowest["node"] + 1, slowest["entry"], (slowest["t0"] - t_kill) * 1000, (slowest["t1"] - t_kill) * 1000,
                    slowest["status"])), flush=True)
        failover_504 = [r for r in reads_after if r["status"] == 504]
        if failover_504:
            self.problem("failover: %d only-if-cached reads of created entries answered 504 during the failover; first: %s"
                         % (len(failover_504), [(r["node"] + 1, r["entry"], round((r["t1"] - t_kill) * 1000)) for r in failover_504[:5]]))

        # Every entry, read back on the survivors once the new leader is known.
        t_check = now()
        check_ms = (t_check - t_kill) * 1000.0
        results = [None] * len(ok_idx)
        cq = queue.Queue()
        for k in range(len(ok_idx)):
            cq.put(k)
        check_stop = now() + 60

        def checker():
            cs = {s: Client(self.urls[s], 15) for s in survivors}
            while now() < check_stop:
                try:
                    k = cq.get_nowait()
                except queue.Empty:
                    break
                s = survivors[k % len(survivors)]
                results[k] = (s, generate(cs[s], prompts[ok_idx[k]], a.small_size, only_if_cached=True))
            for c in cs.values():
                c.close()

        ts = [threading.Thread(target=checker, daemon=True) for _ in range(a.create_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(80)
        check_status = {}
        lost = []
        for k, x in enumerate(results):
            st = x[1].status if x else None
            check_status[st] = check_status.get(st, 0) + 1
            if st != 200:
                lost.append({"entry": ok_idx[k], "prompt": prompts[ok_idx[k]], "node": x[0] + 1 if x else None,
                             "status": st, "error": x[1].error if x else "not checked"})
        n504 = check_status.get(504, 0)
        check_lat = dist([x[1].ms for x in results if x])
        print("  read-back of all %d entries (only-if-cached, alternating survivors), started %.0f ms after the kill: "
              "statuses %s -> %d lost (504); read latency %s"
              % (len(ok_idx), check_ms, check_status, n504, fmt_dist(check_lat)), flush=True)
        recheck = []
        if lost:
            time.sleep(5)
            cs = {s: Client(self.urls[s], 15) for s in survivors}
            for e in lost[:50]:
                s = survivors[e["entry"] % len(survivors)]
                r = generate(cs[s], e["prompt"], a.small_size, only_if_cached=True)
                recheck.append({"entry": e["entry"], "node": s + 1, "status": r.status})
            for c in cs.values():
                c.close()
            self.problem("failover: %d of %d entries not readable after the failover (statuses %s); first: %s; "
                         "5 s later on the other survivor: %s"
                         % (len(lost), len(ok_idx), check_status, json.dumps(lost[:3]), recheck[:10]))
        views_after = [self.cluster_view(self.urls[s]) for s in survivors]
        entries_after = sum(m.get("entries", 0) for m in views_after[0].get("members", []) if m.get("reachable", True))
        print("  owned entries in the cluster: %d before the kill, %d after (node %d's view, %d members)"
              % (entries_before, entries_after, survivors[0] + 1, len(views_after[0].get("members", []))), flush=True)
        if entries_after < entries_before:
            self.problem("failover: the cluster owns %d entries after the kill, %d before" % (entries_after, entries_before))
        self.results["failover"] = {
            "entries": len(ok_idx), "leader_before": leader, "term_before": term0, "killed_node": kidx + 1,
            "new_leaders": [list(x) for x in new_leaders], "new_leader_node": new_leader_node,
            "leader_seen_ms": leader_ms, "failover_ms": failover_ms, "last_old_view_ms": last_old,
            "member_drop_ms": member_drop, "log_view": log_view, "polls_after_kill": len(polls_after), "poll_status": poll_status,
            "poll_latency": poll_lat, "kill_command_ms": (t_cmd_end - t_cmd) * 1000, "kill_observed_ms": (t_kill - t_cmd) * 1000,
            "first_ok_read_ms": first_ok_ms, "first_ok_read_by_node": first_ok_by_node,
            "stalled_reads": len(stalled), "stalled_until_ms": stalled_until, "read_status": read_status,
            "read_latency": read_lat, "check_started_ms": check_ms, "check_status": {str(k): v for k, v in check_status.items()},
            "lost": n504, "not_200": lost, "recheck": recheck, "check_latency": check_lat,
            "entries_before": entries_before, "entries_after": entries_after,
        }

    # --- summary ----------------------------------------------------------------------------------

    def summary(self):
        rows = []
        c = self.results.get("coalescing")
        if c:
            for r in c["rounds"]:
                rows.append(("coalesce round %d" % r["round"],
                             "gen %g  M/C/H %d/%d/%d  wait p50/p99/max %s/%s/%s ms"
                             % (r["generations"], r["counts"].get("MISS", 0), r["counts"].get("COALESCED", 0),
                                r["counts"].get("HIT", 0), fmt_ms(r["waits"]["p50"]), fmt_ms(r["waits"]["p99"]),
                                fmt_ms(r["waits"]["max"]))))
            g = c["aggregate"]
            rows.append(("coalesce all", "gen %d/%d rounds  M/C/H %d/%d/%d  wait p50/p99/max %s/%s/%s ms"
                         % (g["generations"], g["rounds"], g["miss"], g["coalesced"], g["hit"],
                            fmt_ms(g["waits"]["p50"]), fmt_ms(g["waits"]["p99"]), fmt_ms(g["waits"]["max"]))))
        v = self.results.get("invalidation")
        if v:
            rows.append(("invalidate", "p50/p99/max %s/%s/%s ms  200: %d  202: %d  other: %d  stale reads: %d"
                         % (fmt_ms(v["latency"]["p50"]), fmt_ms(v["latency"]["p99"]), fmt_ms(v["latency"]["max"]),
                            v["statuses"].get(200, 0), v["statuses"].get(202, 0),
                            sum(x for k, x in v["statuses"].items() if k not in (200, 202)), len(v["stale_reads"]))))
        f = self.results.get("failover")
        if f:
            rows.append(("failover leader", "%s ms kill -> new leader on both survivors (term %s -> %s)"
                         % (fmt_ms(f["failover_ms"]), f["term_before"],
                            "/".join(str(t) for _, t in f["new_leaders"]) or "-")))
            rows.append(("failover reads", "first only-if-cached 200 %s ms after kill; stalled reads until %s ms; "
                         "lost %d of %d entries" % (fmt_ms(f["first_ok_read_ms"]), fmt_ms(f["stalled_until_ms"]),
                                                    f["lost"], f["entries"])))
        rows.append(("problems", str(len(self.problems))))
        w = max(len(r[0]) for r in rows)
        print("\n== summary (run %s, %.0f s)" % (self.run_id, now() - self.t_start))
        print("  %-*s | %s" % (w, "figure", "value"))
        print("  %s-+-%s" % ("-" * w, "-" * 60))
        for name, val in rows:
            print("  %-*s | %s" % (w, name, val))
        for p in self.problems:
            print("  PROBLEM: " + p)
        sys.stdout.flush()


def log_lines(state_dir, n, needles, limit=4):
    """Node log lines (WARN and above) that mention one of the needles, as 'node I: line'."""
    needles = [x for x in needles if x]
    found = []
    for k in range(1, n + 1):
        try:
            with open(os.path.join(state_dir, "node-%d.log" % k), errors="replace") as f:
                for line in f:
                    if any(x in line for x in needles) and (" WARN " in line or " ERROR " in line):
                        found.append("node %d: %s" % (k, line.strip()[:300]))
        except OSError:
            pass
    return found[:limit]


LOG_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) ")


def leader_log_times(state_dir, nodes, wall_kill):
    """Per node, ms after the kill of the first log lines about the departure and the new leader."""
    day0 = time.mktime(time.localtime(wall_kill)[:3] + (0, 0, 0, 0, 0, -1))
    patterns = [("suspected dead", "is suspected to be dead"), ("new leader", "Leader is "),
                ("leads", "This node is the leader")]
    out = {}
    for k in nodes:
        seen = {}
        try:
            with open(os.path.join(state_dir, "node-%d.log" % k), errors="replace") as f:
                for line in f:
                    m = LOG_TIME.match(line)
                    if not m:
                        continue
                    h, mi, se, ms = map(int, m.groups())
                    dt = (day0 + h * 3600 + mi * 60 + se + ms / 1000.0 - wall_kill) * 1000.0
                    if dt < -50 or dt > 120000:
                        continue
                    for label, needle in patterns:
                        if label not in seen and needle in line:
                            seen[label] = round(dt)
        except OSError:
            continue
        out[k] = ", ".join("%s at %d ms" % (l, v) for l, v in seen.items()) or "nothing logged"
    return out


def pid_running(pid):
    """True while pid is a live, non-zombie process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(")") + 2:][:1]
    return state not in ("Z", "X", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", required=True, help="comma-separated base URLs of nodes 1..N, in cluster.sh order")
    ap.add_argument("--cluster-sh", required=True)
    ap.add_argument("--state-dir", required=True, help="GENCACHE_STATE_DIR of the cluster (PID files)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup-rounds", type=int, default=10, help="uncounted coalescing rounds, one request per node")
    ap.add_argument("--waiters", type=int, default=150)
    ap.add_argument("--coalesce-size", default="1024x1024")
    ap.add_argument("--small-size", default="64x64")
    ap.add_argument("--inval-cycles", type=int, default=200)
    ap.add_argument("--inval-seconds", type=float, default=90)
    ap.add_argument("--entries", type=int, default=300)
    ap.add_argument("--create-threads", type=int, default=6)
    ap.add_argument("--poll-ms", type=int, default=20)
    ap.add_argument("--poll-workers", type=int, default=64, help="concurrent /v1/cluster polls per survivor")
    ap.add_argument("--readers", type=int, default=4, help="only-if-cached reader threads per survivor during the failover")
    ap.add_argument("--stall-ms", type=int, default=250, help="a failover read slower than this counts as stalled")
    ap.add_argument("--failover-seconds", type=float, default=60)
    ap.add_argument("--gen-timeout", type=float, default=60)
    ap.add_argument("--budget-seconds", type=float, default=270, help="soft limit of the whole run")
    ap.add_argument("--phases", default="coalesce,invalidate,failover")
    ap.add_argument("--results", help="write every figure as JSON here")
    args = ap.parse_args()
    args.urls = [u.strip().rstrip("/") for u in args.urls.split(",") if u.strip()]
    if len(args.urls) < 3:
        ap.error("need 3 node URLs")
    if args.waiters < len(args.urls) or args.rounds < 1:
        ap.error("bad --waiters/--rounds")
    run = Run(args)
    phases = set(args.phases.split(","))
    rc = 0
    try:
        if "coalesce" in phases:
            run.coalescing()
        if "invalidate" in phases:
            run.invalidation()
        if "failover" in phases:
            run.failover()
    except Exception as e:  # a setup failure: print what was measured so far
        run.problem("aborted: %r" % e)
        rc = 2
    run.summary()
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"run_id": run.run_id, "urls": args.urls, "results": run.results, "problems": run.problems},
                      f, indent=1, default=str)
        print("figures as JSON: %s" % args.results)
    return rc or (1 if run.problems else 0)


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        code = 130
    sys.stdout.flush()
    os._exit(code)  # do not wait for daemon threads still blocked in a request
