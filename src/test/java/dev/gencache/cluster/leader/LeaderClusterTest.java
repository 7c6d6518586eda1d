package dev.gencache.cluster.leader;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.internal.serialization.impl.SerializationConstants;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import dev.gencache.GencacheNode;
import dev.gencache.cluster.Addresses;
import dev.gencache.config.GencacheConfig;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three real nodes in this JVM (cluster-config/cluster.xml, quorum 1). The tests share the cluster
 * and run in order: agreement, fencing, then the leader's crash, then a follower's graceful leave.
 */
@TestMethodOrder(OrderAnnotation.class)
class LeaderClusterTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<GencacheNode> nodes = new ArrayList<>();
  private static final List<JsonObject> changes = new CopyOnWriteArrayList<>();
  private static MessageConsumer<JsonObject> changesConsumer;

  @BeforeAll
  static void start() throws Exception {
    GencacheConfig config = TestNodes.config(TestNodes.randomClusterName(),
        Map.of("GENCACHE_CLUSTER_HEARTBEAT_MS", "200"));
    for (int i = 0; i < 3; i++) {
      nodes.add(TestNodes.start(config, InstantSource.system())); // in order: nodes[0] is the oldest
    }
    // Listen on the youngest node, which stays up through every test.
    changesConsumer = nodes.get(2).vertx().eventBus().consumer(Addresses.EVENTS, m -> {
      if ("leader.changed".equals(m.body().getString("type"))) {
        changes.add(m.body());
      }
    });
    changesConsumer.completion().await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    for (GencacheNode node : nodes) {
      TestNodes.stop(node);
    }
  }

  private static LeaderElection election(GencacheNode node) {
    return node.leadership();
  }

  private static String state(List<GencacheNode> of) {
    return of.stream()
        .map(n -> election(n).nodeId() + " sees " + election(n).current() + " leader=" + election(n).isLeader())
        .collect(Collectors.joining("; "));
  }

  private static boolean allSee(List<GencacheNode> of, LeaderView view) {
    return of.stream().allMatch(n -> election(n).current().equals(view));
  }

  private static double gauge(GencacheNode node) {
    return node.registry().find("gencache.leader").gauge().value();
  }

  private static String scrape(GencacheNode node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.body();
  }

  @Test
  @Order(1)
  void allNodesAgreeOnTheOldestMemberAndExactlyOneLeads() throws Exception {
    GencacheNode oldest = nodes.get(0);
    String leaderId = election(oldest).nodeId();
    Poll.until(WAIT, () -> state(nodes), () -> !election(oldest).current().isNone()
        && allSee(nodes, election(oldest).current()));
    LeaderView view = election(oldest).current();

    assertThat(view.nodeId()).isEqualTo(leaderId);
    assertThat(election(nodes.get(1)).members()).containsExactly(
        leaderId, election(nodes.get(1)).nodeId(), election(nodes.get(2)).nodeId());
    assertThat(nodes.stream().filter(n -> election(n).isLeader()).toList()).containsExactly(oldest);
    assertThat(nodes.stream().map(LeaderClusterTest::gauge).toList()).containsExactly(1.0, 0.0, 0.0);
    assertThat(scrape(oldest)).containsPattern("(?m)^gencache_leader(\\{[^}]*\\})? 1\\.0$");
    assertThat(scrape(nodes.get(1))).containsPattern("(?m)^gencache_leader(\\{[^}]*\\})? 0\\.0$");

    // The term lives in the map, and its entry processor travels as Compact, not Java serialization.
    LeaderView stored = oldest.vertx().executeBlocking(() ->
        oldest.hazelcast().<String, LeaderView>getMap(LeaderMapConfig.MAP).get(LeaderMapConfig.TERM_KEY))
        .await(10, TimeUnit.SECONDS);
    assertThat(stored).isEqualTo(view);
    var serialization = ((SerializationServiceSupport) oldest.hazelcast()).getSerializationService();
    assertThat(serialization.toData(new TakeTerm("n", 1)).getType()).isEqualTo(SerializationConstants.TYPE_COMPACT);
    assertThat(serialization.toData(view).getType()).isEqualTo(SerializationConstants.TYPE_COMPACT);
  }

  @Test
  @Order(2)
  void staleAnnouncementsAreIgnoredAndHigherTermsWin() throws Exception {
    GencacheNode oldest = nodes.get(0);
    LeaderView before = election(oldest).current();
    // Publish from the youngest node; the stale view must be dropped by everyone.
    nodes.get(2).vertx().eventBus().publish(Addresses.LEADER,
        new JsonObject().put("nodeId", "x").put("term", before.term() - 1));
    nodes.get(2).vertx().eventBus().publish(Addresses.LEADER,
        new JsonObject().put("nodeId", "x").put("term", before.term()));
    Poll.holds(Duration.ofMillis(600), () -> state(nodes), () -> allSee(nodes, before));
    assertThat(election(oldest).isLeader()).isTrue();
    assertThat(election(nodes.get(1)).isCurrent(before.term() - 1)).isFalse();
    assertThat(election(nodes.get(1)).isCurrent(before.term())).isTrue();

    // A higher term deposes the leader; "x" is no member, so the oldest takes a term above it.
    nodes.get(2).vertx().eventBus().publish(Addresses.LEADER,
        new JsonObject().put("nodeId", "x").put("term", before.term() + 1));
    Poll.until(WAIT, () -> state(nodes), () -> election(oldest).current().term() > before.term() + 1
        && election(oldest).isLeader() && allSee(nodes, election(oldest).current()));
    assertThat(election(oldest).current()).isEqualTo(new LeaderView(before.nodeId(), before.term() + 2));
    assertThat(election(nodes.get(1)).isCurrent(before.term() + 1)).isFalse();
  }

  @Test
  @Order(3)
  void whenTheLeaderCrashesTheNextOldestTakesAHigherTerm() throws Exception {
    GencacheNode crashed = nodes.get(0);
    GencacheNode heir = nodes.get(1);
    GencacheNode last = nodes.get(2);
    LeaderView before = election(crashed).current();
    List<GencacheNode> survivors = List.of(heir, last);
    String next = election(heir).nodeId();

    long t0 = System.nanoTime();
    crashed.hazelcast().getLifecycleService().terminate();
    nodes.remove(crashed);
    Future<Void> closed = crashed.vertx().close();
    try {
      long elected = Poll.until(WAIT, () -> state(survivors), () -> election(heir).isLeader());
      long agreed = Poll.until(WAIT, () -> state(survivors),
          () -> allSee(survivors, election(heir).current())) + elected;
      long announced = Poll.until(WAIT, changes::toString,
          () -> changes.stream().anyMatch(c -> c.getString("nodeId").equals(next))) + agreed;
      System.out.printf("failover after terminate(): new leader %d ms, both survivors agree %d ms, "
          + "leader.changed received %d ms (total %d ms)%n", elected, agreed, announced,
          (System.nanoTime() - t0) / 1_000_000);

      LeaderView after = election(heir).current();
      assertThat(after.nodeId()).isEqualTo(next);
      assertThat(after.term()).isGreaterThan(before.term());
      assertThat(election(last).isLeader()).isFalse();
      assertThat(election(last).members()).containsExactly(next, election(last).nodeId());
      assertThat(changes.get(changes.size() - 1)).isEqualTo(new JsonObject()
          .put("type", "leader.changed").put("nodeId", next).put("term", after.term()));
      assertThat(survivors.stream().map(LeaderClusterTest::gauge).toList()).containsExactly(1.0, 0.0);
    } finally {
      try {
        closed.await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // its cluster manager is already gone; the rest of Vert.x still closes
      }
    }
  }

  @Test
  @Order(4)
  void aFollowerLeavingGracefullyChangesNothing() throws Exception {
    GencacheNode leader = nodes.get(0);
    GencacheNode follower = nodes.get(1);
    LeaderView before = election(leader).current();
    assertThat(election(leader).isLeader()).isTrue();

    TestNodes.stop(follower);
    nodes.remove(follower);
    Poll.until(WAIT, () -> election(leader).members().toString(), () -> election(leader).members().size() == 1);
    Poll.holds(Duration.ofMillis(600), () -> state(nodes),
        () -> election(leader).isLeader() && election(leader).current().equals(before));
  }
}
