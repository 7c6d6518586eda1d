package dev.gencache.metrics;

import dev.gencache.image.CacheStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * gencache's own meters (names are a contract, DESIGN §7). Tag values come from small fixed sets:
 * never a prompt or a key.
 */
public final class GencacheMetrics {
  // Generations take tens of milliseconds (embedded) to minutes (upstream): a few fixed buckets suffice.
  private static final Duration[] BUCKETS = Stream.of(10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
      120_000).map(Duration::ofMillis).toArray(Duration[]::new);
  // Waiters are answered within milliseconds: cumulative buckets let a scraper tell how many of a
  // burst's waiters had their answer within 5 ms (the target), from the difference of two scrapes,
  // and add nodes up. (With buckets, Prometheus shows a histogram and no quantile series.)
  private static final Duration[] LAG_BUCKETS = Stream.of(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
      .map(Duration::ofMillis).toArray(Duration[]::new);

  private final MeterRegistry registry;
  private final Map<CacheStatus, Counter> requests = new EnumMap<>(CacheStatus.class);
  private final Map<String, Counter> spendByGenerator = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Counter> savedByGenerator = new java.util.concurrent.ConcurrentHashMap<>();
  private final Counter errors;
  private final Timer generationTime;
  private final Timer coalescedLag;
  private final Timer waiterLag;

  public GencacheMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (CacheStatus s : CacheStatus.values()) {
      requests.put(s, requestCounter(s.metricTag()));
    }
    errors = requestCounter("error");
    generationTime = Timer.builder("gencache.generation")
        .description("Time to generate the images of one request")
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
    coalescedLag = Timer.builder("gencache.coalesced.lag")
        .description("From a generation's finish (on the node that ran it) to this node answering its waiters")
        .publishPercentiles(0.5, 0.99)
        .percentilePrecision(3) // the default (1 digit) reports a 4 ms lag as 8 ms
        .register(registry);
    waiterLag = Timer.builder("gencache.waiter.lag")
        .description("From an identical request's result being on this node to each waiting request being answered")
        .serviceLevelObjectives(LAG_BUCKETS)
        .register(registry);
  }

  private Counter requestCounter(String result) {
    return Counter.builder("gencache.requests").tag("result", result)
        .description("Generation requests by how the cache answered them").register(registry);
  }

  /**
   * The node-local first level's size: {@code gencache_l1_bytes} (its byte budget is
   * {@code cache.l1-mb}, apart from the image map's), {@code gencache_l1_images} and
   * {@code gencache_l1_files} (images kept as page-cache files rather than direct memory).
   */
  public void firstLevel(LongSupplier bytes, IntSupplier images, IntSupplier files) {
    Gauge.builder("gencache.l1.bytes", bytes::getAsLong).description("Bytes of images in the node-local first level")
        .baseUnit("bytes").register(registry);
    Gauge.builder("gencache.l1.images", images::getAsInt).description("Images in the node-local first level")
        .register(registry);
    Gauge.builder("gencache.l1.files", files::getAsInt)
        .description("First-level images kept as (unlinked) page-cache files, sent with sendfile").register(registry);
  }

  /**
   * {@code gencache_near_cache_bytes} and {@code gencache_near_cache_images}: this node's near-cache copies
   * of images as counted against {@code cache.near-cache-mb} (an upper bound of what it holds).
   */
  public void nearCache(LongSupplier bytes, IntSupplier images) {
    Gauge.builder("gencache.near.cache.bytes", bytes::getAsLong)
        .description("Bytes of image copies in this node's near cache, counted against cache.near-cache-mb")
        .baseUnit("bytes").register(registry);
    Gauge.builder("gencache.near.cache.images", images::getAsInt)
        .description("Image copies in this node's near cache, counted against cache.near-cache-mb").register(registry);
  }

  /** {@code gencache_flights_waiting}: requests on this node waiting for an identical generation to finish. */
  public void waiting(IntSupplier waiting) {
    Gauge.builder("gencache.flights.waiting", waiting::getAsInt)
        .description("Requests on this node waiting for an identical generation (here or on another node)")
        .register(registry);
  }

  public void request(CacheStatus status) {
    requests.get(status).increment();
  }

  public void requestFailed() {
    errors.increment();
  }

  /** One generation of a request's images finished; {@code outcome} is success, failure, busy or timeout. */
  public void generation(String generator, String outcome, Duration took) {
    Counter.builder("gencache.generations").tag("generator", generator).tag("outcome", outcome)
        .description("Generator calls by generator and outcome").register(registry).increment();
    if (outcome.equals("success")) {
      generationTime.record(took);
    }
  }

  /** A request that waited on an identical one here was answered {@code lag} after the result was here. */
  public void waiterLag(Duration lag) {
    waiterLag.record(lag);
  }

  /** This node's waiters for a generation elsewhere got the result {@code lag} after it finished. */
  public void coalescedLag(Duration lag) {
    coalescedLag.record(lag.isNegative() ? Duration.ZERO : lag);
  }

  /** Registers a generator's money counters at 0, so they show before its first generation. */
  public void generator(String generator) {
    spend(generator);
    saved(generator);
  }

  public void spent(String generator, double cost) {
    spend(generator).increment(cost);
  }

  /** A hit on an entry {@code generator} made saved its {@code cost}. */
  public void saved(String generator, double cost) {
    saved(generator).increment(cost);
  }

  // Tag values are the configured generator names: bounded. Kept per name: every hit counts a saving,
  // and a registry lookup (builder, tags, id) per hit showed in the hit path's profile.
  private Counter spend(String generator) {
    return spendByGenerator.computeIfAbsent(generator == null ? "unknown" : generator, name ->
        Counter.builder("gencache.upstream.spend").tag("generator", name)
            .description("What generations cost upstream, in the configured currency").register(registry));
  }

  private Counter saved(String generator) {
    return savedByGenerator.computeIfAbsent(generator == null ? "unknown" : generator, name ->
        Counter.builder("gencache.cost.saved").tag("generator", name)
            .description("Upstream cost avoided by answering from the cache").register(registry));
  }

  /**
   * This node's counters for {@code /v1/stats}: requests by result, generations by generator and
   * outcome, spend and savings by generator.
   */
  public JsonObject usage() {
    JsonObject requestsByResult = new JsonObject();
    registry.find("gencache.requests").counters().forEach(c ->
        requestsByResult.put(c.getId().getTag("result"), (long) c.count()));
    JsonObject generations = new JsonObject();
    registry.find("gencache.generations").counters().forEach(c -> {
      String generator = c.getId().getTag("generator");
      JsonObject byOutcome = generations.getJsonObject(generator, new JsonObject());
      generations.put(generator, byOutcome.put(c.getId().getTag("outcome"), (long) c.count()));
    });
    JsonObject spend = new JsonObject();
    registry.find("gencache.upstream.spend").counters().forEach(c -> spend.put(c.getId().getTag("generator"), c.count()));
    JsonObject saved = new JsonObject();
    registry.find("gencache.cost.saved").counters().forEach(c -> saved.put(c.getId().getTag("generator"), c.count()));
    return new JsonObject().put("requests", requestsByResult).put("generations", generations)
        .put("upstream_spend", spend).put("cost_saved", saved);
  }

  public MeterRegistry registry() {
    return registry;
  }
}
