package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CacheEntryJsonTest {
  private final Instant created = Instant.parse("2026-11-23T10:15:30.123Z");

  @Test
  void roundTripsEveryField() {
    CacheEntry entry = new CacheEntry(List.of("a".repeat(64), "b".repeat(64)), "a red fox", created,
        created.plusSeconds(60), created.plusSeconds(120), List.of("t1", "t2"), "openai", "gpt-image-1", 2345, 0.08);
    assertThat(CacheEntryJson.fromJson(CacheEntryJson.toJson(entry))).isEqualTo(entry);
  }

  @Test
  void roundTripsAnEntryWithoutGeneratorOrModel() {
    CacheEntry entry = new CacheEntry(List.of("c".repeat(64)), "p", created, created, created, List.of(), null, null,
        0, 0.0);
    assertThat(CacheEntryJson.fromJson(CacheEntryJson.toJson(entry))).isEqualTo(entry);
  }

  @Test
  void keepsMillisecondsLikeTheStore() {
    Instant precise = Instant.parse("2026-11-23T10:15:30.123456789Z");
    CacheEntry entry = new CacheEntry(List.of("c".repeat(64)), "p", precise, precise, precise, List.of(), null, null,
        0, 0.0);
    assertThat(CacheEntryJson.fromJson(CacheEntryJson.toJson(entry)).createdAt())
        .isEqualTo(Instant.parse("2026-11-23T10:15:30.123Z"));
  }

  @Test
  void rejectsJsonItDidNotWrite() {
    assertThatThrownBy(() -> CacheEntryJson.fromJson(new JsonObject().put("prompt", "x")))
        .isInstanceOf(RuntimeException.class);
  }
}
