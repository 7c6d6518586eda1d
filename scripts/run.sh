#!/usr/bin/env bash
# Runs one gencache node in the foreground with the embedded generator on http://localhost:8080
# (GENCACHE_HTTP_PORT and every other GENCACHE_* variable override the config; extra arguments,
# e.g. --config FILE, go to the node). Builds target/gencache.jar first when it is missing or older
# than the sources.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/jvm-flags.sh
jar=target/gencache.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src cluster-config -newer "$jar" -type f -print -quit)" ]; then
  echo "building $jar ..." >&2
  mvn -q -B -DskipTests package
fi
exec java ${GENCACHE_JAVA_OPTS:-$GENCACHE_HEAP_OPTS} "${GENCACHE_JVM_FLAGS[@]}" -jar "$jar" "$@"
