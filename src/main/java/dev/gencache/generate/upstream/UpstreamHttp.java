package dev.gencache.generate.upstream;

import dev.gencache.config.Secret;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** What the upstream protocols share: classifying HTTP failures, fetching image URLs, reading image bytes. */
final class UpstreamHttp {
  /** Provider messages shown to clients are cut to this many characters. */
  private static final int MAX_MESSAGE = 300;
  /** An image fetched from a URL may not exceed this (the biggest generated images are a few MB). */
  static final int MAX_IMAGE_BYTES = 32 << 20;

  private UpstreamHttp() {}

  /** A transport failure (no HTTP answer): a timeout or the upstream being unreachable. */
  static UpstreamException transportFailure(String generator, Throwable err) {
    if (err instanceof UpstreamException u) {
      return u;
    }
    boolean timeout = err instanceof TimeoutException || err.getClass().getSimpleName().contains("Timeout");
    return timeout
        ? new UpstreamException(generator, Kind.TIMEOUT, "generator " + generator + " did not answer in time")
        : new UpstreamException(generator, Kind.UNAVAILABLE, "generator " + generator + " is unreachable");
  }

  /**
   * The exception for a non-2xx answer. {@code providerMessage} is the provider's own explanation
   * (shown to clients only for refusals and rejections, redacted and cut); {@code refusal} marks a
   * content-policy refusal.
   */
  static UpstreamException forStatus(String generator, HttpResponse<Buffer> response, String providerMessage,
      boolean refusal, Secret key) {
    int status = response.statusCode();
    String said = providerMessage == null || providerMessage.isBlank() ? "" : ": " + clean(providerMessage, key);
    if (status == 429) {
      return new UpstreamException(generator, Kind.RATE_LIMITED, "generator " + generator + " is rate limiting gencache",
          retryAfterMillis(response));
    }
    if (status == 401 || status == 403) {
      // Never the provider's text here: OpenAI's 401 echoes part of the key.
      return new UpstreamException(generator, Kind.AUTH,
          "generator " + generator + " rejected gencache's credentials (HTTP " + status + "); the operator must fix its API key");
    }
    if (refusal || status == 451) {
      return new UpstreamException(generator, Kind.REFUSED, "generator " + generator + " refused the prompt" + said);
    }
    if (status >= 400 && status < 500 && status != 404 && status != 408) {
      return new UpstreamException(generator, Kind.REJECTED, "generator " + generator + " rejected the request" + said);
    }
    if (status == 408 || status == 504) {
      return new UpstreamException(generator, Kind.TIMEOUT, "generator " + generator + " timed out (HTTP " + status + ")");
    }
    return new UpstreamException(generator, Kind.UNAVAILABLE, "generator " + generator + " failed (HTTP " + status + ")");
  }

  /** {@code Retry-After} in seconds, or OpenAI's {@code retry-after-ms}; 0 when absent. */
  static long retryAfterMillis(HttpResponse<Buffer> response) {
    try {
      String ms = response.getHeader("retry-after-ms");
      if (ms != null) {
        return Math.max(0, (long) Double.parseDouble(ms.trim()));
      }
      String s = response.getHeader("Retry-After");
      if (s != null && s.trim().matches("\\d+(\\.\\d+)?")) {
        return (long) (Double.parseDouble(s.trim()) * 1000);
      }
    } catch (NumberFormatException e) {
      // an HTTP-date or garbage: use our own backoff
    }
    return 0;
  }

  /** Redacted, single-line, cut: safe to put in a problem detail. */
  static String clean(String text, Secret key) {
    String s = key == null ? text : key.redact(text);
    s = s.replaceAll("[\\r\\n\\t]+", " ").strip();
    return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "…" : s;
  }

  /** Decoded base64 image bytes, or an UNAVAILABLE failure naming what was wrong. */
  static byte[] decodeBase64(String generator, String b64) {
    if (b64 == null || b64.isEmpty()) {
      throw new UpstreamException(generator, Kind.UNAVAILABLE, "generator " + generator + " answered without an image");
    }
    try {
      int comma = b64.startsWith("data:") ? b64.indexOf(',') : -1; // tolerate data: URLs
      return Base64.getMimeDecoder().decode(comma >= 0 ? b64.substring(comma + 1) : b64);
    } catch (IllegalArgumentException e) {
      throw new UpstreamException(generator, Kind.UNAVAILABLE, "generator " + generator + " answered with invalid base64");
    }
  }

  /** Fetches an image URL the provider handed out (without our credentials: it is another host). */
  static Future<byte[]> fetch(WebClient client, String generator, String url, long timeoutMillis) {
    if (url == null || !(url.startsWith("https://") || url.startsWith("http://"))) {
      return Future.failedFuture(new UpstreamException(generator, Kind.UNAVAILABLE,
          "generator " + generator + " answered without a usable image URL"));
    }
    return client.getAbs(url).timeout(Math.max(1, timeoutMillis)).send()
        .recover(err -> Future.failedFuture(transportFailure(generator, err)))
        .compose(r -> {
          if (r.statusCode() != 200 || r.body() == null) {
            return Future.failedFuture(new UpstreamException(generator, Kind.UNAVAILABLE,
                "fetching the image generator " + generator + " produced failed (HTTP " + r.statusCode() + ")"));
          }
          if (r.body().length() > MAX_IMAGE_BYTES) {
            return Future.failedFuture(new UpstreamException(generator, Kind.UNAVAILABLE,
                "the image generator " + generator + " produced is larger than " + (MAX_IMAGE_BYTES >> 20) + " MB"));
          }
          return Future.succeededFuture(r.body().getBytes());
        });
  }

  /** The media type from the bytes themselves (providers' Content-Type headers are not always right). */
  static String mediaType(String generator, byte[] bytes) {
    if (bytes.length > 8 && (bytes[0] & 0xff) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G') {
      return "image/png";
    }
    if (bytes.length > 3 && (bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xd8 && (bytes[2] & 0xff) == 0xff) {
      return "image/jpeg";
    }
    if (bytes.length > 12 && new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("RIFF")
        && new String(bytes, 8, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("WEBP")) {
      return "image/webp";
    }
    if (bytes.length > 6 && new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT).equals("GIF8")) {
      return "image/gif";
    }
    throw new UpstreamException(generator, Kind.UNAVAILABLE, "generator " + generator + " answered with something that is not an image");
  }
}
