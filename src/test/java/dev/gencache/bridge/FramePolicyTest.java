package dev.gencache.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.bridge.BridgeAccess.Role;
import dev.gencache.bridge.FramePolicy.Verdict;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FramePolicyTest {
  private static final String CLIENT = "client-token-0123456789";
  private static final String ADMIN = "admin-token-0123456789";
  private final AtomicLong nanos = new AtomicLong();

  private FramePolicy policy(List<String> clientTokens, int perSecond) {
    return new FramePolicy(new BridgeAccess(clientTokens, List.of(ADMIN)), new RateLimiter(perSecond, nanos::get),
        perSecond, 130_000);
  }

  private static JsonObject send(String address) {
    return new JsonObject().put("type", "send").put("address", address).put("replyAddress", "r")
        .put("body", new JsonObject());
  }

  private static JsonObject withToken(JsonObject frame, String token) {
    return frame.put("headers", new JsonObject().put("authorization", "Bearer " + token).put("trace", "t1"));
  }

  @Test
  void theTokenIsStrippedAndGrantsItsRoleForTheRestOfTheConnection() {
    FramePolicy p = policy(List.of(CLIENT), 100);
    assertThat(p.role()).isEqualTo(Role.ANONYMOUS);
    Verdict login = p.decide(withToken(new JsonObject().put("type", "ping"), ADMIN));
    assertThat(login.frame().getJsonObject("headers").containsKey("authorization")).isFalse();
    assertThat(login.frame().getJsonObject("headers").getString("trace")).isEqualTo("t1");
    assertThat(p.role()).isEqualTo(Role.ADMIN);
    assertThat(p.decide(send("gencache.invalidate")).frame()).isNotNull();
    // A later, lesser token does not demote the connection.
    p.decide(withToken(new JsonObject().put("type", "ping"), CLIENT));
    assertThat(p.role()).isEqualTo(Role.ADMIN);
  }

  @Test
  void withAuthOnAnAnonymousConnectionMayOnlyPing() {
    FramePolicy p = policy(List.of(CLIENT), 100);
    assertThat(p.decide(new JsonObject().put("type", "ping")).frame()).isNotNull();
    Verdict denied = p.decide(send("gencache.generate"));
    assertThat(denied.error().getString("message")).isEqualTo("access_denied");
    assertThat(denied.error().getInteger("failureCode")).isEqualTo(403);
    assertThat(denied.error().getString("address")).isEqualTo("r");
    assertThat(p.decide(new JsonObject().put("type", "register").put("address", "gencache.events")).error()
        .getString("message")).isEqualTo("access_denied");
    p.decide(withToken(new JsonObject().put("type", "ping"), CLIENT));
    assertThat(p.decide(send("gencache.generate")).frame()).isNotNull();
    assertThat(p.decide(send("gencache.invalidate")).error().getString("message")).isEqualTo("access_denied");
  }

  @Test
  void aWrongTokenIsRefusedAndGrantsNothing() {
    FramePolicy p = policy(List.of(CLIENT), 100);
    Verdict v = p.decide(withToken(new JsonObject().put("type", "ping"), "not-a-token-0123456789"));
    assertThat(v.frame()).isNull();
    assertThat(v.close()).isFalse();
    assertThat(v.error().getString("message")).isEqualTo("access_denied");
    assertThat(p.role()).isEqualTo(Role.ANONYMOUS);
  }

  @Test
  void onlyThePublicAddressesPass() {
    FramePolicy p = policy(List.of(), 100);
    assertThat(p.role()).isEqualTo(Role.CLIENT);
    assertThat(p.decide(send("gencache.generate")).frame()).isNotNull();
    for (JsonObject frame : List.of(send("gencache.invalidate"), send("gencache.internal.leader"),
        send("gencache.internal.node.abc"), new JsonObject().put("type", "publish").put("address", "gencache.events"),
        new JsonObject().put("type", "register").put("address", "gencache.internal.flights"), send(null))) {
      assertThat(p.decide(frame).error()).as(frame.encode()).isNotNull();
    }
    assertThat(p.decide(new JsonObject().put("type", "register").put("address", "gencache.events")).frame()).isNotNull();
    assertThat(p.decide(new JsonObject().put("type", "unregister").put("address", "gencache.events")).frame()).isNotNull();
  }

  @Test
  void generateIsAnsweredByTheLocalNodeAndClientsCannotPickDeliveryOptions() {
    FramePolicy p = policy(List.of(), 100);
    JsonObject frame = send("gencache.generate").put("headers", new JsonObject().put("codecName", "evil")
        .put("localOnly", false).put("timeout", 5000));
    JsonObject passed = p.decide(frame).frame();
    assertThat(passed.getJsonObject("headers").getBoolean("localOnly")).isTrue();
    assertThat(passed.getJsonObject("headers").containsKey("codecName")).isFalse();
    assertThat(passed.getJsonObject("headers").getInteger("timeout")).isEqualTo(5000);
    // Without its own timeout a request waits as long as a generation may take, not the bridge's 30 s.
    assertThat(p.decide(send("gencache.generate")).frame().getJsonObject("headers").getLong("timeout")).isEqualTo(130_000);
    assertThat(p.decide(send("gencache.invalidate")).error()).isNotNull();
  }

  @Test
  void framesTheBridgeWouldChokeOnCloseTheConnection() {
    FramePolicy p = policy(List.of(), 100);
    for (JsonObject frame : List.of(new JsonObject(), new JsonObject().put("type", 3),
        send("gencache.generate").put("replyAddress", 7),
        send("gencache.generate").put("headers", new JsonObject().put("x", 1)),
        send("gencache.generate").put("headers", "text"),
        send("gencache.generate").put("headers", new JsonObject().put("timeout", -1)),
        new JsonObject().put("type", "send").put("address", new JsonObject()))) {
      Verdict v = p.decide(frame);
      assertThat(v.close()).as(frame.encode()).isTrue();
      assertThat(v.error().getString("message")).isEqualTo("malformed_frame");
    }
    assertThat(p.decide(null).close()).isTrue();
  }

  @Test
  void theRateLimitRefillsWithTime() {
    FramePolicy p = policy(List.of(), 10);
    for (int i = 0; i < 10; i++) {
      assertThat(p.decide(new JsonObject().put("type", "ping")).frame()).isNotNull();
    }
    Verdict limited = p.decide(send("gencache.generate"));
    assertThat(limited.close()).isFalse();
    assertThat(limited.error().getInteger("failureCode")).isEqualTo(429);
    assertThat(new JsonObject(limited.error().getString("message")).getString("type"))
        .isEqualTo("urn:gencache:problem:rate-limited");
    assertThat(p.decide(new JsonObject().put("type", "ping")).error().getString("message")).isEqualTo("rate_limited");
    nanos.addAndGet(100_000_000); // 0.1 s buys one message at 10/s
    assertThat(p.decide(new JsonObject().put("type", "ping")).frame()).isNotNull();
    assertThat(p.decide(new JsonObject().put("type", "ping")).error()).isNotNull();
  }
}
