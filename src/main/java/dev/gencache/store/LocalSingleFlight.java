package dev.gencache.store;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@link SingleFlight} within one node. Safe across event loops: the first caller runs the work, every
 * other caller gets the result back on its own context.
 */
public final class LocalSingleFlight<T> implements SingleFlight<T> {
  private final Vertx vertx;
  private final Duration waitDeadline;
  private final int maxWaitersPerKey;
  private final Consumer<Duration> waiterLag;
  private final ConcurrentHashMap<String, Run<T>> runs = new ConcurrentHashMap<>();

  public LocalSingleFlight(Vertx vertx, Duration waitDeadline, int maxWaitersPerKey) {
    this(vertx, waitDeadline, maxWaitersPerKey, lag -> {});
  }

  /** @param waiterLag told, per waiter, how long after the run finished that waiter had its answer */
  public LocalSingleFlight(Vertx vertx, Duration waitDeadline, int maxWaitersPerKey, Consumer<Duration> waiterLag) {
    this.vertx = vertx;
    this.waitDeadline = waitDeadline;
    this.maxWaitersPerKey = maxWaitersPerKey;
    this.waiterLag = waiterLag;
  }

  @Override
  public Future<Flight<T>> run(String key, Supplier<Future<T>> work) {
    Run<T> mine = new Run<>();
    Run<T> running = runs.putIfAbsent(key, mine);
    if (running != null) {
      return join(running);
    }
    Future<T> result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result
        .andThen(ar -> {
          // Leave the table before waking waiters: a newcomer then finds the stored entry, not this run.
          runs.remove(key, mine);
          mine.doneAtNanos = System.nanoTime();
          mine.done.handle(ar);
        })
        .map(v -> new Flight<>(v, false));
  }

  /** Number of keys with a run in flight on this node. */
  public int inFlight() {
    return runs.size();
  }

  private Future<Flight<T>> join(Run<T> running) {
    if (running.waiters.incrementAndGet() > maxWaitersPerKey) {
      running.waiters.decrementAndGet();
      return Future.failedFuture(new CoalescingUnavailableException(
          "too many requests are already waiting for this generation", 1));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Flight<T>> mine = Promise.promise();
    long timer = vertx.setTimer(waitDeadline.toMillis(), id -> mine.tryFail(new CoalescingUnavailableException(
        "an identical generation did not finish within " + waitDeadline.toSeconds() + " s", 5)));
    running.done.future().onComplete((AsyncResult<T> ar) -> context.runOnContext(v -> {
      vertx.cancelTimer(timer);
      running.waiters.decrementAndGet();
      if (ar.succeeded()) {
        // Completing runs this waiter's continuation (its answer is written) before the lag is taken.
        mine.tryComplete(new Flight<>(ar.result(), true));
        waiterLag.accept(Duration.ofNanos(System.nanoTime() - running.doneAtNanos));
      } else {
        mine.tryFail(ar.cause());
      }
    }));
    return mine.future();
  }

  private static final class Run<T> {
    final Promise<T> done = Promise.promise();
    final AtomicInteger waiters = new AtomicInteger();
    volatile long doneAtNanos;
  }
}
