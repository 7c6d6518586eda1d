package dev.gencache.cluster.invalidation;

import dev.gencache.image.InvalidRequestException;
import dev.gencache.image.PromptText;
import dev.gencache.image.RequestKey;
import dev.gencache.image.Tags;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * What to invalidate: content ids, request keys, tags, an exact (normalised) prompt or a prompt prefix.
 * At least one criterion; an entry matching any of them is invalidated.
 */
public record InvalidationRequest(List<String> ids, List<String> keys, List<String> tags, String prompt,
    String promptPrefix) {
  static final int MAX_ITEMS = 1000;

  public InvalidationRequest {
    ids = List.copyOf(ids);
    keys = List.copyOf(keys);
    tags = List.copyOf(tags);
  }

  public static InvalidationRequest ofIds(List<String> ids) {
    return new InvalidationRequest(ids, List.of(), List.of(), null, null);
  }

  /** Parses and validates the admin API body; prompts are normalised like request prompts. */
  public static InvalidationRequest parse(JsonObject body, boolean lowercasePrompts) {
    List<String> ids = hexList(body, "ids");
    List<String> keys = hexList(body, "keys");
    List<String> tags = strings(body, "tags");
    for (String tag : tags) {
      if (!Tags.isValid(tag)) {
        throw new InvalidRequestException("tags: \"" + tag + "\" is not a valid tag");
      }
    }
    String prompt = prompt(body, "prompt", lowercasePrompts);
    String prefix = prompt(body, "prompt_prefix", lowercasePrompts);
    if (ids.isEmpty() && keys.isEmpty() && tags.isEmpty() && prompt == null && prefix == null) {
      throw new InvalidRequestException("give at least one of ids, keys, tags, prompt, prompt_prefix");
    }
    return new InvalidationRequest(ids, keys, tags, prompt, prefix);
  }

  public JsonObject toJson() {
    return new JsonObject().put("ids", new JsonArray(ids)).put("keys", new JsonArray(keys))
        .put("tags", new JsonArray(tags)).put("prompt", prompt).put("prompt_prefix", promptPrefix);
  }

  /** The inverse of {@link #toJson()}, for messages between nodes (already validated). */
  public static InvalidationRequest fromJson(JsonObject j) {
    return new InvalidationRequest(stringList(j.getJsonArray("ids")), stringList(j.getJsonArray("keys")),
        stringList(j.getJsonArray("tags")), j.getString("prompt"), j.getString("prompt_prefix"));
  }

  static List<String> stringList(JsonArray array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(o -> out.add(String.valueOf(o)));
    }
    return out;
  }

  private static List<String> hexList(JsonObject body, String field) {
    List<String> values = strings(body, field);
    for (String v : values) {
      if (!RequestKey.isWellFormed(v)) {
        throw new InvalidRequestException(field + ": \"" + v + "\" is not 64 lowercase hex digits");
      }
    }
    return values;
  }

  private static List<String> strings(JsonObject body, String field) {
    Object raw = body.getValue(field);
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray array)) {
      throw new InvalidRequestException(field + " must be an array of strings");
    }
    if (array.size() > MAX_ITEMS) {
      throw new InvalidRequestException(field + " may hold at most " + MAX_ITEMS + " entries");
    }
    List<String> out = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof String s)) {
        throw new InvalidRequestException(field + " must be an array of strings");
      }
      if (!out.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  private static String prompt(JsonObject body, String field, boolean lowercase) {
    Object raw = body.getValue(field);
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s)) {
      throw new InvalidRequestException(field + " must be a string");
    }
    String normalized = PromptText.normalize(s, lowercase);
    if (normalized.isEmpty() || normalized.length() > 4000) {
      throw new InvalidRequestException(field + " must be 1..4000 characters");
    }
    return normalized;
  }
}
