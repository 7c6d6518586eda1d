package dev.gencache.generate.upstream;

/**
 * An upstream generator's failure, classified so the gateway answers it well: refusals and rejections
 * become 400s with the provider's message, credential problems a 502 that names no key, rate limits a
 * 503 with {@code Retry-After}, the rest 502 or 504. Messages are already redacted of secrets.
 */
public final class UpstreamException extends RuntimeException {

  public enum Kind {
    /** Content policy refusal (400 to the client, negatively cached). */
    REFUSED(false),
    /** The provider rejected the request's parameters (400 to the client). */
    REJECTED(false),
    /** 401/403 or an exhausted quota: the operator must act (502). */
    AUTH(false),
    /** 429 (503 with Retry-After once retries are spent). */
    RATE_LIMITED(true),
    /** 5xx, connection failure, unreadable answer (502 once retries are spent). */
    UNAVAILABLE(true),
    /** No answer in time (504 once retries are spent). */
    TIMEOUT(true),
    /** The circuit breaker is open: not called at all (503 with Retry-After). */
    BREAKER_OPEN(false);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final String generator;
  private final Kind kind;
  private final long retryAfterMillis;

  public UpstreamException(String generator, Kind kind, String message, long retryAfterMillis) {
    super(message, null, false, false); // no stack: these are expected, frequent and logged by kind
    this.generator = generator;
    this.kind = kind;
    this.retryAfterMillis = retryAfterMillis;
  }

  public UpstreamException(String generator, Kind kind, String message) {
    this(generator, kind, message, 0);
  }

  public String generator() {
    return generator;
  }

  public Kind kind() {
    return kind;
  }

  /** The provider's requested delay (429 {@code Retry-After}) or the breaker's remaining open time; 0 if none. */
  public long retryAfterMillis() {
    return retryAfterMillis;
  }

  /** Whole seconds for a {@code Retry-After} header: at least 1. */
  public int retryAfterSeconds() {
    return (int) Math.max(1, Math.min(3600, (retryAfterMillis + 999) / 1000));
  }

  /** Whether the breaker should count this as the upstream failing (a refusal or rejection is not). */
  public boolean countsAgainstUpstream() {
    return kind == Kind.UNAVAILABLE || kind == Kind.TIMEOUT || kind == Kind.AUTH;
  }
}
