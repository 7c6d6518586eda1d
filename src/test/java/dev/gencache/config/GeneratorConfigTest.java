package dev.gencache.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.config.GeneratorSpec.ResponseKind;
import dev.gencache.config.GeneratorSpec.Type;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorConfigTest {
  private static final String KEY = "sk-live-abcdefghijklmnop";
  @TempDir
  Path dir;

  private GencacheConfig load(String yaml, Map<String, String> env) throws IOException {
    Path file = dir.resolve("gencache.yaml");
    Files.writeString(file, yaml);
    return ConfigLoader.load(file, env);
  }

  private static final String FULL = """
      generators:
        - name: openai
          type: openai
          base-url: https://api.openai.com/
          api-key-env: OPENAI_API_KEY
          models: [gpt-image-1, dall-e-3]
          price-per-image: 0.04
          prices: {"1024x1024/hd": 0.08, "1792x1024": 0.12}
          timeout: PT90S
          max-concurrency: 8
        - name: origin
          type: http
          base-url: http://127.0.0.1:9000
          method: GET
          path: /generate?prompt={prompt}&w={width}&h={height}
          headers: {X-Api-Key: "${ORIGIN_KEY}", X-Client: gencache}
          response: image
          retries: 0
          breaker-reset: 10
      """;

  @Test
  void readsEveryKeyAndTakesCredentialsFromTheEnvironment() throws IOException {
    GencacheConfig config = load(FULL, Map.of("OPENAI_API_KEY", KEY, "ORIGIN_KEY", "k-origin"));
    assertThat(config.generators()).hasSize(2);
    GeneratorSpec openai = config.generators().get(0);
    assertThat(openai.type()).isEqualTo(Type.OPENAI);
    assertThat(openai.baseUrl()).hasToString("https://api.openai.com");
    assertThat(openai.apiKey().reveal()).isEqualTo(KEY);
    assertThat(openai.models()).containsExactly("gpt-image-1", "dall-e-3");
    assertThat(openai.prices()).containsEntry("1024x1024/hd", 0.08).containsEntry("1792x1024", 0.12);
    assertThat(openai.timeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(openai.retries()).isEqualTo(2); // default
    GeneratorSpec origin = config.generators().get(1);
    assertThat(origin.models()).isEmpty();
    assertThat(origin.http().headers().get("X-Api-Key").reveal()).isEqualTo("k-origin");
    assertThat(origin.http().headers().get("X-Client").reveal()).isEqualTo("gencache");
    assertThat(origin.http().response()).isEqualTo(ResponseKind.IMAGE);
    assertThat(origin.breakerReset()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aKeyNeverShowsInTheConfigsText() throws IOException {
    GencacheConfig config = load(FULL, Map.of("OPENAI_API_KEY", KEY, "ORIGIN_KEY", "k-origin-secret"));
    assertThat(config.toString()).doesNotContain(KEY).doesNotContain("k-origin-secret");
  }

  @Test
  void aMissingKeyVariableStopsTheStartNamingTheVariableOnly() {
    assertThatThrownBy(() -> load(FULL, Map.of("ORIGIN_KEY", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("generators[0].api-key-env").hasMessageContaining("OPENAI_API_KEY");
  }

  @Test
  void rejectsAKeyInTheFileItself() {
    assertThatThrownBy(() -> load("""
        generators:
          - {name: openai, type: openai, api-key-env: "sk-abc-def"}
        """, Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("must name an environment variable");
  }

  @Test
  void rejectsUnknownKeysTypesAndDuplicateRoutes() {
    assertThatThrownBy(() -> load("generators: [{name: a, type: http, base-url: 'http://x', path: /g, colour: red}]",
        Map.of())).hasMessageContaining("generators[0].colour");
    assertThatThrownBy(() -> load("generators: [{name: a, type: midjourney}]", Map.of()))
        .hasMessageContaining("generators[0].type");
    assertThatThrownBy(() -> load("""
        generators:
          - {name: a, type: embedded, models: [m1]}
          - {name: b, type: embedded, models: [m1]}
        """, Map.of())).hasMessageContaining("routed by two entries");
    assertThatThrownBy(() -> load("""
        generators:
          - {name: a, type: embedded}
          - {name: b, type: embedded}
        """, Map.of())).hasMessageContaining("only one entry may leave out models");
    assertThatThrownBy(() -> load("generators: [{name: a, type: http, base-url: 'http://x', path: /g, response: json}]",
        Map.of())).hasMessageContaining("image-path");
  }

  @Test
  void theDefaultModelMustBeRouted() {
    assertThatThrownBy(() -> load("generators: [{name: sd, type: sdwebui, base-url: 'http://127.0.0.1:7860', models: [sdxl]}]",
        Map.of())).hasMessageContaining("generation.default-model");
    GencacheConfig ok = load0("generation: {default-model: sdxl}\ngenerators: [{name: sd, type: sdwebui, "
        + "base-url: 'http://127.0.0.1:7860', models: [sdxl]}]");
    assertThat(ok.generators().get(0).sdwebui().steps()).isEqualTo(20);
  }

  @Test
  void generatorsCannotComeFromTheEnvironment() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("GENCACHE_GENERATORS", "openai")))
        .hasMessageContaining("must be a mapping");
  }

  @Test
  void withoutGeneratorsTheEmbeddedRendererServesAsBefore() throws IOException {
    assertThat(ConfigLoader.load(null, Map.of()).generators()).isEmpty();
  }

  private GencacheConfig load0(String yaml) {
    try {
      return load(yaml, Map.of());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
