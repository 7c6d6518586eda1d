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
    return config(clusterName, env, null);
  }

  /** As {@link #config(String, Map)}, with a config file (e.g. one with {@code generators:}). */
  public static GencacheConfig config(String clusterName, Map<String, String> env, java.nio.file.Path file) {
    Map<String, String> all = new HashMap<>();
    all.put("GENCACHE_HTTP_PORT", "0");
    all.put("GENCACHE_BRIDGE_TCP_PORT", "0");
    all.put("GENCACHE_HTTP_INSTANCES", "1");
    all.put("GENCACHE_CLUSTER_NAME", clusterName);
    all.putAll(env);
    return ConfigLoader.load(file, all);
  }

  public static Config memberConfig(GencacheConfig config) {
    Config member = MemberConfig.load(config.cluster(), config.cache());
    member.setProperty("hazelcast.wait.seconds.before.join", "0");
    return member;
  }

  public static GencacheNode start(GencacheConfig config, InstantSource clock) {
    return start(config, clock, GencacheNode.DEFAULT_GENERATORS);
  }

  public static GencacheNode start(GencacheConfig config, InstantSource clock, GencacheNode.GeneratorFactory generators) {
    try {
      return GencacheNode.start(config, memberConfig(config), clock, generators).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  /**
   * Kills a member the way a crash would: no graceful leave, partitions recovered from backups. Waits
   * first until the cluster is safe (every backup in place): a crash during the initial migration
   * loses partitions in any Hazelcast cluster, and "no data loss" presumes the backups exist.
   */
  public static void crash(GencacheNode node) {
    eventually(java.time.Duration.ofSeconds(60), "cluster safe (backups in place)",
        () -> node.hazelcast().getPartitionService().isClusterSafe());
    node.hazelcast().getLifecycleService().terminate();
    try {
      node.vertx().close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the cluster manager is already gone; the rest of Vert.x still closes
    }
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes. */
  public static void eventually(java.time.Duration timeout, String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
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
