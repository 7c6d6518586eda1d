package dev.gencache.generate;

/** A generator could not produce the images (HTTP 502). The message is safe to show to clients. */
public final class GenerationFailedException extends RuntimeException {
  public GenerationFailedException(String generator, Throwable cause) {
    super("generator " + generator + " failed", cause);
  }
}
