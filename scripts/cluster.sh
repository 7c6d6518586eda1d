#!/usr/bin/env bash
# Runs a cluster of N gencache nodes on this machine, each a background JVM (DESIGN.md §8).
#
#   scripts/cluster.sh start N     start nodes 1..N, wait until every one answers /health/ready and
#                                  the partitions' backups are in place
#   scripts/cluster.sh status      one line per node: index, PID, alive/dead, URL, ready, leader view
#   scripts/cluster.sh stop        SIGTERM every live node, wait, SIGKILL stragglers, remove PID files
#   scripts/cluster.sh kill I      SIGKILL node I (failure drill); its PID file stays, status says dead
#   scripts/cluster.sh restart I   stop node I if it runs, start it again with the recorded ports and env
#
# Node i (1-based) listens for HTTP on GENCACHE_BASE_PORT+i-1 and for Hazelcast on
# GENCACHE_HZ_BASE_PORT+i-1. Every node gets the member list 127.0.0.1:<member port> of all N nodes,
# so they find each other wherever the ports are. Nodes run `java $GENCACHE_JAVA_OPTS <jvm-flags.sh>
# -jar <root>/target/gencache.jar` from the repository root; the jar is built first when it is missing
# or older than the sources (as scripts/run.sh does). Signals go only to the PIDs in the PID files, and
# only while that PID is a live (not zombie) process whose command line names this checkout's jar, or
# a child this very run launched that has not yet become the JVM, so a reused PID is never hit.
# Nothing is killed by name.
#
# Variables read here (script-only ones never reach a node: it refuses unknown GENCACHE_* names):
#   GENCACHE_BASE_PORT     HTTP port of node 1 (default 8080)
#   GENCACHE_HZ_BASE_PORT  Hazelcast member port of node 1 (default 5701)            [script-only]
#   GENCACHE_BRIDGE_BASE_PORT  TCP event-bus bridge port of node 1 (default 7000; 0 = each node
#                          binds a free port, shown in its log)                       [script-only]
#   GENCACHE_CLUSTER_NAME  Hazelcast cluster name (default gencache)
#   GENCACHE_CLUSTER_QUORUM  default: a majority of N (N/2+1)
#   GENCACHE_JAVA_OPTS     JVM options of each node (default -Xmx512m)
#   GENCACHE_*             any other config override (gencache-defaults.yaml) goes to every node;
#                          GENCACHE_HTTP_PORT, GENCACHE_CLUSTER_PORT, GENCACHE_CLUSTER_MEMBERS and
#                          GENCACHE_BRIDGE_TCP_PORT are set per node by this script
#   GENCACHE_STATE_DIR     PID files, logs and the recorded env (default target/cluster; relative to
#                          the repository root)                                       [script-only]
#   GENCACHE_READY_TIMEOUT seconds start/restart wait for readiness (default 90)        [script-only]
#   GENCACHE_STOP_TIMEOUT  seconds stop waits in all before SIGKILL (default 30)        [script-only]
#   GENCACHE_SKIP_BUILD    1 = use target/gencache.jar as it is, never run Maven        [script-only]
#
# State in $GENCACHE_STATE_DIR: node-i.pid, node-i.log (stdout+stderr; a restart appends), size (N),
# env (the GENCACHE_* variables of `start`, replayed by restart and used by status for the ports).
#
# Exit codes: 0 done (status: every node alive and ready); 1 a node failed to start, become ready or
# stop (status: some node dead or not ready); 2 usage error or no cluster recorded; 3 start refused
# because nodes of an earlier start are still alive, or a port is taken.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

SCRIPT_ONLY=(GENCACHE_HZ_BASE_PORT GENCACHE_BRIDGE_BASE_PORT GENCACHE_STATE_DIR GENCACHE_READY_TIMEOUT GENCACHE_STOP_TIMEOUT GENCACHE_SKIP_BUILD)
state=${GENCACHE_STATE_DIR:-target/cluster}
ready_timeout=${GENCACHE_READY_TIMEOUT:-90}
stop_timeout=${GENCACHE_STOP_TIMEOUT:-30}
jar="$root/target/gencache.jar"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "cluster.sh: $1" >&2; exit "${2:-1}"; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# --- recorded cluster ------------------------------------------------------------------------------

size() {
  [ -f "$state/size" ] || die "no cluster recorded in $state (run: scripts/cluster.sh start N)" 2
  cat "$state/size"
}

# Replaces the caller's GENCACHE_* config variables by the ones recorded at `start`.
load_env() {
  [ -f "$state/env" ] || die "no cluster recorded in $state (run: scripts/cluster.sh start N)" 2
  local name
  for name in $(compgen -e); do
    if [[ $name == GENCACHE_* ]] && ! is_script_only "$name"; then unset "$name"; fi
  done
  # shellcheck source=/dev/null
  source "$state/env"
}

is_script_only() {
  local v
  for v in "${SCRIPT_ONLY[@]}"; do [ "$v" = "$1" ] && return 0; done
  return 1
}

http_port() { echo $((GENCACHE_BASE_PORT + $1 - 1)); }
hz_port() { echo $((GENCACHE_HZ_BASE_PORT + $1 - 1)); }
bridge_port() { # 0 stays 0: the node picks
  local base=${GENCACHE_BRIDGE_BASE_PORT:-7000}
  if [ "$base" = 0 ]; then echo 0; else echo $((base + $1 - 1)); fi
}

http_host() {
  local h=${GENCACHE_HTTP_HOST:-127.0.0.1}
  case $h in 0.0.0.0 | :: | "") h=127.0.0.1 ;; esac
  [[ $h == *:* ]] && h="[$h]"
  echo "$h"
}
url() { echo "http://$(http_host):$(http_port "$1")"; }

pid_of() { [ -f "$state/node-$1.pid" ] && cat "$state/node-$1.pid"; }

# True when $1 is a live (not zombie) gencache JVM of this checkout: guards against a reused PID.
pid_alive() {
  local line
  line=$(ps -ww -p "$1" -o stat=,args= 2>/dev/null) || return 1
  line=${line#"${line%%[![:space:]]*}"}
  [[ $line != Z* && $line == *"$jar"* ]]
}
node_alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  pid_alive "$pid"
}

# True while $1 is a child this script has just launched that has not yet become the JVM: between
# the fork and the exec its command line is still this script's. A PID this script launched and has
# not reaped cannot have been reused, so its parent alone identifies it.
pid_launching() {
  local stat ppid
  read -r stat ppid < <(ps -p "$1" -o stat=,ppid= 2>/dev/null) || return 1
  [[ $stat != Z* && $ppid == "$$" ]]
}
pid_running() { pid_alive "$1" || pid_launching "$1"; }
node_running() {
  local pid
  pid=$(pid_of "$1") || return 1
  pid_running "$pid"
}

# Prints the HTTP status of GET $1 (000 when unreachable).
http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 ${auth[@]+"${auth[@]}"} "$1" 2>/dev/null || true; }

auth=()
set_auth() {
  # /v1/* needs a bearer token when auth.tokens is set; use the first one from the environment.
  if [ -n "${GENCACHE_AUTH_TOKENS:-}" ]; then
    local token=${GENCACHE_AUTH_TOKENS%%,*}
    auth=(-H "Authorization: Bearer ${token// /}")
  fi
}

# --- building and launching ------------------------------------------------------------------------

build_if_needed() {
  if [ "${GENCACHE_SKIP_BUILD:-}" = 1 ]; then
    [ -f "$jar" ] || die "GENCACHE_SKIP_BUILD=1 but $jar is missing"
    return
  fi
  if [ ! -f "$jar" ] || [ -n "$(find pom.xml src cluster-config -newer "$jar" -type f -print -quit)" ]; then
    echo "building target/gencache.jar ..." >&2
    mvn -q -B -DskipTests package
  fi
}

port_free() {
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$1"
}

check_ports() { # node index
  local p
  for p in "$(http_port "$1")" "$(hz_port "$1")" "$(bridge_port "$1")"; do
    [ "$p" = 0 ] || port_free "$p" || die "node $1: port $p is taken" 3
  done
}

# Starts node $1 in the background (the recorded env must be loaded); $2 = "append" keeps the log.
launch() {
  local i=$1 log="$state/node-$1.log" n members="" k
  n=$(size)
  for ((k = 1; k <= n; k++)); do members+="${members:+,}127.0.0.1:$(hz_port "$k")"; done
  if [ "${2:-}" = append ]; then
    echo "=== cluster.sh restart $i at $(date '+%F %T')" >>"$log"
  else
    : >"$log"
  fi
  (
    export GENCACHE_HTTP_PORT GENCACHE_CLUSTER_PORT GENCACHE_CLUSTER_MEMBERS=$members GENCACHE_BRIDGE_TCP_PORT
    GENCACHE_HTTP_PORT=$(http_port "$i")
    GENCACHE_BRIDGE_TCP_PORT=$(bridge_port "$i")
    GENCACHE_CLUSTER_PORT=$(hz_port "$i")
    for k in "${SCRIPT_ONLY[@]}"; do unset "$k"; done
    trap '' HUP # outlive the terminal that ran the script
    # shellcheck disable=SC2086 # GENCACHE_JAVA_OPTS is a list of options
    exec java ${GENCACHE_JAVA_OPTS:--Xmx512m} "${GENCACHE_JVM_FLAGS[@]}" -jar "$jar"
  ) </dev/null >>"$log" 2>&1 &
  echo $! >"$state/node-$i.pid"
}

# Waits until every node in "$@" is ready; on a death or the deadline, names the node, tails its
# log and returns 1.
await_ready() {
  local deadline=$((SECONDS + ready_timeout)) pending=("$@") still i
  while [ ${#pending[@]} -gt 0 ]; do
    still=()
    for i in "${pending[@]}"; do
      if ! node_running "$i"; then
        echo "node $i died while starting (PID $(pid_of "$i")); last lines of $state/node-$i.log:" >&2
        tail -n 30 "$state/node-$i.log" >&2 || true
        return 1
      fi
      if [ "$(http_status "$(url "$i")/health/ready")" = 200 ]; then
        echo "node $i ready  $(url "$i")  (PID $(pid_of "$i"), member port $(hz_port "$i"))"
      else
        still+=("$i")
      fi
    done
    pending=(${still[@]+"${still[@]}"})
    [ ${#pending[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for i in "${pending[@]}"; do
        echo "node $i not ready after ${ready_timeout}s ($(url "$i")/health/ready); last lines of $state/node-$i.log:" >&2
        tail -n 30 "$state/node-$i.log" >&2 || true
      done
      return 1
    fi
    sleep 0.5
  done
}

# SIGTERMs the live nodes in "$@", waits up to stop_timeout s in all, then SIGKILLs stragglers.
stop_nodes() {
  local i pid live=() rc=0 deadline
  for i in "$@"; do
    if node_running "$i"; then
      pid=$(pid_of "$i")
      kill -TERM "$pid" 2>/dev/null && live+=("$i")
    fi
  done
  [ ${#live[@]} -gt 0 ] || echo "no node was running"
  deadline=$((SECONDS + stop_timeout))
  for i in ${live[@]+"${live[@]}"}; do
    pid=$(pid_of "$i")
    while pid_running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if pid_running "$pid"; then
      echo "node $i (PID $pid) still running after ${stop_timeout}s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      local wait_kill=$((SECONDS + 5))
      while pid_running "$pid" && [ $SECONDS -lt $wait_kill ]; do sleep 0.1; done
      if pid_running "$pid"; then echo "node $i (PID $pid) survived SIGKILL" >&2; rc=1; continue; fi
    fi
    echo "node $i stopped (PID $pid)"
  done
  for i in "$@"; do rm -f "$state/node-$i.pid"; done
  return $rc
}

node_index() { # validates I against the recorded size
  local n
  n=$(size)
  is_uint "${1:-}" && [ "$1" -ge 1 ] && [ "$1" -le "$n" ] || die "node index must be 1..$n, was \"${1:-}\"" 2
}

# --- commands --------------------------------------------------------------------------------------

cmd_start() {
  local n=${1:-} i alive=()
  is_uint "$n" && [ "$n" -ge 1 ] || die "usage: cluster.sh start N (N >= 1), was \"$n\"" 2
  if [ -f "$state/size" ]; then
    for ((i = 1; i <= $(cat "$state/size"); i++)); do
      if node_alive "$i"; then alive+=("node $i (PID $(pid_of "$i"))"); fi
    done
  fi
  [ ${#alive[@]} -eq 0 ] || die "still running from an earlier start: ${alive[*]}; run: scripts/cluster.sh stop" 3

  export GENCACHE_BASE_PORT=${GENCACHE_BASE_PORT:-8080}
  export GENCACHE_HZ_BASE_PORT=${GENCACHE_HZ_BASE_PORT:-5701}
  export GENCACHE_CLUSTER_NAME=${GENCACHE_CLUSTER_NAME:-gencache}
  export GENCACHE_CLUSTER_QUORUM=${GENCACHE_CLUSTER_QUORUM:-$((n / 2 + 1))}
  is_uint "$GENCACHE_BASE_PORT" || die "GENCACHE_BASE_PORT must be a port number, was \"$GENCACHE_BASE_PORT\"" 2
  is_uint "$GENCACHE_HZ_BASE_PORT" || die "GENCACHE_HZ_BASE_PORT must be a port number, was \"$GENCACHE_HZ_BASE_PORT\"" 2
  is_uint "${GENCACHE_BRIDGE_BASE_PORT:-7000}" && ((${GENCACHE_BRIDGE_BASE_PORT:-7000} + n - 1 <= 65535)) \
    || die "GENCACHE_BRIDGE_BASE_PORT must be a port number (0 = any), was \"$GENCACHE_BRIDGE_BASE_PORT\"" 2
  if ((GENCACHE_BASE_PORT + n - 1 > 65535 || GENCACHE_HZ_BASE_PORT + n - 1 > 65535)); then
    die "ports past 65535 for $n nodes" 2
  fi
  if ((GENCACHE_BASE_PORT < GENCACHE_HZ_BASE_PORT + n && GENCACHE_HZ_BASE_PORT < GENCACHE_BASE_PORT + n)); then
    die "HTTP ports $GENCACHE_BASE_PORT.. and member ports $GENCACHE_HZ_BASE_PORT.. overlap" 2
  fi

  for ((i = 1; i <= n; i++)); do check_ports "$i"; done
  build_if_needed
  mkdir -p "$state"
  rm -f "$state"/node-*.pid
  echo "$n" >"$state/size"
  local name
  {
    echo "# GENCACHE_* variables of 'cluster.sh start $n' at $(date '+%F %T'); restart replays them"
    for name in $(compgen -e | sort); do
      [[ $name == GENCACHE_* ]] || continue
      case $name in GENCACHE_HTTP_PORT | GENCACHE_CLUSTER_PORT | GENCACHE_CLUSTER_MEMBERS | GENCACHE_BRIDGE_TCP_PORT) continue ;; esac
      [[ $name == GENCACHE_HZ_BASE_PORT || $name == GENCACHE_BRIDGE_BASE_PORT ]] || ! is_script_only "$name" || continue
      printf 'export %s=%q\n' "$name" "${!name}"
    done
  } >"$state/env"

  echo "starting $n node(s) of cluster \"$GENCACHE_CLUSTER_NAME\" (quorum $GENCACHE_CLUSTER_QUORUM), logs in $state/"
  for ((i = 1; i <= n; i++)); do launch "$i"; done
  set_auth
  if ! await_ready $(seq 1 "$n"); then
    echo "start failed; stopping the nodes it started" >&2
    stop_nodes $(seq 1 "$n") >&2 || true
    exit 1
  fi
  await_replicated
}

# Waits (up to ready_timeout) until node 1 reports every partition's backups in sync: right after a
# start the members still move partitions, and a crash before that ends can lose entries.
await_replicated() {
  local deadline=$((SECONDS + ready_timeout))
  while [ $SECONDS -lt $deadline ]; do
    if curl -s --max-time 5 ${auth[@]+"${auth[@]}"} "$(url 1)/v1/cluster" 2>/dev/null | grep -q '"replicated":true'; then
      echo "cluster replicated (every partition has its backup)"
      return 0
    fi
    sleep 0.5
  done
  echo "warning: partitions still migrating after ${ready_timeout}s; a crash now may lose entries" >&2
}

cmd_status() {
  local n i pid alive ready view rc=0 body code
  n=$(size)
  load_env
  set_auth
  printf '%-5s %-8s %-6s %-28s %-10s %s\n' node pid state url ready leader
  for ((i = 1; i <= n; i++)); do
    pid=$(pid_of "$i" || echo -)
    alive=dead ready=-
    view=-
    if [ "$pid" != - ] && pid_alive "$pid"; then
      alive=alive
      ready=$([ "$(http_status "$(url "$i")/health/ready")" = 200 ] && echo ready || echo not-ready)
      body=$(curl -s --max-time 2 ${auth[@]+"${auth[@]}"} -w '\n%{http_code}' "$(url "$i")/v1/cluster" 2>/dev/null || true)
      code=${body##*$'\n'}
      if [ "$code" = 200 ]; then
        view=$(python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
    leader, m = d.get("leader") or "-", d.get("members")
    me = " (this node)" if leader != "-" and leader == d.get("node_id") else ""
    if isinstance(m, list):
        down = sum(1 for x in m if isinstance(x, dict) and x.get("reachable") is False)
        m = "%d%s" % (len(m), " (%d unreachable)" % down if down else "")
    print("leader=%s%s term=%s members=%s" % (leader, me, d.get("term", "-"), "-" if m is None else m))
except Exception:
    print("-")
' <<<"${body%$'\n'*}")
      fi
    fi
    [ "$alive" = alive ] && [ "$ready" = ready ] || rc=1
    printf '%-5s %-8s %-6s %-28s %-10s %s\n' "$i" "$pid" "$alive" "$(url "$i")" "$ready" "$view"
  done
  return $rc
}

cmd_stop() {
  local n
  n=$(size)
  stop_nodes $(seq 1 "$n")
}

cmd_kill() {
  node_index "${1:-}"
  local i=$1 pid deadline
  node_alive "$i" || die "node $i is not running"
  pid=$(pid_of "$i")
  kill -KILL "$pid"
  deadline=$((SECONDS + 10))
  while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  pid_alive "$pid" && die "node $i (PID $pid) survived SIGKILL"
  echo "node $i killed (PID $pid)"
}

cmd_restart() {
  node_index "${1:-}"
  local i=$1
  load_env
  if node_alive "$i"; then
    stop_nodes "$i" || die "node $i did not stop"
  fi
  build_if_needed
  check_ports "$i"
  launch "$i" append
  set_auth
  if ! await_ready "$i"; then
    echo "restart of node $i failed; stopping it" >&2
    stop_nodes "$i" >&2 || true
    exit 1
  fi
  await_replicated
}

source scripts/jvm-flags.sh
[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  start) [ $# -eq 1 ] || usage; cmd_start "$1" ;;
  status) [ $# -eq 0 ] || usage; cmd_status ;;
  stop) [ $# -eq 0 ] || usage; cmd_stop ;;
  kill) [ $# -eq 1 ] || usage; cmd_kill "$1" ;;
  restart) [ $# -eq 1 ] || usage; cmd_restart "$1" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
