package dev.gencache.image;

import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.eviction.AccessLog;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.GenerationFailedException;
import dev.gencache.generate.GeneratorBusyException;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.generate.upstream.UpstreamException;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.http.Problems;
import dev.gencache.metrics.GencacheMetrics;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.CoalescingUnavailableException;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import dev.gencache.store.RefusalStore;
import dev.gencache.store.SingleFlight;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Get-or-generate. A fresh entry is a {@link CacheStatus#HIT}; an expired one inside its stale window
 * is served {@link CacheStatus#STALE} while one background run regenerates it (stale-while-revalidate)
 * unless the request's {@code max-stale} forbids; otherwise the request generates through the
 * single-flight, so identical concurrent misses cost one generation. Blobs are written before the
 * entry that points at them, so a reader never sees a half-written entry.
 */
public final class ImageService {
  private static final Logger log = LoggerFactory.getLogger(ImageService.class);
  /** Images of a generation up to this many bytes in all are hashed on the event loop. */
  static final int INLINE_HASH_MAX_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final ImageStore store;
  private final SingleFlight<CacheResult> flights;
  private final GeneratorRegistry generators;
  private final GencacheMetrics metrics;
  private final InstantSource clock;
  private final CacheConfig cache;
  private final Duration generationTimeout;
  private final StoredResults stored;
  private final AccessLog accessLog;
  private final RefusalStore refusals;
  private final ImagePreparation preparation;

  public ImageService(Vertx vertx, ImageStore store, SingleFlight<CacheResult> flights, GeneratorRegistry generators,
      GencacheMetrics metrics, InstantSource clock, CacheConfig cache, Duration generationTimeout, AccessLog accessLog,
      RefusalStore refusals) {
    this(vertx, store, flights, generators, metrics, clock, cache, generationTimeout, accessLog, refusals,
        ImagePreparation.NONE);
  }

  /**
   * @param preparation given each new image on the thread that hashed it, before any request is
   *     answered with it: a worker when it blocks for the image's size (see {@link #INLINE_HASH_MAX_BYTES})
   */
  public ImageService(Vertx vertx, ImageStore store, SingleFlight<CacheResult> flights, GeneratorRegistry generators,
      GencacheMetrics metrics, InstantSource clock, CacheConfig cache, Duration generationTimeout, AccessLog accessLog,
      RefusalStore refusals, ImagePreparation preparation) {
    this.preparation = preparation;
    this.vertx = vertx;
    this.store = store;
    this.flights = flights;
    this.generators = generators;
    this.metrics = metrics;
    this.clock = clock;
    this.cache = cache;
    this.generationTimeout = generationTimeout;
    this.stored = new StoredResults(store);
    this.accessLog = accessLog;
    this.refusals = refusals;
  }

  /** Answers {@code call} under the request's cache directives; counts the request by its outcome. */
  public Future<CacheResult> serve(GenerationCall call, CacheDirectives directives) {
    return lookup(call, directives)
        .compose(cached -> cached.usable != null ? Future.succeededFuture(cached.usable) : produce(call, directives, cached))
        .andThen(ar -> {
          if (ar.succeeded()) {
            count(ar.result());
          } else {
            metrics.requestFailed();
          }
        });
  }

  /**
   * {@code result} with its image bytes, read when it came without them (a generation coalesced from
   * another node). Fails with 503 semantics in the rare case that the bytes were evicted meanwhile.
   */
  public Future<CacheResult> withImages(CacheResult result) {
    if (result.hasImages()) {
      return Future.succeededFuture(result);
    }
    return stored.blobs(result.entry()).compose(images -> images == null
        ? Future.failedFuture(new CoalescingUnavailableException("the generated image was evicted before it was read", 1))
        : Future.succeededFuture(result.withImages(images)));
  }

  /**
   * The fresh hit for {@code call}, served with no cache directives, when this node holds its entry
   * and images in memory: counted as a HIT, as {@link #serve} counts one. {@code null} otherwise, with
   * nothing counted or started: the caller then serves the request in full. No cluster call, so it
   * answers on the calling thread.
   */
  public CacheResult hitInMemory(GenerationCall call) {
    String key = call.key().hex();
    CacheEntry entry = store.entryInMemory(key);
    if (entry == null || !servesFresh(entry, clock.instant(), CacheDirectives.NONE)) {
      return null;
    }
    List<ImageBlob> images = stored.blobsInMemory(entry);
    if (images == null) {
      return null;
    }
    CacheResult hit = new CacheResult(key, entry, images, CacheStatus.HIT);
    count(hit);
    return hit;
  }

  /** The blob under {@code contentId} when this node holds it in memory, else {@code null}; no cluster call. */
  public ImageBlob contentInMemory(String contentId) {
    return store.blobInMemory(contentId);
  }

  /** The blob under {@code contentId}, or {@code null}. */
  public Future<ImageBlob> content(String contentId) {
    return store.blob(contentId);
  }

  private record Lookup(CacheResult usable, CacheResult staleFallback) {
    static final Lookup NOTHING = new Lookup(null, null);
  }

  private Future<Lookup> lookup(GenerationCall call, CacheDirectives d) {
    if (d.noCache()) {
      return Future.succeededFuture(Lookup.NOTHING);
    }
    String key = call.key().hex();
    return store.entry(key).compose(entry -> {
      if (entry == null) {
        return Future.succeededFuture(Lookup.NOTHING);
      }
      return stored.blobs(entry).map(images -> {
        Instant now = clock.instant();
        if (images == null || !entry.isServable(now)) {
          return Lookup.NOTHING; // content evicted under the entry, or past its stale window
        }
        if (servesFresh(entry, now, d)) {
          return new Lookup(new CacheResult(key, entry, images, CacheStatus.HIT), null);
        }
        CacheResult stale = new CacheResult(key, entry, images, CacheStatus.STALE);
        if (!entry.isFresh(now) && acceptsStale(entry, now, d)) {
          revalidate(call);
          return new Lookup(stale, null);
        }
        return new Lookup(null, stale);
      });
    });
  }

  /** The one rule for a HIT, in a full lookup and from memory alike. */
  private static boolean servesFresh(CacheEntry entry, Instant now, CacheDirectives d) {
    return entry.isFresh(now) && acceptsFresh(entry, now, d);
  }

  private static boolean acceptsFresh(CacheEntry entry, Instant now, CacheDirectives d) {
    boolean youngEnough = d.maxAgeSeconds() < 0 || entry.age(now).toSeconds() <= d.maxAgeSeconds();
    boolean freshEnough = d.minFreshSeconds() < 0
        || Duration.between(now, entry.expiresAt()).toSeconds() >= d.minFreshSeconds();
    return youngEnough && freshEnough;
  }

  private static boolean acceptsStale(CacheEntry entry, Instant now, CacheDirectives d) {
    long staleFor = Duration.between(entry.expiresAt(), now).toSeconds();
    boolean withinMaxStale = d.maxStaleSeconds() < 0 || staleFor <= d.maxStaleSeconds();
    boolean withinMaxAge = d.maxAgeSeconds() < 0 || entry.age(now).toSeconds() <= d.maxAgeSeconds();
    return withinMaxStale && withinMaxAge && d.minFreshSeconds() < 0;
  }

  private Future<CacheResult> produce(GenerationCall call, CacheDirectives d, Lookup cached) {
    if (d.onlyIfCached()) {
      return Future.failedFuture(new NotCachedException());
    }
    String key = call.key().hex();
    // A refused prompt is answered from the negative cache: asking again would be refused (and billed) again.
    return refusals.refusal(key).compose(refused -> refused != null
        ? Future.failedFuture(new UpstreamException(call.request().generator(), Kind.REFUSED, refused))
        : generateOrJoin(call, d, cached));
  }

  private Future<CacheResult> generateOrJoin(GenerationCall call, CacheDirectives d, Lookup cached) {
    Future<CacheResult> produced = d.noStore()
        ? generate(call).map(r -> new CacheResult(r.key(), r.entry(), r.images(), CacheStatus.BYPASS))
        : flights.run(call.key().hex(), () -> generate(call).compose(this::storeResult))
            .map(f -> f.joined() ? f.value().withStatus(CacheStatus.COALESCED) : f.value());
    return produced.recover(err -> {
      if (cached.staleFallback != null && !(err instanceof NotCachedException)) {
        log.warn("Generation failed for {}; serving the stale entry: {}", call.key(), err.toString());
        return Future.succeededFuture(cached.staleFallback); // stale-if-error
      }
      return Future.failedFuture(err);
    });
  }

  private void revalidate(GenerationCall call) {
    flights.run(call.key().hex(), () -> generate(call).compose(this::storeResult))
        .onFailure(err -> log.warn("Background refresh of {} failed: {}", call.key(), err.toString()));
  }

  /** Calls the generator and builds the entry and blobs; stores nothing. */
  private Future<CacheResult> generate(GenerationCall call) {
    ImageRequest request = call.request();
    String generatorName = request.generator();
    Instant createdAt = clock.instant();
    long started = System.nanoTime();
    progress(call, "started", 0, null);
    return generators.get(generatorName).generate(request)
        .timeout(generationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .andThen(ar -> {
          long elapsedNanos = System.nanoTime() - started;
          metrics.generation(generatorName, outcome(ar.cause()), Duration.ofNanos(elapsedNanos));
          progress(call, ar.succeeded() ? "generated" : "failed", elapsedNanos / 1_000_000,
              ar.succeeded() ? null : Problems.from(ar.cause()).type());
        })
        .andThen(ar -> {
          if (ar.cause() instanceof UpstreamException u && u.kind() == Kind.REFUSED) {
            refusals.remember(call.key().hex(), u.getMessage(), generators.refusalTtl(generatorName))
                .onFailure(err -> log.warn("Could not remember the refusal of {}: {}", call.key(), err.toString()));
          }
        })
        .recover(err -> Future.failedFuture(err instanceof GeneratorBusyException || err instanceof TimeoutException
            || err instanceof UpstreamException ? err : new GenerationFailedException(generatorName, err)))
        .compose(images -> hashesInline(images)
            ? resultHere(call, images, createdAt, Duration.ofNanos(System.nanoTime() - started))
            : vertx.executeBlocking(() -> toResult(call, images, createdAt,
                Duration.ofNanos(System.nanoTime() - started)), false))
        .andThen(ar -> {
          if (ar.succeeded()) {
            metrics.spent(generatorName, ar.result().entry().cost());
          }
        });
  }

  /**
   * {@code generation.progress} on {@link Addresses#EVENTS}: {@code started}, then {@code generated} or
   * {@code failed} (with the problem type a request would get); {@code image.ready} follows once stored.
   */
  private void progress(GenerationCall call, String stage, long elapsedMillis, String problemType) {
    JsonObject event = new JsonObject().put("type", "generation.progress").put("stage", stage)
        .put("key", call.key().hex()).put("generator", call.request().generator()).put("model", call.request().model())
        .put("elapsed_ms", elapsedMillis);
    if (problemType != null) {
      event.put("problem", problemType);
    }
    vertx.eventBus().publish(Addresses.EVENTS, event);
  }

  private static String outcome(Throwable err) {
    if (err == null) {
      return "success";
    }
    if (err instanceof GeneratorBusyException) {
      return "busy";
    }
    if (err instanceof UpstreamException u) {
      return switch (u.kind()) {
        case REFUSED -> "refused";
        case REJECTED -> "rejected";
        case AUTH -> "auth";
        case RATE_LIMITED -> "rate_limited";
        case TIMEOUT -> "timeout";
        case BREAKER_OPEN -> "breaker_open";
        case UNAVAILABLE -> "failure";
      };
    }
    return err instanceof TimeoutException ? "timeout" : "failure";
  }

  /**
   * Whether the images are small enough to hash on the event loop, and their preparation does no I/O.
   * Hashing megabytes of image is CPU work that belongs on a worker; 64 KB takes SHA-256 tens of
   * microseconds, where the worker's round trip took about 0.3 ms of a coalesced burst's first answer
   * (README, Figures).
   */
  private boolean hashesInline(List<GeneratedImage> images) {
    long total = 0;
    for (GeneratedImage g : images) {
      total += g.bytes().length;
      if (total > INLINE_HASH_MAX_BYTES || preparation.blocks(g.bytes().length)) {
        return false;
      }
    }
    return true;
  }

  private Future<CacheResult> resultHere(GenerationCall call, List<GeneratedImage> images, Instant createdAt,
      Duration took) {
    try {
      return Future.succeededFuture(toResult(call, images, createdAt, took));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private CacheResult toResult(GenerationCall call, List<GeneratedImage> generated, Instant createdAt, Duration took) {
    if (generated.size() != call.request().n()) {
      throw new IllegalStateException("generator returned " + generated.size() + " images for n=" + call.request().n());
    }
    List<ImageBlob> blobs = new ArrayList<>(generated.size());
    for (GeneratedImage g : generated) {
      ImageBlob blob = new ImageBlob(RequestKey.sha256Hex(g.bytes()), g.bytes(), g.mediaType(), g.width(), g.height(),
          createdAt);
      preparation.prepare(blob);
      blobs.add(blob);
    }
    Duration ttl = call.ttl() != null ? call.ttl() : cache.defaultTtl();
    Instant expiresAt = createdAt.plus(ttl);
    ImageRequest r = call.request();
    CacheEntry entry = new CacheEntry(blobs.stream().map(ImageBlob::id).toList(), r.prompt(), createdAt, expiresAt,
        expiresAt.plus(cache.staleWindow()), call.tags(), r.generator(), r.model(), took.toMillis(),
        generators.cost(r));
    return new CacheResult(call.key().hex(), entry, blobs, CacheStatus.MISS);
  }

  private Future<CacheResult> storeResult(CacheResult result) {
    // Blobs outlive any entry that can point at them; the byte budget evicts the unused ones first (LRU).
    Duration blobTtl = cache.maxTtl().plus(cache.staleWindow());
    List<Future<Void>> writes = new ArrayList<>();
    for (ImageBlob blob : result.images()) {
      writes.add(store.putBlob(blob, blobTtl));
    }
    Duration entryTtl = Duration.between(clock.instant(), result.entry().staleUntil());
    return Future.all(writes)
        .compose(ok -> store.putEntry(result.key(), result.entry(), entryTtl))
        .andThen(ar -> {
          if (ar.succeeded()) {
            vertx.eventBus().publish(Addresses.EVENTS, new JsonObject().put("type", "image.ready")
                .put("key", result.key()).put("ids", new JsonArray(result.entry().contentIds())));
          }
        })
        .map(result);
  }

  private void count(CacheResult r) {
    metrics.request(r.status());
    if (r.stored()) {
      accessLog.record(r.key());
    }
    if (r.status() != CacheStatus.MISS && r.status() != CacheStatus.BYPASS) {
      metrics.saved(r.entry().generator(), r.entry().cost());
    }
  }
}
