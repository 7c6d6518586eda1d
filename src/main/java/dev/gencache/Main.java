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

  private Main() {}

  public static void main(String[] args) {
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
        + node.hazelcast().getCluster().getMembers().size() + " member(s))");
    System.out.println("  API      " + base + "/v1/images/generations   (contract: " + base + "/openapi.yaml)");
    System.out.println("  metrics  " + base + "/metrics");
    System.out.println("  health   " + base + "/health/live  " + base + "/health/ready");
  }

  /** {@code --config FILE} (or {@code --config=FILE}) wins over {@code GENCACHE_CONFIG}; neither = defaults only. */
  static Path configFile(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config") && i + 1 < args.length) {
        return Path.of(args[++i]);
      } else if (a.startsWith("--config=")) {
        return Path.of(a.substring("--config=".length()));
      } else {
        throw new ConfigException("arguments", "usage: gencache [--config FILE]; unexpected \"" + a + "\"");
      }
    }
    String env = System.getenv("GENCACHE_CONFIG");
    return env == null || env.isBlank() ? null : Path.of(env);
  }
}
