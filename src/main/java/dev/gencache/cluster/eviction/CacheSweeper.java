package dev.gencache.cluster.eviction;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.projection.Projections;
import com.hazelcast.query.Predicates;
import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.invalidation.InvalidationRequest;
import dev.gencache.cluster.invalidation.InvalidationService;
import dev.gencache.cluster.leader.LeaderElection;
import dev.gencache.cluster.leader.LeaderJob;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's authoritative sweep (Hazelcast's own expiry is second-granular and its events lag):
 * removes entries past their stale window, the entries of tags whose scheduled expiry is due, and,
 * while the images exceed the cluster byte budget, unreferenced images and then the least recently
 * used entries. Everything removed goes out as one acknowledged invalidation, so every node drops it.
 * Runs only on the leader, one sweep at a time; a new leader simply carries on with the next sweep.
 */
public final class CacheSweeper implements LeaderJob {
  public static final String TAG_EXPIRY_MAP = "gencache-tag-expiry";
  private static final Logger log = LoggerFactory.getLogger(CacheSweeper.class);
  /** A fresh image may not have its entry yet (blobs are written first): leave it alone this long. */
  private static final Duration ORPHAN_GRACE = Duration.ofMinutes(1);

  private final Vertx vertx;
  private final IMap<String, CacheEntry> requests;
  private final IMap<String, ImageBlob> images;
  private final IMap<String, Long> tagExpiry;
  private final LeaderElection election;
  private final InvalidationService invalidations;
  private final InstantSource clock;
  private final CacheConfig cache;
  private final Map<String, Long> lastAccess = new HashMap<>();
  private long timer = -1;
  private boolean sweeping;

  public CacheSweeper(Vertx vertx, HazelcastInstance hazelcast, LeaderElection election,
      InvalidationService invalidations, InstantSource clock, CacheConfig cache) {
    this.vertx = vertx;
    this.requests = hazelcast.getMap(ImageStore.REQUESTS_MAP);
    this.images = hazelcast.getMap(ImageStore.IMAGES_MAP);
    this.tagExpiry = hazelcast.getMap(TAG_EXPIRY_MAP);
    this.election = election;
    this.invalidations = invalidations;
    this.clock = clock;
    this.cache = cache;
  }

  @Override
  public void start(long term) {
    vertx.cancelTimer(timer);
    timer = vertx.setPeriodic(cache.sweepInterval().toMillis(), id -> sweepOnce(term)
        .onFailure(err -> log.warn("Sweep failed: {}", err.toString())));
  }

  @Override
  public void stop() {
    vertx.cancelTimer(timer);
    timer = -1;
    lastAccess.clear();
  }

  /** One sweep for {@code term}; skipped when this node no longer holds it or a sweep is running. */
  public Future<SweepReport> sweepOnce(long term) {
    if (!election.holds(term) || sweeping) {
      return Future.succeededFuture(SweepReport.SKIPPED);
    }
    sweeping = true;
    long now = clock.millis();
    return gatherAccess()
        .compose(v -> vertx.executeBlocking(() -> plan(now), false))
        .compose(plan -> election.holds(term) ? apply(plan) : Future.succeededFuture(SweepReport.SKIPPED))
        .andThen(ar -> sweeping = false);
  }

  private record Plan(List<String> expired, List<String> dueTags, List<String> budgetKeys, List<String> budgetIds,
      long clusterBytes) {}

  /** Reads what to remove (blocking map queries: runs on a worker). */
  private Plan plan(long now) {
    List<String> expired = new ArrayList<>(requests.keySet(Predicates.lessEqual("staleUntil", now)));
    List<String> dueTags = new ArrayList<>();
    tagExpiry.forEach((tag, at) -> {
      if (at <= now) {
        dueTags.add(tag);
      }
    });
    long total = cache.maxClusterBytes() > 0 ? images.aggregate(Aggregators.longSum("size")) : 0;
    List<String> budgetKeys = new ArrayList<>();
    List<String> budgetIds = new ArrayList<>();
    if (cache.maxClusterBytes() > 0 && total > cache.maxClusterBytes()) {
      overBudget(now, total - cache.maxClusterBytes(), new HashSet<>(expired), budgetKeys, budgetIds);
    }
    return new Plan(expired, dueTags, budgetKeys, budgetIds, total);
  }

  /** Picks images to free {@code excess} bytes: unreferenced ones first, then least recently used entries. */
  private void overBudget(long now, long excess, Set<String> alreadyGone, List<String> keys, List<String> ids) {
    Map<String, long[]> sizeAndCreated = new HashMap<>();
    Collection<Object[]> rows = images.project(Projections.multiAttribute("id", "size", "createdAt"));
    for (Object[] row : rows) {
      sizeAndCreated.put((String) row[0], new long[] {((Number) row[1]).longValue(), ((Number) row[2]).longValue()});
    }
    Map<String, CacheEntry> entries = new HashMap<>();
    requests.entrySet().forEach(e -> {
      if (!alreadyGone.contains(e.getKey())) {
        entries.put(e.getKey(), e.getValue());
      }
    });
    Map<String, Integer> references = new HashMap<>();
    entries.values().forEach(e -> e.contentIds().forEach(id -> references.merge(id, 1, Integer::sum)));
    long freed = 0;
    for (Map.Entry<String, long[]> image : sizeAndCreated.entrySet()) {
      boolean orphan = !references.containsKey(image.getKey());
      if (orphan && image.getValue()[1] < now - ORPHAN_GRACE.toMillis() && freed < excess) {
        ids.add(image.getKey());
        freed += image.getValue()[0];
      }
    }
    List<Map.Entry<String, CacheEntry>> byAge = new ArrayList<>(entries.entrySet());
    byAge.sort(Comparator.comparingLong(e -> lastAccess.getOrDefault(e.getKey(), e.getValue().createdAt().toEpochMilli())));
    for (Map.Entry<String, CacheEntry> e : byAge) {
      if (freed >= excess) {
        break;
      }
      keys.add(e.getKey());
      for (String id : e.getValue().contentIds()) {
        if (references.merge(id, -1, Integer::sum) == 0 && sizeAndCreated.containsKey(id)) {
          ids.add(id); // its last reference goes: the bytes go too
          freed += sizeAndCreated.get(id)[0];
        }
      }
    }
  }

  private Future<SweepReport> apply(Plan plan) {
    Set<String> keys = new LinkedHashSet<>(plan.expired());
    keys.addAll(plan.budgetKeys());
    if (keys.isEmpty() && plan.dueTags().isEmpty() && plan.budgetIds().isEmpty()) {
      return Future.succeededFuture(new SweepReport(0, 0, 0, 0, plan.clusterBytes(), 0));
    }
    keys.forEach(lastAccess::remove);
    InvalidationRequest request = new InvalidationRequest(plan.budgetIds(), List.copyOf(keys), plan.dueTags(), null, null);
    return invalidations.invalidate(request)
        .compose(outcome -> removeSchedules(plan.dueTags()).map(v -> new SweepReport(plan.expired().size(),
            plan.dueTags().size(), plan.budgetKeys().size(), plan.budgetIds().size(), plan.clusterBytes(),
            outcome.removed())))
        .onSuccess(r -> log.info("Sweep removed {} (expired {}, tags {}, over budget {} entries / {} images)",
            r.removed(), r.expiredKeys(), r.dueTags(), r.budgetKeys(), r.budgetImages()));
  }

  private Future<Void> removeSchedules(List<String> tags) {
    List<Future<Void>> removals = new ArrayList<>();
    var context = vertx.getOrCreateContext();
    for (String tag : tags) {
      removals.add(Future.fromCompletionStage(tagExpiry.deleteAsync(tag), context).mapEmpty());
    }
    return Future.all(removals).mapEmpty();
  }

  /** Merges every member's access log into the leader's view of last use. */
  private Future<Void> gatherAccess() {
    if (cache.maxClusterBytes() <= 0) {
      return Future.succeededFuture();
    }
    List<Future<JsonObject>> logs = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(2000);
    for (String member : election.members()) {
      logs.add(vertx.eventBus().<JsonObject>request(Addresses.node(member), new JsonObject().put("op", "access"), options)
          .map(reply -> reply.body()).otherwise(new JsonObject()));
    }
    return Future.all(logs).map(all -> {
      for (JsonObject accessLog : all.<JsonObject>list()) {
        accessLog.forEach(e -> lastAccess.merge(e.getKey(), ((Number) e.getValue()).longValue(), Math::max));
      }
      return null;
    });
  }
}
