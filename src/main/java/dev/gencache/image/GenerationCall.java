package dev.gencache.image;

import java.time.Duration;
import java.util.List;

/**
 * One validated generation request: the pixel-changing part ({@link #request()}, which makes the key)
 * plus what only shapes the answer or the cache entry.
 *
 * @param request        the normalised request
 * @param key            its cache key
 * @param responseFormat url only, or url plus base64 bytes
 * @param ttl            requested time to live, or {@code null} for the generator default
 * @param tags           purge tags for the entry (may be empty)
 */
public record GenerationCall(
    ImageRequest request, RequestKey key, ResponseFormat responseFormat, Duration ttl, List<String> tags) {

  public GenerationCall {
    tags = List.copyOf(tags);
  }
}
