package dev.gencache.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestNodes;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SockJS bridge at /eventbus of real nodes, spoken over SockJS's WebSocket transport frame by
 * frame ({@code o} open, {@code h} heartbeat, {@code a[...]} messages, {@code c[...]} close). One node
 * without auth, one with auth tokens. The Node.js client test drives the same bridge with the npm client.
 */
class SockJsBridgeTest {
  private static final String ADMIN = "admin-token-0123456789";
  private static final String CLIENT = "client-token-0123456789";
  private static final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private static GencacheNode open;
  private static GencacheNode guarded;
  private static WebSocketClient ws;

  @BeforeAll
  static void start() {
    Map<String, String> limits = Map.of("GENCACHE_BRIDGE_ADMIN_TOKENS", ADMIN, "GENCACHE_BRIDGE_MAX_FRAME_BYTES", "4096",
        "GENCACHE_BRIDGE_MAX_MESSAGES_PER_SECOND", "20");
    open = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(), limits), clock);
    guarded = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(), Map.of(
        "GENCACHE_AUTH_TOKENS", CLIENT, "GENCACHE_BRIDGE_ADMIN_TOKENS", ADMIN)), clock);
    ws = open.vertx().createWebSocketClient();
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(open);
    TestNodes.stop(guarded);
  }

  /** A SockJS bridge connection: each side's JSON frames wrapped in SockJS arrays. */
  private record Conn(WebSocket socket, BlockingQueue<JsonObject> frames, CompletableFuture<Short> closed) {
    void send(JsonObject frame) {
      socket.writeTextMessage(new JsonArray().add(frame.encode()).encode());
    }

    JsonObject next() throws InterruptedException {
      JsonObject frame = frames.poll(30, TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 30 s").isNotNull();
      return frame;
    }

    /** The next frame that is not an event. */
    JsonObject reply() throws InterruptedException {
      while (true) {
        JsonObject frame = next();
        if (!"gencache.events".equals(frame.getString("address"))) {
          return frame;
        }
      }
    }
  }

  private static Conn connect(GencacheNode node, String query) throws Exception {
    String session = "/eventbus/000/" + java.util.UUID.randomUUID().toString().substring(0, 8) + "/websocket";
    // Handlers go on before connecting: SockJS's open frame may arrive the moment the upgrade completes.
    ClientWebSocket socket = ws.webSocket();
    BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    CompletableFuture<Short> closed = new CompletableFuture<>();
    CompletableFuture<Void> opened = new CompletableFuture<>();
    socket.textMessageHandler(text -> {
      if (text.equals("o")) {
        opened.complete(null);
      } else if (text.startsWith("a")) {
        new JsonArray(text.substring(1)).forEach(m -> frames.add(new JsonObject((String) m)));
      }
    });
    socket.closeHandler(v -> closed.complete(socket.closeStatusCode()));
    socket.connect(node.httpPort(), "127.0.0.1", session + query).await(30, TimeUnit.SECONDS);
    opened.get(30, TimeUnit.SECONDS);
    return new Conn(socket, frames, closed);
  }

  private static JsonObject generate(String prompt) {
    return new JsonObject().put("type", "send").put("address", "gencache.generate").put("replyAddress", "r-1")
        .put("body", new JsonObject().put("prompt", prompt).put("size", "256x256"));
  }

  @Test
  void generateAnswersAndAdminAddressesNeedTheAdminToken() throws Exception {
    Conn anonymous = connect(open, "");
    anonymous.send(generate("a kite over sockjs"));
    JsonObject reply = anonymous.reply();
    assertThat(reply.getString("type")).isEqualTo("rec");
    assertThat(reply.getString("address")).isEqualTo("r-1");
    String id = reply.getJsonObject("body").getJsonObject("gencache").getJsonArray("ids").getString(0);

    JsonObject invalidate = new JsonObject().put("type", "send").put("address", "gencache.invalidate")
        .put("replyAddress", "r-2").put("body", new JsonObject().put("ids", new JsonArray().add(id)));
    anonymous.send(invalidate);
    JsonObject denied = anonymous.reply();
    assertThat(denied.getString("type")).isEqualTo("err");
    assertThat(denied.getString("body")).isEqualTo("access_denied");
    anonymous.send(new JsonObject().put("type", "register").put("address", "gencache.internal.flights"));
    assertThat(anonymous.reply().getString("body")).isEqualTo("access_denied");
    anonymous.socket().close();

    Conn admin = connect(open, "?access_token=" + ADMIN);
    admin.send(invalidate);
    JsonObject done = admin.reply();
    assertThat(done.getString("type")).isEqualTo("rec");
    assertThat(done.getJsonObject("body").getLong("seq")).isPositive();
    admin.socket().close();
  }

  @Test
  void anOversizedMessageClosesThatSocketOnly() throws Exception {
    Conn bystander = connect(open, "");
    Conn offender = connect(open, "");
    offender.send(generate("x".repeat(8000)));
    offender.closed().get(30, TimeUnit.SECONDS); // Vert.x closes it (code 1000, no SockJS close frame)
    bystander.send(generate("still served"));
    assertThat(bystander.reply().getString("type")).isEqualTo("rec");
    bystander.socket().close();
  }

  @Test
  void aFloodGetsFailedRepliesAndTheSocketStays() throws Exception {
    Conn conn = connect(open, "");
    int sent = 45;
    for (int i = 0; i < sent; i++) {
      conn.send(generate("a flood of kites").put("replyAddress", "flood-" + i));
    }
    int answered = 0;
    int limited = 0;
    int rejected = 0;
    while (answered + limited < sent) {
      JsonObject frame = conn.reply();
      if ("rec".equals(frame.getString("type"))) {
        answered++;
      } else if (frame.getInteger("failureCode", 0) == 429) {
        assertThat(frame.getString("address")).startsWith("flood-");
        assertThat(new JsonObject(frame.getString("message")).getString("type")).isEqualTo("urn:gencache:problem:rate-limited");
        limited++;
      } else if ("rejected".equals(frame.getString("body"))) {
        rejected++;
      }
    }
    assertThat(answered).isBetween(20, 30);
    assertThat(limited).isEqualTo(sent - answered);
    Thread.sleep(1100);
    conn.send(generate("a flood of kites"));
    assertThat(conn.reply().getString("type")).isIn("rec", "err"); // a late "rejected" may still be queued
    conn.socket().close();
  }

  @Test
  void withAuthOnTheBridgeWantsAToken() throws Exception {
    WebClient http = WebClient.create(guarded.vertx());
    try {
      var refused = http.get(guarded.httpPort(), "127.0.0.1", "/eventbus/info").send().await(30, TimeUnit.SECONDS);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.getHeader("Content-Type")).isEqualTo("application/problem+json");
      var wrong = http.get(guarded.httpPort(), "127.0.0.1", "/eventbus/info?access_token=wrong-token-0123456789")
          .send().await(30, TimeUnit.SECONDS);
      assertThat(wrong.statusCode()).isEqualTo(401);
      var accepted = http.get(guarded.httpPort(), "127.0.0.1", "/eventbus/info")
          .putHeader("Authorization", "Bearer " + CLIENT).send().await(30, TimeUnit.SECONDS);
      assertThat(accepted.statusCode()).isEqualTo(200);
      assertThat(accepted.bodyAsJsonObject().getBoolean("websocket")).isTrue();
    } finally {
      http.close();
    }
  }
}
