package dev.gencache.image;

/** {@code only-if-cached} and nothing usable is cached (HTTP 504, RFC 9111 §5.2.1.7). */
public final class NotCachedException extends RuntimeException {
  public NotCachedException() {
    super("the image is not cached and the request asked for only-if-cached");
  }
}
