package dev.gencache.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a request key maps to: the content ids of its images and the entry's life. Fresh until
 * {@code expiresAt}; servable as stale until {@code staleUntil}; gone after.
 *
 * @param contentIds       one per image, in request order
 * @param prompt           the normalised prompt (for invalidation by prompt and for stats)
 * @param generationMillis how long the generation took
 * @param cost             what the generation cost upstream, in the configured currency
 */
public record CacheEntry(
    List<String> contentIds,
    String prompt,
    Instant createdAt,
    Instant expiresAt,
    Instant staleUntil,
    List<String> tags,
    String generator,
    String model,
    long generationMillis,
    double cost) {

  public CacheEntry {
    contentIds = List.copyOf(contentIds);
    tags = List.copyOf(tags);
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(staleUntil, "staleUntil");
    if (contentIds.isEmpty()) {
      throw new IllegalArgumentException("an entry holds at least one image");
    }
    if (expiresAt.isBefore(createdAt) || staleUntil.isBefore(expiresAt)) {
      throw new IllegalArgumentException("need createdAt <= expiresAt <= staleUntil");
    }
  }

  public boolean isFresh(Instant now) {
    return now.isBefore(expiresAt);
  }

  public boolean isServable(Instant now) {
    return now.isBefore(staleUntil);
  }

  public Duration age(Instant now) {
    Duration age = Duration.between(createdAt, now);
    return age.isNegative() ? Duration.ZERO : age;
  }

  /** Fresh lifetime, {@code expiresAt - createdAt}: the HTTP {@code max-age} next to {@code Age}. */
  public Duration lifetime() {
    return Duration.between(createdAt, expiresAt);
  }
}
