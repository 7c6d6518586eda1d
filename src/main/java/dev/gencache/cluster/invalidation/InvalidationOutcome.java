package dev.gencache.cluster.invalidation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The answer to an invalidation: its sequence number, how many entries and images were removed, who
 * acknowledged it and who was expected to. {@link #complete()} when every live member acknowledged.
 */
public record InvalidationOutcome(long seq, int removed, List<String> ackedBy, List<String> members) {
  public InvalidationOutcome {
    ackedBy = List.copyOf(ackedBy);
    members = List.copyOf(members);
  }

  public List<String> missing() {
    return members.stream().filter(m -> !ackedBy.contains(m)).toList();
  }

  public boolean complete() {
    return missing().isEmpty();
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("seq", seq).put("removed", removed)
        .put("acked_by", new JsonArray(ackedBy)).put("members", new JsonArray(members));
    if (!complete()) {
      json.put("missing", new JsonArray(missing()));
    }
    return json;
  }

  public static InvalidationOutcome fromJson(JsonObject j) {
    return new InvalidationOutcome(j.getLong("seq"), j.getInteger("removed"),
        InvalidationRequest.stringList(j.getJsonArray("acked_by")), InvalidationRequest.stringList(j.getJsonArray("members")));
  }
}
