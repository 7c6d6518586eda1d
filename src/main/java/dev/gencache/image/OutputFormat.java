package dev.gencache.image;

import java.util.Locale;

/** Encodings a generated image can be stored in. */
public enum OutputFormat {
  PNG("png", "image/png"),
  JPEG("jpeg", "image/jpeg");

  private final String wireName;
  private final String mediaType;

  OutputFormat(String wireName, String mediaType) {
    this.wireName = wireName;
    this.mediaType = mediaType;
  }

  public String wireName() {
    return wireName;
  }

  public String mediaType() {
    return mediaType;
  }

  /** Accepts {@code png}, {@code jpeg} and {@code jpg}, in any case. */
  public static OutputFormat parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    return switch (t) {
      case "png" -> PNG;
      case "jpeg", "jpg" -> JPEG;
      default -> throw new IllegalArgumentException(
          "output_format must be one of png, jpeg; was \"" + text + "\"");
    };
  }
}
