package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheDirectivesTest {
  @Test
  void noHeaderMeansNoDirectives() {
    assertThat(CacheDirectives.parse(null, null)).isEqualTo(CacheDirectives.NONE);
  }

  @Test
  void readsEachDirectiveCaseInsensitively() {
    CacheDirectives d = CacheDirectives.parse("No-Cache, NO-STORE, only-if-cached, max-age=60, max-stale=30, min-fresh=5",
        null);
    assertThat(d).isEqualTo(new CacheDirectives(true, true, true, 60, 30, 5));
  }

  @Test
  void bareMaxStaleAcceptsAnyStaleness() {
    assertThat(CacheDirectives.parse("max-stale", null).maxStaleSeconds()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void quotedAndInvalidValues() {
    assertThat(CacheDirectives.parse("max-age=\"10\"", null).maxAgeSeconds()).isEqualTo(10);
    assertThat(CacheDirectives.parse("max-age=ten, max-stale=-3", null)).isEqualTo(CacheDirectives.NONE);
    assertThat(CacheDirectives.parse("private, foo=bar", null)).isEqualTo(CacheDirectives.NONE);
  }

  @Test
  void pragmaNoCacheOnlyWithoutCacheControl() {
    assertThat(CacheDirectives.parse(null, "no-cache").noCache()).isTrue();
    assertThat(CacheDirectives.parse("max-age=5", "no-cache").noCache()).isFalse();
  }

  @Test
  void entityTagsUseWeakComparison() {
    String id = "a".repeat(64);
    assertThat(EntityTags.matches("\"" + id + "\"", id)).isTrue();
    assertThat(EntityTags.matches("W/\"" + id + "\"", id)).isTrue();
    assertThat(EntityTags.matches("\"x\", \"" + id + "\"", id)).isTrue();
    assertThat(EntityTags.matches("*", id)).isTrue();
    assertThat(EntityTags.matches("\"" + "b".repeat(64) + "\"", id)).isFalse();
    assertThat(EntityTags.matches(id, id)).isFalse(); // unquoted is not an entity tag
    assertThat(EntityTags.matches(null, id)).isFalse();
  }
}
