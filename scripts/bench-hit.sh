#!/usr/bin/env bash
# Benchmarks the content-hit path: one node (embedded generator), one ~100 KB image, wrk over
# HTTP keep-alive. Prints the image size, then wrk's latency distribution and throughput twice:
# with one connection (latency of a lone hit) and with N connections (throughput under load).
#   scripts/bench-hit.sh [connections=64] [seconds=15] [size=WxH]
# Needs wrk (Debian package "wrk"; installed here when missing and apt is usable).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
conns=${1:-64}
secs=${2:-15}
size=${3:-440x440}
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is required (apt-get install wrk)" >&2; exit 1
  fi
fi
[ -f target/gencache.jar ] || mvn -q -B -DskipTests package
source scripts/jvm-flags.sh

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hzport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp /tmp/gencache-bench.XXXXXX.log)
GENCACHE_BRIDGE_TCP_PORT=0 GENCACHE_HTTP_PORT=$port GENCACHE_CLUSTER_PORT=$hzport GENCACHE_CLUSTER_NAME="bench-$$" \
  java $GENCACHE_HEAP_OPTS "${GENCACHE_JVM_FLAGS[@]}" -jar target/gencache.jar >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "node did not become ready" >&2; cat "$log"; exit 1; }

url=$(curl -sf "http://127.0.0.1:$port/v1/images/generations" -H 'Content-Type: application/json' \
  -d "{\"prompt\":\"a red fox in the snow under a starry sky, benchmark\",\"size\":\"$size\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["url"])')
bytes=$(curl -sf "$url" | wc -c)
echo "image: $url ($bytes bytes)"
# Warm up the JIT and the near cache, then measure.
wrk -t2 -c"$conns" -d5s "$url" >/dev/null
echo "--- 1 connection"
wrk -t1 -c1 -d"${secs}s" --latency "$url"
echo "--- $conns connections"
wrk -t2 -c"$conns" -d"${secs}s" --latency "$url"
