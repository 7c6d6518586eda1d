package dev.gencache.cluster.invalidation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import dev.gencache.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class FencesTest {
  private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");
  private static final String KEY = "k".repeat(64);
  private static final String ID = "a".repeat(64);
  private final ManualClock clock = new ManualClock(T);
  private final Fences fences = new Fences(clock, Duration.ofMinutes(10));

  private static CacheEntry entry(Instant created, String prompt, List<String> tags) {
    return new CacheEntry(List.of(ID), prompt, created, created.plusSeconds(60), created.plusSeconds(120), tags,
        "embedded", "embedded", 1, 0);
  }

  private static Invalidation inv(Instant fence, List<String> keys, List<String> ids, List<String> tags, String prompt,
      String prefix) {
    return new Invalidation(1, 1, fence, keys, ids, tags, prompt, prefix, "leader");
  }

  @Test
  void entriesCreatedUpToTheFenceAreBlockedLaterOnesAreNot() {
    fences.record(inv(T, List.of(KEY), List.of(), List.of(), null, null));
    assertThat(fences.blocks(KEY, entry(T.minusSeconds(1), "p", List.of()))).isTrue();
    assertThat(fences.blocks(KEY, entry(T, "p", List.of()))).isTrue();
    assertThat(fences.blocks(KEY, entry(T.plusMillis(1), "p", List.of()))).isFalse();
    assertThat(fences.blocks("other".repeat(13), entry(T.minusSeconds(1), "p", List.of()))).isFalse();
  }

  @Test
  void tagsPromptsPrefixesAndContentIdsFenceToo() {
    Instant before = T.minusSeconds(5);
    fences.record(inv(T, List.of(), List.of(), List.of("promo"), null, null));
    assertThat(fences.blocks(KEY, entry(before, "p", List.of("x", "promo")))).isTrue();
    assertThat(fences.blocks(KEY, entry(before, "p", List.of("x")))).isFalse();

    fences.record(inv(T, List.of(), List.of(), List.of(), "a red fox", null));
    assertThat(fences.blocks(KEY, entry(before, "a red fox", List.of()))).isTrue();
    assertThat(fences.blocks(KEY, entry(before, "a red fox 2", List.of()))).isFalse();

    fences.record(inv(T, List.of(), List.of(), List.of(), null, "summer "));
    assertThat(fences.blocks(KEY, entry(before, "summer sale banner", List.of()))).isTrue();
    assertThat(fences.blocks(KEY, entry(before, "winter sale", List.of()))).isFalse();

    fences.record(inv(T, List.of(), List.of(ID), List.of(), null, null));
    assertThat(fences.blocks(new ImageBlob(ID, new byte[1], "image/png", 1, 1, before))).isTrue();
    assertThat(fences.blocks(new ImageBlob(ID, new byte[1], "image/png", 1, 1, T.plusSeconds(1)))).isFalse();
    assertThat(fences.blocks(KEY, entry(before, "anything", List.of()))).isTrue(); // entry points at purged content
  }

  @Test
  void fencesAreDroppedAfterTheRetention() {
    fences.record(inv(T, List.of(KEY), List.of(), List.of("t"), "p", "pre"));
    fences.prune();
    assertThat(fences.size()).isEqualTo(4);
    clock.advance(Duration.ofMinutes(11));
    fences.prune();
    assertThat(fences.size()).isZero();
  }
}
