package dev.gencache.image;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.CacheEntryJson;
import dev.gencache.store.FlightResults;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads what is stored under a request key, and describes a finished generation to waiters on other
 * nodes by its entry alone: they answer with content URLs at once and read image bytes only when
 * their caller asked for them.
 */
public final class StoredResults implements FlightResults<CacheResult> {
  private static final Logger log = LoggerFactory.getLogger(StoredResults.class);
  private final ImageStore store;

  public StoredResults(ImageStore store) {
    this.store = store;
  }

  /** The stored result for {@code key}, or {@code null} when the entry or any of its images is gone. */
  @Override
  public Future<CacheResult> read(String key) {
    return store.entry(key).compose(entry -> entry == null
        ? Future.succeededFuture(null)
        : blobs(entry).map(images -> images == null ? null : new CacheResult(key, entry, images, CacheStatus.HIT)));
  }

  @Override
  public JsonObject describe(CacheResult result) {
    return CacheEntryJson.toJson(result.entry());
  }

  @Override
  public CacheResult fromDescription(String key, JsonObject description) {
    try {
      return new CacheResult(key, CacheEntryJson.fromJson(description), null, CacheStatus.HIT);
    } catch (RuntimeException e) {
      log.warn("Unreadable flight announcement for {} ({}); reading the store instead", key, e.toString());
      return null;
    }
  }

  /** All blobs of an entry when this node holds every one in memory, else {@code null}; no cluster call. */
  public List<ImageBlob> blobsInMemory(CacheEntry entry) {
    List<ImageBlob> images = new ArrayList<>(entry.contentIds().size());
    for (String id : entry.contentIds()) {
      ImageBlob b = store.blobInMemory(id);
      if (b == null) {
        return null;
      }
      images.add(b);
    }
    return images;
  }

  /** All blobs of an entry, or {@code null} when any of them is gone. */
  public Future<List<ImageBlob>> blobs(CacheEntry entry) {
    if (entry.contentIds().size() == 1) {
      return store.blob(entry.contentIds().get(0)).map(b -> b == null ? null : List.of(b));
    }
    List<Future<ImageBlob>> reads = new ArrayList<>();
    for (String id : entry.contentIds()) {
      reads.add(store.blob(id));
    }
    return Future.all(reads).map(all -> {
      List<ImageBlob> images = all.list();
      return images.contains(null) ? null : images;
    });
  }
}
