package dev.gencache.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final String TOKEN = "a-token-of-16-chars-or-more";

  @TempDir
  Path dir;

  private Path yaml(String text) throws IOException {
    Path file = dir.resolve("gencache.yaml");
    Files.writeString(file, text);
    return file;
  }

  private static GencacheConfig env(Map<String, String> env) {
    return ConfigLoader.load(null, env);
  }

  @Test
  void defaultsAloneGiveALoopbackServerOnPort8080() {
    GencacheConfig config = env(Map.of());
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.http().host()).isEqualTo("127.0.0.1");
    assertThat(config.http().publicUrl()).isEmpty();
    assertThat(config.http().maxBodyBytes()).isEqualTo(65536);
    assertThat(config.auth().enabled()).isFalse();
  }

  @Test
  void defaultsGiveOneDayTtlAndTheEmbeddedModels() {
    GencacheConfig config = env(Map.of());
    assertThat(config.cache().defaultTtl()).isEqualTo(Duration.ofHours(24));
    assertThat(config.cache().maxTtl()).isEqualTo(Duration.ofDays(30));
    assertThat(config.cache().staleWindow()).isEqualTo(Duration.ofHours(1));
    assertThat(config.embedded().models()).containsExactly("embedded", "gencache-embedded");
    assertThat(config.generation().defaultModel()).isEqualTo("embedded");
    assertThat(config.cluster().members()).isEmpty();
  }

  @Test
  void theImageBudgetDefaultsToAQuarterOfTheHeap() {
    long quarter = (Runtime.getRuntime().maxMemory() >> 20) / 4;
    assertThat(env(Map.of()).cache().maxMbPerMember()).isEqualTo((int) Math.max(16, quarter));
    assertThat(env(Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "0")).cache().maxMbPerMember())
        .isEqualTo((int) Math.max(16, quarter));
    assertThat(env(Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "512")).cache().maxMbPerMember()).isEqualTo(512);
    assertThatThrownBy(() -> env(Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "8")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.max-mb-per-member")
        .hasMessageContaining("at least 16");
  }

  @Test
  void theNearCacheBudgetDefaultsToTheMapBudget() {
    assertThat(env(Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "512")).cache().nearCacheBytes()).isEqualTo(512L << 20);
    assertThat(env(Map.of("GENCACHE_CACHE_MAX_MB_PER_MEMBER", "512", "GENCACHE_CACHE_NEAR_CACHE_MB", "64"))
        .cache().nearCacheBytes()).isEqualTo(64L << 20);
    assertThat(env(Map.of()).cache().nearCacheBytes()).isEqualTo((long) env(Map.of()).cache().maxMbPerMember() << 20);
    assertThatThrownBy(() -> env(Map.of("GENCACHE_CACHE_NEAR_CACHE_MB", "-1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.near-cache-mb");
  }

  @Test
  void zeroInstancesResolvesToOnePerCore() {
    assertThat(env(Map.of()).http().instances())
        .isPositive()
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(env(Map.of("GENCACHE_HTTP_INSTANCES", "3")).http().instances()).isEqualTo(3);
  }

  @Test
  void fileOverridesNestedKeysAndKeepsTheRestAtTheirDefaults() throws IOException {
    Path file = yaml("""
        http:
          port: 7070
        cache: {default-ttl-seconds: 60, lowercase-prompts: true}
        embedded:
          models: [embedded, my-model]
        """);
    GencacheConfig config = ConfigLoader.load(file, Map.of());
    assertThat(config.http().port()).isEqualTo(7070);
    assertThat(config.cache().defaultTtl()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.cache().lowercasePrompts()).isTrue();
    assertThat(config.embedded().models()).containsExactly("embedded", "my-model");
    assertThat(config.http().host()).isEqualTo("127.0.0.1");
    assertThat(config.cache().maxTtl()).isEqualTo(Duration.ofDays(30));
  }

  @Test
  void anEmptyFileMeansDefaults() throws IOException {
    assertThat(ConfigLoader.load(yaml(""), Map.of()).http().port()).isEqualTo(8080);
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path file = yaml("""
        http: {port: 7070}
        cache: {default-ttl-seconds: 60}
        """);
    GencacheConfig config = ConfigLoader.load(file,
        Map.of("GENCACHE_HTTP_PORT", "9090", "GENCACHE_CACHE_DEFAULT_TTL_SECONDS", "120"));
    assertThat(config.http().port()).isEqualTo(9090);
    assertThat(config.cache().defaultTtl()).isEqualTo(Duration.ofSeconds(120));
  }

  @Test
  void environmentListsAreCommaSeparatedAndTrimmed() {
    GencacheConfig config = env(Map.of(
        "GENCACHE_EMBEDDED_MODELS", "a, b",
        "GENCACHE_GENERATION_DEFAULT_MODEL", "b",
        "GENCACHE_AUTH_TOKENS", TOKEN + " , ,second-token-0123456789"));
    assertThat(config.embedded().models()).containsExactly("a", "b");
    assertThat(config.generation().defaultModel()).isEqualTo("b");
    assertThat(config.auth().tokens()).containsExactly(TOKEN, "second-token-0123456789");
    assertThat(config.auth().enabled()).isTrue();
  }

  @Test
  void envNameUpperCasesAndReplacesDotsAndDashes() {
    assertThat(ConfigLoader.envName("cache.stale-seconds")).isEqualTo("GENCACHE_CACHE_STALE_SECONDS");
    assertThat(ConfigLoader.envName("http.port")).isEqualTo("GENCACHE_HTTP_PORT");
  }

  @Test
  void defaultsAreFlattenedToDottedKeys() {
    assertThat(ConfigLoader.defaults())
        .containsEntry("http.port", 8080)
        .containsKeys("cache.stale-seconds", "embedded.models", "cluster.config-file")
        .doesNotContainKey("http");
  }

  @Test
  void unknownKeyInTheFileIsRejectedByName() throws IOException {
    Path file = yaml("cache:\n  default-ttl: 60\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.default-ttl")
        .hasMessageContaining("unknown key");
  }

  @Test
  void nonNumericValueNamesTheKey() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PORT", "notaport")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port")
        .hasMessageContaining("notaport");
  }

  @Test
  void outOfRangeValueNamesTheKeyAndTheRange() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PORT", "70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port")
        .hasMessageContaining("0..65535");
  }

  @Test
  void outOfRangeValueInTheFileNamesTheKeyAndTheRange() throws IOException {
    Path file = yaml("embedded: {threads: 0}\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("embedded.threads")
        .hasMessageContaining("1..256");
  }

  @Test
  void nonBooleanValueNamesTheKey() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_CACHE_LOWERCASE_PROMPTS", "maybe")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.lowercase-prompts");
  }

  @Test
  void invalidYamlIsAConfigException() throws IOException {
    Path file = yaml("http: [port: 8080\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not valid YAML")
        .hasMessageContaining(file.toString());
  }

  @Test
  void aTopLevelListIsRejected() throws IOException {
    Path file = yaml("- http\n- port\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("mapping");
  }

  @Test
  void missingFileIsAConfigExceptionNamingTheFile() {
    Path missing = dir.resolve("missing.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot read")
        .hasMessageContaining(missing.toString());
  }

  @Test
  void bindingToAllInterfacesWithoutTokensIsRejected() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_HOST", "0.0.0.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.host")
        .hasMessageContaining("auth.tokens");
  }

  @Test
  void aHostNameOtherThanLocalhostCountsAsNonLoopback() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_HOST", "example.com")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.host");
    assertThat(env(Map.of("GENCACHE_HTTP_HOST", "localhost")).http().host()).isEqualTo("localhost");
    assertThat(env(Map.of("GENCACHE_HTTP_HOST", "::1")).http().host()).isEqualTo("::1");
  }

  @Test
  void bindingToAllInterfacesWithATokenLoads() {
    GencacheConfig config = env(Map.of("GENCACHE_HTTP_HOST", "0.0.0.0", "GENCACHE_AUTH_TOKENS", TOKEN));
    assertThat(config.http().host()).isEqualTo("0.0.0.0");
    assertThat(config.auth().tokens()).containsExactly(TOKEN);
  }

  @Test
  void aTokenShorterThan16CharactersIsRejected() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_AUTH_TOKENS", "fifteen-chars-x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth.tokens")
        .hasMessageContaining("16");
    assertThat(env(Map.of("GENCACHE_AUTH_TOKENS", "sixteen-chars-xx")).auth().tokens()).hasSize(1);
  }

  @Test
  void defaultModelMustBeAnEmbeddedModel() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_GENERATION_DEFAULT_MODEL", "dall-e-3")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("generation.default-model")
        .hasMessageContaining("dall-e-3");
  }

  @Test
  void publicUrlLosesItsTrailingSlash() {
    GencacheConfig config = env(Map.of("GENCACHE_HTTP_PUBLIC_URL", "https://img.example.com/"));
    assertThat(config.http().publicUrl()).isEqualTo("https://img.example.com");
  }

  @Test
  void nonHttpPublicUrlIsRejected() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PUBLIC_URL", "ftp://img.example.com")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.public-url");
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PUBLIC_URL", "img.example.com")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.public-url");
  }

  @Test
  void defaultTtlAboveMaxTtlIsRejected() {
    assertThatThrownBy(() -> env(Map.of(
        "GENCACHE_CACHE_DEFAULT_TTL_SECONDS", "600",
        "GENCACHE_CACHE_MAX_TTL_SECONDS", "60")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.default-ttl-seconds")
        .hasMessageContaining("cache.max-ttl-seconds");
  }

  @Test
  void clusterMembersAreSplitOnCommas() {
    GencacheConfig config = env(Map.of("GENCACHE_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2"));
    assertThat(config.cluster().members()).containsExactly("10.0.0.1:5701", "10.0.0.2");
  }

  @Test
  void publicUrlWithoutSchemeIsRejectedNotACrash() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PUBLIC_URL", "//img.example.com")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http.public-url");
    assertThat(env(Map.of("GENCACHE_HTTP_PUBLIC_URL", "HTTPS://img.example.com/")).http().publicUrl())
        .isEqualTo("HTTPS://img.example.com");
  }

  @Test
  void blankClusterMembersAreDroppedAndBadOnesNamed() {
    assertThat(env(Map.of("GENCACHE_CLUSTER_MEMBERS", " , a,,b:5701,")).cluster().members())
        .containsExactly("a", "b:5701");
    assertThatThrownBy(() -> env(Map.of("GENCACHE_CLUSTER_MEMBERS", "a b")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.members");
  }

  @Test
  void aMisspelledEnvironmentVariableFailsTheStart() {
    assertThatThrownBy(() -> env(Map.of("GENCACHE_HTTP_PROT", "9090")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("GENCACHE_HTTP_PROT");
    assertThat(env(Map.of("GENCACHE_CONFIG", "x.yaml", "GENCACHE_BASE_PORT", "9000")).http().port()).isEqualTo(8080);
  }
}
