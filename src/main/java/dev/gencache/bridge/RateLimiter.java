package dev.gencache.bridge;

import java.util.function.LongSupplier;

/** A token bucket: {@code perSecond} messages a second on average, bursts of up to {@code perSecond}. */
public final class RateLimiter {
  private final double perNano;
  private final double capacity;
  private final LongSupplier nanoTime;
  private double tokens;
  private long last;

  public RateLimiter(int perSecond, LongSupplier nanoTime) {
    this.perNano = perSecond / 1e9;
    this.capacity = perSecond;
    this.nanoTime = nanoTime;
    this.tokens = perSecond;
    this.last = nanoTime.getAsLong();
  }

  public boolean tryAcquire() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(capacity, tokens + (now - last) * perNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
