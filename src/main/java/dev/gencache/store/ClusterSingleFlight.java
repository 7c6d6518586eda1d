package dev.gencache.store;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gencache.cluster.Addresses;
import dev.gencache.generate.GenerationFailedException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SingleFlight} across the cluster. Requests on one node first coalesce locally; the one that
 * goes on claims the key in the {@code gencache-inflight} map ({@link ClaimProcessor}, atomic, with a
 * lease). The claimant generates and stores; every other node's request waits for the claimant's
 * message on {@link Addresses#FLIGHTS}, which carries a description of the result
 * ({@link FlightResults}), so waiters answer without reading the store. A waiter takes over the claim
 * when the claimant's member leaves the cluster or its lease lapses.
 */
public final class ClusterSingleFlight<T> implements SingleFlight<T> {
  public static final String INFLIGHT_MAP = "gencache-inflight";
  private static final Logger log = LoggerFactory.getLogger(ClusterSingleFlight.class);
  /** A done claim lingers this long, so a request racing the release reads the result instead of regenerating. */
  private static final Duration DONE_LINGER = Duration.ofSeconds(10);
  /**
   * Waiters wake on the claimant's message; this slow re-check of the claim is only a safety net for a
   * message lost with a crashed member (its event-bus subscriptions can go with it).
   */
  private static final Duration RECHECK = Duration.ofSeconds(5);
  /** The first re-check comes early: it catches a finish announced just before this node claimed. */
  private static final Duration FIRST_RECHECK = Duration.ofMillis(100);

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final IMap<String, Claim> claims;
  private final String nodeId;
  private final Duration lease;
  private final Duration waitDeadline;
  private final FlightResults<T> results;
  private final LocalSingleFlight<Flight<T>> local;
  private final Consumer<Duration> lagRecorder;
  private final ConcurrentHashMap<String, Waiter<T>> waiters = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private UUID membershipRegistration;

  /**
   * @param lease        how long a claim holds without its owner finishing (longer than the generation timeout)
   * @param results      reads and describes the results finished generations stored
   * @param lagRecorder  told, per node, how long after a generation elsewhere finished this node had it
   * @param waiterLag    told, per request that joined one on this node, how long after the result was
   *                     here that request was answered
   */
  public ClusterSingleFlight(Vertx vertx, HazelcastInstance hazelcast, String nodeId, Duration lease,
      Duration waitDeadline, int maxWaitersPerKey, FlightResults<T> results,
      Consumer<Duration> lagRecorder, Consumer<Duration> waiterLag) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.claims = hazelcast.getMap(INFLIGHT_MAP);
    this.nodeId = nodeId;
    this.lease = lease;
    this.waitDeadline = waitDeadline;
    this.results = results;
    this.local = new LocalSingleFlight<>(vertx, waitDeadline, maxWaitersPerKey, waiterLag);
    this.lagRecorder = lagRecorder;
  }

  /** Listens for finished generations and departed members; complete before serving. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.FLIGHTS, msg -> onFlightDone(msg.body()));
    membershipRegistration = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {}

      @Override
      public void memberRemoved(MembershipEvent event) {
        Object departed = event.getMember().getAttribute("__vertx.nodeId");
        if (departed != null) {
          vertx.runOnContext(v -> takeOverFrom(departed.toString())); // never block Hazelcast's event thread
        }
      }
    });
    return consumer.completion();
  }

  public Future<Void> stop() {
    if (membershipRegistration != null) {
      hazelcast.getCluster().removeMembershipListener(membershipRegistration);
    }
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  @Override
  public Future<Flight<T>> run(String key, Supplier<Future<T>> work) {
    return local.run(key, () -> clusterRun(key, work))
        .map(f -> f.joined() ? new Flight<>(f.value().value(), true) : f.value());
  }

  /**
   * Requests on this node waiting for an identical generation: behind another request here, or
   * behind another node's claim. Walks the in-flight tables: for a scrape, not per request.
   */
  public int waiting() {
    int behindOtherNodes = 0;
    for (Waiter<T> waiter : waiters.values()) {
      if (waiter.owner != null && !waiter.running) {
        behindOtherNodes++;
      }
    }
    return local.waiting() + behindOtherNodes;
  }

  private Future<Flight<T>> clusterRun(String key, Supplier<Future<T>> work) {
    Context context = vertx.getOrCreateContext();
    Waiter<T> waiter = new Waiter<>(key, context, work);
    waiters.put(key, waiter); // before claiming, so a finish message cannot slip past
    long timer = vertx.setTimer(waitDeadline.toMillis(), id -> waiter.fail(new CoalescingUnavailableException(
        "an identical generation did not finish within " + waitDeadline.toSeconds() + " s", 5)));
    claim(waiter, null);
    return waiter.promise.future().andThen(ar -> {
      vertx.cancelTimer(timer);
      vertx.cancelTimer(waiter.leaseTimer);
      waiters.remove(key, waiter);
    });
  }

  private void claim(Waiter<T> waiter, String replaceOwner) {
    if (waiter.promise.future().isComplete()) {
      return;
    }
    HazelcastFutures.toFuture(claims.submitToKey(waiter.key, new ClaimProcessor(nodeId, lease.toMillis(), replaceOwner,
            waiter.startedAtMicros)),
            waiter.context)
        .onSuccess(claim -> onClaim(waiter, claim))
        .onFailure(waiter::fail);
  }

  private void onClaim(Waiter<T> waiter, Claim claim) {
    if (claim.owner().equals(nodeId) && !claim.done()) {
      if (waiter.running) {
        return; // our own claim came back on a re-check
      }
      waiter.running = true;
      generate(waiter);
    } else if (claim.done()) {
      readStored(waiter);
    } else {
      if (!claim.owner().equals(waiter.owner)) {
        waiter.owner = claim.owner();
        waiter.ownerSinceNanos = System.nanoTime();
      }
      vertx.cancelTimer(waiter.leaseTimer);
      Duration recheck = waiter.rechecks++ == 0 ? FIRST_RECHECK : RECHECK;
      waiter.leaseTimer = vertx.setTimer(recheck.toMillis(), id -> {
        // A live claimant finishes within its lease; past it, assume it hung and take over.
        boolean lapsed = System.nanoTime() - waiter.ownerSinceNanos > lease.toNanos() + 1_000_000_000L;
        claim(waiter, lapsed ? waiter.owner : null);
      });
    }
  }

  private void generate(Waiter<T> waiter) {
    String key = waiter.key;
    Future<T> result;
    try {
      result = waiter.work.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        // Announce first: waiters elsewhere answer from the message, so marking the claim done (a
        // cluster round trip) must not delay them. A request that claims in between finds the claim
        // still held, misses the message and learns of the finish from its first, early re-check.
        // The finish time is taken before anyone is answered: a request sent after an answer must
        // find the generation finished before it started, and claim afresh (no-cache).
        long finishedAtMicros = epochMicros();
        announce(key, true, finishedAtMicros, describe(ar.result()));
        waiter.complete(new Flight<>(ar.result(), false));
        HazelcastFutures.toFuture(claims.setAsync(key, new Claim(nodeId, true, finishedAtMicros),
                DONE_LINGER.toMillis(), TimeUnit.MILLISECONDS), waiter.context)
            .onFailure(err -> log.warn("Could not mark the claim on {} done: {}", key, err.toString()));
      } else {
        HazelcastFutures.toFuture(claims.removeAsync(key), waiter.context)
            .onComplete(removed -> announce(key, false, epochMicros(), null))
            .onComplete(removed -> waiter.fail(ar.cause()));
      }
    });
  }

  private JsonObject describe(T result) {
    try {
      return results.describe(result);
    } catch (RuntimeException e) {
      log.warn("Cannot describe the result of {} ({}); waiters will read it", result, e.toString());
      return null;
    }
  }

  private void announce(String key, boolean ok, long doneAtMicros, JsonObject result) {
    JsonObject msg = new JsonObject().put("key", key).put("ok", ok).put("owner", nodeId)
        .put("doneAtMicros", doneAtMicros);
    if (result != null) {
      msg.put("result", result);
    }
    vertx.eventBus().publish(Addresses.FLIGHTS, msg);
  }

  /** Wall clock in microseconds: comparable across the nodes of one machine (or NTP-synced ones). */
  private static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
  }

  private void onFlightDone(JsonObject msg) {
    Waiter<T> waiter = waiters.get(msg.getString("key"));
    if (waiter == null || waiter.running) {
      return;
    }
    if (msg.getLong("doneAtMicros", Long.MAX_VALUE) < waiter.startedAtMicros) {
      return; // a run that ended before this request began (say with no-cache): its claim decides
    }
    if (!msg.getBoolean("ok", false)) {
      waiter.fail(new GenerationFailedException("on node " + msg.getString("owner"),
          new IllegalStateException("an identical generation failed")));
      return;
    }
    long doneAt = msg.getLong("doneAtMicros", 0L);
    waiter.promise.future().onSuccess(f -> lagRecorder.accept(Duration.ofNanos((epochMicros() - doneAt) * 1000)));
    JsonObject description = msg.getJsonObject("result");
    T described = description == null ? null : results.fromDescription(waiter.key, description);
    if (described != null) {
      waiter.complete(new Flight<>(described, true)); // one hop to the waiter's context, no store read
    } else {
      waiter.context.runOnContext(v -> readStored(waiter));
    }
  }

  private void readStored(Waiter<T> waiter) {
    readStored(waiter, 0);
  }

  /**
   * Reads the result a finished generation stored. A near cache here may still hold the key's earlier
   * absence for a moment (Hazelcast caches misses until the invalidation lands), so an absent result
   * is re-read for up to ~2 s before this node concludes it is really gone and generates it again.
   */
  private void readStored(Waiter<T> waiter, int attempt) {
    results.read(waiter.key).onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        waiter.complete(new Flight<>(ar.result(), true));
      } else if (ar.failed()) {
        waiter.fail(ar.cause());
      } else if (attempt < 400) {
        // The invalidation that replaces the cached miss lands within milliseconds: look again soon.
        vertx.setTimer(5, id -> readStored(waiter, attempt + 1));
      } else {
        log.warn("Generation of {} finished but its result is gone; generating here", waiter.key);
        claims.removeAsync(waiter.key);
        vertx.setTimer(1, id -> claim(waiter, null));
      }
    });
  }

  private void takeOverFrom(String departedNode) {
    for (Waiter<T> waiter : waiters.values()) {
      if (departedNode.equals(waiter.owner) && !waiter.running) {
        log.info("Node {} left while generating {}; taking over", departedNode, waiter.key);
        waiter.context.runOnContext(v -> claim(waiter, departedNode));
      }
    }
  }

  private static final class Waiter<T> {
    final String key;
    final Context context;
    final Supplier<Future<T>> work;
    final Promise<Flight<T>> promise = Promise.promise();
    // Wall clock on purpose: claims are about real concurrency, not the cache's (injectable) TTL clock.
    final long startedAtMicros = epochMicros();
    volatile String owner;
    volatile long ownerSinceNanos;
    volatile boolean running;
    volatile long leaseTimer = -1;
    int rechecks; // only touched on the waiter's context

    Waiter(String key, Context context, Supplier<Future<T>> work) {
      this.key = key;
      this.context = context;
      this.work = work;
    }

    void complete(Flight<T> flight) {
      context.runOnContext(v -> promise.tryComplete(flight));
    }

    void fail(Throwable err) {
      context.runOnContext(v -> promise.tryFail(err));
    }
  }
}
