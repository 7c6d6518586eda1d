package dev.gencache.bench;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
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
    // The first get fills the near cache; the second must be served from it, or this measures the wrong thing.
    requireNearCacheHit(images, contentId);
    requireNearCacheHit(requests, requestKey);
  }

  @TearDown(Level.Trial)
  public void stopMember() {
    member.shutdown();
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
