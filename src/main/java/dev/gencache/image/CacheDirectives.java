package dev.gencache.image;

import java.util.Locale;

/**
 * The request {@code Cache-Control} directives gencache honours (RFC 9111 §5.2.1).
 *
 * @param noCache      regenerate and replace the entry
 * @param noStore      do not store what is generated
 * @param onlyIfCached answer from the cache or fail (504)
 * @param maxAgeSeconds accept an entry at most this old, or -1
 * @param maxStaleSeconds accept an entry expired by at most this long (within its stale window), or -1;
 *                     {@link Long#MAX_VALUE} for a bare {@code max-stale}
 * @param minFreshSeconds require the entry to stay fresh at least this long, or -1
 */
public record CacheDirectives(
    boolean noCache, boolean noStore, boolean onlyIfCached, long maxAgeSeconds, long maxStaleSeconds,
    long minFreshSeconds) {

  public static final CacheDirectives NONE = new CacheDirectives(false, false, false, -1, -1, -1);

  /** Parses a {@code Cache-Control} header (and {@code Pragma: no-cache} when it is absent). Never throws. */
  public static CacheDirectives parse(String cacheControl, String pragma) {
    if (cacheControl == null || cacheControl.isBlank()) {
      boolean pragmaNoCache = pragma != null && pragma.toLowerCase(Locale.ROOT).contains("no-cache");
      return pragmaNoCache ? new CacheDirectives(true, false, false, -1, -1, -1) : NONE;
    }
    boolean noCache = false;
    boolean noStore = false;
    boolean onlyIfCached = false;
    long maxAge = -1;
    long maxStale = -1;
    long minFresh = -1;
    for (String part : cacheControl.split(",")) {
      String d = part.trim().toLowerCase(Locale.ROOT);
      int eq = d.indexOf('=');
      String name = eq < 0 ? d : d.substring(0, eq).trim();
      String arg = eq < 0 ? null : d.substring(eq + 1).trim().replace("\"", "");
      switch (name) {
        case "no-cache" -> noCache = true;
        case "no-store" -> noStore = true;
        case "only-if-cached" -> onlyIfCached = true;
        case "max-age" -> maxAge = seconds(arg, maxAge);
        case "max-stale" -> maxStale = arg == null ? Long.MAX_VALUE : seconds(arg, maxStale);
        case "min-fresh" -> minFresh = seconds(arg, minFresh);
        default -> { } // unknown directives are ignored, as RFC 9111 requires
      }
    }
    return new CacheDirectives(noCache, noStore, onlyIfCached, maxAge, maxStale, minFresh);
  }

  private static long seconds(String arg, long previous) {
    if (arg == null || !arg.matches("\\d{1,18}")) {
      return previous; // an invalid value is ignored rather than failing the request
    }
    return Long.parseLong(arg);
  }
}
