package dev.gencache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With {@code auth.tokens}, hits answered before routing ask for the token as the routed path does. */
class AuthenticatedHitsTest {
  private static final String TOKEN = "client-token-0123456789";
  private static final String FOX = "/v1/images/generations?prompt=fox&size=256x256";
  private static GencacheNode node;
  private static WebClient client;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(), Map.of("GENCACHE_AUTH_TOKENS", TOKEN)),
        new ManualClock(Instant.parse("2026-11-23T10:00:00Z")));
    client = WebClient.create(node.vertx(),
        new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(node.httpPort()).setKeepAlive(true));
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    TestNodes.stop(node);
  }

  private static HttpResponse<Buffer> get(String uri, String token) throws Exception {
    HttpRequest<Buffer> req = client.get(uri);
    if (token != null) {
      req.bearerTokenAuthentication(token);
    }
    return req.send().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aHitHeldInMemoryStillNeedsTheToken() throws Exception {
    assertThat(get(FOX, TOKEN).getHeader("X-Cache")).isEqualTo("MISS");
    HttpResponse<Buffer> hit = get(FOX, TOKEN);
    assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT");
    String content = hit.getHeader("Content-Location");
    assertThat(get(content, TOKEN).statusCode()).isEqualTo(200);

    for (String token : new String[] {null, "wrong-token-0123456789"}) {
      HttpResponse<Buffer> prompt = get(FOX, token);
      assertThat(prompt.statusCode()).isEqualTo(401);
      assertThat(prompt.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(prompt.getHeader("X-Cache")).isNull();
      assertThat(get(content, token).statusCode()).isEqualTo(401);
    }
  }
}
