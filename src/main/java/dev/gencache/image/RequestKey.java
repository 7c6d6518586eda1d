package dev.gencache.image;

import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The cache key of a request: lowercase hex SHA-256 of the canonical form of an {@link ImageRequest}.
 * The canonical form is a JSON array of every pixel-changing field in a fixed order, behind a version
 * tag, so that field boundaries are unambiguous and a change of the rule changes every key.
 */
public record RequestKey(String hex) {
  static final String VERSION = "gencache-key-v1";

  public static RequestKey of(ImageRequest r) {
    String canonical = new JsonArray()
        .add(VERSION)
        .add(r.generator())
        .add(r.model())
        .add(r.prompt())
        .add(r.negativePrompt())
        .add(r.size().toString())
        .add(r.quality())
        .add(r.style())
        .add(r.seed())
        .add(r.n())
        .add(r.outputFormat().wireName())
        .add(r.outputCompression())
        .add(r.background())
        .encode();
    return new RequestKey(sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)));
  }

  /** Lowercase hex SHA-256; also the content id of image bytes. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** True for 64 lowercase hex digits, the shape of keys and content ids. */
  public static boolean isWellFormed(String id) {
    if (id == null || id.length() != 64) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return hex;
  }
}
