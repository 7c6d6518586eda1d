package dev.gencache.store;

import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Keeps this member's near-cache copies of images within a byte budget ({@code cache.near-cache-mb}),
 * dropping the least recently used. Hazelcast's open-source near cache bounds only its entry count, so
 * on a cluster a node serving other members' images could hold 2,000 of them whatever their size.
 *
 * <p>The ledger counts a copy from the moment a read from the map returns it (the near cache has just
 * kept it) until the ledger drops it or is told the map no longer has it. It may count a copy the near
 * cache has already let go (Hazelcast's own entry-count eviction, an invalidation, a read whose copy
 * Hazelcast declined to keep), never the reverse: what the near cache really holds is at most
 * {@link #bytes()}. Such ghosts are never used again, so they are the first to be dropped. It also caps
 * its entries at the near cache's own count, so both bounds are its to enforce.
 *
 * <p>Called from event loops (reads and hits) and Hazelcast's event threads ({@link #forget}); the
 * lock guards a few map operations, and the near-cache drops happen outside it.
 */
public final class ImageCopies {
  private final long maxBytes;
  private final int maxImages;
  private final Consumer<String> drop;
  private final LinkedHashMap<String, Integer> sizes = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;

  ImageCopies(long maxBytes, int maxImages, Consumer<String> drop) {
    if (maxBytes <= 0 || maxImages <= 0) {
      throw new IllegalArgumentException("budget must be positive: " + maxBytes + " bytes, " + maxImages + " images");
    }
    this.maxBytes = maxBytes;
    this.maxImages = maxImages;
    this.drop = drop;
  }

  /**
   * The ledger of {@code hazelcast}'s near cache of the image map, within {@code maxBytes} and the near
   * cache's configured entry count. Without a near cache there are no copies to bound.
   */
  public static ImageCopies of(HazelcastInstance hazelcast, long maxBytes) {
    IMap<String, ImageBlob> images = hazelcast.getMap(ImageStore.IMAGES_MAP);
    NearCacheReader<ImageBlob> nearCache = new NearCacheReader<>(images);
    NearCacheConfig config = hazelcast.getConfig().findMapConfig(ImageStore.IMAGES_MAP).getNearCacheConfig();
    int size = config == null ? 0 : config.getEvictionConfig().getSize();
    int maxImages = size > 0 ? size : Integer.MAX_VALUE;
    return new ImageCopies(maxBytes, maxImages, nearCache::invalidate);
  }

  /** A read from the map returned {@code blob}: the near cache now holds a copy. */
  public void read(ImageBlob blob) {
    int size = blob.bytes().length;
    if (size > maxBytes) { // would push out every other copy and still not fit: keep none of it
      forget(blob.id());
      return;
    }
    List<String> victims = null;
    synchronized (this) {
      Integer old = sizes.put(blob.id(), size);
      bytes += size - (old == null ? 0 : old);
      for (Iterator<Map.Entry<String, Integer>> it = sizes.entrySet().iterator(); // oldest first
          it.hasNext() && (bytes > maxBytes || sizes.size() > maxImages); ) {
        Map.Entry<String, Integer> eldest = it.next();
        bytes -= eldest.getValue();
        it.remove();
        if (victims == null) {
          victims = new ArrayList<>();
        }
        victims.add(eldest.getKey());
      }
    }
    if (victims != null) {
      victims.forEach(drop);
    }
  }

  /** A hit on the near cache's copy of {@code contentId}: it becomes the most recently used. */
  public void used(String contentId) {
    synchronized (this) {
      sizes.get(contentId);
    }
  }

  /** The map no longer has {@code contentId}: drop this member's copy, if any. */
  public void forget(String contentId) {
    synchronized (this) {
      Integer old = sizes.remove(contentId);
      if (old != null) {
        bytes -= old;
      }
    }
    drop.accept(contentId);
  }

  /** Bytes of the copies counted: at least what the near cache holds. */
  public synchronized long bytes() {
    return bytes;
  }

  /** Copies counted. */
  public synchronized int images() {
    return sizes.size();
  }
}
