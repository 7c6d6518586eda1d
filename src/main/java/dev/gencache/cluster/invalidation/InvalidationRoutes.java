package dev.gencache.cluster.invalidation;

import dev.gencache.http.JsonBodies;
import dev.gencache.http.Problem;
import dev.gencache.http.ProblemException;
import dev.gencache.http.Routes;
import dev.gencache.image.RequestKey;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;

/**
 * Admin invalidation: {@code POST /v1/cache/invalidate} and {@code DELETE /v1/images/{id}}. 200 once
 * every live member acknowledged, 202 with {@code missing} when some did not within the ack timeout.
 */
public final class InvalidationRoutes implements Routes {
  private final InvalidationService service;
  private final boolean lowercasePrompts;

  public InvalidationRoutes(InvalidationService service, boolean lowercasePrompts) {
    this.service = service;
    this.lowercasePrompts = lowercasePrompts;
  }

  @Override
  public void mount(Router router) {
    router.post("/v1/cache/invalidate").handler(BodyHandler.create(false).setBodyLimit(256 * 1024)).handler(this::invalidate);
    router.delete("/v1/images/:id").handler(this::purge);
  }

  private void invalidate(RoutingContext ctx) {
    InvalidationRequest request = InvalidationRequest.parse(JsonBodies.object(ctx), lowercasePrompts);
    service.invalidate(request).onSuccess(outcome -> send(ctx, outcome)).onFailure(ctx::fail);
  }

  private void purge(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!RequestKey.isWellFormed(id)) {
      throw new ProblemException(Problem.of(400, "invalid-id", "Invalid image id",
          "an image id is 64 lowercase hex digits (the SHA-256 of the content)"));
    }
    service.invalidate(InvalidationRequest.ofIds(List.of(id))).onSuccess(outcome -> send(ctx, outcome))
        .onFailure(ctx::fail);
  }

  private static void send(RoutingContext ctx, InvalidationOutcome outcome) {
    ctx.response().setStatusCode(outcome.complete() ? 200 : 202)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(outcome.toJson().toBuffer());
  }
}
