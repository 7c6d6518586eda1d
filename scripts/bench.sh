#!/usr/bin/env bash
# Measures gencache and nginx proxy_cache side by side, in one run, in front of the same slow origin
# (scripts/origin.py: a deterministic PNG of a set size after a set delay, counting its generations).
# gencache runs as one node whose only generator is an `http` entry pointing at the origin; nginx
# proxies GET /generate to the same origin with proxy_cache (+ proxy_cache_lock). Both serve the
# same bytes for the same prompt:
#   gencache  GET /v1/images/generations?prompt=P&size=256x256&seed=1
#   nginx     GET /generate?prompt=P&w=256&h=256&seed=1
# Pinning: gencache's JVM and nginx (master + 1 worker) on CPU 1 (--server-cpus); wrk, the Python
# clients and the origin on CPU 0. Phases (scripts/bench_side_by_side.py prints a section for each):
#   1. hits, for 100 KB and 10 KB images (one prompt per size, primed first): a warm-up per server
#      (--warmup s wrk runs, at least 6 the first time and 2 after, then until two in a row agree
#      within 10% and the JVM's JIT compiler threads used at most 0.5% of the last 30 s, at most
#      --warmup-max-runs: the JIT of a JVM pinned to one CPU runs on the event loop's core, and here
#      it kept compiling for 2-4 minutes of load; measured meanwhile, p99 was 1.5-2.5x a settled node's.
#      Each warm-up run's req/s, JIT milliseconds and p99 are printed), then --runs
#      alternating runs (gencache, nginx, gencache, ...) of
#      `wrk -t1 -c64 -d<seconds> --latency`: req/s, p50, p99, and CPU µs per request of the server
#      process(es) (utime+stime from /proc before and after each run, / requests); medians
#   2. cold burst, for 100 KB and then 10 KB images (--burst-sizes): 200 identical requests for a new
#      prompt on 200 new connections, written back to back
#      by scripts/bench/burst_client.c (compiled here with gcc; one thread reading the answers with epoll,
#      so that the client reads them as fast as a server writes them), origin delay 300 ms. First
#      --generation-warmup uncounted generations of distinct prompts (10 KB, origin delay 0), and a
#      tenth as many at each size: a burst runs the node's generation path (generator call, hashing,
#      the stores, the announcement) once, and after a hundred warm-up bursts it still ran in the
#      interpreter; these bring the node where one is after generating a few thousand images. Then
#      uncounted gencache warm-up rounds, printed ten to a line
#      (the hit warm-up does not compile the waiters' answer path, and the JIT shares the event loop's
#      core): at least --burst-warmup, then until the JIT used at most 15 ms of CPU a round over the
#      last 10 rounds, at most --burst-warmup-max; then --burst-rounds
#      rounds per server, alternating: origin generations per burst, overall p50/p99, the
#      waiters' lag after the first answer p50/p99 (client-side), the waiters' answers after the
#      generation completed (the origin's last byte written, its /stats last_done_monotonic, on the
#      client's clock): p50/p99/max and the share within 5 ms, plus gencache's own server-side
#      waiter lag per round (the gencache_waiter_lag_seconds histogram between two scrapes: the share
#      answered within 5 ms, p50/p99 interpolated in its buckets, mean).
#      nginx's proxy_cache_lock waiters poll every 500 ms, so expect ~500 ms there. Last, the floor
#      those figures compare with: the same burst for an image both have cached (30 uncounted
#      gencache runs, then 5 alternating runs each): the median and last answer after the first request
#   3. Zipf: --zipf-prompts prompts (exponent --zipf-s), --zipf-requests requests from wrk
#      (scripts/bench/zipf.lua, 1 thread, 16 connections), images of --zipf-bytes, origin delay 20 ms,
#      and a cache smaller than the working set: gencache is restarted with
#      cache.max-mb-per-member = --budget-mb (cache.max-cluster-mb = --cluster-mb, 0 = off) and a first
#      level (cache.l1-mb) of --budget-mb as well, nginx's
#      Zipf zone has max_size = --budget-mb. Hit ratio = 1 - origin generations / 200 answers, plus
#      each side's own X-Cache counts, the cache sizes (peak, sampled once a second, and at the end)
#      and gencache's heap afterwards. The restarted node's hit path is warmed up first, as in phase 1
# then a summary table and, as the last line,
#   RATIO gencache/nginx: hit100k req/s X, p99 Y, cpu/req Z; hit10k ...; burst origin calls A vs B,
#   waiters after the generation p50 ..., waiter p50 C vs D ms, burst of hits ...; zipf hit ratio E vs F
# Differences under ~20% are noise on these machines; that is why both run in one run, alternating.
#
#   scripts/bench.sh [--quick] [--build] [--seconds 10] [--runs 5] [--warmup 5] [--warmup-max-runs 60] [--delay-ms 300]
#                    [--burst 200] [--burst-rounds 5] [--burst-warmup 10] [--burst-warmup-max 200]
#                    [--burst-sizes 102400,10240] [--generation-warmup 6000]
#                    [--zipf-requests 20000] [--zipf-prompts 1000]
#                    [--zipf-s 1.0] [--zipf-bytes 102400] [--budget-mb 32] [--cluster-mb 0]
#                    [--nginx-zipf-inactive 1d] [--phases hit,burst,zipf] [--server-cpus 1]
#   --quick   smoke run: 1 run of 3 s per server and size, 2 s warm-up runs (at most 8), 2 burst warm-up
#             rounds (whatever the JIT does) and 1 counted, 600 warm-up generations, 3000 Zipf requests
#   --nginx-zipf-inactive  `inactive` of nginx's Zipf zone. nginx's cache manager enforces max_size only
#             when it wakes, and with inactive=1d it sleeps through the whole phase, so nginx's Zipf
#             cache is in effect unbounded (the report says so, with its peak size); a short value
#             (e.g. 5s) wakes it at least that often, which helps only phases longer than that, and
#             also evicts entries idle that long
#   --phases  which phases to run, comma-separated from hit,burst,zipf (default all three; the summary
#             covers those that ran), e.g. --phases hit to compare hit paths quickly
#   --server-cpus  the CPUs both servers are pinned to (default 1: one core each, the issue's budget).
#             `0,1` gives each server both cores, as a node has in production: gencache then runs one
#             event loop per core (http.instances 0) and nginx one worker per core; the load and the
#             origin stay on CPU 0 and share it with the servers, so the burst's client-side times
#             include the client waiting for that CPU (README, Figures, item 10). Not the same core
#             budget as the default, so compare its figures only with a run of the same setting
#   --build   rebuild target/gencache.jar (mvn -q -DskipTests package) even when it exists; without
#             it the jar is built only when missing (never because sources changed)
#
# Installs wrk and nginx from Debian's packages when missing (apt-get, with sudo unless root). Every
# server binds 127.0.0.1 on a random free port; gencache gets a random cluster name and a member list
# of only itself. Everything of a run is in target/bench-<time>-<random>/: gencache.yaml,
# nginx/nginx.conf (from scripts/bench/nginx.conf.template), the logs, PID files and results.json.
# The node is started with the same java command line as scripts/run.sh, but directly, so a source
# change by someone else never triggers a build in the middle of a run. Every step has a hard
# timeout; at exit the script stops exactly the PIDs it started (SIGTERM, up to 15 s, then SIGKILL),
# nothing is killed by name. GENCACHE_JAVA_OPTS (default "-Xms1g -Xmx1g", scripts/jvm-flags.sh) goes to the JVM.
# Exit code: 0 measured, 1 a check failed (PROBLEM lines), 2 setup error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
me=bench.sh

seconds=10 runs=5 warmup=5 warmup_max_runs=60 delay_ms=300 burst=200 burst_rounds=5 burst_warmup=10
burst_warmup_max=200 burst_sizes=102400,10240 generation_warmup=6000 zipf_requests=20000 zipf_prompts=1000 zipf_s=1.0 zipf_bytes=102400 budget_mb=32 cluster_mb=0
nginx_zipf_inactive=1d phases=hit,burst,zipf server_cpus=1
build=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --quick) seconds=3 runs=1 warmup=2 warmup_max_runs=8 burst_rounds=1 burst_warmup=2 burst_warmup_max=2 generation_warmup=600 zipf_requests=3000 ;;
    --build) build=1 ;;
    --seconds) seconds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --warmup-max-runs) warmup_max_runs=$2; shift ;;
    --delay-ms) delay_ms=$2; shift ;;
    --burst) burst=$2; shift ;;
    --burst-rounds) burst_rounds=$2; shift ;;
    --burst-warmup) burst_warmup=$2; shift ;;
    --burst-warmup-max) burst_warmup_max=$2; shift ;;
    --burst-sizes) burst_sizes=$2; shift ;;
    --generation-warmup) generation_warmup=$2; shift ;;
    --zipf-requests) zipf_requests=$2; shift ;;
    --zipf-prompts) zipf_prompts=$2; shift ;;
    --zipf-s) zipf_s=$2; shift ;;
    --zipf-bytes) zipf_bytes=$2; shift ;;
    --budget-mb) budget_mb=$2; shift ;;
    --cluster-mb) cluster_mb=$2; shift ;;
    --nginx-zipf-inactive) nginx_zipf_inactive=$2; shift ;;
    --phases) phases=$2; shift ;;
    --server-cpus) server_cpus=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$me: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in seconds runs warmup warmup_max_runs delay_ms burst burst_rounds generation_warmup burst_warmup burst_warmup_max zipf_requests zipf_prompts zipf_bytes budget_mb cluster_mb; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$me: --${v//_/-} must be a whole number, was '${!v}'" >&2; exit 2; }
done
[[ $nginx_zipf_inactive =~ ^[0-9]+[smhd]?$ ]] || { echo "$me: --nginx-zipf-inactive must be an nginx time like 10s or 1d" >&2; exit 2; }
[[ $phases =~ ^(hit|burst|zipf)(,(hit|burst|zipf))*$ ]] || { echo "$me: --phases takes hit, burst and/or zipf, comma-separated" >&2; exit 2; }
# True when phase $1 was asked for.
wanted() { [[ ,$phases, == *,$1,* ]]; }
[[ $burst_sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "$me: --burst-sizes takes image sizes in bytes, comma-separated" >&2; exit 2; }
[[ $zipf_s =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$me: --zipf-s must be a number, was '$zipf_s'" >&2; exit 2; }
[ "$runs" -ge 1 ] && [ "$seconds" -ge 1 ] && [ "$burst" -ge 2 ] && [ "$burst" -le 1000 ] \
  || { echo "$me: need --runs >= 1, --seconds >= 1, --burst 2..1000" >&2; exit 2; }
[ "$budget_mb" -ge 16 ] || { echo "$me: --budget-mb must be at least 16 (gencache's minimum)" >&2; exit 2; }

# --- tools ----------------------------------------------------------------------------------------
missing=()
for tool in wrk nginx gcc; do
  command -v $tool >/dev/null || missing+=($tool)
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  command -v apt-get >/dev/null || { echo "$me: ${missing[*]} required and apt-get is not available" >&2; exit 2; }
  echo "installing ${missing[*]} (apt-get) ..." >&2
  timeout 600 $sudo apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive timeout 600 $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "$me: installing ${missing[*]} failed" >&2; exit 2; }
fi
# The Debian package starts a system nginx on port 80; that one is not ours and is left alone.
for tool in python3 curl taskset timeout wrk nginx gcc java; do
  command -v $tool >/dev/null || { echo "$me: $tool is required" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "$me: needs 2 CPUs (server on CPU 1, load on CPU 0), have $(nproc)" >&2; exit 2; }
[[ $server_cpus =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "$me: --server-cpus takes CPU numbers, comma-separated" >&2; exit 2; }
for cpu in ${server_cpus//,/ }; do
  [ "$cpu" -lt "$(nproc)" ] || { echo "$me: --server-cpus: this machine has no CPU $cpu" >&2; exit 2; }
done
# One nginx worker per server CPU, as gencache runs one event loop per CPU it may use.
server_cpu_count=$(tr ',' '\n' <<< "$server_cpus" | sort -u | wc -l)

jar=target/gencache.jar
if [ $build = 1 ] || [ ! -f "$jar" ]; then
  echo "building $jar ..." >&2
  # Offline first (quick); online when the local repository lacks something (a fresh machine).
  timeout 900 mvn -q -o -B -DskipTests package || timeout 900 mvn -q -B -DskipTests package \
    || { echo "$me: the build failed" >&2; exit 2; }
fi
source scripts/jvm-flags.sh
source scripts/benchnode.sh
stop_timeout=15
ready_timeout=90

# Prints "<http port> <member port> <nginx port>": random free loopback ports below the ephemeral range.
pick_ports() {
  python3 scripts/free_ports.py 1:20000:32000 1:10000:20000 1:20000:32000
}

name="bench-$(date +%Y%m%d-%H%M%S)-$RANDOM"
dir=$root/target/$name
mkdir -p "$dir/nginx"
origin_pid="" node_pid="" nginx_pid="" step_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # On stderr: the ratios stay the last line of the output.
  [ -n "$node_pid$nginx_pid$origin_pid" ] && echo "--- stopping gencache, nginx and the origin (state in ${dir#$root/}/)" >&2
  stop_pid "$step_pid" "benchmark step"
  stop_pid "$node_pid" "gencache"
  # nginx: SIGTERM to the master is a fast shutdown; the master stops its own worker and cache processes.
  stop_pid "$nginx_pid" "nginx master"
  stop_pid "$origin_pid" "origin"
  rm -f "$dir"/*.pid
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs one step (a python3 command) with a hard time limit, in the background and waited for, so a
# signal to this script runs the cleanup at once. Returns the step's exit code.
step() {
  local limit=$1
  shift
  timeout -k 10 "$limit" "$@" &
  step_pid=$!
  local rc=0
  wait "$step_pid" || rc=$?
  step_pid=""
  [ $rc = 124 ] && echo "$me: step hit its ${limit} s hard limit: $*" >&2
  return $rc
}

# --- origin on CPU 0: binds a free port itself and prints it first ---------------------------------
start_origin "$dir" "$delay_ms" taskset -c 0

# --- gencache on --server-cpus (CPU 1) ------------------------------------------------------------
cat >"$dir/gencache.yaml" <<EOF
# Written by scripts/bench.sh for run $name. Ports, cluster and byte budget come from GENCACHE_*.
generators:
  - name: origin
    type: http
    base-url: $origin
    method: GET
    path: '/generate?prompt={prompt}&w={width}&h={height}&seed={seed}'
    response: image
    timeout: PT60S
    max-concurrency: 64
    max-queue: 1000
    retries: 0
EOF
export GENCACHE_CONFIG=$dir/gencache.yaml
export GENCACHE_CLUSTER_QUORUM=1
export GENCACHE_CACHE_DEFAULT_TTL_SECONDS=86400
export GENCACHE_HTTP_SHUTDOWN_GRACE_SECONDS=5
java_opts=${GENCACHE_JAVA_OPTS:-$GENCACHE_HEAP_OPTS}

# start_gencache LABEL MAX_MB_PER_MEMBER MAX_CLUSTER_MB: starts a fresh node (new ports, new cluster
# name) and waits until it is ready; sets node_pid and gencache.
start_gencache() {
  local label=$1
  export GENCACHE_CACHE_MAX_MB_PER_MEMBER=$2 GENCACHE_CACHE_MAX_CLUSTER_MB=$3
  export GENCACHE_CLUSTER_NAME=$name-$label
  # taskset execs java, so the PID is the JVM's (as scripts/run.sh's `exec java` would be).
  # shellcheck disable=SC2206
  node_cmd=(taskset -c "$server_cpus" java $java_opts "${GENCACHE_JVM_FLAGS[@]}" -jar "$jar")
  start_node "$dir/gencache-$label.log"
  echo "$node_pid" >"$dir/gencache.pid"
}

stop_gencache() {
  stop_pid "$node_pid" "gencache"
  node_pid=""
  rm -f "$dir/gencache.pid"
}

# --- nginx on --server-cpus (CPU 1) ---------------------------------------------------------------
# Returns 3 when its port was taken (caller retries), exits 2 on any other failure.
start_nginx() {
  local port=$1 user_line="" i
  # A root master would hand the worker to "nobody", which cannot write the cache under target/.
  [ "$(id -u)" = 0 ] && user_line="user root;"
  mkdir -p "$dir/nginx/logs"
  sed -e "s|@DIR@|$dir/nginx|g" -e "s|@PORT@|$port|g" -e "s|@ORIGIN_PORT@|$origin_port|g" \
      -e "s|@ZIPF_MAX_MB@|$budget_mb|g" -e "s|@ZIPF_INACTIVE@|$nginx_zipf_inactive|g" -e "s|@USER_LINE@|$user_line|g" -e "s|@WORKERS@|$server_cpu_count|g" \
      scripts/bench/nginx.conf.template >"$dir/nginx/nginx.conf"
  if ! timeout 20 nginx -t -q -p "$dir/nginx/" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" 2>"$dir/nginx/test.log"; then
    echo "$me: nginx rejects $dir/nginx/nginx.conf:" >&2
    cat "$dir/nginx/test.log" >&2
    exit 2
  fi
  taskset -c "$server_cpus" nginx -p "$dir/nginx/" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" >"$dir/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  echo "$nginx_pid" >"$dir/nginx.pid"
  nginx="http://127.0.0.1:$port"
  for i in $(seq 1 100); do
    curl -sf -o /dev/null --max-time 2 "$nginx/healthz" && return 0
    alive "$nginx_pid" || break
    sleep 0.1
  done
  stop_pid "$nginx_pid" "nginx master"
  nginx_pid=""
  grep -q 'Address already in use' "$dir/nginx/error.log" 2>/dev/null && return 3
  echo "$me: nginx did not start; end of $dir/nginx/error.log:" >&2
  tail -n 20 "$dir/nginx/error.log" >&2
  exit 2
}

start_gencache hit 0 0
for attempt in 1 2 3; do
  read -r _ _ nginx_port < <(pick_ports)
  rc=0
  start_nginx "$nginx_port" || rc=$?
  [ $rc = 0 ] && break
  [ $attempt = 3 ] && { echo "$me: no free port for nginx after 3 tries" >&2; exit 2; }
done

echo "run $name: state in ${dir#$root/}/"
echo "origin $origin (PID $origin_pid, CPU 0, delay $delay_ms ms); gencache $gencache (PID $node_pid, CPU $server_cpus);" \
  "nginx $nginx (master PID $nginx_pid, CPU $server_cpus, $server_cpu_count worker(s))"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1), $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo "jar: $jar built $(date -r "$jar" '+%Y-%m-%d %H:%M:%S'); JVM options: $java_opts"

results=$dir/results.json
# The driver runs on CPU 0 with the load (its burst threads are load too; wrk inherits the pinning).
py=(taskset -c 0 python3 scripts/bench_side_by_side.py --results "$results" --origin "$origin" --nginx "$nginx"
    --nginx-pid "$nginx_pid" --nginx-cache-dir "$dir/nginx/cache-zipf" --tag "$name")

hit_limit=$(( (2 * (warmup_max_runs * (warmup + 1) + runs * (seconds + 1)) + 60) * 2 + 60 ))
if wanted hit; then
  step "$hit_limit" "${py[@]}" hit --gencache "$gencache" --gencache-pid "$node_pid" \
    --seconds "$seconds" --runs "$runs" --warmup "$warmup" --warmup-max-runs "$warmup_max_runs" --sizes 102400,10240 || exit $?
fi

if wanted burst; then
  gcc -O2 -o "$dir/burst_client" scripts/bench/burst_client.c || { echo "$me: compiling the burst client failed" >&2; exit 2; }
  n_sizes=$(( $(tr -cd , <<< "$burst_sizes" | wc -c) + 1 ))
  step $(( n_sizes * (burst_rounds * 2 * 70 + burst_warmup_max * 10 + burst_warmup * 60 + 180) + 300 )) "${py[@]}" burst --gencache "$gencache" \
    --gencache-pid "$node_pid" --burst "$burst" --rounds "$burst_rounds" --warmup-rounds "$burst_warmup" \
    --warmup-max-rounds "$burst_warmup_max" --delay-ms "$delay_ms" --sizes "$burst_sizes" --burst-client "$dir/burst_client" \
    --lua scripts/bench/zipf.lua --generation-warmup "$generation_warmup" || exit $?
fi

# Zipf: a fresh node whose byte budget is smaller than the working set.
if wanted zipf; then
  echo "--- restarting gencache with cache.max-mb-per-member=$budget_mb, cache.max-cluster-mb=$cluster_mb"
  stop_gencache
  # The first level has its own budget (cache.l1-mb, 128 by default): the same as the map's here, so
  # the report shows both held to it. The near cache's copies are of images the map holds (README,
  # Figures, item 11), so they add at most the map's images again, on the heap.
  export GENCACHE_CACHE_L1_MB=$budget_mb
  start_gencache zipf "$budget_mb" "$cluster_mb"
  echo "gencache $gencache (PID $node_pid, CPU $server_cpus)"
  step $(( 2 * 12 * warmup + 2 * 240 + 120 )) "${py[@]}" zipf --gencache "$gencache" --gencache-pid "$node_pid" \
    --warmup "$warmup" --warmup-max-runs 12 --lua scripts/bench/zipf.lua \
    --requests "$zipf_requests" --prompts "$zipf_prompts" --zipf-s "$zipf_s" --image-bytes "$zipf_bytes" \
    --budget-mb "$budget_mb" --cluster-mb "$cluster_mb" --max-seconds 240 || exit $?
fi

# The summary: exit 1 when any phase recorded a PROBLEM.
step 60 "${py[@]}" report
