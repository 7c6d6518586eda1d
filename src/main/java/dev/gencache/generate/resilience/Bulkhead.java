package dev.gencache.generate.resilience;

import dev.gencache.generate.GeneratorBusyException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Queue;
import java.util.function.Supplier;

/**
 * Caps how many calls run at once against one upstream image generator (OpenAI, Stable Diffusion WebUI,
 * a generic HTTP API), with a bounded FIFO queue behind them, so a burst of cache misses cannot flood a
 * paid, slow upstream; beyond the queue, calls fail fast with {@link GeneratorBusyException}.
 *
 * <p>Thread-safe. Queued work starts on the thread that completed the run whose slot it takes.
 */
public final class Bulkhead {
  private final String name;
  private final int maxConcurrent;
  private final int maxQueue;

  // Guarded by this. Work is started and futures are completed outside the lock.
  private final Queue<Queued<?>> waiting = new ArrayDeque<>();
  private int running;

  public Bulkhead(String name, int maxConcurrent, int maxQueue) {
    this.name = Objects.requireNonNull(name, "name");
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException("maxConcurrent must be >= 1, was " + maxConcurrent);
    }
    if (maxQueue < 0) {
      throw new IllegalArgumentException("maxQueue must be >= 0, was " + maxQueue);
    }
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }

  /**
   * Starts {@code work} now if a slot is free, queues it if the queue has room, and otherwise fails with
   * {@link GeneratorBusyException}. The slot is released when the work's future completes either way; a
   * supplier that throws, or returns null, counts as a failed run.
   */
  public <T> Future<T> run(Supplier<Future<T>> work) {
    Objects.requireNonNull(work, "work");
    synchronized (this) {
      if (running >= maxConcurrent) {
        if (waiting.size() >= maxQueue) {
          return Future.failedFuture(new GeneratorBusyException(name, 1));
        }
        Queued<T> queued = new Queued<>(work, Promise.promise());
        waiting.add(queued);
        return queued.promise.future();
      }
      running++;
    }
    return start(work);
  }

  public synchronized int running() {
    return running;
  }

  public synchronized int queued() {
    return waiting.size();
  }

  /** Runs work that already holds a slot; the returned future completes after the slot is passed on. */
  private <T> Future<T> start(Supplier<Future<T>> work) {
    Future<T> result;
    try {
      result = Objects.requireNonNull(work.get(), "work returned a null future");
    } catch (Throwable t) {
      // Anything escaping here would leak the slot for good.
      result = Future.failedFuture(t);
    }
    return result.andThen(ar -> release());
  }

  /** Hands the finished run's slot to the oldest waiter, or frees it. */
  private void release() {
    Queued<?> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        running--;
      }
    }
    if (next != null) {
      next.start();
    }
  }

  private final class Queued<T> {
    private final Supplier<Future<T>> work;
    private final Promise<T> promise;

    Queued(Supplier<Future<T>> work, Promise<T> promise) {
      this.work = work;
      this.promise = promise;
    }

    void start() {
      Bulkhead.this.start(work).onComplete((value, failure) -> promise.complete(value, failure));
    }
  }
}
