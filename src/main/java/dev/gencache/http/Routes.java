package dev.gencache.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

/** A feature's HTTP routes, mounted on each server instance's router. */
public interface Routes {
  void mount(Router router);

  /**
   * Answers {@code request} in full before any routing and returns {@code true}, or returns
   * {@code false} having changed nothing, and the router takes it. For the few requests that are worth
   * a shortcut (cache hits); it runs after authentication, on the event loop, and must not block.
   */
  default boolean answerBeforeRouting(HttpServerRequest request) {
    return false;
  }
}
