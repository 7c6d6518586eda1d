package dev.gencache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.gencache.config.GencacheConfig;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.StandIn;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A node in front of stand-in upstreams, configured through {@code generators:}: routing by model,
 * spend and savings, stale-while-revalidate and stale-if-error on a failing upstream, negative caching
 * of refusals, the breaker and rate limits as HTTP answers, and keys kept out of every answer and log.
 */
class UpstreamGatewayTest {
  private static final String KEY = "sk-gateway-test-KEY-0123456789";
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 9};

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final StandIn openai = new StandIn(vertx);
  private final StandIn origin = new StandIn(vertx);
  private final AtomicInteger originFails = new AtomicInteger();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private GencacheNode node;
  private WebClient client;

  @BeforeEach
  void start() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    logs.start();
    openai.on("POST", "/v1/images/generations", ctx -> ctx.json(new JsonObject().put("created", 1).put("data",
        new JsonArray().add(new JsonObject().put("b64_json", Base64.getEncoder().encodeToString(png(ctx.body().asJsonObject()
            .getString("prompt"))))))));
    origin.on("GET", "/generate", ctx -> {
      if (originFails.get() > 0) {
        ctx.response().setStatusCode(500).end("down");
      } else {
        ctx.response().putHeader("Content-Type", "image/png").end(Buffer.buffer(png(ctx.queryParams().get("prompt"))));
      }
    });
    Path file = dir.resolve("gencache.yaml");
    Files.writeString(file, """
        cache:
          stale-seconds: 3600
        generators:
          - name: openai
            type: openai
            base-url: %s
            api-key-env: TEST_OPENAI_KEY
            models: [dall-e-3]
            price-per-image: 0.04
            prices: {"1024x1024/hd": 0.08}
            retries: 1
            retry-base-delay: PT0.01S
            refusal-ttl: PT5M
          - name: origin
            type: http
            base-url: %s
            path: /generate?prompt={prompt}&w={width}&h={height}
            price-per-image: 0.01
            retries: 0
            breaker-failures: 3
            breaker-reset: PT30S
        """.formatted(openai.url(), origin.url()));
    GencacheConfig config = TestNodes.config(TestNodes.randomClusterName(), Map.of("TEST_OPENAI_KEY", KEY), file);
    node = TestNodes.start(config, clock);
    client = WebClient.create(node.vertx(), new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.httpPort()));
  }

  @AfterEach
  void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    client.close();
    TestNodes.stop(node);
    openai.close();
    origin.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A distinct "image" per prompt, so answers can be told apart. */
  private static byte[] png(String prompt) {
    byte[] tail = prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] out = java.util.Arrays.copyOf(PNG, PNG.length + tail.length);
    System.arraycopy(tail, 0, out, PNG.length, tail.length);
    return out;
  }

  private HttpResponse<Buffer> post(JsonObject body, String cacheControl) throws Exception {
    var request = client.post("/v1/images/generations");
    if (cacheControl != null) {
      request.putHeader("Cache-Control", cacheControl);
    }
    return request.sendJsonObject(body).await(20, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> get(String path) throws Exception {
    return client.get(path).send().await(10, TimeUnit.SECONDS);
  }

  private double meter(String text, String name, String generator) {
    return text.lines().filter(l -> l.startsWith(name + "{") && l.contains("generator=\"" + generator + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void routesByModelAndCountsSpendAndSavings() throws Exception {
    HttpResponse<Buffer> dalle = post(new JsonObject().put("prompt", "a fox").put("model", "dall-e-3")
        .put("size", "1024x1024").put("quality", "hd"), null);
    HttpResponse<Buffer> other = post(new JsonObject().put("prompt", "a hen").put("size", "64x64"), null);
    HttpResponse<Buffer> again = post(new JsonObject().put("prompt", "a fox").put("model", "dall-e-3")
        .put("size", "1024x1024").put("quality", "hd"), null);

    assertThat(dalle.getHeader("X-Cache")).isEqualTo("MISS");
    assertThat(other.getHeader("X-Cache")).isEqualTo("MISS");
    assertThat(again.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(openai.requests("/v1/")).hasSize(1);
    assertThat(origin.requests("/generate")).hasSize(1);
    assertThat(origin.requests("/generate").get(0).uri()).isEqualTo("/generate?prompt=a%20hen&w=64&h=64");
    String url = dalle.bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("url");
    assertThat(get(java.net.URI.create(url).getPath()).body().getBytes()).isEqualTo(png("a fox"));

    String metrics = get("/metrics").bodyAsString();
    assertThat(meter(metrics, "gencache_upstream_spend_total", "openai")).isEqualTo(0.08); // the hd price
    assertThat(meter(metrics, "gencache_upstream_spend_total", "origin")).isEqualTo(0.01);
    assertThat(meter(metrics, "gencache_cost_saved_total", "openai")).isEqualTo(0.08);
    JsonObject stats = get("/v1/stats").bodyAsJsonObject();
    assertThat(stats.getJsonObject("upstream_spend").getDouble("total")).isEqualTo(0.09, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(stats.getJsonObject("cost_saved").getDouble("openai")).isEqualTo(0.08);
    assertThat(stats.getJsonObject("requests").getLong("hit")).isEqualTo(1);
    assertThat(stats.getJsonObject("requests").getLong("miss")).isEqualTo(2);
    assertThat(stats.getDouble("hit_ratio")).isEqualTo(1.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(stats.getJsonObject("generations").getJsonObject("openai").getLong("success")).isEqualTo(1);
  }

  @Test
  void aModelNoEntryListsGoesToTheEntryWithoutModels() throws Exception {
    HttpResponse<Buffer> r = post(new JsonObject().put("prompt", "a cat").put("model", "sdxl-turbo").put("size", "64x64"), null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(origin.requests("/generate")).hasSize(1);
    assertThat(openai.requests("/v1/")).isEmpty();
  }

  @Test
  void anExpiredEntryIsServedStaleWhileOneRefreshRunsAndStaleWhenTheUpstreamFails() throws Exception {
    JsonObject body = new JsonObject().put("prompt", "a dog").put("size", "64x64").put("ttl_seconds", 60);
    assertThat(post(body, null).getHeader("X-Cache")).isEqualTo("MISS");
    clock.advance(Duration.ofSeconds(61));

    // stale-while-revalidate: answered from the expired entry at once, one background regeneration.
    HttpResponse<Buffer> swr = post(body, null);
    assertThat(swr.getHeader("X-Cache")).isEqualTo("STALE");
    TestNodes.eventually(Duration.ofSeconds(10), "the refreshed entry", () -> {
      try {
        return "HIT".equals(post(body, null).getHeader("X-Cache"));
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(origin.requests("/generate")).hasSize(2);

    // stale-if-error: the upstream is down, a request that will not take stale still gets the stale entry.
    clock.advance(Duration.ofSeconds(61));
    originFails.set(1);
    HttpResponse<Buffer> sie = post(body, "max-stale=0");
    assertThat(sie.statusCode()).isEqualTo(200);
    assertThat(sie.getHeader("X-Cache")).isEqualTo("STALE");
    // With nothing stale to fall back on, the failure is a problem.
    HttpResponse<Buffer> fresh = post(new JsonObject().put("prompt", "never cached").put("size", "64x64"), null);
    assertThat(fresh.statusCode()).isEqualTo(502);
    assertThat(fresh.getHeader("Content-Type")).isEqualTo("application/problem+json");
  }

  @Test
  void aFailingUpstreamOpensTheBreakerAnd503sWithRetryAfter() throws Exception {
    originFails.set(1);
    for (int i = 0; i < 3; i++) {
      assertThat(post(new JsonObject().put("prompt", "fail " + i).put("size", "64x64"), null).statusCode()).isEqualTo(502);
    }
    HttpResponse<Buffer> open = post(new JsonObject().put("prompt", "fail 4").put("size", "64x64"), null);
    assertThat(open.statusCode()).isEqualTo(503);
    assertThat(open.getHeader("Retry-After")).isEqualTo("30");
    assertThat(open.bodyAsJsonObject().getString("type")).endsWith("generator-unavailable");
    assertThat(origin.requests("/generate")).hasSize(3);
  }

  @Test
  void aRefusedPromptIsAnsweredFromTheNegativeCache() throws Exception {
    openai.on("POST", "/v1/images/generations", ctx -> ctx.response().setStatusCode(400)
        .putHeader("Content-Type", "application/json").end(new JsonObject().put("error", new JsonObject()
            .put("code", "content_policy_violation").put("message", "Your request was rejected by our safety system."))
            .encode()));
    JsonObject body = new JsonObject().put("prompt", "something forbidden").put("model", "dall-e-3");
    HttpResponse<Buffer> first = post(body, null);
    HttpResponse<Buffer> second = post(body, null);

    for (HttpResponse<Buffer> r : java.util.List.of(first, second)) {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("type")).endsWith("generation-refused");
      assertThat(r.bodyAsJsonObject().getString("detail")).contains("safety system");
    }
    assertThat(openai.requests("/v1/")).hasSize(1);
    assertThat(post(body.copy().put("prompt", "something else"), null).statusCode()).isEqualTo(400);
    assertThat(openai.requests("/v1/")).hasSize(2);
    assertThat(meter(get("/metrics").bodyAsString(), "gencache_generations_total", "openai")).isEqualTo(2);
  }

  @Test
  void aRateLimitBecomesA503WithTheProvidersDelay() throws Exception {
    openai.on("POST", "/v1/images/generations", ctx -> ctx.response().setStatusCode(429).putHeader("Retry-After", "20")
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", "rate_limit_exceeded")).encode()));
    HttpResponse<Buffer> r = post(new JsonObject().put("prompt", "busy").put("model", "dall-e-3"), null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.getHeader("Retry-After")).isEqualTo("20");
  }

  @Test
  void theKeyIsNeverInAnAnswerAMetricOrALogLine() throws Exception {
    openai.on("POST", "/v1/images/generations", ctx -> ctx.response().setStatusCode(401)
        .putHeader("Content-Type", "application/json").end(new JsonObject().put("error", new JsonObject()
            .put("code", "invalid_api_key").put("message", "Incorrect API key provided: " + KEY)).encode()));
    HttpResponse<Buffer> r = post(new JsonObject().put("prompt", "who am i").put("model", "dall-e-3"), null);
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.bodyAsJsonObject().getString("type")).endsWith("upstream-auth");

    assertThat(r.bodyAsString()).doesNotContain(KEY);
    assertThat(get("/metrics").bodyAsString()).doesNotContain(KEY);
    assertThat(get("/v1/cluster").bodyAsString()).doesNotContain(KEY);
    assertThat(get("/v1/stats").bodyAsString()).doesNotContain(KEY);
    assertThat(logs.list).isNotEmpty();
    for (ILoggingEvent e : logs.list) {
      assertThat(e.getFormattedMessage()).doesNotContain(KEY);
      if (e.getThrowableProxy() != null) {
        assertThat(ThrowableProxyUtil.asString(e.getThrowableProxy())).doesNotContain(KEY);
      }
    }
  }
}
