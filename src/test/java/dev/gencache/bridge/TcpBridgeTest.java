package dev.gencache.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.GencacheNode;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.TestNodes;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The TCP event-bus bridge of one real node, spoken to byte for byte as a client in any language would. */
class TcpBridgeTest {
  private static final String ADMIN = "admin-token-0123456789";
  private static final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private static GencacheNode node;

  @BeforeAll
  static void start() {
    node = TestNodes.start(TestNodes.config(TestNodes.randomClusterName(), Map.of(
        "GENCACHE_BRIDGE_ADMIN_TOKENS", ADMIN,
        "GENCACHE_BRIDGE_MAX_FRAME_BYTES", "4096",
        "GENCACHE_BRIDGE_MAX_MESSAGES_PER_SECOND", "20")), clock);
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(node);
  }

  private static FrameSocket connect() throws IOException {
    return new FrameSocket(node.bridgePort());
  }

  private static JsonObject generate(String prompt, String replyAddress) {
    return new JsonObject().put("type", "send").put("address", "gencache.generate").put("replyAddress", replyAddress)
        .put("body", new JsonObject().put("prompt", prompt).put("size", "256x256"));
  }

  @Test
  void generateIsRequestReplyWithTheHttpResponseShape() throws IOException {
    try (FrameSocket s = connect()) {
      s.send(generate("a lighthouse over the bridge", "r1"));
      JsonObject first = s.read();
      assertThat(first.getString("type")).isEqualTo("message");
      assertThat(first.getString("address")).isEqualTo("r1");
      JsonObject body = first.getJsonObject("body");
      assertThat(body.getJsonObject("gencache").getString("cache")).isEqualTo("MISS");
      String url = body.getJsonArray("data").getJsonObject(0).getString("url");
      assertThat(url).startsWith("http://127.0.0.1:" + node.httpPort() + "/v1/images/");
      assertThat(body.getJsonArray("data").getJsonObject(0).containsKey("b64_json")).isFalse();

      s.send(generate("a lighthouse over the bridge", "r2"));
      JsonObject second = s.read().getJsonObject("body");
      assertThat(second.getJsonObject("gencache").getString("cache")).isEqualTo("HIT");
      assertThat(second.getJsonObject("gencache").getJsonArray("ids"))
          .isEqualTo(body.getJsonObject("gencache").getJsonArray("ids"));
    }
  }

  @Test
  void badRequestsFailWithTheProblemHttpWouldGive() throws IOException {
    try (FrameSocket s = connect()) {
      s.send(new JsonObject().put("type", "send").put("address", "gencache.generate").put("replyAddress", "bad")
          .put("body", new JsonObject().put("size", "banana")));
      JsonObject err = s.read();
      assertThat(err.getString("type")).isEqualTo("err");
      assertThat(err.getString("address")).isEqualTo("bad");
      assertThat(err.getInteger("failureCode")).isEqualTo(400);
      JsonObject problem = new JsonObject(err.getString("message"));
      assertThat(problem.getString("type")).isEqualTo("urn:gencache:problem:invalid-request");
      assertThat(problem.getInteger("status")).isEqualTo(400);

      s.send(generate("b64 is for http", "b64").put("body", new JsonObject().put("prompt", "x")
          .put("response_format", "b64_json")));
      JsonObject b64 = s.read();
      assertThat(b64.getInteger("failureCode")).isEqualTo(400);
      assertThat(b64.getString("message")).contains("URLs");
    }
  }

  @Test
  void cacheControlTravelsAsAMessageHeader() throws IOException {
    try (FrameSocket s = connect()) {
      s.send(generate("never generated before", "c1").put("headers", new JsonObject().put("cache-control", "only-if-cached")));
      JsonObject notCached = s.read();
      assertThat(notCached.getInteger("failureCode")).isEqualTo(504);
      assertThat(new JsonObject(notCached.getString("message")).getString("type")).isEqualTo("urn:gencache:problem:not-cached");
      s.send(generate("never stored", "c2").put("headers", new JsonObject().put("cache-control", "no-store")));
      assertThat(s.read().getInteger("failureCode")).isEqualTo(400);
    }
  }

  @Test
  void eventsArriveForRegisteredClients() throws IOException {
    try (FrameSocket listener = connect(); FrameSocket caller = connect()) {
      listener.send(new JsonObject().put("type", "register").put("address", "gencache.events"));
      listener.send(new JsonObject().put("type", "ping")); // the pong proves the registration went first
      assertThat(listener.read().getString("type")).isEqualTo("pong");
      caller.send(generate("events of a new prompt", "r"));
      String key = caller.read().getJsonObject("body").getJsonObject("gencache").getString("key");
      List<String> seen = new ArrayList<>();
      while (!seen.contains("image.ready")) {
        JsonObject event = listener.read();
        assertThat(event.getString("address")).isEqualTo("gencache.events");
        JsonObject body = event.getJsonObject("body");
        if (key.equals(body.getString("key"))) {
          seen.add(body.getString("type") + (body.containsKey("stage") ? ":" + body.getString("stage") : ""));
        }
      }
      assertThat(seen).containsExactly("generation.progress:started", "generation.progress:generated", "image.ready");
    }
  }

  @Test
  void adminAddressesNeedTheAdminTokenPresentedOnConnect() throws IOException {
    JsonObject invalidate = new JsonObject().put("type", "send").put("address", "gencache.invalidate")
        .put("replyAddress", "inv").put("body", new JsonObject().put("tags", new io.vertx.core.json.JsonArray().add("none")));
    try (FrameSocket anonymous = connect()) {
      anonymous.send(invalidate);
      JsonObject denied = anonymous.read();
      assertThat(denied.getString("type")).isEqualTo("err");
      assertThat(denied.getString("message")).isEqualTo("access_denied");

      anonymous.send(new JsonObject().put("type", "ping").put("headers", new JsonObject().put("authorization", "Bearer wrong-token-0123456789")));
      assertThat(anonymous.read().getString("message")).isEqualTo("access_denied");
      anonymous.send(invalidate);
      assertThat(anonymous.read().getString("message")).isEqualTo("access_denied");
    }
    try (FrameSocket admin = connect()) {
      admin.send(new JsonObject().put("type", "ping").put("headers", new JsonObject().put("authorization", "Bearer " + ADMIN)));
      assertThat(admin.read().getString("type")).isEqualTo("pong");
      admin.send(invalidate);
      JsonObject reply = admin.readSkippingEvents();
      assertThat(reply.getString("type")).isEqualTo("message");
      assertThat(reply.getJsonObject("body").getLong("seq")).isPositive();
    }
  }

  @Test
  void internalAndUnlistedAddressesAreDenied() throws IOException {
    try (FrameSocket s = connect()) {
      for (JsonObject frame : List.of(
          new JsonObject().put("type", "send").put("address", "gencache.internal.leader").put("body", new JsonObject()),
          new JsonObject().put("type", "register").put("address", "gencache.internal.flights"),
          new JsonObject().put("type", "publish").put("address", "gencache.events").put("body", new JsonObject()),
          new JsonObject().put("type", "send").put("address", "gencache.internal.node.x").put("replyAddress", "z")
              .put("body", new JsonObject().put("op", "usage")))) {
        s.send(frame);
        assertThat(s.read().getString("message")).as(frame.encode()).isEqualTo("access_denied");
      }
    }
  }

  @Test
  void anOversizedFrameClosesThatConnectionOnly() throws IOException {
    try (FrameSocket bystander = connect(); FrameSocket offender = connect()) {
      // Announces 100 MB: the bridge alone would buffer it.
      offender.sendRaw(ByteBuffer.allocate(8).putInt(100 << 20).putInt(0).array());
      JsonObject err = offender.read();
      assertThat(err.getString("message")).isEqualTo("frame_too_large");
      assertThat(offender.closedByServer()).isTrue();

      bystander.send(new JsonObject().put("type", "ping"));
      assertThat(bystander.read().getString("type")).isEqualTo("pong");
    }
  }

  @Test
  void aMalformedFrameClosesTheConnection() throws IOException {
    for (String text : List.of("{not json", "[1,2]", "{\"address\":\"gencache.generate\"}",
        "{\"type\":\"send\",\"address\":\"gencache.generate\",\"headers\":{\"x\":1}}")) {
      try (FrameSocket s = connect()) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        s.sendRaw(ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array());
        assertThat(s.read().getString("message")).as(text).isEqualTo("malformed_frame");
        assertThat(s.closedByServer()).as(text).isTrue();
      }
    }
  }

  @Test
  void aFloodIsRefusedPerConnectionAndTheConnectionStays() throws IOException, InterruptedException {
    try (FrameSocket s = connect()) {
      for (int i = 0; i < 60; i++) {
        s.send(new JsonObject().put("type", "ping"));
      }
      int pongs = 0;
      int limited = 0;
      for (int i = 0; i < 60; i++) {
        JsonObject frame = s.read();
        if ("pong".equals(frame.getString("type"))) {
          pongs++;
        } else if ("rate_limited".equals(frame.getString("message"))) {
          limited++;
        }
      }
      assertThat(pongs).isBetween(20, 30);
      assertThat(limited).isEqualTo(60 - pongs);
      Thread.sleep(1100);
      s.send(new JsonObject().put("type", "ping"));
      assertThat(s.read().getString("type")).isEqualTo("pong");
    }
  }
}
