package dev.gencache.cluster.invalidation;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.NodeInbox;
import dev.gencache.cluster.leader.LeaderView;
import dev.gencache.cluster.leader.Leadership;
import dev.gencache.http.Problem;
import dev.gencache.http.ProblemException;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledged invalidation (DESIGN §3.3). Any node forwards a request to the leader; the leader gives
 * it a sequence number and a fence time, removes the matching entries and images from the maps,
 * publishes it, and answers once every live member has recorded the fence and acknowledged (or, after
 * the ack timeout, with the members that did not). Nodes ignore invalidations from a stale term.
 */
public final class InvalidationService {
  private static final Logger log = LoggerFactory.getLogger(InvalidationService.class);
  private static final String SEQUENCE = "gencache.invalidation.seq";

  private final Vertx vertx;
  private final IMap<String, CacheEntry> requests;
  private final IMap<String, ImageBlob> images;
  private final Leadership leadership;
  private final Fences fences;
  private final InstantSource clock;
  private final Duration ackTimeout;
  private final Counter invalidations;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> published;
  private long pruneTimer = -1;

  public InvalidationService(Vertx vertx, HazelcastInstance hazelcast, Leadership leadership, Fences fences,
      InstantSource clock, Duration ackTimeout, MeterRegistry registry) {
    this.vertx = vertx;
    this.requests = hazelcast.getMap(ImageStore.REQUESTS_MAP);
    this.images = hazelcast.getMap(ImageStore.IMAGES_MAP);
    this.leadership = leadership;
    this.fences = fences;
    this.clock = clock;
    this.ackTimeout = ackTimeout;
    this.invalidations = Counter.builder("gencache.invalidations")
        .description("Invalidations this node sequenced as leader").register(registry);
  }

  /** Registers the inbox operations and the consumers; complete before serving. */
  public Future<Void> start(NodeInbox inbox) {
    inbox.on("invalidate", body -> sequence(InvalidationRequest.fromJson(body.getJsonObject("request"))).map(
        InvalidationOutcome::toJson));
    inbox.on("ack", body -> {
      Pending p = pending.get(body.getLong("seq"));
      if (p != null) {
        p.acked.add(body.getString("node"));
        p.check();
      }
      return Future.succeededFuture(new JsonObject());
    });
    published = vertx.eventBus().consumer(Addresses.INVALIDATIONS, msg -> apply(Invalidation.fromJson(msg.body())));
    pruneTimer = vertx.setPeriodic(60_000, id -> fences.prune());
    return published.completion();
  }

  public Future<Void> stop() {
    vertx.cancelTimer(pruneTimer);
    return published == null ? Future.succeededFuture() : published.unregister();
  }

  /** Invalidates through the leader, from any node. Fails with a 503 problem when there is no leader. */
  public Future<InvalidationOutcome> invalidate(InvalidationRequest request) {
    LeaderView leader = leadership.current();
    if (leader.isNone()) {
      return Future.failedFuture(new ProblemException(Problem.of(503, "no-leader", "No leader",
          "the cluster has no leader yet; retry shortly").retryAfter(1)));
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(ackTimeout.toMillis() + 10_000);
    return vertx.eventBus().<JsonObject>request(Addresses.node(leader.nodeId()),
            new JsonObject().put("op", "invalidate").put("request", request.toJson()), options)
        .map(reply -> InvalidationOutcome.fromJson(reply.body()))
        .recover(err -> Future.failedFuture(new ProblemException(Problem.of(503, "invalidation-failed",
            "Invalidation not applied", "the leader could not sequence it: " + reason(err)).retryAfter(1))));
  }

  private static String reason(Throwable err) {
    return err instanceof ReplyException r ? r.failureType() + " " + r.getMessage() : String.valueOf(err.getMessage());
  }

  /** Leader side: number it, remove what it covers, publish it, wait for the acks. */
  private Future<InvalidationOutcome> sequence(InvalidationRequest request) {
    if (!leadership.isLeader()) {
      return Future.failedFuture(new IllegalStateException("not the leader"));
    }
    long term = leadership.current().term();
    Instant fence = clock.instant();
    return vertx.sharedData().getCounter(SEQUENCE).compose(c -> c.incrementAndGet()).compose(seq ->
        vertx.executeBlocking(() -> matchingKeys(request), false)
            .compose(keys -> remove(keys, request.ids()).map(removed -> {
              Invalidation inv = new Invalidation(seq, term, fence, keys, request.ids(), request.tags(),
                  request.prompt(), request.promptPrefix(), leadership.nodeId());
              return new Object[] {inv, removed};
            }))
            .compose(pair -> publishAndAwait((Invalidation) pair[0], (Integer) pair[1])));
  }

  /** Request keys matching any criterion (runs on a worker: a map query blocks). */
  private List<String> matchingKeys(InvalidationRequest r) {
    Set<String> keys = new LinkedHashSet<>(r.keys());
    List<Predicate<String, CacheEntry>> any = new ArrayList<>();
    if (!r.ids().isEmpty()) {
      any.add(Predicates.in("contentIds[any]", r.ids().toArray(String[]::new)));
    }
    if (!r.tags().isEmpty()) {
      any.add(Predicates.in("tags[any]", r.tags().toArray(String[]::new)));
    }
    if (r.prompt() != null) {
      any.add(Predicates.equal("prompt", r.prompt()));
    }
    if (r.promptPrefix() != null) {
      any.add(Predicates.like("prompt", escapeLike(r.promptPrefix()) + "%"));
    }
    if (!any.isEmpty()) {
      @SuppressWarnings("unchecked")
      Predicate<String, CacheEntry>[] array = any.toArray(Predicate[]::new);
      keys.addAll(requests.keySet(array.length == 1 ? array[0] : Predicates.or(array)));
    }
    return List.copyOf(keys);
  }

  static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private Future<Integer> remove(List<String> keys, List<String> ids) {
    List<Future<Boolean>> removals = new ArrayList<>();
    var context = vertx.getOrCreateContext();
    for (String key : keys) {
      removals.add(Future.fromCompletionStage(requests.removeAsync(key), context).map(old -> old != null));
    }
    for (String id : ids) {
      removals.add(Future.fromCompletionStage(images.removeAsync(id), context).map(old -> old != null));
    }
    return Future.all(removals).map(all -> (int) all.<Boolean>list().stream().filter(b -> b).count());
  }

  private Future<InvalidationOutcome> publishAndAwait(Invalidation inv, int removed) {
    Pending p = new Pending(inv.seq(), removed);
    pending.put(inv.seq(), p);
    invalidations.increment();
    vertx.eventBus().publish(Addresses.INVALIDATIONS, inv.toJson());
    long poll = vertx.setPeriodic(100, id -> p.check()); // a member that left stops being awaited
    long timeout = vertx.setTimer(ackTimeout.toMillis(), id -> p.finish());
    return p.done.future().andThen(ar -> {
      vertx.cancelTimer(poll);
      vertx.cancelTimer(timeout);
      pending.remove(inv.seq());
      if (ar.succeeded()) {
        vertx.eventBus().publish(Addresses.EVENTS, new JsonObject().put("type", "cache.invalidated")
            .put("seq", inv.seq()).put("removed", removed).put("complete", ar.result().complete()));
      }
    });
  }

  /** Every node: record the fence, then acknowledge to the leader that sequenced it. */
  private void apply(Invalidation inv) {
    if (inv.term() < leadership.current().term()) {
      log.warn("Ignoring invalidation {} from stale term {} (current {})", inv.seq(), inv.term(),
          leadership.current().term());
      return;
    }
    fences.record(inv);
    vertx.eventBus().request(Addresses.node(inv.leader()),
            new JsonObject().put("op", "ack").put("seq", inv.seq()).put("node", leadership.nodeId()))
        .onFailure(err -> log.warn("Could not acknowledge invalidation {}: {}", inv.seq(), err.getMessage()));
  }

  private final class Pending {
    final long seq;
    final int removed;
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final Promise<InvalidationOutcome> done = Promise.promise();

    Pending(long seq, int removed) {
      this.seq = seq;
      this.removed = removed;
    }

    void check() {
      if (acked.containsAll(leadership.members())) {
        finish();
      }
    }

    void finish() {
      done.tryComplete(new InvalidationOutcome(seq, removed, List.copyOf(acked), leadership.members()));
    }
  }
}
