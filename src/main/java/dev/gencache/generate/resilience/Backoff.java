package dev.gencache.generate.resilience;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Delays between retries of a failed call to an upstream image generator (OpenAI, Stable Diffusion
 * WebUI, a generic HTTP API): exponential growth capped at {@code max}, with full jitter (a uniform pick
 * in {@code [0, cap)}) so that many nodes retrying the same upstream spread out instead of arriving
 * together.
 */
public final class Backoff {
  private final long baseNanos;
  private final long maxNanos;
  private final DoubleSupplier random;

  /**
   * @param base   the cap for the first attempt; positive
   * @param max    the largest cap, at least {@code base}
   * @param random uniform values in {@code [0, 1)}; values outside are clamped
   */
  public Backoff(Duration base, Duration max, DoubleSupplier random) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
    this.random = Objects.requireNonNull(random, "random");
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("base must be positive, was " + base);
    }
    if (max.compareTo(base) < 0) {
      throw new IllegalArgumentException("max must be >= base (" + base + "), was " + max);
    }
    this.maxNanos = toNanos(max);
    this.baseNanos = base.toNanos();
  }

  /** Base doubling up to {@code base * 32}, jittered with {@link ThreadLocalRandom}. */
  public static Backoff standard(Duration base) {
    Objects.requireNonNull(base, "base");
    // current() per call, not once: the instance must not be shared between threads.
    return new Backoff(base, base.multipliedBy(32), () -> ThreadLocalRandom.current().nextDouble());
  }

  /**
   * The delay before retry number {@code attempt} (1 for the first retry): a uniform pick in
   * {@code [0, min(max, base * 2^(attempt - 1)))}. Never negative, never above {@code max}.
   */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    // Doubling stops at max, so this neither overflows nor loops more than ~64 times for any attempt.
    long cap = baseNanos;
    for (int i = 1; i < attempt && cap < maxNanos; i++) {
      cap = cap > maxNanos / 2 ? maxNanos : cap * 2;
    }
    double r = random.getAsDouble();
    // Clamped: a double product can round past cap, and a misbehaving random may leave [0, 1).
    long jittered = (long) (cap * r);
    return Duration.ofNanos(Math.max(0, Math.min(cap, jittered)));
  }

  private static long toNanos(Duration max) {
    try {
      return max.toNanos();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("max must fit in a long of nanoseconds (~292 years), was " + max, e);
    }
  }
}
