# JVM flags for a gencache node (sourced by the scripts). Hazelcast on Java 17 wants the module
# openings below (STACK.md §1.4); the same list is in pom.xml for the tests.
# The heap, when GENCACHE_JAVA_OPTS does not replace it: 1 GB committed from the start (-Xms = -Xmx).
# The collector sizes its young generation from the committed heap, so a heap that starts small
# collects young garbage about 3x as often (Serial GC, one CPU: every ~0.65 s with a 116 MB young
# generation instead of 341 MB). Measured on one core, p99 of 100 KB hits went from 1.64-1.72x to 1.23-1.43x
# nginx's (README, Figures); the old generation's limit is the same as with -Xmx1g alone.
GENCACHE_HEAP_OPTS="-Xms1g -Xmx1g"
GENCACHE_JVM_FLAGS=(
  --add-modules java.se
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Djava.net.preferIPv4Stack=true
  -Dhazelcast.logging.type=slf4j
  -Djava.awt.headless=true
  -Djava.util.concurrent.ForkJoinPool.common.parallelism=4
)
