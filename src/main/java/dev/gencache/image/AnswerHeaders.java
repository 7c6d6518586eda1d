package dev.gencache.image;

import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import io.netty.util.AsciiString;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The header values of an image answer that do not change from one hit to the next, built once and
 * reused: string concatenation, joining the tags and Netty's per-character encoding of each value
 * showed in the hit path's profile. Values are ASCII strings, which the response encoder copies in
 * bulk. An image's values depend on its content id alone (content never changes under an id). An
 * entry's are used only while the entry still has the times, tags and first image they were built
 * from, so a refreshed or re-tagged entry gets new ones. No memo holds an entry or image bytes, and
 * both are bounded: when full they start over, as {@link ParsedQueries} does.
 */
final class AnswerHeaders {
  /** Per stored entry: its key and how caches may keep it. */
  record OfEntry(AsciiString key, AsciiString cacheControl, AsciiString surrogateKey, AsciiString cacheTag) {}

  /** Per image: validator, type, length and content URL. */
  record OfImage(AsciiString etag, AsciiString contentType, AsciiString contentLength, AsciiString contentLocation) {}

  /** What an entry's values are derived from. */
  private record EntryMemo(Instant createdAt, Instant expiresAt, Instant staleUntil, List<String> tags, String imageId,
      OfEntry values) {
    boolean builtFrom(CacheEntry entry, ImageBlob image) {
      return imageId.equals(image.id()) && expiresAt.equals(entry.expiresAt()) && createdAt.equals(entry.createdAt())
          && staleUntil.equals(entry.staleUntil()) && tags.equals(entry.tags());
    }
  }

  private final int maxEntries;
  private final ConcurrentHashMap<String, EntryMemo> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, OfImage> images = new ConcurrentHashMap<>();

  AnswerHeaders(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** The values for a stored result whose first image is {@code image}. */
  OfEntry of(String key, CacheEntry entry, ImageBlob image) {
    EntryMemo memo = entries.get(key);
    if (memo != null && memo.builtFrom(entry, image)) {
      return memo.values();
    }
    // max-age is the whole fresh lifetime: next to Age, a cache derives the remaining TTL (RFC 9111 §4.2).
    long swr = Duration.between(entry.expiresAt(), entry.staleUntil()).toSeconds();
    String cacheControl = "public, max-age=" + entry.lifetime().toSeconds()
        + ", stale-while-revalidate=" + swr + ", stale-if-error=" + swr;
    String keys = key + " " + image.id() + (entry.tags().isEmpty() ? "" : " " + String.join(" ", entry.tags()));
    OfEntry values = new OfEntry(AsciiString.cached(key), AsciiString.cached(cacheControl), AsciiString.cached(keys),
        AsciiString.cached(keys.replace(' ', ',')));
    remember(entries, key, new EntryMemo(entry.createdAt(), entry.expiresAt(), entry.staleUntil(), entry.tags(),
        image.id(), values));
    return values;
  }

  /** The values for {@code image}. */
  OfImage of(ImageBlob image) {
    OfImage known = images.get(image.id());
    if (known != null) {
      return known;
    }
    OfImage values = new OfImage(AsciiString.cached("\"" + image.id() + "\""), AsciiString.cached(image.mediaType()),
        AsciiString.cached(Integer.toString(image.bytes().length)), AsciiString.cached("/v1/images/" + image.id()));
    remember(images, image.id(), values);
    return values;
  }

  private <V> void remember(ConcurrentHashMap<String, V> memo, String key, V value) {
    if (maxEntries == 0) {
      return;
    }
    if (memo.size() >= maxEntries) {
      memo.clear(); // cheaper than LRU bookkeeping on every hit; the popular ones come straight back
    }
    memo.put(key, value);
  }

  int size() {
    return entries.size() + images.size();
  }
}
