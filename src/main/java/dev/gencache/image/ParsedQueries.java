package dev.gencache.image;

import io.vertx.core.MultiMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Remembers the request a prompt URL's query string parsed to. Parsing (decoding, Unicode
 * normalisation, the canonical key and its SHA-256) costs about fifty times the near-cache reads of
 * a hit, and a popular prompt URL is asked for over and over; the parse is a pure function of the
 * query, so its result can be reused as is. Bounded: when full it starts over.
 */
public final class ParsedQueries {
  private final GenerationCallParser parser;
  private final int maxEntries;
  private final ConcurrentHashMap<String, GenerationCall> calls = new ConcurrentHashMap<>();

  public ParsedQueries(GenerationCallParser parser, int maxEntries) {
    this.parser = parser;
    this.maxEntries = maxEntries;
  }

  /**
   * The call for {@code rawQuery} (the undecoded query string); {@code params} parses it on a miss.
   * Invalid queries throw as the parser does and are not remembered.
   */
  public GenerationCall parse(String rawQuery, Supplier<MultiMap> params) {
    if (rawQuery == null || maxEntries == 0) {
      return parser.parse(params.get());
    }
    GenerationCall call = calls.get(rawQuery);
    if (call == null) {
      call = parser.parse(params.get());
      if (calls.size() >= maxEntries) {
        calls.clear(); // cheaper than LRU bookkeeping on every hit; the popular ones come straight back
      }
      calls.put(rawQuery, call);
    }
    return call;
  }

  /** The call {@code rawQuery} parsed to before, or {@code null}: never parses. */
  public GenerationCall known(String rawQuery) {
    return rawQuery == null ? null : calls.get(rawQuery);
  }

  int size() {
    return calls.size();
  }
}
