package dev.gencache.http;

import dev.gencache.image.InvalidRequestException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reads a request body that must be one JSON object; anything else is a 400 naming the problem. */
public final class JsonBodies {
  private JsonBodies() {}

  public static JsonObject object(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      throw new InvalidRequestException("the body must be a JSON object");
    }
    Object json;
    try {
      json = Json.decodeValue(raw);
    } catch (DecodeException e) {
      throw new InvalidRequestException("the body is not valid JSON");
    }
    if (!(json instanceof JsonObject object)) {
      throw new InvalidRequestException("the body must be a JSON object");
    }
    return object;
  }
}
