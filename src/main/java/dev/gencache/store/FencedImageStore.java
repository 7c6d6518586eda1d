package dev.gencache.store;

import dev.gencache.cluster.invalidation.Fences;
import io.vertx.core.Future;
import java.time.Duration;

/**
 * Reads through this node's invalidation fences: an entry or image that an acknowledged invalidation
 * covers reads as absent here, whatever a near cache still holds.
 */
public final class FencedImageStore implements ImageStore {
  private final ImageStore delegate;
  private final Fences fences;

  public FencedImageStore(ImageStore delegate, Fences fences) {
    this.delegate = delegate;
    this.fences = fences;
  }

  @Override
  public Future<CacheEntry> entry(String requestKey) {
    return delegate.entry(requestKey).map(e -> unfenced(requestKey, e));
  }

  @Override
  public Future<ImageBlob> blob(String contentId) {
    return delegate.blob(contentId).map(this::unfenced);
  }

  @Override
  public CacheEntry entryInMemory(String requestKey) {
    return unfenced(requestKey, delegate.entryInMemory(requestKey));
  }

  @Override
  public ImageBlob blobInMemory(String contentId) {
    return unfenced(delegate.blobInMemory(contentId));
  }

  @Override
  public Future<Void> putBlob(ImageBlob blob, Duration ttl) {
    return delegate.putBlob(blob, ttl);
  }

  @Override
  public Future<Void> putEntry(String requestKey, CacheEntry entry, Duration ttl) {
    return delegate.putEntry(requestKey, entry, ttl);
  }

  private CacheEntry unfenced(String requestKey, CacheEntry e) {
    return e != null && fences.blocks(requestKey, e) ? null : e;
  }

  private ImageBlob unfenced(ImageBlob b) {
    return b != null && fences.blocks(b) ? null : b;
  }
}
