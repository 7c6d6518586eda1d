package dev.gencache.generate.resilience;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Stops calling one upstream image generator (OpenAI, Stable Diffusion WebUI, a generic HTTP API) after
 * {@code failureThreshold} consecutive failures, so a dead or overloaded upstream is not paid for or
 * waited on; after {@code openFor} it lets a single trial call through to find out whether it recovered.
 *
 * <p>Callers ask {@link #tryAcquire()} before each call and, if admitted, must report the outcome with
 * {@link #onSuccess()} or {@link #onFailure()}: a trial whose outcome is never reported keeps the breaker
 * half-open, rejecting everything. Thread-safe.
 */
public final class CircuitBreaker {

  /** Where the breaker stands. */
  public enum State {
    /** Calls pass; consecutive failures are counted. */
    CLOSED,
    /** Calls are rejected until {@code openFor} has passed since the breaker opened. */
    OPEN,
    /** One trial call is outstanding; every other call is rejected until it reports. */
    HALF_OPEN
  }

  private final String name;
  private final int failureThreshold;
  private final Duration openFor;
  private final InstantSource clock;

  private State state = State.CLOSED;
  private int consecutiveFailures;
  private Instant openedAt;

  public CircuitBreaker(String name, int failureThreshold, Duration openFor, InstantSource clock) {
    this.name = Objects.requireNonNull(name, "name");
    this.openFor = Objects.requireNonNull(openFor, "openFor");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold must be >= 1, was " + failureThreshold);
    }
    if (openFor.isNegative() || openFor.isZero()) {
      throw new IllegalArgumentException("openFor must be positive, was " + openFor);
    }
    this.failureThreshold = failureThreshold;
  }

  public String name() {
    return name;
  }

  /**
   * Returns whether a call may go to the upstream now. Closed: always. Open: no, until {@code openFor}
   * has passed; the first caller after that becomes the half-open trial and gets {@code true}. Half-open:
   * no, the trial is still outstanding.
   */
  public synchronized boolean tryAcquire() {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (clock.instant().isBefore(openedAt.plus(openFor))) {
          return false;
        }
        state = State.HALF_OPEN;
        return true;
      default:
        return false;
    }
  }

  /** Records a successful call: resets the failure count and, if it was the trial, closes the breaker. */
  public synchronized void onSuccess() {
    consecutiveFailures = 0;
    if (state == State.HALF_OPEN) {
      state = State.CLOSED;
    }
  }

  /**
   * Records a failed call: opens the breaker at the threshold, or re-opens it for a full {@code openFor}
   * if it was the trial. Failures reported while open (calls admitted before it opened) change nothing.
   */
  public synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= failureThreshold)) {
      state = State.OPEN;
      openedAt = clock.instant();
    }
  }

  /**
   * Returns the stored state. The OPEN to HALF_OPEN move happens in {@link #tryAcquire()}, so after
   * {@code openFor} has elapsed this still reports OPEN until the next call asks.
   */
  public synchronized State state() {
    return state;
  }

  /**
   * Whole seconds, rounded up and at least 1, until an open breaker admits its trial; 1 when not open
   * (or when the trial is already due). Meant for a {@code Retry-After} header.
   */
  public synchronized long retryAfterSeconds() {
    if (state != State.OPEN) {
      return 1;
    }
    Duration left = Duration.between(clock.instant(), openedAt.plus(openFor));
    long seconds = left.getNano() > 0 ? left.getSeconds() + 1 : left.getSeconds();
    return Math.max(1, seconds);
  }
}
