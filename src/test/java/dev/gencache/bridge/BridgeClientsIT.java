package dev.gencache.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.testing.TestNodes;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The clients in other languages against a running node: the Python TCP-bridge client's unittest
 * suite ({@code scripts/clients/test_gencache_bridge.py}) and the Node.js SockJS test with the npm
 * client ({@code scripts/clients/node}). Each runs as a child process, bounded in time and stopped by
 * its own handle; the Node.js packages are installed from the lockfile when missing.
 */
class BridgeClientsIT {
  private static final String ADMIN = "it-admin-token-" + Long.toHexString(System.nanoTime());
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static GencacheNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(),
        Map.of("GENCACHE_BRIDGE_ADMIN_TOKENS", ADMIN)), InstantSource.system());
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(node);
  }

  private static Map<String, String> env() {
    return Map.of("GENCACHE_BRIDGE_ADDR", "127.0.0.1:" + node.bridgePort(),
        "GENCACHE_HTTP_URL", "http://127.0.0.1:" + node.httpPort(),
        "GENCACHE_ADMIN_TOKEN", ADMIN);
  }

  @Test
  void thePythonClientPassesItsTests() throws Exception {
    Result r = run(List.of("python3", "-m", "unittest", "-v", "scripts/clients/test_gencache_bridge.py"), ROOT, env(), 180);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("OK").doesNotContain("skipped");
  }

  @Test
  void theNodeClientPassesItsTests() throws Exception {
    Path dir = ROOT.resolve("scripts/clients/node");
    if (!Files.isDirectory(dir.resolve("node_modules/@vertx/eventbus-bridge-client.js"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, Map.of(), 300);
      assertThat(install.exit()).as("npm ci in scripts/clients/node:\n" + install.output()).isZero();
    }
    Result r = run(List.of("node", "--test", "test/"), dir, env(), 180);
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("# fail 0").doesNotContain("# pass 0");
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command, Path dir, Map<String, String> env, int seconds)
      throws IOException, InterruptedException {
    File log = Files.createTempFile("gencache-client-", ".log").toFile();
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log);
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
      String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
      System.out.println(String.join(" ", command) + ":\n" + output);
      if (!done) {
        return new Result(-1, "timed out after " + seconds + " s\n" + output);
      }
      return new Result(p.exitValue(), output);
    } finally {
      p.destroyForcibly(); // this process only, by its handle
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      log.delete();
    }
  }
}
