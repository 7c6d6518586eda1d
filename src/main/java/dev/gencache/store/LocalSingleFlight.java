package dev.gencache.store;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
          dispatch(mine, ar);
        })
        .map(v -> new Flight<>(v, false));
  }

  /** Number of keys with a run in flight on this node. */
  public int inFlight() {
    return runs.size();
  }

  /** Number of callers on this node waiting for a run another caller started (read on a scrape, not per request). */
  public int waiting() {
    int sum = 0;
    for (Run<T> run : runs.values()) {
      sum += run.waiting();
    }
    return sum;
  }

  private Future<Flight<T>> join(Run<T> running) {
    Waiter<T> waiter = new Waiter<>((ContextInternal) vertx.getOrCreateContext());
    waiter.timer = vertx.setTimer(waitDeadline.toMillis(), id -> {
      running.leave(waiter); // it no longer waits, and the run need not keep it
      waiter.promise.tryFail(new CoalescingUnavailableException(
          "an identical generation did not finish within " + waitDeadline.toSeconds() + " s", 5));
    });
    switch (running.add(waiter, maxWaitersPerKey)) {
      case FULL -> {
        vertx.cancelTimer(waiter.timer);
        return Future.failedFuture(new CoalescingUnavailableException(
            "too many requests are already waiting for this generation", 1));
      }
      case FINISHED -> answer(running, List.of(waiter), running.outcome()); // joined as the run finished
      case ADDED -> { }
    }
    return waiter.promise.future();
  }

  /**
   * Answers the waiters of a finished run: one task per event loop, which answers all of that loop's
   * waiters back to back, each on its own (per-request) context. One task per waiter would let the
   * event loop interleave their answers with the socket writes of those already answered, so the
   * last of 200 waiters for a 100 KB image waited behind megabytes of writes.
   */
  private void dispatch(Run<T> run, AsyncResult<T> ar) {
    Map<Object, List<Waiter<T>>> byEventLoop = new LinkedHashMap<>();
    for (Waiter<T> w : run.finish(ar)) {
      byEventLoop.computeIfAbsent(w.context.nettyEventLoop(), loop -> new ArrayList<>()).add(w);
    }
    byEventLoop.values().forEach(waiters -> answer(run, waiters, ar));
  }

  private void answer(Run<T> run, List<Waiter<T>> waiters, AsyncResult<T> ar) {
    waiters.get(0).context.runOnContext(v -> {
      long[] lags = new long[waiters.size()];
      int answered = 0;
      for (Waiter<T> w : waiters) {
        vertx.cancelTimer(w.timer);
        if (ar.failed()) {
          w.context.dispatch(x -> w.promise.tryFail(ar.cause()));
          continue;
        }
        // On the waiter's own context, so its continuation (its answer is written) runs right here.
        w.context.dispatch(x -> w.promise.tryComplete(new Flight<>(ar.result(), true)));
        lags[answered++] = System.nanoTime() - run.doneAtNanos;
      }
      // Recorded after the last answer: a percentile histogram's record is not free, and the
      // waiters behind would pay for it.
      for (int i = 0; i < answered; i++) {
        waiterLag.accept(Duration.ofNanos(lags[i]));
      }
    });
  }

  private static final class Waiter<T> {
    final ContextInternal context;
    final Promise<Flight<T>> promise = Promise.promise();
    long timer;

    Waiter(ContextInternal context) {
      this.context = context;
    }
  }

  private enum Joined { ADDED, FULL, FINISHED }

  private static final class Run<T> {
    volatile long doneAtNanos;
    private final List<Waiter<T>> joined = new ArrayList<>();
    private AsyncResult<T> outcome;

    /** Adds a waiter unless {@code max} already wait, or the run has finished (then see {@link #outcome}). */
    synchronized Joined add(Waiter<T> waiter, int max) {
      if (outcome != null) {
        return Joined.FINISHED;
      }
      if (joined.size() >= max) {
        return Joined.FULL;
      }
      joined.add(waiter);
      return Joined.ADDED;
    }

    synchronized void leave(Waiter<T> waiter) {
      joined.remove(waiter);
    }

    synchronized int waiting() {
      return joined.size();
    }

    synchronized AsyncResult<T> outcome() {
      return outcome;
    }

    /** Records the outcome; returns the waiters to answer (later joiners find the outcome). */
    synchronized List<Waiter<T>> finish(AsyncResult<T> ar) {
      outcome = ar;
      List<Waiter<T>> all = List.copyOf(joined);
      joined.clear();
      return all;
    }
  }
}
