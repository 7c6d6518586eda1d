package dev.gencache.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test fake of {@link ImageStore}: plain maps, TTLs recorded but not enforced (the service's clock decides). */
public final class InMemoryImageStore implements ImageStore {
  public final Map<String, CacheEntry> entries = new ConcurrentHashMap<>();
  public final Map<String, ImageBlob> blobs = new ConcurrentHashMap<>();
  public final Map<String, Duration> entryTtls = new ConcurrentHashMap<>();

  @Override
  public Future<CacheEntry> entry(String requestKey) {
    return Future.succeededFuture(entries.get(requestKey));
  }

  @Override
  public Future<ImageBlob> blob(String contentId) {
    return Future.succeededFuture(blobs.get(contentId));
  }

  @Override
  public CacheEntry entryInMemory(String requestKey) {
    return entries.get(requestKey);
  }

  @Override
  public ImageBlob blobInMemory(String contentId) {
    return blobs.get(contentId);
  }

  @Override
  public Future<Void> putBlob(ImageBlob blob, Duration ttl) {
    blobs.put(blob.id(), blob);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> putEntry(String requestKey, CacheEntry entry, Duration ttl) {
    if (entry.contentIds().stream().anyMatch(id -> !blobs.containsKey(id))) {
      return Future.failedFuture(new AssertionError("entry written before its blobs"));
    }
    entries.put(requestKey, entry);
    entryTtls.put(requestKey, ttl);
    return Future.succeededFuture();
  }
}
