package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.cluster.eviction.AccessLog;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GenerationFailedException;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.metrics.GencacheMetrics;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.InMemoryImageStore;
import dev.gencache.store.InMemoryRefusalStore;
import dev.gencache.store.LocalSingleFlight;
import dev.gencache.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ImageServiceTest {
  private static final Duration TTL = Duration.ofHours(1);
  private static final Duration STALE = Duration.ofMinutes(10);

  private final Vertx vertx = Vertx.vertx();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final InMemoryImageStore store = new InMemoryImageStore();
  private final CountingGenerator generator = new CountingGenerator();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CacheConfig cache = new CacheConfig(TTL, Duration.ofDays(30), STALE, 64, 64L << 20, 0, Duration.ofSeconds(10), false,
      Duration.ofSeconds(5), 100, 0, 0, "");
  private final LocalSingleFlight<CacheResult> flights =
      new LocalSingleFlight<>(vertx, cache.coalesceWait(), cache.maxWaitersPerKey());
  private final ImageService service = new ImageService(vertx, store, flights,
      new GeneratorRegistry().register(generator, List.of("embedded"), 0.04), new GencacheMetrics(registry), clock,
      cache, Duration.ofSeconds(5), new AccessLog(clock), new InMemoryRefusalStore(clock));
  private final GenerationCallParser parser =
      new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false, Duration.ofDays(30));

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private GenerationCall call(String json) {
    return parser.parse(new JsonObject(json));
  }

  private CacheResult serve(GenerationCall call, String cacheControl) throws Exception {
    return service.serve(call, CacheDirectives.parse(cacheControl, null)).await(5, TimeUnit.SECONDS);
  }

  private double requests(String result) {
    return registry.get("gencache.requests").tag("result", result).counter().count();
  }

  /** A preparation that records, per image, whether it ran on an event loop; blocks for images of {@code blockFrom} bytes on. */
  private static final class RecordingPreparation implements ImagePreparation {
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int blockFrom;

    RecordingPreparation(int blockFrom) {
      this.blockFrom = blockFrom;
    }

    @Override
    public boolean blocks(int bytes) {
      return bytes >= blockFrom;
    }

    @Override
    public void prepare(ImageBlob blob) {
      seen.add(blob.id() + (io.vertx.core.Context.isOnEventLoopThread() ? " on an event loop"
          : io.vertx.core.Context.isOnWorkerThread() ? " on a worker" : " elsewhere"));
    }
  }

  private List<String> prepared(CountingGenerator images, RecordingPreparation preparation) throws Exception {
    ImageService preparing = new ImageService(vertx, store, flights,
        new GeneratorRegistry().register(images, List.of("embedded"), 0.04), new GencacheMetrics(registry), clock,
        cache, Duration.ofSeconds(5), new AccessLog(clock), new InMemoryRefusalStore(clock), preparation);
    // Served from an event loop, as the HTTP routes and the event-bus API do.
    io.vertx.core.Promise<CacheResult> served = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> preparing.serve(call("{\"prompt\":\"fox\",\"n\":2}"),
        CacheDirectives.parse(null, null)).onComplete(served));
    CacheResult miss = served.future().await(5, TimeUnit.SECONDS);
    assertThat(preparation.seen).as("every new image, before the answer").hasSize(2);
    preparing.serve(call("{\"prompt\":\"fox\",\"n\":2}"), CacheDirectives.parse(null, null)).await(5, TimeUnit.SECONDS);
    assertThat(preparation.seen).as("a hit prepares nothing").hasSize(2);
    return miss.entry().contentIds();
  }

  @Test
  void imagesWhosePreparationBlocksArePreparedOnAWorkerBeforeTheAnswer() throws Exception {
    RecordingPreparation preparation = new RecordingPreparation(0);
    List<String> ids = prepared(new CountingGenerator(), preparation);
    assertThat(preparation.seen).containsExactly(ids.get(0) + " on a worker", ids.get(1) + " on a worker");
  }

  @Test
  void smallImagesThatNeedNoIoAreHashedAndPreparedWithoutAWorker() throws Exception {
    RecordingPreparation preparation = new RecordingPreparation(Integer.MAX_VALUE);
    List<String> ids = prepared(new CountingGenerator(1000), preparation);
    assertThat(preparation.seen).containsExactly(ids.get(0) + " on an event loop", ids.get(1) + " on an event loop");
  }

  @Test
  void largeImagesAreHashedOnAWorkerEvenWhenTheirPreparationNeedsNoIo() throws Exception {
    RecordingPreparation preparation = new RecordingPreparation(Integer.MAX_VALUE);
    // Two images of half the inline limit and a bit: together over it.
    List<String> ids = prepared(new CountingGenerator(ImageService.INLINE_HASH_MAX_BYTES / 2 + 1), preparation);
    assertThat(preparation.seen).containsExactly(ids.get(0) + " on a worker", ids.get(1) + " on a worker");
  }

  @Test
  void missThenHitFromTheStore() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\",\"n\":2,\"tags\":[\"animals\"],\"ttl_seconds\":120}");
    CacheResult miss = serve(fox, null);
    assertThat(miss.status()).isEqualTo(CacheStatus.MISS);
    assertThat(miss.images()).hasSize(2);
    CacheEntry entry = store.entries.get(fox.key().hex());
    assertThat(entry.contentIds()).containsExactlyElementsOf(miss.entry().contentIds());
    assertThat(entry.tags()).containsExactly("animals");
    assertThat(entry.expiresAt()).isEqualTo(clock.instant().plusSeconds(120));
    assertThat(entry.staleUntil()).isEqualTo(entry.expiresAt().plus(STALE));
    assertThat(entry.cost()).isEqualTo(0.08);
    assertThat(store.entryTtls.get(fox.key().hex())).isEqualTo(Duration.ofSeconds(120).plus(STALE));
    for (String id : entry.contentIds()) {
      assertThat(RequestKey.sha256Hex(store.blobs.get(id).bytes())).isEqualTo(id); // content-addressed
    }

    CacheResult hit = serve(fox, null);
    assertThat(hit.status()).isEqualTo(CacheStatus.HIT);
    assertThat(hit.entry()).isEqualTo(entry);
    assertThat(generator.calls).hasValue(1);
    assertThat(requests("miss")).isEqualTo(1);
    assertThat(requests("hit")).isEqualTo(1);
    assertThat(registry.get("gencache.cost.saved").counter().count()).isEqualTo(0.08);
    assertThat(registry.get("gencache.upstream.spend").counter().count()).isEqualTo(0.08);
  }

  @Test
  void ttlExpiryMovesFromHitToStaleToMiss() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    serve(fox, null);
    clock.advance(TTL.minusSeconds(1));
    assertThat(serve(fox, null).status()).isEqualTo(CacheStatus.HIT);

    clock.advance(Duration.ofSeconds(2)); // expired, inside the stale window: served stale, refreshed once
    CacheResult stale = serve(fox, null);
    assertThat(stale.status()).isEqualTo(CacheStatus.STALE);
    awaitCalls(2);
    assertThat(serve(fox, null).status()).isEqualTo(CacheStatus.HIT); // the refresh replaced the entry

    clock.advance(TTL.plus(STALE).plusSeconds(1)); // past the stale window: a plain miss
    assertThat(serve(fox, null).status()).isEqualTo(CacheStatus.MISS);
    assertThat(generator.calls).hasValue(3);
  }

  @Test
  void maxStaleZeroRefusesStaleAndRegenerates() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    serve(fox, null);
    clock.advance(TTL.plusSeconds(5));
    assertThat(serve(fox, "max-stale=0").status()).isEqualTo(CacheStatus.MISS);
    assertThat(generator.calls).hasValue(2);
  }

  @Test
  void maxAgeAndMinFreshLimitWhatCountsAsAHit() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    serve(fox, null);
    clock.advance(Duration.ofSeconds(30));
    assertThat(serve(fox, "max-age=60").status()).isEqualTo(CacheStatus.HIT);
    assertThat(serve(fox, "max-age=10").status()).isEqualTo(CacheStatus.MISS);
    assertThat(serve(fox, "min-fresh=" + TTL.toSeconds()).status()).isEqualTo(CacheStatus.HIT); // just regenerated
    assertThat(serve(fox, "min-fresh=" + (TTL.toSeconds() + 1)).status()).isEqualTo(CacheStatus.MISS);
    assertThat(generator.calls).hasValue(3);
  }

  @Test
  void noCacheRegeneratesAndReplaces() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    CacheResult first = serve(fox, null);
    CacheResult again = serve(fox, "no-cache");
    assertThat(again.status()).isEqualTo(CacheStatus.MISS);
    assertThat(again.entry().contentIds()).isNotEqualTo(first.entry().contentIds());
    assertThat(store.entries.get(fox.key().hex()).contentIds()).isEqualTo(again.entry().contentIds());
  }

  @Test
  void noStoreGeneratesWithoutStoring() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    CacheResult bypass = serve(fox, "no-store");
    assertThat(bypass.status()).isEqualTo(CacheStatus.BYPASS);
    assertThat(bypass.stored()).isFalse();
    assertThat(store.entries).isEmpty();
    assertThat(store.blobs).isEmpty();
    assertThat(requests("bypass")).isEqualTo(1);
  }

  @Test
  void onlyIfCachedFailsOnAMissWithoutGenerating() {
    assertThatThrownBy(() -> serve(call("{\"prompt\":\"fox\"}"), "only-if-cached"))
        .isInstanceOf(NotCachedException.class);
    assertThat(generator.calls).hasValue(0);
    assertThat(requests("error")).isEqualTo(1);
  }

  @Test
  void staleIsServedWhenGenerationFails() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    CacheResult original = serve(fox, null);
    clock.advance(TTL.plusSeconds(5));
    generator.failNext();
    CacheResult stale = serve(fox, "max-stale=0"); // wants fresh, but stale beats an error
    assertThat(stale.status()).isEqualTo(CacheStatus.STALE);
    assertThat(stale.entry()).isEqualTo(original.entry());
  }

  @Test
  void generationFailureWithoutFallbackIsAnError() {
    generator.failNext();
    assertThatThrownBy(() -> serve(call("{\"prompt\":\"fox\"}"), null)).isInstanceOf(GenerationFailedException.class);
    assertThat(store.entries).isEmpty();
    assertThat(registry.get("gencache.generations").tag("outcome", "failure").counter().count()).isEqualTo(1);
  }

  @Test
  void anEntryWhoseContentIsGoneIsAMiss() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    serve(fox, null);
    store.blobs.clear(); // evicted by the byte budget
    assertThat(serve(fox, null).status()).isEqualTo(CacheStatus.MISS);
    assertThat(store.blobs).hasSize(1);
  }

  @Test
  void concurrentIdenticalMissesGenerateOnce() throws Exception {
    GenerationCall fox = call("{\"prompt\":\"fox\"}");
    generator.hold();
    List<Future<CacheResult>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      all.add(service.serve(fox, CacheDirectives.NONE));
    }
    generator.release();
    List<CacheResult> results = Future.all(all).await(10, TimeUnit.SECONDS).list();
    assertThat(generator.calls).hasValue(1);
    assertThat(results).extracting(CacheResult::status).containsOnly(CacheStatus.MISS, CacheStatus.COALESCED);
    assertThat(results).filteredOn(r -> r.status() == CacheStatus.MISS).hasSize(1);
    assertThat(results).extracting(r -> r.entry().contentIds()).containsOnly(results.get(0).entry().contentIds());
  }

  private void awaitCalls(int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (generator.calls.get() < expected || flights.inFlight() > 0 || store.entries.values().stream()
        .noneMatch(e -> e.createdAt().equals(clock.instant()))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("background refresh did not happen");
      }
      Thread.onSpinWait();
    }
  }
}
