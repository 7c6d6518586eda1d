package dev.gencache.generate;

/** The generator's bounded queue is full; the caller should retry after {@link #retryAfterSeconds()}. */
public final class GeneratorBusyException extends RuntimeException {
  private final int retryAfterSeconds;

  public GeneratorBusyException(String generator, int retryAfterSeconds) {
    super("generator " + generator + " is at capacity");
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
