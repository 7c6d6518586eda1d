package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.config.GencacheConfig;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Single-flight across three real members: one generation per key in the whole cluster. */
class ClusterSingleFlightTest {
  private final List<GencacheNode> nodes = new ArrayList<>();
  private final List<CountingGenerator> generators = new ArrayList<>();
  private final List<WebClient> clients = new ArrayList<>();

  private void startCluster(int size) {
    String name = TestNodes.randomClusterName();
    for (int i = 0; i < size; i++) {
      CountingGenerator generator = new CountingGenerator();
      generator.hold();
      GencacheConfig config = TestNodes.config(name, Map.of());
      GencacheNode node = TestNodes.start(config, Clock.systemUTC(),
          (vertx, c) -> new GeneratorRegistry().register(generator, List.of("embedded"), 0.0));
      nodes.add(node);
      generators.add(generator);
      clients.add(WebClient.create(node.vertx(), new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.httpPort()), new PoolOptions().setHttp1MaxSize(100)));
    }
    TestNodes.eventually(Duration.ofSeconds(30), "all members joined",
        () -> nodes.get(0).hazelcast().getCluster().getMembers().size() == size);
  }

  @AfterEach
  void stop() {
    clients.forEach(WebClient::close);
    nodes.forEach(n -> {
      try {
        TestNodes.stop(n);
      } catch (RuntimeException e) {
        // crashed members are already closed
      }
    });
  }

  private int totalCalls() {
    return generators.stream().mapToInt(g -> g.calls.get()).sum();
  }

  /** The {@code gencache_flights_waiting} gauge of a node. */
  private double waitersOn(int node) {
    return nodes.get(node).registry().get("gencache.flights.waiting").gauge().value();
  }

  private Future<HttpResponse<Buffer>> post(int node, String prompt) {
    return clients.get(node).post("/v1/images/generations")
        .sendBuffer(Buffer.buffer("{\"prompt\":\"" + prompt + "\",\"size\":\"64x64\"}"));
  }

  @Test
  void hundredFiftyRequestsOverThreeNodesGenerateOnce() throws Exception {
    startCluster(3);
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      all.add(post(i % 3, "one generation for the whole cluster"));
    }
    // Every request but the generating one waits on it (not merely arrived: one still reading the
    // store when the generation lands would rightly be a HIT).
    TestNodes.eventually(Duration.ofSeconds(30), "149 requests waiting on one generation",
        () -> waitersOn(0) + waitersOn(1) + waitersOn(2) == 149 && totalCalls() == 1);
    generators.forEach(CountingGenerator::release);
    List<HttpResponse<Buffer>> responses = Future.all(all).await(30, TimeUnit.SECONDS).list();

    assertThat(totalCalls()).isEqualTo(1);
    assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
    assertThat(responses).filteredOn(r -> r.getHeader("X-Cache").equals("MISS")).hasSize(1);
    assertThat(responses).filteredOn(r -> r.getHeader("X-Cache").equals("COALESCED")).hasSize(149);
    assertThat(responses).extracting(r -> r.bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids"))
        .containsOnly(responses.get(0).bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids"));
  }

  @Test
  void aWaiterTakesOverWhenTheClaimantDiesMidGeneration() throws Exception {
    startCluster(3);
    Future<HttpResponse<Buffer>> doomed = post(0, "claimant dies");
    TestNodes.eventually(Duration.ofSeconds(10), "node 1 claimed and started generating",
        () -> generators.get(0).calls.get() == 1);
    List<Future<HttpResponse<Buffer>>> waiting = List.of(post(1, "claimant dies"), post(2, "claimant dies"));
    TestNodes.eventually(Duration.ofSeconds(10), "the other nodes wait",
        () -> waitersOn(1) == 1 && waitersOn(2) == 1);
    assertThat(generators.get(1).calls.get() + generators.get(2).calls.get()).isZero();

    TestNodes.crash(nodes.get(0));
    TestNodes.eventually(Duration.ofSeconds(30), "a survivor took over the claim",
        () -> generators.get(1).calls.get() + generators.get(2).calls.get() == 1);
    generators.get(1).release();
    generators.get(2).release();
    List<HttpResponse<Buffer>> responses = Future.all(waiting).await(30, TimeUnit.SECONDS).list();
    assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
    assertThat(responses).extracting(r -> r.getHeader("X-Cache")).containsExactlyInAnyOrder("MISS", "COALESCED");
    assertThat(generators.get(1).calls.get() + generators.get(2).calls.get()).isEqualTo(1);
    assertThat(doomed.isComplete() && doomed.succeeded()).isFalse();
  }

  @Test
  void waitersOnOtherNodesAskingForBytesGetTheGeneratedBytes() throws Exception {
    startCluster(3);
    String body = "{\"prompt\":\"bytes everywhere\",\"size\":\"64x64\",\"response_format\":\"b64_json\"}";
    Future<HttpResponse<Buffer>> first = clients.get(0).post("/v1/images/generations").sendBuffer(Buffer.buffer(body));
    TestNodes.eventually(Duration.ofSeconds(10), "node 1 generating", () -> generators.get(0).calls.get() == 1);
    Future<HttpResponse<Buffer>> b64 = clients.get(1).post("/v1/images/generations").sendBuffer(Buffer.buffer(body));
    Future<HttpResponse<Buffer>> png = clients.get(2).get("/v1/images/generations")
        .addQueryParam("prompt", "bytes everywhere").addQueryParam("size", "64x64").send();
    TestNodes.eventually(Duration.ofSeconds(10), "the other nodes wait",
        () -> waitersOn(1) == 1 && waitersOn(2) == 1);
    generators.forEach(CountingGenerator::release);

    String generated = first.await(30, TimeUnit.SECONDS).bodyAsJsonObject().getJsonArray("data").getJsonObject(0)
        .getString("b64_json");
    HttpResponse<Buffer> b64Answer = b64.await(30, TimeUnit.SECONDS);
    HttpResponse<Buffer> pngAnswer = png.await(30, TimeUnit.SECONDS);
    assertThat(totalCalls()).isEqualTo(1);
    assertThat(b64Answer.getHeader("X-Cache")).isEqualTo("COALESCED");
    assertThat(b64Answer.bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("b64_json"))
        .isEqualTo(generated);
    assertThat(pngAnswer.getHeader("X-Cache")).isEqualTo("COALESCED");
    assertThat(pngAnswer.body().getBytes()).isEqualTo(java.util.Base64.getDecoder().decode(generated));
  }

  /** Counts store reads; describes a result as {"v": value} unless told not to. */
  private static final class FakeResults implements FlightResults<String> {
    final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    final boolean describes;

    FakeResults(boolean describes) {
      this.describes = describes;
    }

    @Override
    public Future<String> read(String key) {
      reads.incrementAndGet();
      return Future.succeededFuture("read:" + key);
    }

    @Override
    public io.vertx.core.json.JsonObject describe(String result) {
      return describes ? new io.vertx.core.json.JsonObject().put("v", result) : null;
    }

    @Override
    public String fromDescription(String key, io.vertx.core.json.JsonObject description) {
      return "described:" + description.getString("v");
    }
  }

  private Future<SingleFlight.Flight<String>> raceOnTwoNodes(FakeResults results) throws Exception {
    List<ClusterSingleFlight<String>> flights = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      GencacheNode node = nodes.get(i);
      ClusterSingleFlight<String> flight = new ClusterSingleFlight<>(node.vertx(), node.hazelcast(), "flight-node-" + i,
          Duration.ofSeconds(60), Duration.ofSeconds(30), 10, results, lag -> {}, lag -> {});
      flight.start().await(10, TimeUnit.SECONDS);
      flights.add(flight);
    }
    io.vertx.core.Promise<String> generation = io.vertx.core.Promise.promise();
    Future<SingleFlight.Flight<String>> claimant = flights.get(0).run("race", () -> generation.future());
    TestNodes.eventually(Duration.ofSeconds(10), "the claim is taken",
        () -> nodes.get(0).hazelcast().getMap(ClusterSingleFlight.INFLIGHT_MAP).containsKey("race"));
    Future<SingleFlight.Flight<String>> waiter = flights.get(1).run("race", () -> Future.failedFuture("must not run"));
    TestNodes.eventually(Duration.ofSeconds(10), "the waiter found the claim taken",
        () -> flights.get(1).waiting() == 1);
    generation.complete("image");
    assertThat(claimant.await(10, TimeUnit.SECONDS)).isEqualTo(new SingleFlight.Flight<>("image", false));
    return waiter;
  }

  @Test
  void aWaiterAnswersFromTheAnnouncementWithoutReadingTheStore() throws Exception {
    startCluster(2);
    FakeResults results = new FakeResults(true);
    SingleFlight.Flight<String> answer = raceOnTwoNodes(results).await(10, TimeUnit.SECONDS);
    assertThat(answer).isEqualTo(new SingleFlight.Flight<>("described:image", true));
    assertThat(results.reads.get()).isZero();
  }

  @Test
  void aWaiterReadsTheStoreWhenTheAnnouncementCarriesNoResult() throws Exception {
    startCluster(2);
    FakeResults results = new FakeResults(false);
    SingleFlight.Flight<String> answer = raceOnTwoNodes(results).await(10, TimeUnit.SECONDS);
    assertThat(answer).isEqualTo(new SingleFlight.Flight<>("read:race", true));
    assertThat(results.reads.get()).isEqualTo(1);
  }

  @Test
  void aRunStartedRightAfterAFinishRunsAgain() throws Exception {
    startCluster(1);
    GencacheNode node = nodes.get(0);
    ClusterSingleFlight<String> flight = new ClusterSingleFlight<>(node.vertx(), node.hazelcast(), "quick-node",
        Duration.ofSeconds(60), Duration.ofSeconds(30), 10, new FakeResults(true), lag -> {}, lag -> {});
    flight.start().await(10, TimeUnit.SECONDS);
    for (int i = 0; i < 20; i++) {
      String key = "again-" + i;
      assertThat(flight.run(key, () -> Future.succeededFuture("first")).await(10, TimeUnit.SECONDS))
          .isEqualTo(new SingleFlight.Flight<>("first", false));
      // Started after the first was answered, often within the same millisecond (a no-cache request
      // right after a miss): it must run, not read the result it has already seen.
      assertThat(flight.run(key, () -> Future.succeededFuture("second")).await(10, TimeUnit.SECONDS))
          .isEqualTo(new SingleFlight.Flight<>("second", false));
    }
  }

  @Test
  void aWaiterThatMissedTheAnnouncementLearnsOfTheFinishFromItsEarlyRecheck() throws Exception {
    startCluster(2);
    GencacheNode node = nodes.get(1);
    FakeResults results = new FakeResults(true);
    ClusterSingleFlight<String> flight = new ClusterSingleFlight<>(node.vertx(), node.hazelcast(), "late-node",
        Duration.ofSeconds(60), Duration.ofSeconds(30), 10, results, lag -> {}, lag -> {});
    flight.start().await(10, TimeUnit.SECONDS);
    // Another node holds the claim and has already announced its finish (before this waiter existed).
    com.hazelcast.map.IMap<String, Claim> claims = node.hazelcast().getMap(ClusterSingleFlight.INFLIGHT_MAP);
    claims.set("missed", new Claim("other-node", false, 0));
    Future<SingleFlight.Flight<String>> waiter = flight.run("missed", () -> Future.failedFuture("must not run"));
    TestNodes.eventually(Duration.ofSeconds(10), "the waiter found the claim running",
        () -> flight.waiting() == 1);
    claims.set("missed", new Claim("other-node", true, System.currentTimeMillis() * 1000));

    // The regular re-check comes after 5 s; the first one after 100 ms.
    assertThat(waiter.await(2, TimeUnit.SECONDS)).isEqualTo(new SingleFlight.Flight<>("read:missed", true));
  }
}
