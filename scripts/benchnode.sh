# Sourced by the benchmark scripts: process helpers, the start of one gencache node on free
# loopback ports, and the start of the stand-in origin. The caller sets `me` (its name, for messages), `stop_timeout` (s) and
# `ready_timeout` (s), and before start_node the array `node_cmd` (the command that runs the node
# in the foreground, e.g. (java ... -jar target/gencache.jar)) and its GENCACHE_* environment.
# Nothing here kills by name: only the PIDs the caller started.

# True while PID $1 is a live process (a zombie child that exited does not count).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}

# stop_pid PID WHAT: SIGTERM, up to stop_timeout s, then SIGKILL; reaps it if it is our child.
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

# start_node LOG: starts "${node_cmd[@]}" in the background on new free ports (HTTP and bridge in
# 20000-31999, member port in 10000-19999) and waits until /health/ready answers. A port taken
# between the pick and the bind gets new ports, up to 3 attempts; anything else exits 2 with the
# end of LOG. Sets node_pid, gencache (its base URL), http_port, hz_port and bridge_port.
start_node() {
  local log=$1 attempt deadline
  for attempt in 1 2 3; do
    read -r http_port hz_port bridge_port < <(python3 "$(dirname "${BASH_SOURCE[0]}")/free_ports.py" \
      1:20000:32000 1:10000:20000 1:20000:32000)
    export GENCACHE_HTTP_PORT=$http_port GENCACHE_CLUSTER_PORT=$hz_port GENCACHE_CLUSTER_MEMBERS=127.0.0.1:$hz_port
    export GENCACHE_BRIDGE_TCP_PORT=$bridge_port
    "${node_cmd[@]}" >"$log" 2>&1 &
    node_pid=$!
    gencache="http://127.0.0.1:$http_port"
    deadline=$((SECONDS + ready_timeout))
    while [ $SECONDS -lt $deadline ] && alive "$node_pid"; do
      if curl -sf -o /dev/null --max-time 2 "$gencache/health/ready"; then
        return 0
      fi
      sleep 0.5
    done
    if alive "$node_pid"; then
      echo "$me: the node was not ready within ${ready_timeout} s; end of $log:" >&2
      tail -n 30 "$log" >&2
      exit 2
    fi
    wait "$node_pid" 2>/dev/null || true
    node_pid=""
    if [ $attempt = 3 ] || ! grep -qE 'BindException|Address already in use' "$log"; then
      echo "$me: the node exited before it was ready; end of $log:" >&2
      tail -n 30 "$log" >&2
      exit 2
    fi
    echo "port taken, trying others" >&2
  done
}

# run_bench LIMIT COMMAND...: runs COMMAND under a hard time limit of LIMIT s, in the background and
# waited for, so a signal to the script runs its cleanup at once (which stops bench_pid). Sets bench_rc.
run_bench() {
  local limit=$1
  shift
  timeout -k 10 "$limit" "$@" &
  bench_pid=$!
  set +e
  wait "$bench_pid"
  bench_rc=$?
  set -e
  bench_pid=""
  [ $bench_rc != 124 ] || echo "$me: $1 hit the ${limit} s hard limit" >&2
}

# start_origin DIR DELAY_MS [PREFIX...]: starts scripts/origin.py on a port it picks itself (it prints
# "listening on PORT" first), optionally under PREFIX (e.g. taskset -c 0); logs in DIR/origin.*.
# Sets origin_pid, origin_port and origin (its base URL); exits 2 when it does not come up.
start_origin() {
  local dir=$1 delay=$2
  shift 2
  "$@" python3 "$(dirname "${BASH_SOURCE[0]}")/origin.py" --port 0 --delay-ms "$delay" \
    >"$dir/origin.out" 2>"$dir/origin.log" &
  origin_pid=$!
  echo "$origin_pid" >"$dir/origin.pid"
  origin_port=""
  for _ in $(seq 1 100); do
    origin_port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$dir/origin.out" 2>/dev/null | head -n 1)
    [ -n "$origin_port" ] && break
    alive "$origin_pid" || break
    sleep 0.1
  done
  [ -n "$origin_port" ] || { echo "$me: scripts/origin.py did not start:" >&2; cat "$dir/origin.log" >&2; exit 2; }
  origin="http://127.0.0.1:$origin_port"
}
