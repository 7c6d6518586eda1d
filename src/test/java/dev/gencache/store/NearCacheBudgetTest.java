package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import dev.gencache.GencacheNode;
import dev.gencache.image.RequestKey;
import dev.gencache.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node serving images the map holds on both members keeps its near-cache copies within
 * {@code cache.near-cache-mb}: Hazelcast alone would keep up to 2,000 of them, whatever their size.
 */
class NearCacheBudgetTest {
  private static final int IMAGE_BYTES = 100_000;
  private static final int BUDGET_MB = 2;

  @Test
  void aNodeKeepsItsImageCopiesWithinItsNearCacheBudget() throws Exception {
    try (TestCluster cluster = new TestCluster(2, Map.of("GENCACHE_CACHE_NEAR_CACHE_MB", "" + BUDGET_MB),
        Clock.systemUTC(), GencacheNode.DEFAULT_GENERATORS, member -> {})) {
      servesCopiesWithinTheBudget(cluster, cluster.nodes.get(0), cluster.nodes.get(1));
    }
  }

  /** The writer stores images; the reader serves them over HTTP, and keeps copies within its budget. */
  private static void servesCopiesWithinTheBudget(TestCluster cluster, GencacheNode writer, GencacheNode reader)
      throws Exception {
    HazelcastImageStore writes = new HazelcastImageStore(writer.vertx(), writer.hazelcast(),
        ImageCopies.of(writer.hazelcast(), Long.MAX_VALUE));
    Random random = new Random(11);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 60; i++) { // 6 MB of images, three times the reader's budget
      byte[] bytes = new byte[IMAGE_BYTES];
      random.nextBytes(bytes);
      ImageBlob blob = new ImageBlob(RequestKey.sha256Hex(bytes), bytes, "image/png", 64, 64,
          Instant.parse("2026-12-08T10:00:00Z"));
      writes.putBlob(blob, Duration.ofHours(1)).await(30, TimeUnit.SECONDS);
      HttpResponse<Buffer> served = cluster.call(1, HttpMethod.GET, "/v1/images/" + blob.id(), null);
      assertThat(served.statusCode()).isEqualTo(200);
      assertThat(served.body().getBytes()).isEqualTo(bytes);
      ids.add(blob.id());
    }

    IMap<String, ImageBlob> images = reader.hazelcast().getMap(ImageStore.IMAGES_MAP);
    long held = images.getLocalMapStats().getNearCacheStats().getOwnedEntryCount();
    assertThat(held).as("copies in the reader's near cache").isPositive()
        .isLessThanOrEqualTo((BUDGET_MB << 20) / IMAGE_BYTES);
    double counted = reader.registry().get("gencache.near.cache.bytes").gauge().value();
    assertThat(counted).as("bytes counted against the budget")
        .isGreaterThanOrEqualTo(held * IMAGE_BYTES).isLessThanOrEqualTo(BUDGET_MB << 20);
    NearCacheReader<ImageBlob> nearCache = new NearCacheReader<>(images);
    assertThat(nearCache.cached(ids.get(ids.size() - 1))).as("the image read last is still a copy").isNotNull();
    assertThat(nearCache.cached(ids.get(0))).as("the image read first is not").isNull();
    assertThat(writes.blob(ids.get(0)).await(30, TimeUnit.SECONDS)).as("the map still has it").isNotNull();
  }
}
