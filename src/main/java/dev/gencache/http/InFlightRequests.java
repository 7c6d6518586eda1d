package dev.gencache.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the requests a node is answering, so that a graceful stop can wait for them to finish before
 * the node leaves the cluster (their generations still need it).
 */
public final class InFlightRequests implements Handler<RoutingContext> {
  private final AtomicInteger count = new AtomicInteger();

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.request().canUpgradeToWebSocket()) {
      ctx.next(); // a bridge socket: it ends only when the client leaves, and a stop closes it anyway
      return;
    }
    count.incrementAndGet();
    ctx.addEndHandler(ar -> count.decrementAndGet());
    ctx.next();
  }

  public int count() {
    return count.get();
  }

  /** Completes when no request is in flight, or after {@code grace} with those still running. */
  public Future<Integer> drained(Vertx vertx, Duration grace) {
    Promise<Integer> done = Promise.promise();
    long deadline = System.nanoTime() + grace.toNanos();
    if (count.get() == 0) {
      return Future.succeededFuture(0);
    }
    vertx.setPeriodic(20, id -> {
      if (count.get() == 0 || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        done.tryComplete(count.get());
      }
    });
    return done.future();
  }
}
