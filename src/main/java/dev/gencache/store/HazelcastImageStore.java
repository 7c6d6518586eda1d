package dev.gencache.store;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link ImageStore} over the two near-cached Hazelcast IMaps; only async map calls, never blocking. The
 * image map's near-cache copies are kept within their byte budget by {@code copies}.
 */
public final class HazelcastImageStore implements ImageStore {
  private final Vertx vertx;
  private final IMap<String, ImageBlob> images;
  private final IMap<String, CacheEntry> requests;
  private final NearCacheReader<ImageBlob> cachedImages;
  private final NearCacheReader<CacheEntry> cachedRequests;
  private final ImageCopies copies;

  public HazelcastImageStore(Vertx vertx, HazelcastInstance hazelcast, ImageCopies copies) {
    this.vertx = vertx;
    this.images = hazelcast.getMap(IMAGES_MAP);
    this.requests = hazelcast.getMap(REQUESTS_MAP);
    this.cachedImages = new NearCacheReader<>(images);
    this.cachedRequests = new NearCacheReader<>(requests);
    this.copies = copies;
  }

  @Override
  public Future<CacheEntry> entry(String requestKey) {
    CacheEntry cached = entryInMemory(requestKey);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return HazelcastFutures.toFuture(requests.getAsync(requestKey), vertx.getOrCreateContext());
  }

  @Override
  public Future<ImageBlob> blob(String contentId) {
    ImageBlob cached = blobInMemory(contentId);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return HazelcastFutures.toFuture(images.getAsync(contentId), vertx.getOrCreateContext())
        .onSuccess(blob -> {
          if (blob != null) {
            copies.read(blob);
          }
        });
  }

  @Override
  public CacheEntry entryInMemory(String requestKey) {
    return cachedRequests.cached(requestKey);
  }

  @Override
  public ImageBlob blobInMemory(String contentId) {
    ImageBlob cached = cachedImages.cached(contentId);
    if (cached != null) {
      copies.used(contentId);
    }
    return cached;
  }

  @Override
  public Future<Void> putBlob(ImageBlob blob, Duration ttl) {
    return HazelcastFutures.toFuture(
        images.setAsync(blob.id(), blob, seconds(ttl), TimeUnit.SECONDS), vertx.getOrCreateContext());
  }

  @Override
  public Future<Void> putEntry(String requestKey, CacheEntry entry, Duration ttl) {
    return HazelcastFutures.toFuture(
        requests.setAsync(requestKey, entry, seconds(ttl), TimeUnit.SECONDS), vertx.getOrCreateContext());
  }

  /** Hazelcast TTLs are whole seconds and 0 means "map default" (forever): never pass 0. */
  private static long seconds(Duration ttl) {
    return Math.max(1, (ttl.toMillis() + 999) / 1000);
  }
}
