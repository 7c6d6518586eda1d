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

# True while PID $1 is a live process (a zombie child that exited does not count).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}

# SIGTERM to one PID this script started, up to $stop_timeout s, then SIGKILL; reaps it.
stop_pid() {
  local pid=$1 what=$2 waited=0
  [ -n "$pid" ] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && [ $waited -lt $((stop_timeout * 10)) ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    if alive "$pid"; then
      echo "$me: $what (PID $pid) still running after ${stop_timeout} s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

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
ready=0
for attempt in 1 2 3; do
  read -r http_port hz_port bridge_port < <(python3 scripts/free_ports.py 1:20000:32000 1:10000:20000 1:20000:32000)
  export GENCACHE_HTTP_PORT=$http_port GENCACHE_CLUSTER_PORT=$hz_port GENCACHE_CLUSTER_MEMBERS=127.0.0.1:$hz_port
  export GENCACHE_BRIDGE_TCP_PORT=$bridge_port
  # shellcheck disable=SC2086
  java ${GENCACHE_JAVA_OPTS:--Xmx512m} "${GENCACHE_JVM_FLAGS[@]}" -jar "$jar" >"$dir/node.log" 2>&1 &
  node_pid=$!
  echo "$node_pid" >"$dir/node.pid"
  gencache="http://127.0.0.1:$http_port"
  deadline=$((SECONDS + ready_timeout))
  while [ $SECONDS -lt $deadline ] && alive "$node_pid"; do
    if curl -sf -o /dev/null --max-time 2 "$gencache/health/ready"; then
      ready=1
      break
    fi
    sleep 0.5
  done
  [ $ready = 1 ] && break
  if alive "$node_pid"; then
    echo "$me: the node was not ready within ${ready_timeout} s; end of $dir/node.log:" >&2
    tail -n 30 "$dir/node.log" >&2
    exit 2
  fi
  wait "$node_pid" 2>/dev/null || true
  node_pid=""
  if [ $attempt = 3 ] || ! grep -qE 'BindException|Address already in use' "$dir/node.log"; then
    echo "$me: the node exited before it was ready; end of $dir/node.log:" >&2
    tail -n 30 "$dir/node.log" >&2
    exit 2
  fi
  echo "port taken, trying others" >&2
done
bridges=$(grep -o 'event-bus bridges: .*' "$dir/node.log" | head -n 1 || true)
echo "gencache $gencache (PID $node_pid), cluster $name; ${bridges:-event-bus bridges: ?}"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1), $(python3 --version)"
# In the background and waited for, so a signal to this script runs the cleanup at once. The hard
# bound is on top of the benchmark's own (warm-up and measurement, --seconds each).
timeout -k 10 300 python3 scripts/bench_bridge.py --http "$gencache" --bridge "127.0.0.1:$bridge_port" \
  --results "$dir/results.json" "$@" &
bench_pid=$!
set +e
wait "$bench_pid"
bench_rc=$?
set -e
bench_pid=""
[ $bench_rc = 124 ] && echo "$me: the benchmark hit the 300 s hard limit" >&2
[ $bench_rc = 0 ] || exit $bench_rc
# The same HIT over the SockJS bridge with the Node.js client, when Node.js is here.
if command -v node >/dev/null && command -v npm >/dev/null; then
  [ -d scripts/clients/node/node_modules/@vertx ] || npm ci --prefix scripts/clients/node --no-audit --no-fund >&2
  timeout -k 10 300 node scripts/clients/node/bench.mjs --url "$gencache" "$@" &
  bench_pid=$!
  set +e
  wait "$bench_pid"
  bench_rc=$?
  set -e
  bench_pid=""
else
  echo "(no Node.js: the SockJS round trip is not measured)"
fi
exit $bench_rc
