package dev.gencache.store;

import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps this member's near-cache copies of images within a byte budget ({@code cache.near-cache-mb}),
 * dropping those not used for longest. Hazelcast's open-source near cache bounds only its entry count, so
 * on a cluster a node serving other members' images could hold 2,000 of them whatever their size.
 *
 * <p>The ledger counts a copy from the moment a read from the map returns it (the near cache has just
 * kept it) until the ledger drops it or is told the map no longer has it. It may count a copy the near
 * cache has already let go (Hazelcast's own entry-count eviction, an invalidation, a read whose copy
 * Hazelcast declined to keep), never the reverse: what the near cache really holds is at most
 * {@link #bytes()}. Such ghosts are never used again, so they are the first to be dropped. It also caps
 * its entries at the near cache's own count, so both bounds are its to enforce.
 *
 * <p>Recency is kept the CLOCK way (second chance), so that a hit, which every event loop makes,
 * takes no lock: it only sets its copy's flag, and only if not already set. Reads from the map (misses)
 * append to a ring under the lock; past the budget the ring's oldest copy goes unless it was used since
 * it was last passed, in which case its flag is cleared and it moves to the back. Hazelcast's event
 * threads {@link #forget} copies. The near-cache drops happen outside the lock.
 */
public final class ImageCopies {
  /** One counted copy; {@code used} is set by hits without a lock. */
  private static final class Copy {
    final int size;
    volatile boolean used;

    Copy(int size) {
      this.size = size;
    }
  }

  private final long maxBytes;
  private final int maxImages;
  private final Consumer<String> drop;
  /** The copies by content id, read by hits without a lock; changed only under the lock, with the ring. */
  private final ConcurrentHashMap<String, Copy> copies = new ConcurrentHashMap<>();
  /** The same copies, oldest first (the order in which they were read or last passed over). */
  private final LinkedHashMap<String, Copy> ring = new LinkedHashMap<>();
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
    List<String> victims = new ArrayList<>();
    synchronized (this) {
      remove(blob.id());
      Copy copy = new Copy(size);
      copies.put(blob.id(), copy);
      ring.put(blob.id(), copy);
      bytes += size;
      int chances = ring.size(); // hits may mark copies again meanwhile: this bounds the passes
      while (bytes > maxBytes || ring.size() > maxImages) {
        Map.Entry<String, Copy> oldest = ring.entrySet().iterator().next();
        String id = oldest.getKey();
        Copy candidate = oldest.getValue();
        ring.remove(id);
        if (candidate.used && chances-- > 0) { // a second chance: to the back, unmarked
          candidate.used = false;
          ring.put(id, candidate);
        } else {
          copies.remove(id);
          bytes -= candidate.size;
          victims.add(id);
        }
      }
    }
    victims.forEach(drop);
  }

  /** A hit on the near cache's copy of {@code contentId}: it is kept over copies not used since. */
  public void used(String contentId) {
    Copy copy = copies.get(contentId);
    if (copy != null && !copy.used) {
      copy.used = true;
    }
  }

  /** The map no longer has {@code contentId}: drop this member's copy, if any. */
  public void forget(String contentId) {
    synchronized (this) {
      remove(contentId);
    }
    drop.accept(contentId);
  }

  /** Takes {@code contentId}'s copy out of the ledger. Called under the lock. */
  private void remove(String contentId) {
    Copy old = ring.remove(contentId);
    if (old != null) {
      copies.remove(contentId);
      bytes -= old.size;
    }
  }

  /** Bytes of the copies counted: at least what the near cache holds. */
  public synchronized long bytes() {
    return bytes;
  }

  /** Copies counted. */
  public synchronized int images() {
    return ring.size();
  }
}
