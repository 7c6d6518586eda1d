package dev.gencache.cluster.eviction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestCluster;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The leader's sweep on three members; time moves by hand, the sweep is triggered directly. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSweepTest {
  private static final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private static TestCluster cluster;

  @BeforeAll
  static void start() {
    GencacheNode.GeneratorFactory padded = (vertx, config) ->
        new GeneratorRegistry().register(new CountingGenerator(200_000), List.of("embedded"), 0.0);
    cluster = new TestCluster(3, Map.of("GENCACHE_CACHE_STALE_SECONDS", "30", "GENCACHE_CACHE_MAX_CLUSTER_MB", "1",
        "GENCACHE_CACHE_SWEEP_SECONDS", "3600"), clock, padded, member -> { });
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static SweepReport sweep() throws Exception {
    GencacheNode leader = cluster.leader();
    return leader.sweeper().sweepOnce(leader.leadership().current().term()).await(30, TimeUnit.SECONDS);
  }

  private static JsonObject generate(int node, String json) {
    return cluster.call(node, HttpMethod.POST, "/v1/images/generations", json).bodyAsJsonObject().getJsonObject("gencache");
  }

  private static int onlyIfCached(int node, String json) {
    return cluster.call(node, HttpMethod.POST, "/v1/images/generations", json, "Cache-Control", "only-if-cached")
        .statusCode();
  }

  private static boolean stored(String key) {
    return cluster.nodes.get(0).hazelcast().getMap("gencache-requests").containsKey(key);
  }

  @Test
  @Order(1)
  void entriesPastTheirStaleWindowAreRemovedEverywhere() throws Exception {
    String shortLived = "{\"prompt\":\"short lived\",\"size\":\"64x64\",\"ttl_seconds\":60}";
    String key = generate(0, shortLived).getString("key");
    assertThat(sweep().expiredKeys()).isZero();
    assertThat(stored(key)).isTrue();

    clock.advance(Duration.ofSeconds(60 + 30 + 1));
    SweepReport report = sweep();
    assertThat(report.expiredKeys()).isEqualTo(1);
    assertThat(stored(key)).isFalse();
    for (int n = 0; n < 3; n++) {
      assertThat(onlyIfCached(n, shortLived)).isEqualTo(504);
    }
  }

  @Test
  @Order(2)
  void aTagIsExpiredWhenItsScheduleIsDue() throws Exception {
    Instant at = clock.instant().plus(Duration.ofHours(1));
    var put = cluster.call(1, HttpMethod.PUT, "/v1/cache/tag-expiry/promo-2026-11",
        new JsonObject().put("at", at.toString()).encode());
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(cluster.call(2, HttpMethod.GET, "/v1/cache/tag-expiry", null).bodyAsString()).contains("promo-2026-11");
    String promo = "{\"prompt\":\"promo banner\",\"size\":\"64x64\",\"tags\":[\"promo-2026-11\"]}";
    String regular = "{\"prompt\":\"regular banner\",\"size\":\"64x64\"}";
    generate(0, promo);
    generate(0, regular);

    assertThat(sweep().dueTags()).isZero();
    assertThat(onlyIfCached(1, promo)).isEqualTo(200);
    clock.advance(Duration.ofHours(1).plusSeconds(1));
    assertThat(sweep().dueTags()).isEqualTo(1);
    for (int n = 0; n < 3; n++) {
      assertThat(onlyIfCached(n, promo)).as("node %d", n).isEqualTo(504);
      assertThat(onlyIfCached(n, regular)).as("node %d", n).isEqualTo(200);
    }
    assertThat(cluster.call(2, HttpMethod.GET, "/v1/cache/tag-expiry", null).bodyAsJsonObject()
        .getJsonArray("schedules")).isEmpty();
    assertThat(cluster.call(0, HttpMethod.PUT, "/v1/cache/tag-expiry/x", "{\"at\":\"tomorrow\"}").statusCode())
        .isEqualTo(400);
  }

  @Test
  @Order(3)
  void theClusterByteBudgetEvictsLeastRecentlyUsedFirst() throws Exception {
    List<String> prompts = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 12; i++) { // 12 x 200 KB against a 1 MB budget
      String json = "{\"prompt\":\"budget image " + i + "\",\"size\":\"64x64\"}";
      prompts.add(json);
      keys.add(generate(i % 3, json).getString("key"));
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(onlyIfCached(2, prompts.get(0))).isEqualTo(200); // the oldest is now the most recently used

    SweepReport report = sweep();
    assertThat(report.clusterBytes()).isGreaterThan(1 << 20);
    assertThat(report.budgetKeys()).isPositive();
    long left = cluster.nodes.get(0).hazelcast().<String, Object>getMap("gencache-images")
        .aggregate(com.hazelcast.aggregation.Aggregators.longSum("size"));
    assertThat(left).isLessThanOrEqualTo(1 << 20);
    assertThat(stored(keys.get(0))).as("recently used survives").isTrue();
    assertThat(stored(keys.get(1))).as("least recently used goes first").isFalse();
    assertThat(stored(keys.get(11))).as("newest survives").isTrue();
    for (int n = 0; n < 3; n++) {
      assertThat(onlyIfCached(n, prompts.get(1))).isEqualTo(504);
    }
  }
}
