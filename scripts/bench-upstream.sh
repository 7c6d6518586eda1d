#!/usr/bin/env bash
# Benchmarks gencache in front of a slow upstream on this machine: starts scripts/origin.py (a stand-in
# image generator) and ONE gencache node whose only generator is the `http` entry `origin` pointing
# at it, runs scripts/bench_upstream.py against both and stops them again. Prints:
#   1. miss overhead: 30 uncounted warm-up misses, then 200 unique prompts (256x256, origin delay
#      100 ms, ~100 KB PNGs) one after the other, each as a direct GET to the origin's /generate with
#      the parameters gencache sends and as a POST through gencache (MISS), in alternating order:
#      latency p50/p99 of both and of the per-prompt difference, the origin's own service time,
#      and the same prompts again as HITs
#   2. failing upstream: 100 entries with ttl_seconds 2, expired, then the origin answers 500 to
#      everything while the 100 expired prompts (expected STALE) and 100 new ones (expected 502,
#      then 503 with Retry-After once the breaker is open) are requested, interleaved; how many
#      calls reached the origin meanwhile (the breaker should cut them); then the origin is restored
#      and, after the breaker's reset, a new prompt must be a MISS again. Without a request
#      Cache-Control an expired entry is served STALE at once with a background refresh
#      (stale-while-revalidate); `--expired-cache-control max-stale=0` tests stale-if-error instead
# and a summary table ending in one RESULT line. The whole run takes about 1-2 minutes on 2 cores.
#
#   scripts/bench-upstream.sh [bench_upstream.py options, e.g. --requests 100 --entries 50 --image-bytes 10240]
#
# The origin and the node get random free ports on 127.0.0.1 (origin: any; HTTP 20000-31999,
# member 10000-19999), the node a random cluster name and a member list of only itself, so neither
# a default cluster nor another benchmark is touched. Everything of a run is in
# target/bench-upstream-<name>/: config.yaml (the generator), origin.log, node.log, the PID files and
# results.json. At exit the script stops exactly the PIDs it started (the benchmark if still running,
# the node, the origin: SIGTERM, up to 15 s each, then SIGKILL); nothing is killed by name. The jar
# is built when missing or older than the sources (as scripts/run.sh would do, but before the
# readiness clock starts). The node runs with
# GENCACHE_CACHE_STALE_SECONDS=3600 and GENCACHE_JAVA_OPTS (default -Xmx512m); other GENCACHE_*
# settings pass through to it. Needs python3 (standard library only), curl and timeout (coreutils).
# Exit code: 0 all checks passed, 1 a check failed (gateway misbehaviour, listed as PROBLEM lines),
# 2 setup error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for tool in python3 curl timeout; do
  command -v $tool >/dev/null || { echo "bench-upstream.sh: $tool is required" >&2; exit 2; }
done

# The generator under test; bench_upstream.py gets the same figures for its breaker bound.
price=0.04
max_concurrency=8
retries=1
breaker_failures=5
breaker_reset_s=5
me=bench-upstream.sh
ready_timeout=90
stop_timeout=15
source scripts/benchnode.sh

jar=target/gencache.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src cluster-config -newer "$jar" -type f -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests package || { echo "bench-upstream.sh: the build failed" >&2; exit 2; }
fi

name="bench-upstream-$(date +%H%M%S)-$RANDOM"
dir=target/$name
mkdir -p "$dir"
origin_pid=""
node_pid=""
bench_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$node_pid$origin_pid" ]; then
    echo "--- stopping the node and the origin (logs in $dir/)"
  fi
  stop_pid "$bench_pid" "benchmark"
  stop_pid "$node_pid" "gencache node"
  stop_pid "$origin_pid" "origin"
  rm -f "$dir/node.pid" "$dir/origin.pid"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- origin: binds a free port itself and prints it first --------------------------------------------
start_origin "$dir" 100

cat >"$dir/config.yaml" <<EOF
# Written by scripts/bench-upstream.sh for run $name. Ports, cluster and stale window come from the
# environment (GENCACHE_*); see the script's header.
generators:
  - name: origin
    type: http
    base-url: $origin
    method: GET
    path: '/generate?prompt={prompt}&w={width}&h={height}&seed={seed}'
    response: image
    price-per-image: $price
    timeout: PT10S
    max-concurrency: $max_concurrency
    max-queue: 64
    retries: $retries
    retry-base-delay: PT0.1S
    breaker-failures: $breaker_failures
    breaker-reset: PT${breaker_reset_s}S
EOF

# --- node: one gencache via scripts/run.sh; a port taken between the check and the bind gets new ports
export GENCACHE_CONFIG=$root/$dir/config.yaml
export GENCACHE_CLUSTER_NAME=$name
export GENCACHE_CLUSTER_QUORUM=1
export GENCACHE_CACHE_STALE_SECONDS=3600
export GENCACHE_HTTP_SHUTDOWN_GRACE_SECONDS=5
export GENCACHE_JAVA_OPTS=${GENCACHE_JAVA_OPTS:--Xmx512m}
node_cmd=(scripts/run.sh)
start_node "$dir/node.log"
echo "$node_pid" >"$dir/node.pid"

echo "origin $origin (PID $origin_pid); gencache $gencache (PID $node_pid), cluster $name, member port $hz_port"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1)"
# The hard bound is on top of the benchmark's own per-phase limits.
run_bench 420 python3 scripts/bench_upstream.py --gencache "$gencache" --origin "$origin" \
  --breaker-failures $breaker_failures --breaker-reset-seconds $breaker_reset_s --retries $retries \
  --max-concurrency $max_concurrency --results "$dir/results.json" "$@"
exit $bench_rc
