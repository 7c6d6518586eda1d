package dev.gencache.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A stand-in for an upstream provider in tests: a real HTTP server on a loopback port whose routes a
 * test programs, recording every request it got.
 */
public final class StandIn implements AutoCloseable {
  /** A request as the stand-in saw it. */
  public record Seen(String method, String uri, MultiMap headers, Buffer body) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final java.util.Map<String, Consumer<RoutingContext>> handlers = new java.util.concurrent.ConcurrentHashMap<>();

  public StandIn(Vertx vertx) {
    this.vertx = vertx;
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create().setBodyLimit(1 << 20));
    router.route().handler(ctx -> {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(ctx.request().headers());
      seen.add(new Seen(ctx.request().method().name(), ctx.request().uri(), headers,
          ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer()));
      Consumer<RoutingContext> handler = handlers.get(ctx.request().method().name() + " " + ctx.request().path());
      if (handler == null) {
        ctx.response().setStatusCode(404).end();
      } else {
        handler.accept(ctx);
      }
    });
    try {
      server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("stand-in did not start", e);
    }
  }

  /** Answers {@code method path} (exact path, any query) with {@code handler}, replacing an earlier one. */
  public StandIn on(String method, String path, Consumer<RoutingContext> handler) {
    handlers.put(method + " " + path, handler);
    return this;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public List<Seen> requests() {
    return List.copyOf(seen);
  }

  /** Requests to paths starting with {@code prefix}. */
  public List<Seen> requests(String prefix) {
    return seen.stream().filter(s -> s.uri().startsWith(prefix)).toList();
  }

  public Vertx vertx() {
    return vertx;
  }

  @Override
  public void close() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the test is over either way
    }
  }
}
