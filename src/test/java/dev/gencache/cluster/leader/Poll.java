package dev.gencache.cluster.leader;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for eventual cluster state with a deadline (tests only: a short sleep between checks). */
final class Poll {
  private Poll() {}

  /** Returns the milliseconds it took {@code condition} to hold; fails after {@code timeout}. */
  static long until(Duration timeout, Supplier<String> state, BooleanSupplier condition) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + timeout + ": " + state.get());
      }
      pause();
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** Fails as soon as {@code condition} breaks during {@code period}. */
  static void holds(Duration period, Supplier<String> state, BooleanSupplier condition) {
    long deadline = System.nanoTime() + period.toNanos();
    while (System.nanoTime() < deadline) {
      if (!condition.getAsBoolean()) {
        throw new AssertionError("broke within " + period + ": " + state.get());
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
