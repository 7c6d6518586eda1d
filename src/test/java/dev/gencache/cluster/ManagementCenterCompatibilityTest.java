package dev.gencache.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.XmlClientConfigBuilder;
import com.hazelcast.client.impl.clientside.HazelcastClientInstanceImpl;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import com.hazelcast.client.impl.protocol.ClientMessage;
import com.hazelcast.client.impl.protocol.codec.MCGetClusterMetadataCodec;
import com.hazelcast.client.impl.protocol.codec.MCReadMetricsCodec;
import com.hazelcast.client.impl.spi.impl.ClientInvocation;
import com.hazelcast.cluster.ClusterState;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.metrics.MetricConsumer;
import com.hazelcast.internal.metrics.MetricDescriptor;
import com.hazelcast.internal.metrics.impl.MetricsCompressor;
import dev.gencache.GencacheNode;
import dev.gencache.store.ImageStore;
import dev.gencache.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.io.File;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Management Center can watch a gencache cluster: a Hazelcast client built from
 * {@code cluster-config/client.xml} connects to two real members (from {@code cluster.xml}) and asks
 * them what MC asks, with the same protocol messages.
 *
 * <p>{@code MCGetClusterMetadataCodec}, {@code MCReadMetricsCodec} and {@code MetricsCompressor} are
 * Hazelcast-internal classes with no compatibility guarantee between versions; they are pinned to the
 * Hazelcast version in the pom. A Hazelcast upgrade that changes what MC sees (message layout, metric
 * names, the metrics journal) fails here rather than in front of an operator.
 */
class ManagementCenterCompatibilityTest {
  private static final String IMAGES = ImageStore.IMAGES_MAP;
  /** Members collect metrics every 5 s (cluster.xml): allow several cycles on a busy machine. */
  private static final Duration METRICS_WAIT = Duration.ofSeconds(30);

  private static TestCluster cluster;
  private static HazelcastInstance client;
  private static final Set<String> storedIds = new TreeSet<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(2, Map.of(), Clock.systemUTC(), GencacheNode.DEFAULT_GENERATORS, member -> { });
    for (String prompt : List.of("a lighthouse at dusk", "a red fox in the snow", "a teapot on the moon")) {
      HttpResponse<Buffer> post = cluster.call(0, HttpMethod.POST, "/v1/images/generations",
          "{\"prompt\":\"" + prompt + "\",\"size\":\"64x64\"}");
      assertThat(post.statusCode()).isEqualTo(200);
      String id = post.bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids").getString(0);
      storedIds.add(id);
      for (int read = 0; read < 2; read++) { // node 2: the first read fills its near cache, the second hits it
        assertThat(cluster.call(1, HttpMethod.GET, "/v1/images/" + id, null).statusCode()).isEqualTo(200);
      }
    }
    assertThat(storedIds).hasSize(3);

    ClientConfig config = new XmlClientConfigBuilder(new File("cluster-config/client.xml")).build();
    assertThat(config.getClusterName()).isEqualTo("gencache"); // the file matches cluster.xml
    assertThat(config.getMetricsConfig().isEnabled()).isTrue();
    HazelcastInstance first = cluster.nodes.get(0).hazelcast();
    config.setClusterName(first.getConfig().getClusterName());
    config.getNetworkConfig().setAddresses(List.of("127.0.0.1:" + first.getCluster().getLocalMember().getAddress()
        .getPort()));
    client = HazelcastClient.newHazelcastClient(config);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.shutdown();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void clusterMetadataReportsAnActiveHazelcast56Cluster() throws Exception {
    MCGetClusterMetadataCodec.ResponseParameters metadata = MCGetClusterMetadataCodec.decodeResponse(
        invoke(MCGetClusterMetadataCodec.encodeRequest(), null));

    assertThat(metadata.memberVersion).startsWith("5.6.");
    assertThat(ClusterState.getById(metadata.currentState)).isEqualTo(ClusterState.ACTIVE);
    assertThat(client.getCluster().getMembers()).hasSize(2);
  }

  @Test
  void everyMemberReportsTheImagesMapAndTheEntriesAddUp() throws Exception {
    List<Member> members = List.copyOf(client.getCluster().getMembers());
    String owned = "map[" + IMAGES + "].ownedEntryCount";
    String backups = "map[" + IMAGES + "].backupEntryCount";

    // Each member's numbers come from its own collection cycle: wait until they agree.
    List<Map<String, Double>> latest = pollMetrics(members, "the members' " + owned + " and " + backups
        + " each to sum to " + storedIds.size(), snapshots -> sum(snapshots, owned) == storedIds.size()
            && sum(snapshots, backups) == storedIds.size()); // one backup: every image is on both members

    for (Map<String, Double> metrics : latest) {
      assertThat(metrics).containsKeys(owned, backups, "map[" + IMAGES + "].putCount", "map[" + IMAGES + "].heapCost",
          "map[" + ImageStore.REQUESTS_MAP + "].ownedEntryCount");
    }
    assertThat(sum(latest, "map[" + IMAGES + "].heapCost")).isPositive();
  }

  @Test
  void theReadingMemberReportsNearCacheHits() throws Exception {
    UUID reader = cluster.nodes.get(1).hazelcast().getCluster().getLocalMember().getUuid();
    Member member = client.getCluster().getMembers().stream().filter(m -> m.getUuid().equals(reader))
        .findFirst().orElseThrow();
    String hits = "map.nearcache[" + IMAGES + "].hits";

    List<Map<String, Double>> latest = pollMetrics(List.of(member), hits + " >= 1 on node 2",
        snapshots -> snapshots.get(0).getOrDefault(hits, 0.0) >= 1);

    assertThat(latest.get(0)).containsKeys("map.nearcache[" + IMAGES + "].misses",
        "map.nearcache[" + IMAGES + "].ownedEntryCount");
  }

  /**
   * Reads each member's newest metrics collection until {@code done} holds for all of them together;
   * fails after {@link #METRICS_WAIT} showing the last gencache metrics seen.
   */
  private static List<Map<String, Double>> pollMetrics(List<Member> members, String what,
      Predicate<List<Map<String, Double>>> done) throws Exception {
    long deadline = System.nanoTime() + METRICS_WAIT.toNanos();
    while (true) {
      List<Map<String, Double>> snapshots = new ArrayList<>();
      for (Member member : members) {
        snapshots.add(newestMetrics(member));
      }
      if (done.test(snapshots)) {
        return snapshots;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + METRICS_WAIT + " waiting for " + what + "; last seen: "
            + snapshots.stream().map(ManagementCenterCompatibilityTest::gencacheOnly).toList());
      }
      Thread.sleep(250);
    }
  }

  /**
   * What MC reads from one member: the member's metrics journal ({@code MCReadMetricsCodec}, from
   * sequence 0), of which only the newest collection is kept, keyed {@code prefix[name].metric}.
   */
  private static Map<String, Double> newestMetrics(Member member) throws Exception {
    MCReadMetricsCodec.ResponseParameters journal = MCReadMetricsCodec.decodeResponse(
        invoke(MCReadMetricsCodec.encodeRequest(member.getUuid(), 0L), member.getUuid()));
    Map<String, Double> metrics = new TreeMap<>();
    journal.elements.stream().max(Map.Entry.comparingByKey()).ifPresent(newest ->
        MetricsCompressor.extractMetrics(newest.getValue(), new MetricConsumer() {
          @Override
          public void consumeLong(MetricDescriptor descriptor, long value) {
            metrics.put(key(descriptor), (double) value);
          }

          @Override
          public void consumeDouble(MetricDescriptor descriptor, double value) {
            metrics.put(key(descriptor), value);
          }
        }));
    return metrics;
  }

  /** The sum of one metric over members; NaN (never equal to anything) if a member lacks it. */
  private static double sum(List<Map<String, Double>> snapshots, String metric) {
    return snapshots.stream().mapToDouble(m -> m.getOrDefault(metric, Double.NaN)).sum();
  }

  private static String key(MetricDescriptor d) {
    return d.prefix() + (d.discriminatorValue() == null ? "" : "[" + d.discriminatorValue() + "]") + "." + d.metric();
  }

  /** The few metrics worth showing in a failure message (a member reports several hundred). */
  private static Map<String, Double> gencacheOnly(Map<String, Double> metrics) {
    Map<String, Double> only = new TreeMap<>();
    metrics.forEach((k, v) -> {
      if (k.contains("[gencache-") && k.matches(".*\\.(ownedEntryCount|backupEntryCount|hits|misses)$")) {
        only.put(k, v);
      }
    });
    return only;
  }

  /** A raw client protocol call, as MC makes it: to any member ({@code target} null) or to one member. */
  private static ClientMessage invoke(ClientMessage request, UUID target) throws Exception {
    HazelcastClientInstanceImpl impl = ((HazelcastClientProxy) client).client;
    ClientInvocation invocation = target == null
        ? new ClientInvocation(impl, request, null)
        : new ClientInvocation(impl, request, null, target);
    return invocation.invoke().get(30, TimeUnit.SECONDS);
  }
}
