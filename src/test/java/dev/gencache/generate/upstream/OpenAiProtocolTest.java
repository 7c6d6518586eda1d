package dev.gencache.generate.upstream;

import static dev.gencache.generate.upstream.Upstreams.KEY;
import static dev.gencache.generate.upstream.Upstreams.PNG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.config.GeneratorSpec.Type;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.StandIn;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The OpenAI protocol against a stand-in written from the Images API reference. */
class OpenAiProtocolTest {
  private static final String PATH = "/v1/images/generations";
  private final Vertx vertx = Vertx.vertx();
  private final StandIn openai = new StandIn(vertx);
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));

  @AfterEach
  void close() throws Exception {
    openai.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private ResilientGenerator generator(int retries, int breakerFailures, Duration timeout) {
    GeneratorSpec spec = Upstreams.spec(Type.OPENAI, openai.url(), retries, breakerFailures, timeout, null);
    return Upstreams.resilient(vertx, spec, new OpenAiProtocol(Upstreams.client(vertx), spec), clock);
  }

  private List<GeneratedImage> generate(ResilientGenerator g, String model) throws Exception {
    return g.generate(Upstreams.request(model, "a red fox")).await(20, TimeUnit.SECONDS);
  }

  private UpstreamException failure(ResilientGenerator g) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> generate(g, "dall-e-3"));
    assertThat(t).isInstanceOf(UpstreamException.class);
    return (UpstreamException) t;
  }

  private static void b64(RoutingContext ctx) {
    ctx.json(new JsonObject().put("created", 1).put("data", new JsonArray()
        .add(new JsonObject().put("b64_json", Base64.getEncoder().encodeToString(PNG)).put("revised_prompt", "a red fox, revised"))));
  }

  private static void error(RoutingContext ctx, int status, String code, String message) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("message", message).put("type", "invalid_request_error")
            .put("code", code)).encode());
  }

  @Test
  void sendsTheRequestAsTheApiTakesItAndDecodesBase64() throws Exception {
    openai.on("POST", PATH, OpenAiProtocolTest::b64);
    List<GeneratedImage> images = generate(generator(0, 5, Duration.ofSeconds(5)), "dall-e-3");

    assertThat(images).singleElement().satisfies(i -> {
      assertThat(i.bytes()).isEqualTo(PNG);
      assertThat(i.mediaType()).isEqualTo("image/png");
      assertThat(i.revisedPrompt()).isEqualTo("a red fox, revised");
    });
    StandIn.Seen call = openai.requests(PATH).get(0);
    assertThat(call.header("Authorization")).isEqualTo("Bearer " + KEY);
    JsonObject body = call.body().toJsonObject();
    assertThat(body.getMap()).containsEntry("model", "dall-e-3").containsEntry("prompt", "a red fox")
        .containsEntry("n", 1).containsEntry("size", "512x512").containsEntry("quality", "hd")
        .containsEntry("style", "vivid").containsEntry("response_format", "b64_json");
  }

  @Test
  void gptImageModelsGetOutputFormatInsteadOfResponseFormat() throws Exception {
    openai.on("POST", PATH, OpenAiProtocolTest::b64);
    generate(generator(0, 5, Duration.ofSeconds(5)), "gpt-image-1");
    JsonObject body = openai.requests(PATH).get(0).body().toJsonObject();
    assertThat(body.getString("output_format")).isEqualTo("png");
    assertThat(body.containsKey("response_format")).isFalse();
    assertThat(body.containsKey("style")).isFalse();
  }

  @Test
  void fetchesUrlAnswersAtOnceWithoutSendingTheKeyThere() throws Exception {
    openai.on("GET", "/files/fox.png", ctx -> ctx.response().putHeader("Content-Type", "image/png")
        .end(io.vertx.core.buffer.Buffer.buffer(PNG)));
    openai.on("POST", PATH, ctx -> ctx.json(new JsonObject().put("created", 1)
        .put("data", new JsonArray().add(new JsonObject().put("url", openai.url() + "/files/fox.png?sig=abc")))));
    List<GeneratedImage> images = generate(generator(0, 5, Duration.ofSeconds(5)), "dall-e-3");

    assertThat(images.get(0).bytes()).isEqualTo(PNG);
    StandIn.Seen fetch = openai.requests("/files/").get(0);
    assertThat(fetch.header("Authorization")).isNull();
  }

  @Test
  void aContentPolicyRefusalIsARefusalWithTheProvidersMessage() {
    openai.on("POST", PATH, ctx -> error(ctx, 400, "content_policy_violation",
        "Your request was rejected as a result of our safety system."));
    UpstreamException e = failure(generator(2, 5, Duration.ofSeconds(5)));
    assertThat(e.kind()).isEqualTo(Kind.REFUSED);
    assertThat(e.getMessage()).contains("rejected as a result of our safety system");
    assertThat(openai.requests(PATH)).hasSize(1); // a refusal is never retried
  }

  @Test
  void anOtherBadRequestIsARejectionNotARefusal() {
    openai.on("POST", PATH, ctx -> error(ctx, 400, "invalid_size", "The size is not supported by this model."));
    UpstreamException e = failure(generator(2, 5, Duration.ofSeconds(5)));
    assertThat(e.kind()).isEqualTo(Kind.REJECTED);
    assertThat(e.getMessage()).contains("size is not supported");
  }

  @Test
  void badCredentialsNeverEchoTheKey() {
    openai.on("POST", PATH, ctx -> error(ctx, 401, "invalid_api_key", "Incorrect API key provided: " + KEY + "."));
    UpstreamException e = failure(generator(2, 5, Duration.ofSeconds(5)));
    assertThat(e.kind()).isEqualTo(Kind.AUTH);
    assertThat(e.getMessage()).doesNotContain(KEY).doesNotContain("sk-");
    assertThat(openai.requests(PATH)).hasSize(1);
  }

  @Test
  void anExhaustedQuotaIsAnOperatorProblemNotARateLimit() {
    openai.on("POST", PATH, ctx -> error(ctx, 429, "insufficient_quota", "You exceeded your current quota."));
    assertThat(failure(generator(2, 5, Duration.ofSeconds(5))).kind()).isEqualTo(Kind.AUTH);
    assertThat(openai.requests(PATH)).hasSize(1);
  }

  @Test
  void aRateLimitIsRetriedAfterTheProvidersDelay() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    openai.on("POST", PATH, ctx -> {
      if (calls.incrementAndGet() == 1) {
        ctx.response().putHeader("retry-after-ms", "150");
        error(ctx, 429, "rate_limit_exceeded", "Rate limit reached.");
      } else {
        b64(ctx);
      }
    });
    long started = System.nanoTime();
    generate(generator(2, 5, Duration.ofSeconds(5)), "dall-e-3");
    assertThat(calls.get()).isEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
  }

  @Test
  void aRateLimitLongerThanTheTimeoutIsA503WithTheProvidersDelay() {
    openai.on("POST", PATH, ctx -> {
      ctx.response().putHeader("Retry-After", "30");
      error(ctx, 429, "rate_limit_exceeded", "Rate limit reached.");
    });
    UpstreamException e = failure(generator(2, 5, Duration.ofSeconds(2)));
    assertThat(e.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(e.retryAfterSeconds()).isEqualTo(30);
    assertThat(openai.requests(PATH)).hasSize(1);
  }

  @Test
  void serverErrorsAreRetriedThenGiveUp() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    openai.on("POST", PATH, ctx -> {
      if (calls.incrementAndGet() <= 2) {
        error(ctx, 500, "server_error", "The server had an error.");
      } else {
        b64(ctx);
      }
    });
    assertThat(generate(generator(2, 5, Duration.ofSeconds(5)), "dall-e-3")).hasSize(1);
    assertThat(calls.get()).isEqualTo(3);

    openai.on("POST", PATH, ctx -> error(ctx, 503, "overloaded", "Overloaded."));
    UpstreamException e = failure(generator(2, 5, Duration.ofSeconds(5)));
    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(openai.requests(PATH)).hasSize(3 + 3);
  }

  @Test
  void aSlowAnswerTimesOut() {
    openai.on("POST", PATH, ctx -> vertx.setTimer(3000, id -> b64(ctx)));
    long started = System.nanoTime();
    UpstreamException e = failure(generator(2, 5, Duration.ofMillis(400)));
    assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void theBreakerOpensStopsCallingAndClosesAfterASuccessfulTrial() throws Exception {
    openai.on("POST", PATH, ctx -> error(ctx, 500, "server_error", "down"));
    ResilientGenerator g = generator(0, 3, Duration.ofSeconds(5));
    for (int i = 0; i < 3; i++) {
      assertThat(failure(g).kind()).isEqualTo(Kind.UNAVAILABLE);
    }
    UpstreamException open = failure(g);
    assertThat(open.kind()).isEqualTo(Kind.BREAKER_OPEN);
    assertThat(open.retryAfterSeconds()).isEqualTo(30);
    assertThat(openai.requests(PATH)).hasSize(3); // not called while open

    openai.on("POST", PATH, OpenAiProtocolTest::b64);
    clock.advance(Duration.ofSeconds(31));
    assertThat(generate(g, "dall-e-3")).hasSize(1); // the trial call
    assertThat(generate(g, "dall-e-3")).hasSize(1); // closed again
    assertThat(openai.requests(PATH)).hasSize(5);
  }

  @Test
  void anAnswerWithoutImagesIsAFailure() {
    openai.on("POST", PATH, ctx -> ctx.json(new JsonObject().put("created", 1).put("data", new JsonArray())));
    assertThat(failure(generator(0, 5, Duration.ofSeconds(5))).kind()).isEqualTo(Kind.UNAVAILABLE);
  }

  @Test
  void anUnreachableProviderIsUnavailable() {
    GeneratorSpec spec = Upstreams.spec(Type.OPENAI, "http://127.0.0.1:1", 1, 5, Duration.ofSeconds(5), null);
    ResilientGenerator g = Upstreams.resilient(vertx, spec, new OpenAiProtocol(Upstreams.client(vertx), spec), clock);
    assertThatThrownBy(() -> g.generate(Upstreams.request("dall-e-3", "x")).await(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
  }
}
