package dev.gencache.store;

/** A request could not wait for an identical generation (too many waiters, or it took too long). */
public final class CoalescingUnavailableException extends RuntimeException {
  private final int retryAfterSeconds;

  public CoalescingUnavailableException(String message, int retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
