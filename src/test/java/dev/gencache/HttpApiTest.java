package dev.gencache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.image.RequestKey;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestNodes;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP contract of one real node (Hazelcast member from cluster-config/, embedded generator). */
class HttpApiTest {
  private static final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private static GencacheNode node;
  private static WebClient client;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(),
        Map.of("GENCACHE_CACHE_STALE_SECONDS", "600", "GENCACHE_EMBEDDED_MAX_QUEUE", "8")), clock);
    client = WebClient.create(node.vertx(),
        new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.httpPort()).setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(128));
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    TestNodes.stop(node);
  }

  private static HttpResponse<Buffer> await(Future<HttpResponse<Buffer>> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static HttpResponse<Buffer> post(String json, String... headers) {
    HttpRequest<Buffer> req = client.post("/v1/images/generations").putHeader("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return await(req.sendBuffer(Buffer.buffer(json)));
  }

  private static HttpResponse<Buffer> get(String uri, String... headers) {
    HttpRequest<Buffer> req = client.get(uri);
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return await(req.send());
  }

  private static double generations() {
    Counter c = node.registry().find("gencache.generations").tag("outcome", "success").counter();
    return c == null ? 0 : c.count();
  }

  private static void assertProblem(HttpResponse<Buffer> r, int status, String detailPart) {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
    JsonObject p = r.bodyAsJsonObject();
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("type")).startsWith("urn:gencache:problem:");
    assertThat(p.getString("title")).isNotBlank();
    assertThat(p.getString("detail")).contains(detailPart);
    assertThat(r.bodyAsString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void postMissThenHitWithTheSameUrl() {
    HttpResponse<Buffer> miss = post("{\"prompt\":\"a red fox in the snow\",\"size\":\"256x256\"}");
    assertThat(miss.statusCode()).isEqualTo(200);
    assertThat(miss.getHeader("X-Cache")).isEqualTo("MISS");
    JsonObject body = miss.bodyAsJsonObject();
    String key = body.getJsonObject("gencache").getString("key");
    String id = body.getJsonObject("gencache").getJsonArray("ids").getString(0);
    String url = body.getJsonArray("data").getJsonObject(0).getString("url");
    assertThat(miss.getHeader("X-Cache-Key")).isEqualTo(key);
    assertThat(miss.getHeader("Age")).isEqualTo("0");
    assertThat(body.getLong("created")).isEqualTo(clock.instant().getEpochSecond());
    assertThat(body.getJsonObject("gencache").getString("cache")).isEqualTo("MISS");
    assertThat(body.getJsonObject("gencache").getLong("age_seconds")).isZero();
    assertThat(url).isEqualTo("http://127.0.0.1:" + node.httpPort() + "/v1/images/" + id);
    assertThat(body.getJsonArray("data").getJsonObject(0).containsKey("b64_json")).isFalse();

    clock.advance(Duration.ofSeconds(7));
    HttpResponse<Buffer> hit = post("{\"prompt\":\"  a red   fox\\nin the snow \",\"size\":\"256x256\",\"user\":\"bob\"}");
    assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(hit.getHeader("X-Cache-Key")).isEqualTo(key);
    assertThat(hit.getHeader("Age")).isEqualTo("7");
    assertThat(hit.bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("url")).isEqualTo(url);
    assertThat(hit.bodyAsJsonObject().getJsonObject("gencache").getLong("age_seconds")).isEqualTo(7);

    HttpResponse<Buffer> image = get(url.substring(url.indexOf("/v1/")));
    assertThat(RequestKey.sha256Hex(image.body().getBytes())).isEqualTo(id);
  }

  @Test
  void getByPromptReturnsTheImageBytesUnderTheSameKey() throws Exception {
    HttpResponse<Buffer> post = post("{\"prompt\":\"lighthouse at dusk\",\"size\":\"320x200\",\"seed\":3,\"tags\":[\"coast\"]}");
    String key = post.getHeader("X-Cache-Key");
    String id = post.bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids").getString(0);

    HttpResponse<Buffer> img = get("/v1/images/generations?prompt=lighthouse%20at%20dusk&size=320x200&seed=3");
    assertThat(img.statusCode()).isEqualTo(200);
    assertThat(img.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(img.getHeader("X-Cache-Key")).isEqualTo(key);
    assertThat(img.getHeader("Content-Type")).isEqualTo("image/png");
    assertThat(img.getHeader("ETag")).isEqualTo("\"" + id + "\"");
    assertThat(img.getHeader("Cache-Control"))
        .isEqualTo("public, max-age=86400, stale-while-revalidate=600, stale-if-error=600");
    assertThat(img.getHeader("Surrogate-Key")).contains(key, id, "coast");
    assertThat(img.getHeader("Age")).isNotNull();
    assertThat(Integer.parseInt(img.getHeader("Content-Length"))).isEqualTo(img.body().length());
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(img.body().getBytes()));
    assertThat(decoded.getWidth()).isEqualTo(320);
    assertThat(decoded.getHeight()).isEqualTo(200);

    HttpResponse<Buffer> notModified = get("/v1/images/generations?prompt=lighthouse%20at%20dusk&size=320x200&seed=3",
        "If-None-Match", "\"" + id + "\"");
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isNull();
  }

  @Test
  void contentUrlsAreImmutableWithStrongEtagsAnd304() {
    String id = post("{\"prompt\":\"blue ocean waves\",\"size\":\"128x128\"}")
        .bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids").getString(0);
    HttpResponse<Buffer> r = get("/v1/images/" + id);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("ETag")).isEqualTo("\"" + id + "\"");
    assertThat(r.getHeader("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
    assertThat(r.getHeader("Content-Type")).isEqualTo("image/png");
    assertThat(r.getHeader("Content-Length")).isEqualTo(Integer.toString(r.body().length()));
    assertThat(r.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(r.getHeader("X-Cache-Key")).isEqualTo(id);
    assertThat(r.getHeader("Age")).isNotNull();
    assertThat(RequestKey.sha256Hex(r.body().getBytes())).isEqualTo(id);

    HttpResponse<Buffer> head = await(client.request(HttpMethod.HEAD, "/v1/images/" + id).send());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.getHeader("Content-Length")).isEqualTo(Integer.toString(r.body().length()));
    assertThat(head.getHeader("ETag")).isEqualTo("\"" + id + "\"");
    assertThat(head.body()).isNull();

    for (String inm : List.of("\"" + id + "\"", "W/\"" + id + "\"", "\"other\", \"" + id + "\"", "*")) {
      HttpResponse<Buffer> cached = get("/v1/images/" + id, "If-None-Match", inm);
      assertThat(cached.statusCode()).as(inm).isEqualTo(304);
      assertThat(cached.getHeader("ETag")).isEqualTo("\"" + id + "\"");
      assertThat(cached.getHeader("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
    }
    assertThat(get("/v1/images/" + id, "If-None-Match", "\"" + "0".repeat(64) + "\"").statusCode()).isEqualTo(200);
  }

  @Test
  void malformedAndUnknownIds() {
    assertProblem(get("/v1/images/not-an-id"), 400, "64 lowercase hex");
    assertProblem(get("/v1/images/" + "A".repeat(64)), 400, "64 lowercase hex");
    assertProblem(get("/v1/images/" + "0".repeat(64)), 404, "0".repeat(64));
    HttpResponse<Buffer> head = await(client.request(HttpMethod.HEAD, "/v1/images/" + "0".repeat(64)).send());
    assertThat(head.statusCode()).isEqualTo(404);
  }

  @Test
  void b64JsonCarriesTheSameBytesAsTheUrl() {
    JsonObject body = post("{\"prompt\":\"green hills\",\"size\":\"96x96\",\"n\":2,\"response_format\":\"b64_json\"}")
        .bodyAsJsonObject();
    assertThat(body.getJsonArray("data")).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonObject item = body.getJsonArray("data").getJsonObject(i);
      byte[] bytes = Base64.getDecoder().decode(item.getString("b64_json"));
      assertThat(RequestKey.sha256Hex(bytes)).isEqualTo(body.getJsonObject("gencache").getJsonArray("ids").getString(i));
      assertThat(item.getString("url")).endsWith(RequestKey.sha256Hex(bytes));
    }
  }

  @Test
  void onlyIfCachedIs504OnAMissAndServesAHit() {
    assertProblem(post("{\"prompt\":\"never generated before\",\"size\":\"64x64\"}", "Cache-Control", "only-if-cached"),
        504, "only-if-cached");
    post("{\"prompt\":\"generated once\",\"size\":\"64x64\"}");
    HttpResponse<Buffer> hit = post("{\"prompt\":\"generated once\",\"size\":\"64x64\"}", "Cache-Control", "only-if-cached");
    assertThat(hit.statusCode()).isEqualTo(200);
    assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT");
  }

  @Test
  void noCacheRegeneratesAndNoStoreBypasses() {
    String json = "{\"prompt\":\"a yellow kite\",\"size\":\"64x64\"}";
    post(json);
    double before = generations();
    HttpResponse<Buffer> regenerated = post(json, "Cache-Control", "no-cache");
    assertThat(regenerated.getHeader("X-Cache")).isEqualTo("MISS");
    assertThat(generations()).isEqualTo(before + 1);

    String fresh = "{\"prompt\":\"a purple kite, never stored\",\"size\":\"64x64\"}";
    HttpResponse<Buffer> bypass = post(fresh, "Cache-Control", "no-store");
    assertThat(bypass.getHeader("X-Cache")).isEqualTo("BYPASS");
    JsonObject item = bypass.bodyAsJsonObject().getJsonArray("data").getJsonObject(0);
    assertThat(item.containsKey("url")).isFalse(); // nothing stored to point at
    assertThat(item.getString("b64_json")).isNotEmpty();
    String id = bypass.bodyAsJsonObject().getJsonObject("gencache").getJsonArray("ids").getString(0);
    assertThat(get("/v1/images/" + id).statusCode()).isEqualTo(404);
    assertThat(post(fresh, "Cache-Control", "only-if-cached").statusCode()).isEqualTo(504);

    HttpResponse<Buffer> bytes = get("/v1/images/generations?prompt=a%20purple%20kite&size=64x64",
        "Cache-Control", "no-store");
    assertThat(bytes.getHeader("X-Cache")).isEqualTo("BYPASS");
    assertThat(bytes.getHeader("Cache-Control")).isEqualTo("no-store");
  }

  @Test
  void ttlExpiryFollowsTheInjectedClock() {
    String json = "{\"prompt\":\"an orange sunset\",\"size\":\"64x64\",\"ttl_seconds\":60}";
    assertThat(post(json).getHeader("X-Cache")).isEqualTo("MISS");
    clock.advance(Duration.ofSeconds(59));
    assertThat(post(json).getHeader("X-Cache")).isEqualTo("HIT");
    clock.advance(Duration.ofSeconds(2));
    assertThat(post(json, "Cache-Control", "max-stale=0").getHeader("X-Cache")).isEqualTo("MISS");
    clock.advance(Duration.ofSeconds(61));
    assertThat(post(json).getHeader("X-Cache")).isEqualTo("STALE"); // inside the 600 s stale window
    clock.advance(Duration.ofSeconds(61 + 600));
    assertThat(post(json, "Cache-Control", "only-if-cached").statusCode()).isEqualTo(504);
  }

  @Test
  void hundredConcurrentIdenticalMissesGenerateOnce() {
    double before = generations();
    String json = "{\"prompt\":\"one hundred identical requests\",\"size\":\"1536x1536\"}";
    List<Future<HttpResponse<Buffer>>> all = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      all.add(client.post("/v1/images/generations").sendBuffer(Buffer.buffer(json)));
    }
    List<HttpResponse<Buffer>> responses;
    try {
      responses = Future.all(all).await(60, TimeUnit.SECONDS).list();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(generations()).isEqualTo(before + 1);
    assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
    // Requests that arrive after the generation finished are plain hits; none may generate again.
    assertThat(responses).extracting(r -> r.getHeader("X-Cache")).isSubsetOf("MISS", "COALESCED", "HIT");
    assertThat(responses).filteredOn(r -> r.getHeader("X-Cache").equals("MISS")).hasSize(1);
    assertThat(responses).extracting(r -> r.bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("url"))
        .hasSize(100).containsOnly(responses.get(0).bodyAsJsonObject().getJsonArray("data").getJsonObject(0).getString("url"));
  }

  @Test
  void invalidInputIsAProblemAndChangesNothing() {
    assertProblem(post("{\"prompt\":5}"), 400, "prompt must be a string");
    assertProblem(post("{\"prompt\":\"p\",\"n\":9}"), 400, "n must be within 1..4");
    assertProblem(post("{\"prompt\":\"p\",\"size\":\"4096x4096\"}"), 400, "size");
    assertProblem(post("{not json"), 400, "not valid JSON");
    assertProblem(post("[1,2]"), 400, "JSON object");
    assertProblem(post(""), 400, "JSON object");
    assertProblem(post("{\"prompt\":\"" + "x".repeat(70_000) + "\"}"), 413, "exceeds");
    assertProblem(await(client.post("/v1/images/generations").putHeader("Content-Type", "text/plain")
        .sendBuffer(Buffer.buffer("{\"prompt\":\"p\"}"))), 415, "application/json");
    assertProblem(get("/v1/images/generations?prompt=a&prompt=b"), 400, "more than once");
    assertProblem(get("/v1/images/generations"), 400, "prompt is required");
    assertProblem(await(client.put("/v1/images/generations").send()), 405, "method");
    assertProblem(get("/no/such/path"), 404, "no such resource");
    assertThat(node.hazelcast().getMap("gencache-requests").containsKey("")).isFalse();
  }

  @Test
  void opsEndpoints() {
    assertThat(get("/health/live").bodyAsJsonObject().getString("status")).isEqualTo("UP");
    HttpResponse<Buffer> ready = get("/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    post("{\"prompt\":\"metrics please\",\"size\":\"64x64\"}");
    String metrics = get("/metrics").bodyAsString();
    assertThat(metrics)
        .contains("gencache_requests_total{result=\"miss\"}")
        .contains("gencache_requests_total{result=\"hit\"}")
        .contains("gencache_generations_total{generator=\"embedded\",outcome=\"success\"}")
        .contains("gencache_generation_seconds_bucket")
        .contains("gencache_upstream_spend_total")
        .contains("gencache_cost_saved_total")
        .contains("vertx_http_server_requests_total");
    HttpResponse<Buffer> openapi = get("/openapi.yaml");
    assertThat(openapi.statusCode()).isEqualTo(200);
    assertThat(openapi.bodyAsString()).contains("openapi: 3").contains("/v1/images/generations").contains("/v1/images/{id}");
    HttpResponse<Buffer> asyncapi = get("/asyncapi.yaml");
    assertThat(asyncapi.statusCode()).isEqualTo(200);
    assertThat(asyncapi.bodyAsString()).contains("asyncapi: 3").contains("gencache.generate");
  }

  @Test
  void imagesLiveInTheNearCachedHazelcastMaps() {
    JsonObject body = post("{\"prompt\":\"stored in hazelcast\",\"size\":\"64x64\"}").bodyAsJsonObject();
    String id = body.getJsonObject("gencache").getJsonArray("ids").getString(0);
    String key = body.getJsonObject("gencache").getString("key");
    assertThat(node.hazelcast().getMap("gencache-images").containsKey(id)).isTrue();
    assertThat(node.hazelcast().getMap("gencache-requests").containsKey(key)).isTrue();
    get("/v1/images/" + id);
    get("/v1/images/" + id);
    assertThat(node.hazelcast().getMap("gencache-images").getLocalMapStats().getNearCacheStats().getHits())
        .isPositive();
  }
}
