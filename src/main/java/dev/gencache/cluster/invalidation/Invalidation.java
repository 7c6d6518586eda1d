package dev.gencache.cluster.invalidation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A sequenced invalidation as the leader publishes it. Every node records {@link #fence()}: an entry
 * or image created at or before the fence that matches the invalidation is treated as absent, even
 * if a near cache still holds it.
 *
 * @param keys request keys the leader removed (resolved from every criterion)
 * @param ids  content ids the leader removed
 */
public record Invalidation(long seq, long term, Instant fence, List<String> keys, List<String> ids,
    List<String> tags, String prompt, String promptPrefix, String leader) {

  public Invalidation {
    keys = List.copyOf(keys);
    ids = List.copyOf(ids);
    tags = List.copyOf(tags);
  }

  public JsonObject toJson() {
    return new JsonObject().put("seq", seq).put("term", term).put("fence", fence.toEpochMilli())
        .put("keys", new JsonArray(keys)).put("ids", new JsonArray(ids)).put("tags", new JsonArray(tags))
        .put("prompt", prompt).put("prompt_prefix", promptPrefix).put("leader", leader);
  }

  public static Invalidation fromJson(JsonObject j) {
    return new Invalidation(j.getLong("seq"), j.getLong("term"), Instant.ofEpochMilli(j.getLong("fence")),
        InvalidationRequest.stringList(j.getJsonArray("keys")), InvalidationRequest.stringList(j.getJsonArray("ids")),
        InvalidationRequest.stringList(j.getJsonArray("tags")), j.getString("prompt"), j.getString("prompt_prefix"),
        j.getString("leader"));
  }
}
