package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerHeadersTest {
  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  private static final String KEY = "k".repeat(64);
  private final ImageBlob image = new ImageBlob("a".repeat(64), new byte[1234], "image/png", 8, 8, T0);

  private static CacheEntry entry(long ttlSeconds, long staleSeconds, List<String> tags, String contentId) {
    Instant expires = T0.plusSeconds(ttlSeconds);
    return new CacheEntry(List.of(contentId), "a fox", T0, expires, expires.plusSeconds(staleSeconds), tags, "embedded",
        "m", 5, 0.04);
  }

  @Test
  void entryValuesFollowTheEntryTheyWereBuiltFrom() {
    AnswerHeaders headers = new AnswerHeaders(100);
    CacheEntry entry = entry(3600, 60, List.of(), image.id());

    AnswerHeaders.OfEntry first = headers.of(KEY, entry, image);
    assertThat(first.cacheControl().toString()).isEqualTo("public, max-age=3600, stale-while-revalidate=60, stale-if-error=60");
    assertThat(first.surrogateKey().toString()).isEqualTo(KEY + " " + image.id());
    assertThat(first.cacheTag().toString()).isEqualTo(KEY + "," + image.id());
    assertThat(first.key().toString()).isEqualTo(KEY);
    assertThat(headers.of(KEY, entry, image)).as("same entry: reused").isSameAs(first);
    assertThat(headers.of(KEY, entry(3600, 60, List.of(), image.id()), image))
        .as("an equal entry read again (another instance)").isSameAs(first);

    AnswerHeaders.OfEntry refreshed = headers.of(KEY, entry(7200, 60, List.of(), image.id()), image);
    assertThat(refreshed.cacheControl().toString()).isEqualTo("public, max-age=7200, stale-while-revalidate=60, stale-if-error=60");
    AnswerHeaders.OfEntry tagged = headers.of(KEY, entry(7200, 60, List.of("red", "fox"), image.id()), image);
    assertThat(tagged.surrogateKey().toString()).isEqualTo(KEY + " " + image.id() + " red fox");
    assertThat(tagged.cacheTag().toString()).isEqualTo(KEY + "," + image.id() + ",red,fox");

    ImageBlob other = new ImageBlob("b".repeat(64), new byte[10], "image/webp", 8, 8, T0);
    assertThat(headers.of(KEY, entry(7200, 60, List.of("red", "fox"), other.id()), other).surrogateKey().toString())
        .isEqualTo(KEY + " " + other.id() + " red fox");
  }

  @Test
  void imageValuesComeFromTheContentId() {
    AnswerHeaders headers = new AnswerHeaders(100);
    AnswerHeaders.OfImage values = headers.of(image);
    assertThat(values.etag().toString()).isEqualTo("\"" + image.id() + "\"");
    assertThat(values.contentType().toString()).isEqualTo("image/png");
    assertThat(values.contentLength().toString()).isEqualTo("1234");
    assertThat(values.contentLocation().toString()).isEqualTo("/v1/images/" + image.id());
    assertThat(headers.of(image)).isSameAs(values);
  }

  @Test
  void startsOverWhenFull() {
    AnswerHeaders headers = new AnswerHeaders(2);
    for (int i = 0; i < 5; i++) {
      headers.of(new ImageBlob(Integer.toString(i).repeat(64), new byte[1], "image/png", 1, 1, T0));
    }
    assertThat(headers.size()).isBetween(1, 2);
    assertThat(new AnswerHeaders(0).of(image).etag().toString()).isEqualTo("\"" + image.id() + "\"");
  }
}
