# JVM flags for a gencache node (sourced by the scripts). Hazelcast on Java 17 wants the module
# openings below (STACK.md §1.4); the same list is in pom.xml for the tests.
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
