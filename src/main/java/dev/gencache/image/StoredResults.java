package dev.gencache.image;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/** Reads what is stored under a request key: the entry together with all of its images. */
public final class StoredResults {
  private final ImageStore store;

  public StoredResults(ImageStore store) {
    this.store = store;
  }

  /** The stored result for {@code key}, or {@code null} when the entry or any of its images is gone. */
  public Future<CacheResult> read(String key) {
    return store.entry(key).compose(entry -> entry == null
        ? Future.succeededFuture(null)
        : blobs(entry).map(images -> images == null ? null : new CacheResult(key, entry, images, CacheStatus.HIT)));
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
