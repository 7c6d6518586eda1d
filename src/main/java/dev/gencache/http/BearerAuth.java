package dev.gencache.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Requires {@code Authorization: Bearer <token>} with one of the configured tokens (compared in constant time). */
public final class BearerAuth implements Handler<RoutingContext> {
  private final Tokens tokens;

  public BearerAuth(List<String> tokens) {
    this.tokens = new Tokens(tokens);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (tokens.accepts(Tokens.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION)))) {
      ctx.next();
    } else {
      ctx.fail(401);
    }
  }
}
