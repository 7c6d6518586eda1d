package dev.gencache.store;

import java.time.Instant;
import java.util.Objects;

/**
 * Stored image content under its content id (lowercase hex SHA-256 of {@code bytes}). Content never
 * changes under an id. The array is shared by every reader of a near-cached blob: never mutate it.
 */
public record ImageBlob(String id, byte[] bytes, String mediaType, int width, int height, Instant createdAt) {
  public ImageBlob {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
