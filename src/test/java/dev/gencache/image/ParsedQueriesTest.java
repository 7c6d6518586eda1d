package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ParsedQueriesTest {
  private final GenerationCallParser parser =
      new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false, Duration.ofDays(30));
  private final AtomicInteger parses = new AtomicInteger();

  private MultiMap params(String prompt) {
    parses.incrementAndGet();
    return MultiMap.caseInsensitiveMultiMap().add("prompt", prompt).add("size", "64x64");
  }

  @Test
  void parsesAQueryOnceAndReusesTheCall() {
    ParsedQueries queries = new ParsedQueries(parser, 10);
    GenerationCall first = queries.parse("prompt=fox&size=64x64", () -> params("fox"));
    GenerationCall again = queries.parse("prompt=fox&size=64x64", () -> params("fox"));
    assertThat(again).isSameAs(first);
    assertThat(parses.get()).isEqualTo(1);
    assertThat(first).isEqualTo(parser.parse(params("fox")));
  }

  @Test
  void invalidQueriesFailEveryTimeAndAreNotKept() {
    ParsedQueries queries = new ParsedQueries(parser, 10);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> queries.parse("prompt=", () -> params(""))).isInstanceOf(InvalidRequestException.class);
    }
    assertThat(parses.get()).isEqualTo(2);
    assertThat(queries.size()).isZero();
  }

  @Test
  void staysWithinItsBound() {
    ParsedQueries queries = new ParsedQueries(parser, 3);
    for (int i = 0; i < 10; i++) {
      String p = "p" + i;
      queries.parse("prompt=" + p, () -> params(p));
    }
    assertThat(queries.size()).isLessThanOrEqualTo(3);
  }
}
