package dev.gencache.image;

/** The client sent something gencache will not act on; the message says what, for the client. */
public final class InvalidRequestException extends RuntimeException {
  public InvalidRequestException(String detail) {
    super(detail);
  }
}
