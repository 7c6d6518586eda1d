package dev.gencache;

import com.hazelcast.config.Config;
import dev.gencache.cluster.MemberConfig;
import dev.gencache.config.ConfigException;
import dev.gencache.config.ConfigLoader;
import dev.gencache.config.GencacheConfig;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar gencache.jar [--config FILE]}: config → clustered node → serve until stopped. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Main() {}

  public static void main(String[] args) {
    // Hazelcast runs async callbacks on the common pool, or on a new thread per callback when the
    // pool has parallelism 1 (any machine with two cores or fewer). Must be set before first use.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, "4");
    }
    GencacheConfig config;
    Config memberConfig;
    try {
      config = ConfigLoader.load(configFile(args), System.getenv());
      memberConfig = MemberConfig.load(config.cluster(), config.cache());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("gencache: " + e.getMessage());
      System.exit(2);
      return;
    }
    GencacheNode node;
    try {
      node = GencacheNode.start(config, memberConfig, InstantSource.system()).await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("gencache failed to start", e);
      System.err.println("gencache: failed to start: " + e.getMessage());
      System.exit(1); // Hazelcast threads are not daemons: without this the JVM would linger
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("gencache: unclean shutdown: " + e.getMessage());
      }
    }, "gencache-shutdown"));
    String base = "http://" + (config.http().host().contains(":") ? "[" + config.http().host() + "]" : config.http().host())
        + ":" + node.httpPort();
    System.out.println("gencache is up (cluster \"" + node.hazelcast().getConfig().getClusterName() + "\", "
        + node.hazelcast().getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count() + " node(s))");
    System.out.println("  API      " + base + "/v1/images/generations   (contract: " + base + "/openapi.yaml)");
    System.out.println("  metrics  " + base + "/metrics");
    System.out.println("  health   " + base + "/health/live  " + base + "/health/ready");
    if (node.bridgePort() > 0) {
      System.out.println("  bridge   tcp://" + config.bridge().tcpHost() + ":" + node.bridgePort()
          + "   (event bus; contract: " + base + "/asyncapi.yaml)");
    }
    if (config.bridge().sockJsEnabled()) {
      System.out.println("  sockjs   " + base + "/eventbus");
    }
  }

  /** {@code --config FILE} (or {@code --config=FILE}) wins over {@code GENCACHE_CONFIG}; neither = defaults only. */
  static Path configFile(String[] args) {
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value;
      if (a.equals("--config") && i + 1 < args.length) {
        value = args[++i];
      } else if (a.startsWith("--config=")) {
        value = a.substring("--config=".length());
      } else {
        throw new ConfigException("arguments", "usage: gencache [--config FILE]; unexpected \"" + a + "\"");
      }
      if (file != null) {
        throw new ConfigException("arguments", "usage: gencache [--config FILE]; --config given twice");
      }
      file = Path.of(value);
    }
    if (file != null) {
      return file;
    }
    String env = System.getenv("GENCACHE_CONFIG");
    return env == null || env.isBlank() ? null : Path.of(env);
  }
}
