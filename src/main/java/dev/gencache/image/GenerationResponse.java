package dev.gencache.image;

import dev.gencache.store.CacheEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * The body of a generation answer, in OpenAI's shape plus {@code gencache}: the same JSON over HTTP
 * ({@code POST /v1/images/generations}) and over the event bus ({@code gencache.generate}).
 */
public final class GenerationResponse {
  private GenerationResponse() {}

  /**
   * @param baseUrl what content URLs start with ({@code http://host:port})
   * @param withBytes whether each item carries {@code b64_json} (the result must hold its images)
   */
  public static JsonObject toJson(CacheResult result, String baseUrl, boolean withBytes, long ageSeconds) {
    CacheEntry entry = result.entry();
    JsonArray data = new JsonArray();
    for (int i = 0; i < entry.contentIds().size(); i++) {
      JsonObject item = new JsonObject();
      if (result.stored()) {
        item.put("url", baseUrl + "/v1/images/" + entry.contentIds().get(i));
      }
      if (withBytes) {
        item.put("b64_json", Base64.getEncoder().encodeToString(result.images().get(i).bytes()));
      }
      data.add(item);
    }
    return new JsonObject()
        .put("created", entry.createdAt().getEpochSecond())
        .put("data", data)
        .put("gencache", new JsonObject()
            .put("key", result.key())
            .put("ids", new JsonArray(entry.contentIds()))
            .put("cache", result.status().name())
            .put("age_seconds", ageSeconds)
            .put("expires_at", entry.expiresAt().toString()));
  }
}
