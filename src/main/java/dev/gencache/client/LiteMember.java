package dev.gencache.client;

import com.hazelcast.config.Config;
import dev.gencache.cluster.MemberConfig;
import dev.gencache.config.ConfigLoader;
import dev.gencache.config.GencacheConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Lets another Java application join a gencache cluster as a Hazelcast <em>lite member</em> and
 * returns a clustered {@link Vertx} whose event bus reaches gencache's addresses
 * ({@code gencache.generate}, {@code gencache.invalidate}, {@code gencache.events}). A lite member is a
 * full cluster member that holds no data and owns no partitions: it adds no memory to the cache and
 * its arrival or departure moves no entries. Nor does it run any gencache feature, so gencache does
 * not count it as a node (it never leads and is never asked to acknowledge).
 *
 * <pre>{@code
 * Vertx vertx = LiteMember.join().await();   // cluster-config/cluster.xml + GENCACHE_CLUSTER_* variables
 * vertx.eventBus().<JsonObject>consumer("gencache.events", m -> System.out.println(m.body()));
 * JsonObject body = new JsonObject().put("prompt", "a lighthouse at dusk").put("size", "256x256");
 * DeliveryOptions slow = new DeliveryOptions().setSendTimeout(130_000); // the default 30 s is shorter than a generation may take
 * vertx.eventBus().<JsonObject>request("gencache.generate", body, slow)
 *     .onSuccess(reply -> System.out.println(reply.body().getJsonArray("data").getJsonObject(0).getString("url")));
 * }</pre>
 *
 * <p>A failed {@code gencache.generate} fails the request with a
 * {@link io.vertx.core.eventbus.ReplyException} whose failure code is the HTTP status and whose message
 * is the RFC 9457 problem as JSON text. Close the returned {@code Vertx} to leave the cluster: the
 * member config turns Hazelcast's own shutdown hook off, so an application that exits without closing
 * it is seen as a crashed member. The member also needs the gencache classes on its classpath (the
 * Compact serializers of the map values), which this class being there guarantees.
 */
public final class LiteMember {
  private LiteMember() {}

  /**
   * Joins with the settings a node would read from its {@code GENCACHE_*} environment variables and
   * no config file: {@code cluster-config/cluster.xml} (from the working directory, else from the jar),
   * with {@code GENCACHE_CLUSTER_NAME}, {@code GENCACHE_CLUSTER_MEMBERS} etc. applied, and the event
   * bus on {@code GENCACHE_CLUSTER_HOST} (default 127.0.0.1).
   */
  public static Future<Vertx> join() {
    try {
      return join(ConfigLoader.load(null, System.getenv()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Joins the cluster {@code config} describes, the event bus on its {@code cluster.host}. */
  public static Future<Vertx> join(GencacheConfig config) {
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost(config.cluster().host()).setPort(0);
    try {
      return join(memberConfig(config), options);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Joins with {@code memberConfig}, made a lite member. The event bus listens on a random port of the
   * address Hazelcast binds to, which the other members already reach.
   */
  public static Future<Vertx> join(Config memberConfig) {
    return join(memberConfig, new VertxOptions());
  }

  /**
   * Joins with {@code memberConfig}, made a lite member ({@code memberConfig} is changed), and
   * {@code options}. The event bus host must be an address the gencache nodes can connect to; left
   * unset, it is the address Hazelcast binds to.
   */
  public static Future<Vertx> join(Config memberConfig, VertxOptions options) {
    memberConfig.setLiteMember(true);
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(memberConfig))
        .buildClustered();
  }

  /**
   * The Hazelcast config a node with {@code config} would use (its cluster file, name, port, members
   * and the Compact serializers), as a lite member. Adjust it, then pass it to {@link #join(Config)}.
   */
  public static Config memberConfig(GencacheConfig config) {
    return MemberConfig.load(config.cluster(), config.cache()).setLiteMember(true);
  }
}
