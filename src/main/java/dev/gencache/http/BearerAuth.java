package dev.gencache.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** Requires {@code Authorization: Bearer <token>} with one of the configured tokens (compared in constant time). */
public final class BearerAuth implements Handler<RoutingContext> {
  private final List<byte[]> tokens;

  public BearerAuth(List<String> tokens) {
    this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && accepted(header.substring(7).trim())) {
      ctx.next();
    } else {
      ctx.fail(401);
    }
  }

  private boolean accepted(String presented) {
    byte[] p = presented.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] t : tokens) {
      ok |= MessageDigest.isEqual(p, t); // no early exit: timing does not tell which token matched
    }
    return ok;
  }
}
