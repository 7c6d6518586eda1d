package dev.gencache.cluster.invalidation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.image.InvalidRequestException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class InvalidationRequestTest {
  @Test
  void parsesAndNormalisesEveryCriterion() {
    String id = "a".repeat(64);
    InvalidationRequest r = InvalidationRequest.parse(new JsonObject().put("ids", new io.vertx.core.json.JsonArray()
            .add(id).add(id)).put("tags", new io.vertx.core.json.JsonArray().add("promo-2026-11"))
        .put("prompt", "  a red\nfox ").put("prompt_prefix", "summer  "), false);
    assertThat(r.ids()).containsExactly(id);
    assertThat(r.tags()).containsExactly("promo-2026-11");
    assertThat(r.prompt()).isEqualTo("a red fox");
    assertThat(r.promptPrefix()).isEqualTo("summer");
    assertThat(InvalidationRequest.fromJson(r.toJson())).isEqualTo(r);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{}|at least one of",
      "{\"ids\":[\"xyz\"]}|not 64 lowercase hex",
      "{\"keys\":\"abc\"}|keys must be an array",
      "{\"tags\":[\"bad tag\"]}|not a valid tag",
      "{\"tags\":[1]}|tags must be an array of strings",
      "{\"prompt\":\"   \"}|prompt must be 1..4000",
      "{\"prompt_prefix\":7}|prompt_prefix must be a string",
  })
  void rejectsBadRequests(String body, String message) {
    assertThatThrownBy(() -> InvalidationRequest.parse(new JsonObject(body), false))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining(message);
  }

  @Test
  void likePatternsEscapeWildcards() {
    assertThat(InvalidationService.escapeLike("50%_off\\")).isEqualTo("50\\%\\_off\\\\");
  }
}
