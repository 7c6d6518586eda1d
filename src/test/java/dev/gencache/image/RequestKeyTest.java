package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestKeyTest {
  private final GenerationCallParser parser = parser(false);

  private static GenerationCallParser parser(boolean lowercase) {
    return new GenerationCallParser(Map.of("embedded", "embedded", "gencache-embedded", "embedded"), "embedded",
        lowercase, Duration.ofDays(30));
  }

  private String key(String json) {
    return parser.parse(new JsonObject(json)).key().hex();
  }

  private static final String FOX = "{\"prompt\":\"a red fox in the snow\",\"size\":\"512x512\"}";

  @Test
  void keyIsLowercaseHexSha256() {
    assertThat(RequestKey.isWellFormed(key(FOX))).isTrue();
  }

  @Test
  void canonicalFormIsStable() {
    // Changing the rule (field order, defaults, normalisation) changes every key in a running cluster:
    // this pins it. Update deliberately, together with RequestKey.VERSION.
    String canonical = new JsonArray().add("gencache-key-v1").add("embedded").add("embedded")
        .add("a red fox in the snow").addNull().add("512x512").addNull().addNull().addNull().add(1).add("png")
        .addNull().addNull().encode();
    assertThat(key(FOX)).isEqualTo(RequestKey.sha256Hex(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "  a red fox in the snow  ",
      "a red  fox in the snow",
      "a red\tfox\nin the\r\nsnow",
      "a\u00a0red fox\u2003in the snow",
  })
  void whitespaceIsTrimmedAndCollapsed(String prompt) {
    assertThat(key(new JsonObject().put("prompt", prompt).put("size", "512x512").encode())).isEqualTo(key(FOX));
  }

  @Test
  void unicodeIsNfcNormalised() {
    String composed = "caf\u00e9 at night";
    String decomposed = "cafe\u0301 at night";
    assertThat(key(new JsonObject().put("prompt", decomposed).encode()))
        .isEqualTo(key(new JsonObject().put("prompt", composed).encode()));
  }

  @Test
  void caseIsKeptUnlessConfigured() {
    String upper = "{\"prompt\":\"A Red Fox\"}";
    String lower = "{\"prompt\":\"a red fox\"}";
    assertThat(key(upper)).isNotEqualTo(key(lower));
    GenerationCallParser folding = parser(true);
    assertThat(folding.parse(new JsonObject(upper)).key()).isEqualTo(folding.parse(new JsonObject(lower)).key());
  }

  @Test
  void fieldsThatDoNotChangePixelsAreExcluded() {
    String withExtras = "{\"prompt\":\"a red fox in the snow\",\"size\":\"512x512\",\"user\":\"alice\","
        + "\"response_format\":\"b64_json\",\"ttl_seconds\":60,\"tags\":[\"promo\"],\"request_id\":\"r-1\","
        + "\"unknown_field\":{\"x\":1}}";
    assertThat(key(withExtras)).isEqualTo(key(FOX));
  }

  @Test
  void equivalentSpellingsShareAKey() {
    String base = "{\"prompt\":\"p\",\"size\":\"1024x1024\",\"output_format\":\"png\",\"model\":\"embedded\",\"n\":1}";
    assertThat(key("{\"prompt\":\"p\"}")).isEqualTo(key(base));                         // defaults
    assertThat(key("{\"prompt\":\"p\",\"size\":\"auto\"}")).isEqualTo(key(base));       // auto = default size
    assertThat(key("{\"prompt\":\"p\",\"size\":\"1024 X 1024\"}")).isEqualTo(key(base));
    assertThat(key("{\"prompt\":\"p\",\"quality\":\"auto\"}")).isEqualTo(key(base));    // auto = absent
    assertThat(key("{\"prompt\":\"p\",\"background\":\"auto\"}")).isEqualTo(key(base));
    assertThat(key("{\"prompt\":\"p\",\"quality\":\"HD\"}")).isEqualTo(key("{\"prompt\":\"p\",\"quality\":\"hd\"}"));
    assertThat(key("{\"prompt\":\"p\",\"output_format\":\"JPG\"}"))
        .isEqualTo(key("{\"prompt\":\"p\",\"output_format\":\"jpeg\"}"));
    assertThat(key("{\"prompt\":\"p\",\"output_compression\":50}")).isEqualTo(key(base)); // no effect on PNG
    assertThat(key("{\"prompt\":\"p\",\"negative_prompt\":\"  \"}")).isEqualTo(key(base));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"prompt\":\"p\",\"negative_prompt\":\"blur\"}",
      "{\"prompt\":\"p\",\"size\":\"512x512\"}",
      "{\"prompt\":\"p\",\"quality\":\"hd\"}",
      "{\"prompt\":\"p\",\"style\":\"vivid\"}",
      "{\"prompt\":\"p\",\"seed\":0}",
      "{\"prompt\":\"p\",\"n\":2}",
      "{\"prompt\":\"p\",\"output_format\":\"jpeg\"}",
      "{\"prompt\":\"p\",\"background\":\"transparent\"}",
      "{\"prompt\":\"p\",\"model\":\"gencache-embedded\"}",
      "{\"prompt\":\"P\"}",
      "{\"prompt\":\"p.\"}",
  })
  void everyPixelChangingFieldChangesTheKey(String variant) {
    assertThat(key(variant)).isNotEqualTo(key("{\"prompt\":\"p\"}"));
  }

  @Test
  void jpegCompressionChangesTheKey() {
    assertThat(key("{\"prompt\":\"p\",\"output_format\":\"jpeg\",\"output_compression\":50}"))
        .isNotEqualTo(key("{\"prompt\":\"p\",\"output_format\":\"jpeg\"}"));
  }

  @Test
  void fieldBoundariesAreUnambiguous() {
    assertThat(key("{\"prompt\":\"a\",\"negative_prompt\":\"b c\"}"))
        .isNotEqualTo(key("{\"prompt\":\"a b\",\"negative_prompt\":\"c\"}"));
  }

  @Test
  void queryStringGivesTheSameKeyAsTheBody() {
    io.vertx.core.MultiMap query = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
        .add("prompt", "a red fox in the snow").add("size", "512x512");
    assertThat(parser.parse(query).key().hex()).isEqualTo(key(FOX));
    io.vertx.core.MultiMap seeded = io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("prompt", "p").add("seed", "7");
    assertThat(parser.parse(seeded).key().hex()).isEqualTo(key("{\"prompt\":\"p\",\"seed\":7}"));
  }
}
