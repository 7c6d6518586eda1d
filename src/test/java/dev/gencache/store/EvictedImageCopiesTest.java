package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import dev.gencache.GencacheNode;
import dev.gencache.image.RequestKey;
import dev.gencache.testing.TestCluster;
import dev.gencache.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two members with the smallest byte budget: images the budget evicts leave every near cache too, so a
 * node neither serves nor holds more images than the map does.
 */
class EvictedImageCopiesTest {
  private static final int IMAGE_BYTES = 100_000;
  private static TestCluster cluster;
  private static GencacheNode writer;
  private static GencacheNode reader;

  @BeforeAll
  static void start() {
    cluster = new TestCluster(2, Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "16"), Clock.systemUTC(),
        GencacheNode.DEFAULT_GENERATORS, member -> {});
    writer = cluster.nodes.get(0);
    reader = cluster.nodes.get(1);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void imagesTheBudgetEvictsLeaveTheNearCachesToo() throws Exception {
    HazelcastImageStore writes = new HazelcastImageStore(writer.vertx(), writer.hazelcast(),
        ImageCopies.of(writer.hazelcast(), Long.MAX_VALUE));
    HazelcastImageStore reads = new HazelcastImageStore(reader.vertx(), reader.hazelcast(),
        ImageCopies.of(reader.hazelcast(), Long.MAX_VALUE));
    List<String> ids = new ArrayList<>();
    Random random = new Random(7);
    for (int i = 0; i < 500; i++) { // 50 MB against 16 MB a member
      byte[] bytes = new byte[IMAGE_BYTES];
      random.nextBytes(bytes);
      ImageBlob blob = new ImageBlob(RequestKey.sha256Hex(bytes), bytes, "image/png", 64, 64,
          Instant.parse("2026-12-07T10:00:00Z"));
      writes.putBlob(blob, Duration.ofHours(1)).await(30, TimeUnit.SECONDS);
      // Both members read it at once, so both near caches take a copy while the map has it. (Hazelcast
      // evicts within one partition's few entries, so an image may already be gone: then it is a miss.)
      reads.blob(blob.id()).await(30, TimeUnit.SECONDS);
      writes.blob(blob.id()).await(30, TimeUnit.SECONDS);
      ids.add(blob.id());
    }
    IMap<String, ImageBlob> map = writer.hazelcast().getMap(ImageStore.IMAGES_MAP);

    TestNodes.eventually(Duration.ofSeconds(20), "no near cache keeps an image the map evicted", () -> {
      for (String id : ids) {
        boolean inMap = map.getEntryView(id) != null; // the map itself, past any near cache
        if (!inMap && (reads.blobInMemory(id) != null || writes.blobInMemory(id) != null)) {
          return false;
        }
      }
      return true;
    });
    long evicted = ids.stream().filter(id -> map.getEntryView(id) == null).count();
    assertThat(evicted).as("the budget evicted images").isGreaterThan(100);
    long copies = ids.stream().filter(id -> reads.blobInMemory(id) != null).count();
    assertThat(copies).as("the reader's near cache holds images the map still has").isPositive();
    String gone = ids.stream().filter(id -> map.getEntryView(id) == null).findFirst().orElseThrow();
    assertThat(reads.blob(gone).await(30, TimeUnit.SECONDS)).as("an evicted image is a miss").isNull();
  }
}
