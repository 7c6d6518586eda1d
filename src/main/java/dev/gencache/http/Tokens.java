package dev.gencache.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** A set of secret tokens, compared in constant time. */
public final class Tokens {
  private final List<byte[]> tokens;

  public Tokens(List<String> tokens) {
    this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
  }

  public boolean isEmpty() {
    return tokens.isEmpty();
  }

  public boolean accepts(String presented) {
    if (presented == null) {
      return false;
    }
    byte[] p = presented.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] t : tokens) {
      ok |= MessageDigest.isEqual(p, t); // no early exit: timing does not tell which token matched
    }
    return ok;
  }

  /** The token of an {@code Authorization: Bearer <token>} value, or {@code null}. */
  public static String bearer(String authorization) {
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return null;
  }
}
