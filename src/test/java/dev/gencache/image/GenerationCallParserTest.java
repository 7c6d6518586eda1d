package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class GenerationCallParserTest {
  private final GenerationCallParser parser =
      new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false, Duration.ofDays(30));

  @Test
  void readsEveryField() {
    GenerationCall call = parser.parse(new JsonObject("{\"prompt\":\" fox \",\"negative_prompt\":\"blur\","
        + "\"size\":\"640x480\",\"quality\":\"HD\",\"style\":\"vivid\",\"seed\":42,\"n\":3,\"output_format\":\"jpeg\","
        + "\"output_compression\":80,\"background\":\"opaque\",\"response_format\":\"b64_json\",\"ttl_seconds\":600,"
        + "\"tags\":[\"promo-2026-11\",\"cat:shoes\",\"promo-2026-11\"]}"));
    ImageRequest r = call.request();
    assertThat(r).isEqualTo(new ImageRequest("embedded", "embedded", "fox", "blur", new ImageSize(640, 480), "hd",
        "vivid", 42L, 3, OutputFormat.JPEG, 80, "opaque"));
    assertThat(call.responseFormat()).isEqualTo(ResponseFormat.B64_JSON);
    assertThat(call.ttl()).isEqualTo(Duration.ofSeconds(600));
    assertThat(call.tags()).containsExactly("promo-2026-11", "cat:shoes");
  }

  @Test
  void appliesDefaults() {
    GenerationCall call = parser.parse(new JsonObject().put("prompt", "fox"));
    assertThat(call.request().size()).isEqualTo(new ImageSize(1024, 1024));
    assertThat(call.request().n()).isEqualTo(1);
    assertThat(call.request().outputFormat()).isEqualTo(OutputFormat.PNG);
    assertThat(call.request().seed()).isNull();
    assertThat(call.responseFormat()).isEqualTo(ResponseFormat.URL);
    assertThat(call.ttl()).isNull();
    assertThat(call.tags()).isEmpty();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{}|prompt is required",
      "{\"prompt\":null}|prompt is required",
      "{\"prompt\":\"   \"}|prompt must not be empty",
      "{\"prompt\":5}|prompt must be a string",
      "{\"prompt\":[\"a\"]}|prompt must be a string",
      "{\"prompt\":\"p\",\"n\":0}|n must be within 1..4",
      "{\"prompt\":\"p\",\"n\":5}|n must be within 1..4",
      "{\"prompt\":\"p\",\"n\":\"2\"}|n must be an integer",
      "{\"prompt\":\"p\",\"n\":1.5}|n must be an integer",
      "{\"prompt\":\"p\",\"n\":true}|n must be an integer",
      "{\"prompt\":\"p\",\"size\":\"63x64\"}|size must be WxH",
      "{\"prompt\":\"p\",\"size\":\"2049x1024\"}|size must be WxH",
      "{\"prompt\":\"p\",\"size\":\"big\"}|size must look like",
      "{\"prompt\":\"p\",\"size\":1024}|size must be a string",
      "{\"prompt\":\"p\",\"seed\":-1}|seed must be within",
      "{\"prompt\":\"p\",\"seed\":\"7\"}|seed must be an integer",
      "{\"prompt\":\"p\",\"model\":\"dall-e-3\"}|model \"dall-e-3\" is not served here",
      "{\"prompt\":\"p\",\"response_format\":\"xml\"}|response_format must be url or b64_json",
      "{\"prompt\":\"p\",\"output_format\":\"webp\"}|output_format must be one of png, jpeg",
      "{\"prompt\":\"p\",\"output_compression\":101,\"output_format\":\"jpeg\"}|output_compression must be within 0..100",
      "{\"prompt\":\"p\",\"background\":\"green\"}|background must be one of",
      "{\"prompt\":\"p\",\"quality\":\"very high\"}|quality must be a single word",
      "{\"prompt\":\"p\",\"style\":7}|style must be a string",
      "{\"prompt\":\"p\",\"ttl_seconds\":0}|ttl_seconds must be within 1..2592000",
      "{\"prompt\":\"p\",\"ttl_seconds\":2592001}|ttl_seconds must be within 1..2592000",
      "{\"prompt\":\"p\",\"tags\":\"promo\"}|tags must be an array of strings",
      "{\"prompt\":\"p\",\"tags\":[\"has space\"]}|each tag must be",
      "{\"prompt\":\"p\",\"tags\":[7]}|each tag must be",
      "{\"prompt\":\"p\",\"tags\":[\"-x\"]}|each tag must be",
  })
  void rejectsBadInputNamingTheField(String body, String message) {
    assertThatThrownBy(() -> parser.parse(new JsonObject(body)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining(message);
  }

  @Test
  void limitsPromptLength() {
    assertThat(parser.parse(new JsonObject().put("prompt", "x".repeat(4000))).request().prompt()).hasSize(4000);
    assertThatThrownBy(() -> parser.parse(new JsonObject().put("prompt", "x".repeat(4001))))
        .hasMessageContaining("at most 4000");
  }

  @Test
  void limitsTagCount() {
    List<String> tags = java.util.stream.IntStream.range(0, 17).mapToObj(i -> "t" + i).toList();
    assertThatThrownBy(() -> parser.parse(new JsonObject().put("prompt", "p").put("tags", tags)))
        .hasMessageContaining("at most 16");
  }

  @Test
  void queryStringRejectsRepeatsAndBadNumbers() {
    assertThatThrownBy(() -> parser.parse(MultiMap.caseInsensitiveMultiMap().add("prompt", "a").add("prompt", "b")))
        .hasMessageContaining("more than once");
    assertThatThrownBy(() -> parser.parse(MultiMap.caseInsensitiveMultiMap().add("prompt", "a").add("n", "two")))
        .hasMessageContaining("n must be an integer");
    assertThatThrownBy(() -> parser.parse(MultiMap.caseInsensitiveMultiMap().add("prompt", "a")
        .add("seed", "99999999999999999999"))).hasMessageContaining("seed");
    assertThat(parser.parse(MultiMap.caseInsensitiveMultiMap().add("prompt", "a").add("tags", "x, y")).tags())
        .containsExactly("x", "y");
  }
}
