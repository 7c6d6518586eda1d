package dev.gencache.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Supplier;

/** Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI contract. */
public final class OpsRoutes implements Routes {
  private final Supplier<Optional<String>> notReadyReason;
  private final String metricsRegistryName;
  private final byte[] openApi;
  private final byte[] asyncApi;

  /**
   * @param notReadyReason empty when the node serves, else why it does not
   * @param metricsRegistryName the Micrometer registry this node's Vert.x metrics use
   */
  public OpsRoutes(Supplier<Optional<String>> notReadyReason, String metricsRegistryName) {
    this.notReadyReason = notReadyReason;
    this.metricsRegistryName = metricsRegistryName;
    this.openApi = resource("/openapi.yaml");
    this.asyncApi = resource("/asyncapi.yaml");
  }

  @Override
  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> json(ctx, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metricsRegistryName));
    router.get("/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
        .end(Buffer.buffer(openApi)));
    router.get("/asyncapi.yaml").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
        .end(Buffer.buffer(asyncApi)));
  }

  private void ready(RoutingContext ctx) {
    Optional<String> reason = notReadyReason.get();
    if (reason.isEmpty()) {
      json(ctx, new JsonObject().put("status", "UP"));
    } else {
      Problems.send(ctx, Problem.of(503, "not-ready", "Not ready", reason.get()));
    }
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(body.toBuffer());
  }

  private static byte[] resource(String name) {
    try (InputStream in = OpsRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
