package dev.gencache.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.testing.TestNodes;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two clustered Vert.x members from the real member configuration, counting the event bus's route look-ups. */
class BusRouteCacheTest {
  /** A cluster manager that counts how often the event bus asks it for the subscribers of {@link Addresses#EVENTS}. */
  static final class CountingClusterManager extends HazelcastClusterManager {
    final AtomicInteger eventLookups = new AtomicInteger();
    final AtomicInteger eventLookupsAnswered = new AtomicInteger();

    CountingClusterManager(com.hazelcast.config.Config config) {
      super(config);
    }

    @Override
    public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
      if (!Addresses.EVENTS.equals(address)) {
        super.getRegistrations(address, promise);
        return;
      }
      eventLookups.incrementAndGet();
      super.getRegistrations(address, (result, failure) -> {
        promise.complete(result, failure);
        eventLookupsAnswered.incrementAndGet();
      });
    }
  }

  private final List<Vertx> members = new ArrayList<>();
  private final List<CountingClusterManager> managers = new ArrayList<>();

  @BeforeEach
  void startTwoMembers() throws Exception {
    String name = TestNodes.randomClusterName();
    for (int i = 0; i < 2; i++) {
      CountingClusterManager manager =
          new CountingClusterManager(TestNodes.memberConfig(TestNodes.config(name, Map.of())));
      VertxOptions options = new VertxOptions();
      options.getEventBusOptions().setHost("127.0.0.1").setPort(0);
      members.add(Vertx.builder().with(options).withClusterManager(manager).buildClustered()
          .await(60, TimeUnit.SECONDS));
      managers.add(manager);
    }
    TestNodes.eventually(Duration.ofSeconds(30), "both members joined",
        () -> managers.get(0).getHazelcastInstance().getCluster().getMembers().size() == 2);
  }

  @AfterEach
  void stop() throws Exception {
    for (Vertx member : members) {
      member.close().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Publishes {@code count} events apart in time, as a node's events are: publishes made while a
   * look-up is under way wait for that one.
   */
  private void publishEvents(Vertx from, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      from.eventBus().publish(Addresses.EVENTS, new JsonObject().put("type", "test").put("i", i));
      Thread.sleep(200); // the look-up a publish starts (on a worker thread) is over well within this
    }
  }

  @Test
  void withoutSubscribersEveryPublishAsksTheCluster() throws Exception {
    CountingClusterManager manager = managers.get(0);
    for (int i = 1; i <= 5; i++) {
      members.get(0).eventBus().publish(Addresses.EVENTS, new JsonObject().put("type", "test").put("i", i));
      int expected = i; // the next publish must not find this look-up still under way
      TestNodes.eventually(Duration.ofSeconds(10), "publish " + i + "'s look-up answered",
          () -> manager.eventLookupsAnswered.get() >= expected);
    }

    assertThat(manager.eventLookups.get()).isEqualTo(5);
  }

  @Test
  void aKeptRouteIsLookedUpOnceAndFollowsSubscribersElsewhere() throws Exception {
    BusRouteCache routes = new BusRouteCache(members.get(0), List.of(Addresses.EVENTS));
    routes.start().await(10, TimeUnit.SECONDS);

    publishEvents(members.get(0), 5);
    assertThat(managers.get(0).eventLookups.get()).isLessThanOrEqualTo(1);

    // A subscriber joining on the other member still gets what this one publishes.
    AtomicInteger received = new AtomicInteger();
    members.get(1).eventBus().consumer(Addresses.EVENTS, message -> received.incrementAndGet())
        .completion().await(10, TimeUnit.SECONDS);
    TestNodes.eventually(Duration.ofSeconds(10), "the other member's subscriber receives an event", () -> {
      members.get(0).eventBus().publish(Addresses.EVENTS, new JsonObject().put("type", "test"));
      return received.get() > 0;
    });
    assertThat(managers.get(0).eventLookups.get()).isLessThanOrEqualTo(1);
  }
}
