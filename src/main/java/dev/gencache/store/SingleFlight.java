package dev.gencache.store;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Runs at most one piece of work per key at a time; concurrent callers for the same key wait for that
 * run instead of starting their own. The node-local implementation is {@link LocalSingleFlight}; the
 * cluster-wide one claims the key in the cluster first (same contract).
 *
 * @param <T> the result of the work
 */
public interface SingleFlight<T> {

  /**
   * Starts {@code work} for {@code key}, or joins the run already in flight. Waiters fail with
   * {@link CoalescingUnavailableException} when the key has too many waiters or the run outlives the
   * wait deadline. The returned future completes on the caller's context.
   */
  Future<Flight<T>> run(String key, Supplier<Future<T>> work);

  /** A run's result, and whether this caller joined someone else's run. */
  record Flight<T>(T value, boolean joined) {}
}
