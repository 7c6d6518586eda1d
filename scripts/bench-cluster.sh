#!/usr/bin/env bash
# Benchmarks gencache's cluster behaviour on this machine: starts 3 nodes with scripts/cluster.sh
# (embedded generator), runs scripts/bench_cluster.py against them and stops them again. Prints:
#   1. coalescing: 10 uncounted warm-up rounds (one request per node, so the JIT has compiled the path),
#      then 150 identical POSTs (50 per node, released together by a barrier, 1024x1024) per round,
#      5 rounds: generator calls in the cluster (the nodes' success counters in /metrics), MISS/COALESCED/HIT,
#      and how long after the MISS answer each COALESCED answer came (p50/p99/max)
#   2. invalidation: 200 cycles of (POST a 64x64 entry, POST /v1/cache/invalidate on a rotating node):
#      latency p50/p99/max, 200 vs 202 answers, and reads that still hit after a 200 invalidation
#   3. failover: 300 64x64 entries, SIGKILL of the leader (scripts/cluster.sh kill I), GET /v1/cluster
#      on the survivors every 20 ms until both name a new leader with a higher term: time from the
#      kill; first successful only-if-cached read after the kill; the 300 entries read back with
#      only-if-cached (a 504 is a lost entry)
# and a summary table. The whole run takes 1-2 minutes on 2 cores (nodes start in ~20 s).
#
#   scripts/bench-cluster.sh [bench_cluster.py options, e.g. --rounds 3 --entries 100]
#
# The nodes get random free ports (HTTP 20000-31999, member 10000-19999), a random cluster name and
# their own state directory target/bench-cluster-<name>/ (logs, PID files, results.json), so neither
# a default cluster nor another benchmark is touched. They are always stopped at exit with
# `scripts/cluster.sh stop`, which signals only the PIDs it recorded. The jar is built when missing
# (cluster.sh also rebuilds it when older than the sources, unless GENCACHE_SKIP_BUILD=1).
# GENCACHE_JAVA_OPTS and other GENCACHE_* settings pass through to the nodes as with cluster.sh.
# Needs python3 (standard library only) and curl. Exit code: 0 all checks passed, 1 a check failed
# (product misbehaviour, listed as PROBLEM lines), 2 setup error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nodes=3
command -v python3 >/dev/null || { echo "bench-cluster.sh: python3 is required" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench-cluster.sh: curl is required (scripts/cluster.sh uses it)" >&2; exit 2; }

if [ "${GENCACHE_SKIP_BUILD:-}" != 1 ] && [ ! -f target/gencache.jar ]; then
  echo "building target/gencache.jar ..." >&2
  mvn -q -B -DskipTests package
fi

# Prints "<http base> <member base>": two random runs of $nodes free ports, below the ephemeral range.
pick_ports() {
  python3 scripts/free_ports.py "$nodes:20000:32000" "$nodes:10000:20000"
}

name="bench-cluster-$(date +%H%M%S)-$RANDOM"
export GENCACHE_CLUSTER_NAME=$name
export GENCACHE_STATE_DIR=target/$name
state=$GENCACHE_STATE_DIR
started=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ $started = 1 ] && [ -f "$state/size" ]; then
    echo "--- stopping the nodes (scripts/cluster.sh stop; logs in $state/)"
    scripts/cluster.sh stop || rc=1
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start; a port taken between the check and the start (exit 3) gets new ports, at most 3 times.
for attempt in 1 2 3; do
  read -r GENCACHE_BASE_PORT GENCACHE_HZ_BASE_PORT < <(pick_ports)
  export GENCACHE_BASE_PORT GENCACHE_HZ_BASE_PORT GENCACHE_BRIDGE_BASE_PORT=0
  started=1
  set +e
  scripts/cluster.sh start $nodes
  rc=$?
  set -e
  [ $rc = 0 ] && break
  if [ $rc != 3 ] || [ $attempt = 3 ]; then
    echo "bench-cluster.sh: scripts/cluster.sh start failed (exit $rc)" >&2
    exit 2
  fi
  echo "ports taken, trying others" >&2
done

urls=""
for ((i = 0; i < nodes; i++)); do urls+="${urls:+,}http://127.0.0.1:$((GENCACHE_BASE_PORT + i))"; done
echo "cluster $name: HTTP $urls, member ports $GENCACHE_HZ_BASE_PORT..$((GENCACHE_HZ_BASE_PORT + nodes - 1))"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1)"
set +e
# Hard bound on top of the script's own per-phase limits.
timeout --foreground -k 10 480 python3 scripts/bench_cluster.py --urls "$urls" --cluster-sh scripts/cluster.sh \
  --state-dir "$state" --results "$state/results.json" "$@"
bench_rc=$?
set -e
[ $bench_rc = 124 ] && echo "bench-cluster.sh: the benchmark hit the 480 s hard limit" >&2
exit $bench_rc
