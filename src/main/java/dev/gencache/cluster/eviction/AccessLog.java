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
  private final InstantSource clock;
  private volatile ConcurrentHashMap<String, Long> lastAccess = new ConcurrentHashMap<>();

  public AccessLog(InstantSource clock) {
    this.clock = clock;
  }

  public void record(String key) {
    lastAccess.put(key, clock.millis());
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
