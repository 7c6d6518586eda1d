package dev.gencache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.Partition;
import dev.gencache.GencacheNode;
import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.leader.LeaderView;
import dev.gencache.testing.TestCluster;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Another Java application joins two real gencache nodes as a lite member (same cluster.xml) and uses
 * gencache over the event bus only: request/reply on {@code gencache.generate}, events on
 * {@code gencache.events}. The cluster must not mistake it for a gencache node.
 */
class LiteMemberTest {
  private static TestCluster cluster;
  private static Vertx lite;
  private static HazelcastInstance liteHazelcast;
  private static Caller caller;

  /** What a user application would deploy on the lite member: listens to events, calls generate. */
  static final class Caller extends VerticleBase {
    final Queue<JsonObject> events = new ConcurrentLinkedQueue<>();

    @Override
    public Future<?> start() {
      MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(Addresses.EVENTS, m -> events.add(m.body()));
      return consumer.completion();
    }

    Future<JsonObject> generate(JsonObject body) {
      return vertx.eventBus().<JsonObject>request(Addresses.GENERATE, body, new DeliveryOptions().setSendTimeout(30_000))
          .map(Message::body);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(2, Map.of(), Clock.systemUTC(), GencacheNode.DEFAULT_GENERATORS, member -> { });
    String clusterName = cluster.nodes.get(0).hazelcast().getConfig().getClusterName();
    Config member = LiteMember.memberConfig(TestNodes.config(clusterName, Map.of()));
    member.setProperty("hazelcast.wait.seconds.before.join", "0");
    lite = LiteMember.join(member).await(60, TimeUnit.SECONDS);
    liteHazelcast = Hazelcast.getAllHazelcastInstances().stream()
        .filter(hz -> hz.getConfig().getClusterName().equals(clusterName) && hz.getConfig().isLiteMember())
        .findFirst().orElseThrow();
    TestNodes.eventually(Duration.ofSeconds(30), "all three members see each other", () -> cluster.nodes.stream()
        .allMatch(n -> n.hazelcast().getCluster().getMembers().size() == 3));
    caller = new Caller();
    lite.deployVerticle(caller).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (lite != null) {
      lite.close().await(30, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void joinsAsALiteMemberThatOwnsNoPartitions() {
    assertThat(liteHazelcast.getCluster().getLocalMember().isLiteMember()).isTrue();
    assertThat(liteHazelcast.getPartitionService().getPartitions()).isNotEmpty().allSatisfy(
        (Partition p) -> assertThat(p.getOwner()).isNotNull().isNotEqualTo(liteHazelcast.getCluster().getLocalMember()));
    assertThat(cluster.nodes.get(0).hazelcast().getCluster().getMembers())
        .filteredOn(m -> m.isLiteMember()).hasSize(1);
  }

  @Test
  void gencacheDoesNotCountTheLiteMemberAsANode() {
    String liteNodeId = liteHazelcast.getCluster().getLocalMember().getAttribute("__vertx.nodeId");
    assertThat(liteNodeId).isNotNull(); // it is a Vert.x cluster node all the same
    TestNodes.eventually(Duration.ofSeconds(10), "the nodes' member views settle", () -> cluster.nodes.stream()
        .allMatch(n -> n.leadership().members().size() == 2));
    for (GencacheNode node : cluster.nodes) {
      assertThat(node.leadership().members()).doesNotContain(liteNodeId);
      LeaderView leader = node.leadership().current();
      assertThat(leader.nodeId()).isNotEqualTo(liteNodeId);
    }

    JsonObject view = cluster.call(1, HttpMethod.GET, "/v1/cluster", null).bodyAsJsonObject();
    assertThat(view.getJsonArray("members")).hasSize(2);
    assertThat(view.getJsonArray("members").stream().map(m -> ((JsonObject) m).getBoolean("reachable")))
        .containsOnly(true);

    // Every node acknowledges an invalidation; the lite member is not waited for (else 202 after 5 s).
    var invalidated = cluster.call(0, HttpMethod.POST, "/v1/cache/invalidate", "{\"tags\":[\"lite-member-test\"]}");
    assertThat(invalidated.statusCode()).isEqualTo(200);
    assertThat(invalidated.bodyAsJsonObject().getJsonArray("acked_by")).hasSize(2).doesNotContain(liteNodeId);
  }

  @Test
  void generatesOverTheEventBusAndHearsTheImageReady() throws Exception {
    JsonObject request = new JsonObject().put("prompt", "a lighthouse at dusk").put("size", "256x256");

    JsonObject miss = caller.generate(request.copy()).await(60, TimeUnit.SECONDS);
    JsonObject missInfo = miss.getJsonObject("gencache");
    assertThat(missInfo.getString("cache")).isEqualTo("MISS");
    String url = miss.getJsonArray("data").getJsonObject(0).getString("url");
    assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+/v1/images/[0-9a-f]{64}");
    assertThat(cluster.call(0, HttpMethod.GET, url.substring(url.indexOf("/v1/")), null).statusCode())
        .isEqualTo(200);

    JsonObject hit = caller.generate(request.copy()).await(60, TimeUnit.SECONDS);
    assertThat(hit.getJsonObject("gencache").getString("cache")).isEqualTo("HIT");
    assertThat(hit.getJsonObject("gencache").getJsonArray("ids")).isEqualTo(missInfo.getJsonArray("ids"));
    assertThat(hit.getJsonObject("gencache").getString("key")).isEqualTo(missInfo.getString("key"));

    TestNodes.eventually(Duration.ofSeconds(10), "image.ready for " + missInfo.getString("key"), () ->
        caller.events.stream().anyMatch(e -> "image.ready".equals(e.getString("type"))
            && missInfo.getString("key").equals(e.getString("key"))
            && missInfo.getJsonArray("ids").equals(e.getJsonArray("ids"))));
  }

  @Test
  void aBadRequestFailsWith400AndAProblem() {
    Future<JsonObject> bad = caller.generate(new JsonObject().put("size", "banana"));

    ExecutionException thrown = catchThrowableOfType(ExecutionException.class,
        () -> bad.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertThat(thrown).isNotNull();
    assertThat(thrown.getCause()).isInstanceOf(ReplyException.class);
    ReplyException failure = (ReplyException) thrown.getCause();
    assertThat(failure.failureCode()).as(failure.getMessage()).isEqualTo(400);
    JsonObject problem = new JsonObject(failure.getMessage());
    assertThat(problem.getString("type")).startsWith("urn:gencache:problem:");
    assertThat(problem.getInteger("status")).isEqualTo(400);
    assertThat(problem.getString("detail")).isNotBlank();
  }
}
