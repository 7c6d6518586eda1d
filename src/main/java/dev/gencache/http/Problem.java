package dev.gencache.http;

import io.vertx.core.json.JsonObject;

/**
 * An RFC 9457 problem detail. {@code type} is a URN naming the kind of problem; {@code detail} is for
 * the client and never carries internals (stack traces, secrets, upstream bodies).
 */
public record Problem(String type, String title, int status, String detail, int retryAfterSeconds) {
  public static final String MEDIA_TYPE = "application/problem+json";

  public static Problem of(int status, String slug, String title, String detail) {
    return new Problem("urn:gencache:problem:" + slug, title, status, detail, 0);
  }

  public Problem retryAfter(int seconds) {
    return new Problem(type, title, status, detail, seconds);
  }

  public JsonObject toJson(String instance) {
    JsonObject json = new JsonObject().put("type", type).put("title", title).put("status", status).put("detail", detail);
    if (instance != null) {
      json.put("instance", instance);
    }
    return json;
  }
}
