package dev.gencache.image;

/** How a JSON response carries images: a content URL always, plus base64 bytes for {@code B64_JSON}. */
public enum ResponseFormat {
  URL,
  B64_JSON
}
