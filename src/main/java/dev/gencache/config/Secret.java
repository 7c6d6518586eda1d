package dev.gencache.config;

import java.util.Objects;

/**
 * A credential read from the environment. {@link #toString()} never shows it, so a secret inside a
 * config record cannot reach a log line, an error or a status page by accident.
 */
public final class Secret {
  private final String value;

  public Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  /** The credential itself: only for the header that carries it upstream. */
  public String reveal() {
    return value;
  }

  /** {@code text} with every occurrence of this secret masked (providers echo keys in error bodies). */
  public String redact(String text) {
    if (text == null || value.length() < 4) {
      return text;
    }
    return text.replace(value, "***");
  }

  @Override
  public String toString() {
    return "***";
  }
}
