package dev.gencache.cluster.invalidation;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * This node's invalidation fences: per key, tag, prompt, prompt prefix and content id, the time up to
 * which matching entries and images count as gone. A fence is needed only until every copy that could
 * predate it (near caches, in-flight generations) is gone, so fences are dropped after {@code retention}.
 */
public final class Fences {
  private record PrefixFence(String prefix, Instant fence) {}

  private final InstantSource clock;
  private final Duration retention;
  private final Map<String, Instant> keys = new ConcurrentHashMap<>();
  private final Map<String, Instant> ids = new ConcurrentHashMap<>();
  private final Map<String, Instant> tags = new ConcurrentHashMap<>();
  private final Map<String, Instant> prompts = new ConcurrentHashMap<>();
  private final List<PrefixFence> prefixes = new CopyOnWriteArrayList<>();
  private final Map<Instant, Instant> recordedAt = new ConcurrentHashMap<>();

  public Fences(InstantSource clock, Duration retention) {
    this.clock = clock;
    this.retention = retention;
  }

  public void record(Invalidation inv) {
    Instant f = inv.fence();
    inv.keys().forEach(k -> keys.merge(k, f, Fences::later));
    inv.ids().forEach(i -> ids.merge(i, f, Fences::later));
    inv.tags().forEach(t -> tags.merge(t, f, Fences::later));
    if (inv.prompt() != null) {
      prompts.merge(inv.prompt(), f, Fences::later);
    }
    if (inv.promptPrefix() != null) {
      prefixes.add(new PrefixFence(inv.promptPrefix(), f));
    }
    recordedAt.put(f, clock.instant());
  }

  /** True when {@code entry} (stored under {@code key}) was created at or before a fence that matches it. */
  public boolean blocks(String key, CacheEntry entry) {
    Instant created = entry.createdAt();
    if (covers(keys.get(key), created) || covers(prompts.get(entry.prompt()), created)) {
      return true;
    }
    for (String tag : entry.tags()) {
      if (covers(tags.get(tag), created)) {
        return true;
      }
    }
    for (String id : entry.contentIds()) {
      if (covers(ids.get(id), created)) {
        return true;
      }
    }
    for (PrefixFence p : prefixes) {
      if (!created.isAfter(p.fence()) && entry.prompt().startsWith(p.prefix())) {
        return true;
      }
    }
    return false;
  }

  public boolean blocks(ImageBlob blob) {
    return covers(ids.get(blob.id()), blob.createdAt());
  }

  /** Drops fences older than the retention; call periodically. */
  public void prune() {
    Instant cutoff = clock.instant().minus(retention);
    recordedAt.entrySet().removeIf(e -> e.getValue().isBefore(cutoff));
    java.util.function.Predicate<Instant> expired = fence -> !recordedAt.containsKey(fence);
    keys.values().removeIf(expired);
    ids.values().removeIf(expired);
    tags.values().removeIf(expired);
    prompts.values().removeIf(expired);
    prefixes.removeIf(p -> expired.test(p.fence()));
  }

  public int size() {
    return keys.size() + ids.size() + tags.size() + prompts.size() + prefixes.size();
  }

  private static boolean covers(Instant fence, Instant created) {
    return fence != null && !created.isAfter(fence);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
