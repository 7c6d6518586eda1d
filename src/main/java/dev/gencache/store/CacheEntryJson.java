package dev.gencache.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** A {@link CacheEntry} as JSON, for event-bus messages between nodes; times as epoch milliseconds, like the store. */
public final class CacheEntryJson {
  private CacheEntryJson() {}

  public static JsonObject toJson(CacheEntry e) {
    JsonObject json = new JsonObject()
        .put("ids", new JsonArray(e.contentIds()))
        .put("prompt", e.prompt())
        .put("createdAt", e.createdAt().toEpochMilli())
        .put("expiresAt", e.expiresAt().toEpochMilli())
        .put("staleUntil", e.staleUntil().toEpochMilli())
        .put("tags", new JsonArray(e.tags()))
        .put("generationMillis", e.generationMillis())
        .put("cost", e.cost());
    if (e.generator() != null) {
      json.put("generator", e.generator());
    }
    if (e.model() != null) {
      json.put("model", e.model());
    }
    return json;
  }

  /** @throws RuntimeException when {@code json} is not an entry this class wrote */
  public static CacheEntry fromJson(JsonObject json) {
    return new CacheEntry(
        json.getJsonArray("ids").stream().map(String.class::cast).toList(),
        json.getString("prompt"),
        Instant.ofEpochMilli(json.getLong("createdAt")),
        Instant.ofEpochMilli(json.getLong("expiresAt")),
        Instant.ofEpochMilli(json.getLong("staleUntil")),
        json.getJsonArray("tags").stream().map(String.class::cast).toList(),
        json.getString("generator"),
        json.getString("model"),
        json.getLong("generationMillis"),
        json.getDouble("cost"));
  }
}
