package dev.gencache.http;

import dev.gencache.config.GencacheConfig.AuthConfig;
import dev.gencache.config.GencacheConfig.HttpConfig;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One HTTP server instance: builds the router from the features' routes and listens. */
public final class HttpServerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HttpServerVerticle.class);
  private final HttpConfig config;
  private final AuthConfig auth;
  private final List<Routes> features;
  private final InFlightRequests inFlight;
  private final int maxWebSocketMessageBytes;
  private HttpServer server;

  /** @param maxWebSocketMessageBytes bounds the SockJS bridge's messages: a larger one closes its socket */
  public HttpServerVerticle(HttpConfig config, AuthConfig auth, List<Routes> features, InFlightRequests inFlight,
      int maxWebSocketMessageBytes) {
    this.config = config;
    this.auth = auth;
    this.features = features;
    this.inFlight = inFlight;
    this.maxWebSocketMessageBytes = maxWebSocketMessageBytes;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().order(-2).handler(inFlight);
    BearerAuth bearer = auth.enabled() ? new BearerAuth(auth.tokens()) : null;
    if (bearer != null) {
      router.route("/v1/*").order(-1).handler(bearer);
    }
    features.forEach(f -> f.mount(router));
    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 401, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setIdleTimeout(120)
        .setMaxInitialLineLength(8192)
        .setMaxHeaderSize(16384)
        .setMaxWebSocketFrameSize(maxWebSocketMessageBytes)
        .setMaxWebSocketMessageSize(maxWebSocketMessageBytes)
        // With WebSocket compression on, every HTTP request and response of every connection passes a
        // handler that looks for an upgrade; bridge messages are small JSON, not worth deflating.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false);
    Handler<HttpServerRequest> handler = request -> {
      // Answered in full, synchronously, before routing: nothing stays in flight for a stop to wait for.
      // Without a valid token the router answers (401), as it does for every /v1 path.
      if (bearer == null || bearer.accepts(request)) {
        try {
          for (Routes feature : features) {
            if (feature.answerBeforeRouting(request)) {
              return;
            }
          }
        } catch (RuntimeException e) {
          log.error("A shortcut failed on {}; routing the request instead", request.path(), e);
          if (request.response().headWritten()) {
            request.connection().close();
            return;
          }
        }
      }
      router.handle(request);
    };
    return vertx.createHttpServer(options).requestHandler(handler).listen().onSuccess(s -> server = s);
  }

  /** The port actually bound (tests listen on port 0). */
  public int actualPort() {
    return server.actualPort();
  }
}
