package dev.gencache.generate.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Dotted paths into a JSON answer: {@code data.0.b64_json}, {@code images.0}, {@code output.url}. */
final class JsonPaths {
  private JsonPaths() {}

  /** The string at {@code path}, or {@code null} when the path does not lead to one. */
  static String string(Object root, String path) {
    Object at = root;
    for (String step : path.split("\\.")) {
      if (at instanceof JsonObject o) {
        at = o.getValue(step);
      } else if (at instanceof JsonArray a && step.matches("\\d{1,6}")) {
        int i = Integer.parseInt(step);
        at = i < a.size() ? a.getValue(i) : null;
      } else {
        return null;
      }
    }
    return at instanceof String s ? s : null;
  }
}
