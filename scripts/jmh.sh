#!/usr/bin/env bash
# Runs the JMH microbenchmarks in src/test/java/dev/gencache/bench (request key, near-cache lookup,
# serialization). Compiles the test classes first when they are missing or older than the sources, and
# writes the test classpath to target/jmh-classpath.txt. Arguments go to JMH (-l lists, -h helps);
# none means every benchmark with 1 fork, 3 warm-up and 5 measured iterations. The classpath comes from
# maven-dependency-plugin at a pinned version (Maven fetches it the first time: `mvn verify` does not use it).
#   scripts/jmh.sh [JMH args...]        e.g. scripts/jmh.sh -f 1 -wi 1 -i 2 NearCacheLookupBench
# The benchmarks start their own Hazelcast member (random cluster, free loopback port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/jvm-flags.sh
list=target/test-classes/META-INF/BenchmarkList
if [ ! -f "$list" ] || [ -n "$(find pom.xml src cluster-config -newer "$list" -type f -print -quit)" ]; then
  echo "compiling test classes ..." >&2
  mvn -q -B -DskipTests test-compile >&2
fi
cp=target/jmh-classpath.txt
if [ ! -f "$cp" ] || [ pom.xml -nt "$cp" ]; then
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$cp" \
    -Dmdep.includeScope=test >&2
fi
[ $# -gt 0 ] || set -- -f 1 -wi 3 -i 5 dev.gencache.bench
exec java "${GENCACHE_JVM_FLAGS[@]}" -cp "target/test-classes:target/classes:$(cat "$cp")" org.openjdk.jmh.Main "$@"
