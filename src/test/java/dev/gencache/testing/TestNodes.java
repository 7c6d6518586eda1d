package dev.gencache.testing;

import com.hazelcast.config.Config;
import dev.gencache.GencacheNode;
import dev.gencache.cluster.MemberConfig;
import dev.gencache.config.ConfigLoader;
import dev.gencache.config.GencacheConfig;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Starts real nodes in this JVM from the real {@code cluster-config/cluster.xml}: random cluster name,
 * loopback only, HTTP on port 0, no join wait.
 */
public final class TestNodes {
  private TestNodes() {}

  public static String randomClusterName() {
    return "gencache-test-" + UUID.randomUUID();
  }

  /** {@code env} holds GENCACHE_* overrides, exactly as a deployment would set them. */
  public static GencacheConfig config(String clusterName, Map<String, String> env) {
    Map<String, String> all = new HashMap<>();
    all.put("GENCACHE_HTTP_PORT", "0");
    all.put("GENCACHE_HTTP_INSTANCES", "1");
    all.put("GENCACHE_CLUSTER_NAME", clusterName);
    all.putAll(env);
    return ConfigLoader.load(null, all);
  }

  public static Config memberConfig(GencacheConfig config) {
    Config member = MemberConfig.load(config.cluster(), config.cache());
    member.setProperty("hazelcast.wait.seconds.before.join", "0");
    return member;
  }

  public static GencacheNode start(GencacheConfig config, InstantSource clock) {
    try {
      return GencacheNode.start(config, memberConfig(config), clock).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  public static void stop(GencacheNode node) {
    if (node != null) {
      try {
        node.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("node did not stop", e);
      }
    }
  }
}
