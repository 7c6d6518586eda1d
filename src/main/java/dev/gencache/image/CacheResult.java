package dev.gencache.image;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import java.util.List;

/**
 * The answer to a generation request.
 *
 * @param key    the request key
 * @param entry  the entry served (for {@link CacheStatus#BYPASS} an entry that was never stored)
 * @param images the entry's images, in order; {@code null} when not read yet (a result another node
 *               generated arrives as its entry alone, and an answer with URLs needs no bytes)
 * @param status how the cache answered
 */
public record CacheResult(String key, CacheEntry entry, List<ImageBlob> images, CacheStatus status) {
  public CacheResult {
    images = images == null ? null : List.copyOf(images);
  }

  /** True when the images can be fetched again by content URL. */
  public boolean stored() {
    return status != CacheStatus.BYPASS;
  }

  public boolean hasImages() {
    return images != null;
  }

  public CacheResult withStatus(CacheStatus newStatus) {
    return new CacheResult(key, entry, images, newStatus);
  }

  public CacheResult withImages(List<ImageBlob> loaded) {
    return new CacheResult(key, entry, loaded, status);
  }
}
