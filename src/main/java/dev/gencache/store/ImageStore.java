package dev.gencache.store;

import io.vertx.core.Future;
import java.time.Duration;

/**
 * The shared cache: content blobs by content id and entries by request key. Futures complete on the
 * caller's Vert.x context. Absent values complete with {@code null}.
 */
public interface ImageStore {
  String IMAGES_MAP = "gencache-images";
  String REQUESTS_MAP = "gencache-requests";

  Future<CacheEntry> entry(String requestKey);

  Future<ImageBlob> blob(String contentId);

  /**
   * The entry when this node holds it in memory (its near cache), else {@code null}: no cluster call,
   * so it answers on the calling thread. {@code null} says nothing about the cluster: ask {@link #entry}.
   */
  CacheEntry entryInMemory(String requestKey);

  /** The blob when this node holds it in memory, else {@code null}; as {@link #entryInMemory}. */
  ImageBlob blobInMemory(String contentId);

  /** Stores a blob for {@code ttl} (rounded up to whole seconds). */
  Future<Void> putBlob(ImageBlob blob, Duration ttl);

  /** Stores an entry for {@code ttl}; write its blobs first so an entry never points at nothing. */
  Future<Void> putEntry(String requestKey, CacheEntry entry, Duration ttl);
}
