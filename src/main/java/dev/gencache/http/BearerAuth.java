package dev.gencache.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
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
    if (accepts(ctx.request())) {
      ctx.next();
    } else {
      ctx.fail(401);
    }
  }

  /** Whether the request presents one of the tokens. */
  public boolean accepts(HttpServerRequest request) {
    return tokens.accepts(Tokens.bearer(request.getHeader(HttpHeaders.AUTHORIZATION)));
  }
}
