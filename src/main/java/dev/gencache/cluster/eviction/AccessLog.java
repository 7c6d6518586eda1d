package dev.gencache.cluster.eviction;

import io.vertx.core.json.JsonObject;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When this node last served each request key from the cache. Hits are answered from near caches, so
 * no member sees another's reads: the leader collects these logs to evict least recently used.
 */
public final class AccessLog {
  static final long RESOLUTION_MILLIS = 1000;
  private final InstantSource clock;
  private volatile ConcurrentHashMap<String, Long> lastAccess = new ConcurrentHashMap<>();

  public AccessLog(InstantSource clock) {
    this.clock = clock;
  }

  /**
   * Notes that {@code key} was served now. A popular key is served thousands of times a second, and a
   * map write per hit showed in the hit path's profile: a key already noted less than a second ago
   * keeps that time, fine enough for least-recently-used eviction across the cluster.
   */
  public void record(String key) {
    long now = clock.millis();
    Long noted = lastAccess.get(key);
    if (noted == null || now - noted >= RESOLUTION_MILLIS) {
      lastAccess.put(key, now);
    }
  }

  /** Hands over what was recorded since the last drain: {@code key → epoch ms}. */
  public JsonObject drain() {
    Map<String, Long> drained = lastAccess;
    lastAccess = new ConcurrentHashMap<>();
    JsonObject json = new JsonObject();
    drained.forEach(json::put);
    return json;
  }
}
