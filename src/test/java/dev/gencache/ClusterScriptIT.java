package dev.gencache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drives {@code scripts/cluster.sh} with real processes: three nodes on random free ports, an image
 * generated on node 1 and read back from nodes 2 and 3, node 1 SIGKILLed while the survivors keep
 * serving its data (from the backups), node 1 restarted, and a graceful stop that leaves no process.
 * Needs {@code target/gencache.jar}, which {@code mvn verify} packages before failsafe runs this.
 */
class ClusterScriptIT {
  private static final int NODES = 3;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(150);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  /** A SIGKILLed member is dropped once a survivor's connection to it fails, or after the heartbeat timeout. */
  private static final Duration SURVIVAL_DEADLINE = Duration.ofSeconds(60);
  private static final String PROMPT = "cluster script test";
  /** Entries written on node 1 and never read on nodes 2 and 3 before the kill, so no near cache holds them. */
  private static final int UNREAD_ENTRIES = 8;

  private static Path root;
  private static Path stateDir;
  private static String clusterName;
  private static int basePort;
  private static int hzBasePort;
  private static HttpClient http;
  private static Thread stopOnExit;
  /** Every node PID seen during the run: none may outlive the final stop. */
  private static final Set<Long> seenPids = new TreeSet<>();

  private record Run(int exit, String output) {}

  @BeforeAll
  static void choosePorts() {
    root = Path.of(System.getProperty("user.dir"));
    assertThat(root.resolve("target/gencache.jar")).as("the packaged jar (mvn verify builds it first)").isRegularFile();
    clusterName = "cluster-script-it-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    stateDir = root.resolve("target").resolve(clusterName);
    // Below 32768, the start of Linux's default ephemeral range, so no outgoing connection takes them.
    basePort = freePortRange(20000, 32000, NODES, -1);
    hzBasePort = freePortRange(20000, 32000, NODES, basePort);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    // If this JVM is torn down mid-run, still stop what the script started.
    stopOnExit = new Thread(() -> script(COMMAND_TIMEOUT, "stop"), "cluster-script-it-stop");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    log("cluster %s: HTTP ports %d.., member ports %d.., state in %s", clusterName, basePort, hzBasePort,
        root.relativize(stateDir));
  }

  @AfterAll
  static void stopCluster() {
    if (stopOnExit == null) {
      return;
    }
    Runtime.getRuntime().removeShutdownHook(stopOnExit);
    if (!Files.isRegularFile(stateDir.resolve("size"))) {
      return; // start never got as far as recording a cluster
    }
    seenPids.addAll(pids().values());
    long t0 = System.nanoTime();
    Run stop = script(COMMAND_TIMEOUT, "stop");
    log("stop: exit %d after %d ms", stop.exit(), millisSince(t0));
    assertThat(stop.exit()).as("cluster.sh stop\n%s", stop.output()).isZero();
    for (long pid : seenPids) {
      awaitGone(pid, Duration.ofSeconds(10));
    }
    assertThat(pids()).as("PID files after stop").isEmpty();
  }

  @Test
  void startShareKillSurviveRestart() throws Exception {
    // start 3: every node ready
    long t0 = System.nanoTime();
    Run start = script(START_TIMEOUT, "start", String.valueOf(NODES));
    log("start %d: exit %d after %d ms", NODES, start.exit(), millisSince(t0));
    assertThat(start.exit()).as("cluster.sh start\n%s", start.output()).isZero();
    for (int i = 1; i <= NODES; i++) {
      assertThat(start.output()).contains("node " + i + " ready  " + base(i));
      assertThat(get(i, "/health/ready").statusCode()).isEqualTo(200);
    }
    Map<Integer, Long> pids = pids();
    assertThat(pids).containsOnlyKeys(1, 2, 3);
    seenPids.addAll(pids.values());

    Run again = script(COMMAND_TIMEOUT, "start", String.valueOf(NODES));
    assertThat(again.exit()).as("a second start while the nodes run is refused\n%s", again.output()).isEqualTo(3);
    assertThat(pids()).as("the refused start left the PID files alone").isEqualTo(pids);

    // One generation on node 1, the same bytes from nodes 2 and 3
    HttpResponse<String> generated = postGeneration(1, PROMPT, null);
    assertThat(generated.statusCode()).as(generated.body()).isEqualTo(200);
    String contentUrl = new JsonObject(generated.body()).getJsonArray("data").getJsonObject(0).getString("url");
    String contentPath = URI.create(contentUrl).getPath();
    String id = contentPath.substring(contentPath.lastIndexOf('/') + 1);
    assertThat(id).matches("[0-9a-f]{64}");
    for (int i = 2; i <= NODES; i++) {
      assertThat(contentProblem(i, contentPath, id)).as("content on node %d", i).isEmpty();
    }
    Map<String, String> unread = new LinkedHashMap<>(); // prompt -> content path
    for (int k = 1; k <= UNREAD_ENTRIES; k++) {
      String prompt = PROMPT + " " + k;
      HttpResponse<String> r = postGeneration(1, prompt, null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      unread.put(prompt, URI.create(new JsonObject(r.body()).getJsonArray("data").getJsonObject(0).getString("url")).getPath());
    }

    // status: three live, ready nodes
    Run status = script(COMMAND_TIMEOUT, "status");
    assertThat(status.exit()).as("cluster.sh status\n%s", status.output()).isZero();
    Map<Integer, List<String>> rows = statusRows(status.output());
    assertThat(rows).containsOnlyKeys(1, 2, 3);
    rows.forEach((i, cols) -> {
      assertThat(cols.get(1)).as("PID of node %d", i).isEqualTo(String.valueOf(pids.get(i)));
      assertThat(cols.get(2)).as("state of node %d", i).isEqualTo("alive");
      assertThat(cols.get(3)).as("URL of node %d", i).isEqualTo(base(i));
      assertThat(cols.get(4)).as("readiness of node %d", i).isEqualTo("ready");
    });

    // kill 1: the PID goes away
    Run kill = script(COMMAND_TIMEOUT, "kill", "1");
    long killedAt = System.nanoTime();
    assertThat(kill.exit()).as("cluster.sh kill 1\n%s", kill.output()).isZero();
    awaitGone(pids.get(1), Duration.ofSeconds(10));

    // The survivors serve node 1's data: near-cached content first, then entries only a backup holds
    long deadline = killedAt + SURVIVAL_DEADLINE.toNanos();
    Map<String, Long> took = new LinkedHashMap<>();
    took.put("content on node 2", pollUntil(killedAt, deadline, "content on node 2", () -> contentProblem(2, contentPath, id)));
    took.put("content on node 3", pollUntil(killedAt, deadline, "content on node 3", () -> contentProblem(3, contentPath, id)));
    took.put("only-if-cached on node 2", pollUntil(killedAt, deadline, "only-if-cached POST on node 2",
        () -> onlyIfCachedProblem(2, PROMPT, contentUrl)));
    took.put(UNREAD_ENTRIES + " unread entries on nodes 3/2", pollUntil(killedAt, deadline, "unread entries", () -> {
      for (Map.Entry<String, String> e : unread.entrySet()) {
        String path = e.getValue();
        Optional<String> problem = onlyIfCachedProblem(3, e.getKey(), null)
            .or(() -> contentProblem(2, path, path.substring(path.lastIndexOf('/') + 1)));
        if (problem.isPresent()) {
          return problem.map(p -> e.getKey() + ": " + p);
        }
      }
      return Optional.empty();
    }));
    log("after kill 1, the survivors served (ms since the kill): %s", took);

    Run degraded = script(COMMAND_TIMEOUT, "status");
    assertThat(degraded.exit()).as("status with a dead node\n%s", degraded.output()).isEqualTo(1);
    assertThat(statusRows(degraded.output()).get(1).get(2)).isEqualTo("dead");

    // restart 1: ready again, on the same port, in the same cluster
    t0 = System.nanoTime();
    Run restart = script(START_TIMEOUT, "restart", "1");
    log("restart 1: exit %d after %d ms", restart.exit(), millisSince(t0));
    assertThat(restart.exit()).as("cluster.sh restart 1\n%s", restart.output()).isZero();
    long restarted = pids().get(1);
    seenPids.add(restarted);
    assertThat(restarted).isNotEqualTo(pids.get(1));
    assertThat(get(1, "/health/ready").statusCode()).isEqualTo(200);
    assertThat(contentProblem(1, contentPath, id)).as("content on the restarted node 1").isEmpty();
    Run healed = script(COMMAND_TIMEOUT, "status");
    assertThat(healed.exit()).as("status after the restart\n%s", healed.output()).isZero();
  }

  // --- the script --------------------------------------------------------------------------------

  private static Run script(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of("bash", "scripts/cluster.sh"));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("cluster-sh-", ".out");
      try {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile())
            .redirectErrorStream(true).redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(name -> name.startsWith("GENCACHE_"));
        env.put("GENCACHE_BASE_PORT", String.valueOf(basePort));
        env.put("GENCACHE_HZ_BASE_PORT", String.valueOf(hzBasePort));
        env.put("GENCACHE_BRIDGE_BASE_PORT", "0");
        env.put("GENCACHE_CLUSTER_NAME", clusterName);
        env.put("GENCACHE_STATE_DIR", stateDir.toString());
        env.put("GENCACHE_SKIP_BUILD", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          fail("cluster.sh %s did not finish within %s; output:%n%s", String.join(" ", args), timeout, Files.readString(out));
        }
        String output = Files.readString(out);
        log("$ cluster.sh %s -> %d%n%s", String.join(" ", args), p.exitValue(), output.stripTrailing());
        return new Run(p.exitValue(), output);
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running cluster.sh", e);
    }
  }

  /** Node index → PID, from the script's PID files. */
  private static Map<Integer, Long> pids() {
    try (Stream<Path> files = Files.list(stateDir)) {
      return files.filter(f -> f.getFileName().toString().matches("node-\\d+\\.pid"))
          .collect(Collectors.toMap(
              f -> Integer.parseInt(f.getFileName().toString().replaceAll("\\D", "")),
              f -> Long.parseLong(read(f).trim())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rows of {@code status}, by node index: index, PID, alive/dead, URL, readiness, leader view. */
  private static Map<Integer, List<String>> statusRows(String output) {
    Map<Integer, List<String>> rows = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      List<String> cols = List.of(line.trim().split("\\s+"));
      if (cols.size() >= 6 && cols.get(0).matches("\\d+")) {
        rows.put(Integer.parseInt(cols.get(0)), cols);
      }
    }
    return rows;
  }

  // --- processes ---------------------------------------------------------------------------------

  /** A zombie counts as gone: its process has exited, only the parent (here often init) has not reaped it. */
  private static boolean alive(long pid) {
    if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
      return false;
    }
    Path stat = Path.of("/proc", String.valueOf(pid), "stat");
    if (!Files.isDirectory(Path.of("/proc/self"))) {
      return true;
    }
    try {
      String s = Files.readString(stat);
      return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false; // vanished meanwhile
    }
  }

  private static void awaitGone(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (alive(pid)) {
      if (System.nanoTime() > deadline) {
        fail("process %d is still alive after %s", pid, timeout);
      }
      sleep(100);
    }
  }

  // --- HTTP --------------------------------------------------------------------------------------

  private static String base(int node) {
    return "http://127.0.0.1:" + (basePort + node - 1);
  }

  private static HttpResponse<String> get(int node, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base(node) + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> postGeneration(int node, String prompt, String cacheControl)
      throws IOException, InterruptedException {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base(node) + "/v1/images/generations"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", prompt).put("size", "64x64").encode()));
    if (cacheControl != null) {
      req.header("Cache-Control", cacheControl);
    }
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Empty when {@code node} serves {@code path} with 200 and bytes whose SHA-256 is {@code id}. */
  private static Optional<String> contentProblem(int node, String path, String id) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base(node) + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        return Optional.of("GET " + path + " on node " + node + ": " + r.statusCode() + " " + new String(r.body()));
      }
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body()));
      return sha.equals(id) ? Optional.empty() : Optional.of("GET " + path + " on node " + node + ": SHA-256 " + sha);
    } catch (IOException | NoSuchAlgorithmException e) {
      return Optional.of("GET " + path + " on node " + node + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Empty when {@code node} answers an only-if-cached POST from the cache (with {@code url}, unless null). */
  private static Optional<String> onlyIfCachedProblem(int node, String prompt, String url) {
    try {
      HttpResponse<String> r = postGeneration(node, prompt, "only-if-cached");
      if (r.statusCode() != 200) {
        return Optional.of("only-if-cached on node " + node + ": " + r.statusCode() + " " + r.body());
      }
      if (!"HIT".equals(r.headers().firstValue("X-Cache").orElse(""))) {
        return Optional.of("only-if-cached on node " + node + ": X-Cache " + r.headers().firstValue("X-Cache"));
      }
      String got = URI.create(new JsonObject(r.body()).getJsonArray("data").getJsonObject(0).getString("url")).getPath();
      return url == null || got.equals(URI.create(url).getPath())
          ? Optional.empty() : Optional.of("only-if-cached on node " + node + ": url " + got);
    } catch (IOException e) {
      return Optional.of("only-if-cached on node " + node + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Polls {@code check} until it reports no problem; returns the milliseconds since {@code since}. */
  private static long pollUntil(long since, long deadline, String what, Supplier<Optional<String>> check) {
    Optional<String> problem = check.get();
    if (problem.isPresent()) {
      log("%s: not yet at %d ms: %s", what, millisSince(since), problem.get());
    }
    int attempts = 1;
    while (problem.isPresent()) {
      if (System.nanoTime() > deadline) {
        fail("%s: still failing %d ms after the kill (%d attempts): %s", what, millisSince(since), attempts, problem.get());
      }
      sleep(250);
      problem = check.get();
      attempts++;
    }
    if (attempts > 1) {
      log("%s: served at %d ms, after %d attempts", what, millisSince(since), attempts);
    }
    return millisSince(since);
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** A random start port in [from, to) with {@code count} free ports, not overlapping {@code avoid}'s range. */
  private static int freePortRange(int from, int to, int count, int avoid) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int start = ThreadLocalRandom.current().nextInt(from, to - count);
      if (avoid >= 0 && start < avoid + count && avoid < start + count) {
        continue;
      }
      boolean free = true;
      for (int p = start; p < start + count && free; p++) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0.1", p));
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        return start;
      }
    }
    throw new IllegalStateException("no " + count + " free ports in " + from + ".." + to);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void log(String format, Object... args) {
    System.out.printf("[ClusterScriptIT] " + format + "%n", args);
  }
}
