package dev.gencache.cluster.leader;

import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.core.HazelcastInstance;
import dev.gencache.cluster.Addresses;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a {@link HazelcastLeadership} (deploy exactly one per node): owns the membership listener,
 * the {@link Addresses#LEADER} consumer, the heartbeat timer and the {@code gencache.leader} gauge
 * (1 on the leader, 0 elsewhere). Up only once the consumer is registered cluster-wide.
 */
public final class LeaderVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(LeaderVerticle.class);

  private final HazelcastLeadership leadership;
  private final HazelcastInstance hazelcast;
  private final MeterRegistry registry;
  private MessageConsumer<Object> consumer;
  private UUID listenerId;
  private long timerId = -1;
  private Gauge gauge;

  public LeaderVerticle(HazelcastLeadership leadership, HazelcastInstance hazelcast, MeterRegistry registry) {
    this.leadership = leadership;
    this.hazelcast = hazelcast;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    leadership.attach(context, vertx.eventBus());
    gauge = Gauge.builder("gencache.leader", leadership, l -> l.isLeader() ? 1 : 0)
        .description("1 while this node is the cluster leader, else 0")
        .strongReference(true)
        .register(registry);
    consumer = vertx.eventBus().consumer(Addresses.LEADER, message -> leadership.received(message.body()));
    // Listen to membership only once announcements can reach us; the initial event starts the election.
    return leadership.seed()
        .compose(v -> consumer.completion())
        .compose(v -> vertx.executeBlocking(
            () -> hazelcast.getCluster().addMembershipListener(new MembershipHop(context, leadership)), false))
        .onSuccess(id -> {
          listenerId = id;
          timerId = vertx.setPeriodic(leadership.heartbeat().toMillis(), t -> leadership.tick());
        })
        .onFailure(err -> {
          leadership.detach();
          registry.remove(gauge);
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    leadership.detach();
    registry.remove(gauge);
    UUID id = listenerId;
    Future<Boolean> unlisten = id == null ? Future.succeededFuture(false)
        : vertx.executeBlocking(() -> hazelcast.getCluster().removeMembershipListener(id), false);
    // After an abrupt member loss these fail; the node is going away either way.
    return Future.join(unlisten, consumer.unregister())
        .recover(err -> {
          log.debug("Leader verticle stopped uncleanly: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  /** Runs on Hazelcast's event threads: only hops to the verticle's context, never calls Hazelcast inline. */
  private record MembershipHop(Context context, HazelcastLeadership leadership) implements InitialMembershipListener {
    @Override
    public void init(InitialMembershipEvent event) {
      context.runOnContext(v -> leadership.membershipChanged());
    }

    @Override
    public void memberAdded(MembershipEvent event) {
      context.runOnContext(v -> leadership.membershipChanged());
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      context.runOnContext(v -> leadership.membershipChanged());
    }
  }
}
