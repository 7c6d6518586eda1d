package dev.gencache.store;

import com.hazelcast.internal.nearcache.NearCache;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.proxy.NearCachedMapProxyImpl;

/**
 * Reads a map's near cache in place, on the calling thread. {@code IMap.getAsync} wraps even a
 * near-cache hit in a future that deserializes on Hazelcast's default async executor (the
 * ForkJoinPool), so every hit cost a hand-off to a pool thread and back to the event loop: a fifth
 * of a hit's CPU in wake-ups and context switches when profiled. A near-cache read is a local hash
 * lookup, so it may run on an event loop; a miss still goes through {@code getAsync}. Hits and
 * misses count in the near-cache statistics as with {@code get} (a miss is counted again by the
 * {@code getAsync} that follows). It also drops a key's copy ({@link #invalidate}). Uses Hazelcast
 * internals, pinned with the Hazelcast version; the store's tests cover it.
 */
final class NearCacheReader<V> {
  private final NearCache<Object, Object> nearCache;
  private final SerializationService serialization;

  NearCacheReader(IMap<String, V> map) {
    if (map instanceof NearCachedMapProxyImpl<String, V> proxy) {
      this.nearCache = proxy.getNearCache();
      this.serialization = proxy.getNodeEngine().getSerializationService();
    } else {
      this.nearCache = null; // no near cache configured: every read goes to the map
      this.serialization = null;
    }
  }

  /** The cached value, or {@code null} when the near cache does not hold one. */
  @SuppressWarnings("unchecked")
  V cached(String key) {
    if (nearCache == null) {
      return null;
    }
    Object value = nearCache.get(nearCache.isSerializeKeys() ? serialization.toData(key) : key);
    if (value == null || value == NearCache.NOT_CACHED || value == NearCache.CACHED_AS_NULL) {
      return null;
    }
    return value instanceof Data data ? (V) serialization.toObject(data) : (V) value;
  }

  /** Drops the near cache's copy of {@code key}, if any; a read of it in progress is not cached then. */
  void invalidate(String key) {
    if (nearCache != null) {
      nearCache.invalidate(nearCache.isSerializeKeys() ? serialization.toData(key) : key);
    }
  }
}
