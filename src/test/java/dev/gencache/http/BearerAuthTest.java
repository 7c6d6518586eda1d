package dev.gencache.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.config.GencacheConfig.AuthConfig;
import dev.gencache.config.GencacheConfig.HttpConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BearerAuthTest {
  private static final String TOKEN = "a-token-of-16-chars-or-more";
  private static final HttpConfig HTTP = new HttpConfig("127.0.0.1", 0, 1, "", 65536, java.time.Duration.ofSeconds(1));
  private static final Routes PING = router -> {
    router.get("/v1/ping").handler(ctx -> ctx.end("pong"));
    router.get("/health/live").handler(ctx -> ctx.end("live"));
  };

  private final Vertx vertx = Vertx.vertx();
  private WebClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    client = WebClient.create(vertx);
    port = deploy(new AuthConfig(List.of(TOKEN)));
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private int deploy(AuthConfig auth) throws Exception {
    HttpServerVerticle verticle = new HttpServerVerticle(HTTP, auth, List.of(PING), new dev.gencache.http.InFlightRequests(), 65536);
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
    return verticle.actualPort();
  }

  private HttpResponse<Buffer> send(int port, HttpMethod method, String path, String authorization)
      throws Exception {
    var request = client.request(method, port, "127.0.0.1", path);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    return request.send().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> get(String path, String authorization) throws Exception {
    return send(port, HttpMethod.GET, path, authorization);
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String path) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo(Problem.MEDIA_TYPE);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getString("type")).startsWith("urn:gencache:problem:");
    assertThat(body.getString("title")).isNotBlank();
    assertThat(body.getInteger("status")).isEqualTo(status);
    assertThat(body.getString("detail")).isNotBlank();
    assertThat(body.getString("instance")).isEqualTo(path);
  }

  @Test
  void noAuthorizationHeaderIsAnUnauthorizedProblem() throws Exception {
    HttpResponse<Buffer> response = get("/v1/ping", null);
    assertProblem(response, 401, "/v1/ping");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:gencache:problem:unauthorized");
    assertThat(response.getHeader("WWW-Authenticate")).contains("Bearer");
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
  }

  @Test
  void wrongTokenIsUnauthorized() throws Exception {
    HttpResponse<Buffer> response = get("/v1/ping", "Bearer not-the-right-token-at-all");
    assertProblem(response, 401, "/v1/ping");
    assertThat(response.bodyAsString()).doesNotContain(TOKEN);
  }

  @Test
  void aPrefixOfTheTokenIsUnauthorized() throws Exception {
    assertThat(get("/v1/ping", "Bearer " + TOKEN.substring(0, 16)).statusCode()).isEqualTo(401);
    assertThat(get("/v1/ping", "Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
  }

  @Test
  void otherSchemesAreUnauthorized() throws Exception {
    assertThat(get("/v1/ping", "Basic " + TOKEN).statusCode()).isEqualTo(401);
    assertThat(get("/v1/ping", TOKEN).statusCode()).isEqualTo(401);
    assertThat(get("/v1/ping", "Bearer").statusCode()).isEqualTo(401);
  }

  @Test
  void theRightTokenPassesThrough() throws Exception {
    HttpResponse<Buffer> response = get("/v1/ping", "Bearer " + TOKEN);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsString()).isEqualTo("pong");
  }

  @Test
  void theSchemeIsCaseInsensitive() throws Exception {
    HttpResponse<Buffer> response = get("/v1/ping", "bearer " + TOKEN);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsString()).isEqualTo("pong");
  }

  @Test
  void healthIsOpenWithoutAToken() throws Exception {
    HttpResponse<Buffer> response = get("/health/live", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsString()).isEqualTo("live");
  }

  @Test
  void dotSegmentsDoNotBypassAuth() throws Exception {
    assertThat(get("/health/../v1/ping", null).statusCode()).isEqualTo(401);
    assertThat(get("/health/../v1/ping", "Bearer " + TOKEN).bodyAsString()).isEqualTo("pong");
  }

  @Test
  void unknownV1PathIsUnauthorizedBeforeItIsNotFound() throws Exception {
    assertThat(get("/v1/nope", null).statusCode()).isEqualTo(401);
    assertProblem(get("/v1/nope", "Bearer " + TOKEN), 404, "/v1/nope");
  }

  @Test
  void withoutTokensV1IsOpen() throws Exception {
    int open = deploy(new AuthConfig(List.of()));
    HttpResponse<Buffer> response = send(open, HttpMethod.GET, "/v1/ping", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsString()).isEqualTo("pong");
  }

  @Test
  void unknownPathIsANotFoundProblem() throws Exception {
    int open = deploy(new AuthConfig(List.of()));
    HttpResponse<Buffer> response = send(open, HttpMethod.GET, "/nowhere", null);
    assertProblem(response, 404, "/nowhere");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:gencache:problem:not-found");
    assertThat(response.getHeader("WWW-Authenticate")).isNull();
  }

  @Test
  void wrongMethodIsAMethodNotAllowedProblem() throws Exception {
    int open = deploy(new AuthConfig(List.of()));
    HttpResponse<Buffer> response = send(open, HttpMethod.DELETE, "/v1/ping", null);
    assertProblem(response, 405, "/v1/ping");
    assertThat(response.bodyAsJsonObject().getString("type")).isEqualTo("urn:gencache:problem:method-not-allowed");
  }
}
