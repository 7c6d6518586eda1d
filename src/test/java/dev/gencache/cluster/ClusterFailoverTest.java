package dev.gencache.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.cluster.eviction.SweepReport;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestCluster;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Members leaving, gracefully or not: nothing cached is lost and leader-only work carries on. */
class ClusterFailoverTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final List<CountingGenerator> generators = new CopyOnWriteArrayList<>();
  private TestCluster cluster;

  private void startCluster() {
    GencacheNode.GeneratorFactory counting = (vertx, config) -> {
      CountingGenerator g = new CountingGenerator();
      generators.add(g);
      return new GeneratorRegistry().register(g, List.of("embedded"), 0.0);
    };
    cluster = new TestCluster(3, Map.of("GENCACHE_CACHE_STALE_SECONDS", "0", "GENCACHE_CLUSTER_QUORUM", "2"), clock,
        counting, member -> { });
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private int onlyIfCached(int node, String json) {
    return cluster.call(node, HttpMethod.POST, "/v1/images/generations", json, "Cache-Control", "only-if-cached")
        .statusCode();
  }

  @Test
  void aGracefulStopFinishesTheRequestsInFlight() throws Exception {
    startCluster();
    CountingGenerator third = generators.get(2);
    third.hold();
    String json = "{\"prompt\":\"in flight during shutdown\",\"size\":\"64x64\"}";
    Future<HttpResponse<Buffer>> inFlight = cluster.send(2, HttpMethod.POST, "/v1/images/generations", json);
    TestNodes.eventually(Duration.ofSeconds(10), "generation started on node 3", () -> third.calls.get() == 1);

    Future<Void> closing = cluster.nodes.get(2).close();
    assertThat(closing.isComplete()).isFalse(); // waits for the request
    third.release();
    HttpResponse<Buffer> response = inFlight.await(30, TimeUnit.SECONDS);
    closing.await(30, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("X-Cache")).isEqualTo("MISS");
    assertThat(onlyIfCached(0, json)).isEqualTo(200);
    assertThat(onlyIfCached(1, json)).isEqualTo(200);
  }

  @Test
  void aCrashedLeaderLosesNoEntryAndTheNewLeaderKeepsSweeping() throws Exception {
    startCluster();
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String json = "{\"prompt\":\"survives a crash " + i + "\",\"size\":\"64x64\"}";
      prompts.add(json);
      assertThat(cluster.call(i % 3, HttpMethod.POST, "/v1/images/generations", json).statusCode()).isEqualTo(200);
    }
    String shortLived = "{\"prompt\":\"expires after the crash\",\"size\":\"64x64\",\"ttl_seconds\":5}";
    cluster.call(1, HttpMethod.POST, "/v1/images/generations", shortLived);
    GencacheNode oldLeader = cluster.leader();
    long oldTerm = oldLeader.leadership().current().term();

    TestNodes.crash(oldLeader);
    GencacheNode survivor = cluster.nodes.get(1);
    TestNodes.eventually(Duration.ofSeconds(30), "a survivor leads a newer term",
        () -> cluster.nodes.stream().skip(1).anyMatch(n -> n.leadership().isLeader())
            && survivor.leadership().current().term() > oldTerm);

    int lost = 0;
    for (String json : prompts) {
      if (onlyIfCached(1, json) != 200 || onlyIfCached(2, json) != 200) {
        lost++;
      }
    }
    assertThat(lost).as("entries lost with the crashed member").isZero();

    clock.advance(Duration.ofSeconds(6));
    GencacheNode newLeader = cluster.leader();
    SweepReport report = newLeader.sweeper().sweepOnce(newLeader.leadership().current().term())
        .await(30, TimeUnit.SECONDS);
    assertThat(report.expiredKeys()).isEqualTo(1);
  }
}
