package dev.gencache.bench;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.HazelcastImageStore;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageCopies;
import dev.gencache.store.ImageStore;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Near-cache hits on the two gencache maps: the store's share of every cache hit. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// Forks inherit this JVM's options: scripts/jmh.sh starts it with scripts/jvm-flags.sh (Hazelcast on Java 17).
@Fork(1)
public class NearCacheLookupBench {
  private HazelcastInstance member;
  private IMap<String, ImageBlob> images;
  private IMap<String, CacheEntry> requests;
  private String contentId;
  private String requestKey;
  private Vertx vertx;
  private ImageCopies copies;
  private HazelcastImageStore store;

  @Setup(Level.Trial)
  public void startMember() {
    member = BenchFixtures.startMember();
    images = member.getMap(ImageStore.IMAGES_MAP);
    requests = member.getMap(ImageStore.REQUESTS_MAP);
    ImageBlob blob = BenchFixtures.blob(100 * 1024);
    contentId = blob.id();
    requestKey = BenchFixtures.parser().parse(BenchFixtures.postBody()).key().hex();
    images.set(contentId, blob);
    requests.set(requestKey, BenchFixtures.entry(blob));
    vertx = Vertx.vertx();
    copies = ImageCopies.of(member, 1L << 30);
    store = new HazelcastImageStore(vertx, member, copies);
    // The store's first read fills the near cache and counts the copy; the next must be served from it.
    if (store.blob(contentId).toCompletionStage().toCompletableFuture().join() == null || copies.images() != 1) {
      throw new IllegalStateException("the store did not count its near-cache copy");
    }
    requireNearCacheHit(images, contentId);
    requireNearCacheHit(requests, requestKey);
  }

  @TearDown(Level.Trial)
  public void stopMember() {
    vertx.close().await();
    member.shutdown();
  }

  /** Content hit as the hit path takes it: the near cache read in place, and its copy marked used. */
  @Benchmark
  public ImageBlob imageInMemory() {
    return store.blobInMemory(contentId);
  }

  /** The copies' ledger's share of {@link #imageInMemory}: marking the copy used. */
  @Benchmark
  public void copyUsed() {
    copies.used(contentId);
  }

  /** Content hit ({@code GET /v1/images/{id}}), blocking form. */
  @Benchmark
  public ImageBlob imageGet() {
    return images.get(contentId);
  }

  /** Content hit as the store takes it: {@code getAsync}, already complete on a near-cache hit. */
  @Benchmark
  public ImageBlob imageGetAsync() {
    return images.getAsync(contentId).toCompletableFuture().join();
  }

  @Benchmark
  public boolean imageContainsKey() {
    return images.containsKey(contentId);
  }

  /** Entry hit ({@code POST /v1/images/generations}), blocking form. */
  @Benchmark
  public CacheEntry entryGet() {
    return requests.get(requestKey);
  }

  /** Entry hit as the store takes it. */
  @Benchmark
  public CacheEntry entryGetAsync() {
    return requests.getAsync(requestKey).toCompletableFuture().join();
  }

  @Benchmark
  public boolean entryContainsKey() {
    return requests.containsKey(requestKey);
  }

  private static <V> void requireNearCacheHit(IMap<String, V> map, String key) {
    map.get(key);
    long before = map.getLocalMapStats().getNearCacheStats().getHits();
    if (map.get(key) == null || map.getLocalMapStats().getNearCacheStats().getHits() == before) {
      throw new IllegalStateException("no near-cache hit on " + map.getName() + ": check cluster-config/cluster.xml");
    }
  }
}
