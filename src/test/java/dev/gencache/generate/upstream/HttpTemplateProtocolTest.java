package dev.gencache.generate.upstream;

import static dev.gencache.generate.upstream.Upstreams.PNG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.config.GeneratorSpec.HttpTemplate;
import dev.gencache.config.GeneratorSpec.ResponseKind;
import dev.gencache.config.GeneratorSpec.Type;
import dev.gencache.config.Secret;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.StandIn;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The generic HTTP template against a stand-in origin. */
class HttpTemplateProtocolTest {
  private final Vertx vertx = Vertx.vertx();
  private final StandIn origin = new StandIn(vertx);

  @AfterEach
  void close() throws Exception {
    origin.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private List<GeneratedImage> generate(HttpTemplate template, String prompt) throws Exception {
    GeneratorSpec spec = Upstreams.spec(Type.HTTP, origin.url(), 0, 5, Duration.ofSeconds(5), template);
    spec = new GeneratorSpec(spec.name(), spec.type(), spec.baseUrl(), null, spec.models(), spec.pricePerImage(),
        spec.prices(), spec.timeout(), spec.maxConcurrency(), spec.maxQueue(), spec.retries(), spec.retryBaseDelay(),
        spec.breakerFailures(), spec.breakerReset(), spec.refusalTtl(), template, null);
    return Upstreams.resilient(vertx, spec, new HttpTemplateProtocol(Upstreams.client(vertx), spec),
        new ManualClock(Instant.EPOCH)).generate(Upstreams.request("any", prompt)).await(10, TimeUnit.SECONDS);
  }

  @Test
  void getWithPlaceholdersUrlEncodedAndRawImageAnswer() throws Exception {
    origin.on("GET", "/generate", ctx -> ctx.response().putHeader("Content-Type", "image/png").end(Buffer.buffer(PNG)));
    List<GeneratedImage> images = generate(new HttpTemplate("GET", "/generate?prompt={prompt}&w={width}&h={height}&seed={seed}",
        null, Map.of("X-Api-Key", new Secret("origin-key-123")), ResponseKind.IMAGE, null, null), "a fox & a hen/50%");

    assertThat(images.get(0).bytes()).isEqualTo(PNG);
    StandIn.Seen call = origin.requests("/generate").get(0);
    assertThat(call.uri()).isEqualTo("/generate?prompt=a%20fox%20%26%20a%20hen%2F50%25&w=512&h=512&seed=42");
    assertThat(call.header("X-Api-Key")).isEqualTo("origin-key-123");
  }

  @Test
  void postWithAJsonBodyEscapesThePromptAndReadsBase64AtAPath() throws Exception {
    origin.on("POST", "/render", ctx -> ctx.json(new JsonObject().put("result", new JsonObject()
        .put("images", new io.vertx.core.json.JsonArray().add(Base64.getEncoder().encodeToString(PNG))))));
    String prompt = "say \"hi\"\n}, \"evil\": true";
    generate(new HttpTemplate("POST", "/render", "{\"prompt\": \"{prompt}\", \"w\": {width}, \"seed\": {seed}}",
        Map.of(), ResponseKind.JSON, "result.images.0", null), prompt);

    JsonObject body = origin.requests("/render").get(0).body().toJsonObject();
    assertThat(body.getString("prompt")).isEqualTo(prompt);
    assertThat(body.getInteger("w")).isEqualTo(512);
    assertThat(body.getLong("seed")).isEqualTo(42L);
    assertThat(body.containsKey("evil")).isFalse();
  }

  @Test
  void aJsonAnswerWithAUrlIsFetched() throws Exception {
    origin.on("GET", "/out/1.png", ctx -> ctx.response().end(Buffer.buffer(PNG)));
    origin.on("POST", "/jobs", ctx -> ctx.json(new JsonObject().put("output", new JsonObject()
        .put("url", origin.url() + "/out/1.png"))));
    List<GeneratedImage> images = generate(new HttpTemplate("POST", "/jobs", "{\"p\": \"{prompt}\"}", Map.of(),
        ResponseKind.JSON, null, "output.url"), "x");
    assertThat(images.get(0).bytes()).isEqualTo(PNG);
  }

  @Test
  void errorStatusesAreClassified() {
    HttpTemplate t = new HttpTemplate("GET", "/generate?p={prompt}", null, Map.of(), ResponseKind.IMAGE, null, null);
    origin.on("GET", "/generate", ctx -> ctx.response().setStatusCode(403).end("forbidden"));
    assertThat(catchThrowable(() -> generate(t, "x")))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(Kind.AUTH));
    origin.on("GET", "/generate", ctx -> ctx.response().setStatusCode(451).putHeader("Content-Type", "text/plain")
        .end("not allowed here"));
    assertThat(catchThrowable(() -> generate(t, "x"))).isInstanceOfSatisfying(UpstreamException.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.REFUSED);
      assertThat(e.getMessage()).contains("not allowed here");
    });
    origin.on("GET", "/generate", ctx -> ctx.response().setStatusCode(502).end());
    assertThat(catchThrowable(() -> generate(t, "x")))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
  }
}
