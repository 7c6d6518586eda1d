#!/usr/bin/env bash
# Benchmarks the TCP event-bus bridge: the round trip of a gencache.generate cache HIT through the
# bridge, next to the same HIT as HTTP POST /v1/images/generations. Starts ONE gencache node (embedded
# generator) on free loopback ports, runs scripts/bench_bridge.py against it and stops it again:
# one prompt generated once, then --warmup uncounted rounds (default 2000) and --requests measured
# rounds (default 5000), each bounded by --seconds (default 60). A round is one request of each of:
# generate with scripts/clients/gencache_bridge.py, generate over a raw bridge socket read in the
# caller's thread, the HTTP POST on one keep-alive http.client connection, and a bridge ping; one at
# a time, in rotating order. Prints p50/p90/p99/max/mean in microseconds per variant and a RESULT
# line; then, where Node.js is installed, the same HIT over the SockJS bridge with the npm client
# (scripts/clients/node/bench.mjs) and its RESULT line.
#
#   scripts/bench-bridge.sh [bench_bridge.py options, e.g. --requests 1000 --warmup 200 --seconds 30]
#
# The node gets random free ports on 127.0.0.1 (HTTP and bridge 20000-31999, member 10000-19999), a
# random cluster name and a member list of only itself, and bridge.max-messages-per-second 1000000
# (the default 100 per connection would refuse a benchmark). Everything of a run is in
# target/bench-bridge-<name>/: node.log, node.pid and results.json. The jar is built when missing or
# older than the sources, before the node starts; the node then runs with the java command line of
# scripts/run.sh, started directly. At exit the script stops exactly the PIDs it started (the
# benchmark if still running, then the node: SIGTERM, up to 15 s, then SIGKILL); nothing is killed by
# name. GENCACHE_JAVA_OPTS (default -Xmx512m) goes to the JVM; other GENCACHE_* settings pass through.
# Needs python3 (standard library only), curl and timeout (coreutils).
# Exit code: 0 measured and every reply a HIT, 1 a check failed (PROBLEM lines), 2 setup error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
me=bench-bridge.sh
for tool in python3 curl timeout java; do
  command -v $tool >/dev/null || { echo "$me: $tool is required" >&2; exit 2; }
done
ready_timeout=90
stop_timeout=15

jar=target/gencache.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src cluster-config -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -o -DskipTests package || mvn -q -B -DskipTests package || { echo "$me: the build failed" >&2; exit 2; }
fi
source scripts/jvm-flags.sh
source scripts/benchnode.sh

name="bench-bridge-$(date +%H%M%S)-$RANDOM"
dir=target/$name
mkdir -p "$dir"
node_pid=""
bench_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$node_pid" ] && echo "--- stopping the node (PID $node_pid; log in $dir/node.log)"
  stop_pid "$bench_pid" "benchmark"
  stop_pid "$node_pid" "gencache node"
  rm -f "$dir/node.pid"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export GENCACHE_CLUSTER_NAME=$name
export GENCACHE_CLUSTER_QUORUM=1
export GENCACHE_HTTP_SHUTDOWN_GRACE_SECONDS=5
export GENCACHE_BRIDGE_TCP_ENABLED=true
export GENCACHE_BRIDGE_MAX_MESSAGES_PER_SECOND=1000000
node_cmd=(java ${GENCACHE_JAVA_OPTS:--Xmx512m} "${GENCACHE_JVM_FLAGS[@]}" -jar "$jar")
start_node "$dir/node.log"
echo "$node_pid" >"$dir/node.pid"
bridges=$(grep -o 'event-bus bridges: .*' "$dir/node.log" | head -n 1 || true)
echo "gencache $gencache (PID $node_pid), cluster $name; ${bridges:-event-bus bridges: ?}"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1), $(python3 --version)"
# The hard bound is on top of the benchmark's own (warm-up and measurement, --seconds each).
run_bench 300 python3 scripts/bench_bridge.py --http "$gencache" --bridge "127.0.0.1:$bridge_port" \
  --results "$dir/results.json" "$@"
[ $bench_rc = 0 ] || exit $bench_rc
# The same HIT over the SockJS bridge with the Node.js client, when Node.js is here.
if command -v node >/dev/null && command -v npm >/dev/null; then
  [ -d scripts/clients/node/node_modules/@vertx ] || npm ci --prefix scripts/clients/node --no-audit --no-fund >&2
  run_bench 300 node scripts/clients/node/bench.mjs --url "$gencache" "$@"
else
  echo "(no Node.js: the SockJS round trip is not measured)"
fi
exit $bench_rc
