package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.image.RequestKey;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store over two real members: near-cache hits are answered in place, and deletions still show. */
class HazelcastImageStoreTest {
  private static GencacheNode writer;
  private static GencacheNode reader;
  private static HazelcastImageStore writes;
  private static HazelcastImageStore reads;

  @BeforeAll
  static void start() {
    String cluster = TestNodes.randomClusterName();
    writer = TestNodes.start(TestNodes.config(cluster, Map.of()), Clock.systemUTC());
    reader = TestNodes.start(TestNodes.config(cluster, Map.of()), Clock.systemUTC());
    TestNodes.eventually(Duration.ofSeconds(30), "both members joined",
        () -> writer.hazelcast().getCluster().getMembers().size() == 2);
    writes = new HazelcastImageStore(writer.vertx(), writer.hazelcast(),
        ImageCopies.of(writer.hazelcast(), Long.MAX_VALUE));
    reads = new HazelcastImageStore(reader.vertx(), reader.hazelcast(),
        ImageCopies.of(reader.hazelcast(), Long.MAX_VALUE));
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(reader);
    TestNodes.stop(writer);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** Whether {@code read} was answered on return; waits for it otherwise (so the next read may be). */
  private static boolean readsInPlace(Future<?> read) {
    if (read.isComplete()) {
      return true;
    }
    try {
      read.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return false;
  }

  private static long nearHits(String map) {
    return reader.hazelcast().getMap(map).getLocalMapStats().getNearCacheStats().getHits();
  }

  private static long invalidationRequests(String map) {
    return reader.hazelcast().getMap(map).getLocalMapStats().getNearCacheStats().getInvalidationRequests();
  }

  /**
   * Runs {@code put} and waits until its invalidation has reached the reader's near cache, which it does
   * asynchronously. Nothing else changes the key afterwards, so what the reader caches next stays cached;
   * otherwise the invalidation could land after a check that the value is cached, and empty it again.
   */
  private static void putAndAwaitInvalidation(String map, Supplier<Future<Void>> put)
      throws Exception {
    long before = invalidationRequests(map);
    await(put.get());
    TestNodes.eventually(Duration.ofSeconds(10), "the put's invalidation reached the reader's near cache",
        () -> invalidationRequests(map) > before);
  }

  @Test
  void aNearCacheHitIsAnsweredInPlaceWithTheCachedInstance() throws Exception {
    byte[] bytes = "near cache bytes".getBytes();
    ImageBlob blob = new ImageBlob(RequestKey.sha256Hex(bytes), bytes, "image/png", 1, 1,
        Instant.parse("2026-11-23T10:00:00Z"));
    putAndAwaitInvalidation(ImageStore.IMAGES_MAP, () -> writes.putBlob(blob, Duration.ofHours(1)));

    ImageBlob first = await(reads.blob(blob.id())); // a miss: fetched, and now near-cached on the reader
    assertThat(first.bytes()).isEqualTo(bytes);
    // The near cache takes the fetched value in just after answering the read: read until it is there.
    TestNodes.eventually(Duration.ofSeconds(10), "the blob stays in the reader's near cache",
        () -> readsInPlace(reads.blob(blob.id())) && reads.blob(blob.id()).result() == reads.blob(blob.id()).result());
    long hits = nearHits(ImageStore.IMAGES_MAP);
    Future<ImageBlob> second = reads.blob(blob.id());
    // Complete on return: no hand-off to Hazelcast's async executor and back.
    assertThat(second.isComplete()).isTrue();
    assertThat(second.result()).isSameAs(await(reads.blob(blob.id())))
        .isSameAs(new NearCacheReader<>(reader.hazelcast().<String, ImageBlob>getMap(ImageStore.IMAGES_MAP)).cached(blob.id()));
    assertThat(nearHits(ImageStore.IMAGES_MAP)).isGreaterThan(hits);
    // getAsync would hand every hit to the async executor (the common ForkJoinPool) and back.
    long tasksBefore = java.util.concurrent.ForkJoinPool.commonPool().getStealCount();
    for (int i = 0; i < 500; i++) {
      assertThat(reads.blob(blob.id()).isComplete()).isTrue();
    }
    assertThat(java.util.concurrent.ForkJoinPool.commonPool().getStealCount() - tasksBefore).isLessThan(100);

    writer.hazelcast().getMap(ImageStore.IMAGES_MAP).delete(blob.id());
    TestNodes.eventually(Duration.ofSeconds(10), "the deletion reaches the reader's near cache",
        () -> {
          try {
            return reads.blob(blob.id()).await(5, TimeUnit.SECONDS) == null;
          } catch (java.util.concurrent.TimeoutException e) {
            return false;
          }
        });
  }

  @Test
  void entriesAreReadTheSameWay() throws Exception {
    CacheEntry entry = new CacheEntry(List.of("a".repeat(64)), "a prompt",
        Instant.parse("2026-11-23T10:00:00Z"), Instant.parse("2026-11-24T10:00:00Z"),
        Instant.parse("2026-11-24T11:00:00Z"), List.of(), "embedded", "embedded", 5, 0.0);
    String key = "b".repeat(64);
    putAndAwaitInvalidation(ImageStore.REQUESTS_MAP, () -> writes.putEntry(key, entry, Duration.ofHours(1)));
    assertThat(await(reads.entry(key))).isEqualTo(entry);
    TestNodes.eventually(Duration.ofSeconds(10), "the entry stays in the reader's near cache",
        () -> readsInPlace(reads.entry(key)));
    Future<CacheEntry> again = reads.entry(key);
    assertThat(again.isComplete()).isTrue();
    assertThat(again.result()).isEqualTo(entry);
    assertThat(await(reads.entry("c".repeat(64)))).isNull();
  }
}
