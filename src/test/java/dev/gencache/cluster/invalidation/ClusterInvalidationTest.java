package dev.gencache.cluster.invalidation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Invalidation across three real members with Hazelcast's near-cache invalidation batching put back to
 * its 10 s default: the guarantee must come from gencache's fences and acks, not from Hazelcast.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterInvalidationTest {
  private static TestCluster cluster;

  @BeforeAll
  static void start() {
    // Each generation yields new bytes (the call number is in them), so a stale image is recognisable.
    GencacheNode.GeneratorFactory counting = (vertx, config) ->
        new GeneratorRegistry().register(new CountingGenerator(), List.of("embedded"), 0.0);
    cluster = new TestCluster(3, Map.of(), Clock.systemUTC(), counting, member -> member
        .setProperty("hazelcast.map.invalidation.batch.enabled", "true")
        .setProperty("hazelcast.map.invalidation.batchfrequency.seconds", "10")
        .setProperty("hazelcast.invalidation.max.tolerated.miss.count", "10"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonObject generate(int node, String json) {
    HttpResponse<Buffer> r = cluster.call(node, HttpMethod.POST, "/v1/images/generations", json);
    assertThat(r.statusCode()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonObject("gencache");
  }

  private static int onlyIfCached(int node, String json) {
    return cluster.call(node, HttpMethod.POST, "/v1/images/generations", json, "Cache-Control", "only-if-cached")
        .statusCode();
  }

  private static void assertCachedEverywhere(String json) {
    for (int n = 0; n < 3; n++) {
      assertThat(onlyIfCached(n, json)).as("node %d before", n).isEqualTo(200); // warms every near cache
    }
  }

  private static void assertGoneEverywhere(String json) {
    for (int n = 0; n < 3; n++) {
      assertThat(onlyIfCached(n, json)).as("node %d after", n).isEqualTo(504);
    }
  }

  private static JsonObject invalidate(int node, String body, int expectedStatus) {
    HttpResponse<Buffer> r = cluster.call(node, HttpMethod.POST, "/v1/cache/invalidate", body);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(expectedStatus);
    return r.bodyAsJsonObject();
  }

  @Test
  @Order(1)
  void everyCriterionIsAcknowledgedByEveryMemberAndNoNodeServesAfterwards() {
    List<String> members = cluster.nodes.get(0).leadership().members();
    String byTag = "{\"prompt\":\"tagged banner\",\"size\":\"64x64\",\"tags\":[\"promo-2026-11\"]}";
    String byKey = "{\"prompt\":\"keyed banner\",\"size\":\"64x64\"}";
    String byPrompt = "{\"prompt\":\"exact prompt banner\",\"size\":\"64x64\"}";
    String byPrefix = "{\"prompt\":\"summer sale banner\",\"size\":\"64x64\"}";
    String untouched = "{\"prompt\":\"winter sale banner\",\"size\":\"64x64\"}";
    String key = generate(0, byKey).getString("key");
    for (String json : List.of(byTag, byPrompt, byPrefix, untouched)) {
      generate(0, json);
    }
    for (String json : List.of(byTag, byKey, byPrompt, byPrefix, untouched)) {
      assertCachedEverywhere(json);
    }

    long lastSeq = 0;
    int via = 0;
    for (var c : List.of(
        new String[] {"{\"tags\":[\"promo-2026-11\"]}", byTag},
        new String[] {"{\"keys\":[\"" + key + "\"]}", byKey},
        new String[] {"{\"prompt\":\"  exact   prompt banner \"}", byPrompt},
        new String[] {"{\"prompt_prefix\":\"summer \"}", byPrefix})) {
      JsonObject outcome = invalidate(via++ % 3, c[0], 200);
      assertThat(outcome.getLong("seq")).isGreaterThan(lastSeq);
      lastSeq = outcome.getLong("seq");
      assertThat(outcome.getInteger("removed")).isEqualTo(1);
      assertThat(outcome.getJsonArray("acked_by").getList()).containsExactlyInAnyOrderElementsOf(members);
      assertThat(outcome.getJsonArray("members").getList()).containsExactlyInAnyOrderElementsOf(members);
      assertGoneEverywhere(c[1]);
    }
    assertCachedEverywhere(untouched);
  }

  @Test
  @Order(2)
  void deletingAnImagePurgesItOnEveryNode() {
    String json = "{\"prompt\":\"purge me\",\"size\":\"64x64\"}";
    String id = generate(1, json).getJsonArray("ids").getString(0);
    for (int n = 0; n < 3; n++) {
      assertThat(cluster.call(n, HttpMethod.GET, "/v1/images/" + id, null).statusCode()).isEqualTo(200);
    }
    HttpResponse<Buffer> r = cluster.call(2, HttpMethod.DELETE, "/v1/images/" + id, null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getInteger("removed")).isEqualTo(2); // the image and the entry using it
    for (int n = 0; n < 3; n++) {
      assertThat(cluster.call(n, HttpMethod.GET, "/v1/images/" + id, null).statusCode()).as("node %d", n).isEqualTo(404);
    }
    assertGoneEverywhere(json);
    assertThat(cluster.call(0, HttpMethod.DELETE, "/v1/images/not-hex", null).statusCode()).isEqualTo(400);
  }

  @Test
  @Order(3)
  void noStaleReadThroughTwoHundredInvalidateRegenerateCycles() throws Exception {
    String json = "{\"prompt\":\"hot banner under churn\",\"size\":\"64x64\"}";
    record Read(long startedNanos, String id) {}
    ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> readers = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      int node = n;
      Thread t = new Thread(() -> {
        while (running.get()) {
          long started = System.nanoTime();
          HttpResponse<Buffer> r = cluster.call(node, HttpMethod.POST, "/v1/images/generations", json,
              "Cache-Control", "only-if-cached");
          if (r.statusCode() == 200) {
            reads.add(new Read(started, r.bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids").getString(0)));
          }
        }
      });
      t.start();
      readers.add(t);
    }
    List<String> invalidatedIds = new ArrayList<>();
    List<Long> invalidatedAt = new ArrayList<>();
    for (int cycle = 0; cycle < 200; cycle++) {
      JsonObject created = generate(cycle % 3, json);
      String key = created.getString("key");
      invalidate((cycle + 1) % 3, "{\"keys\":[\"" + key + "\"]}", 200);
      invalidatedIds.add(created.getJsonArray("ids").getString(0));
      invalidatedAt.add(System.nanoTime());
    }
    running.set(false);
    for (Thread t : readers) {
      t.join(30_000);
    }
    long stale = 0;
    for (Read read : reads) {
      int cycle = invalidatedIds.indexOf(read.id());
      if (cycle >= 0 && read.startedNanos() > invalidatedAt.get(cycle)) {
        stale++;
      }
    }
    assertThat(invalidatedIds).doesNotHaveDuplicates();
    assertThat(reads).isNotEmpty(); // the readers did see the image between cycles
    assertThat(stale).as("reads that began after an acknowledged invalidation and still saw its image").isZero();
  }

  @Test
  @Order(4)
  void everyNodeReportsTheSameClusterViewWithEachMembersOwnNumbers() {
    List<String> members = cluster.nodes.get(0).leadership().members();
    JsonObject first = null;
    for (int n = 0; n < 3; n++) {
      JsonObject view = cluster.call(n, HttpMethod.GET, "/v1/cluster", null).bodyAsJsonObject();
      assertThat(view.getString("node_id")).isEqualTo(cluster.nodes.get(n).leadership().nodeId());
      assertThat(view.getString("leader")).isEqualTo(cluster.leader().leadership().nodeId());
      assertThat(view.getLong("term")).isPositive();
      assertThat(view.getJsonArray("members")).hasSize(3);
      long entries = 0;
      for (int m = 0; m < 3; m++) {
        JsonObject member = view.getJsonArray("members").getJsonObject(m);
        assertThat(member.getBoolean("reachable")).isTrue();
        assertThat(member.getString("node_id")).isEqualTo(members.get(m));
        assertThat(member.getString("http_url")).startsWith("http://127.0.0.1:");
        assertThat(member.getString("address")).startsWith("[127.0.0.1]:");
        assertThat(member.getLong("bytes")).isNotNegative();
        assertThat(member.getLong("near_cache_hits")).isNotNegative();
        entries += member.getLong("entries");
      }
      assertThat(entries).as("owned entries over all members = the map's size")
          .isEqualTo(cluster.nodes.get(0).hazelcast().getMap("gencache-requests").size());
      if (first == null) {
        first = view;
      } else {
        assertThat(view.getString("leader")).isEqualTo(first.getString("leader"));
        assertThat(view.getLong("term")).isEqualTo(first.getLong("term"));
      }
    }
  }

  @Test
  @Order(5)
  void aMemberThatDoesNotAcknowledgeMakesIt202WithTheMissingMember() throws Exception {
    GencacheNode silent = cluster.nodes.get(2);
    silent.invalidations().stop().await(10, java.util.concurrent.TimeUnit.SECONDS);
    generate(0, "{\"prompt\":\"partly acknowledged\",\"size\":\"64x64\"}");
    JsonObject outcome = invalidate(0, "{\"prompt\":\"partly acknowledged\"}", 202);
    assertThat(outcome.getJsonArray("missing").getList()).containsExactly(silent.leadership().nodeId());
    assertThat(outcome.getJsonArray("acked_by")).hasSize(2);
  }
}
