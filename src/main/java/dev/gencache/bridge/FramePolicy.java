package dev.gencache.bridge;

import dev.gencache.bridge.BridgeAccess.Kind;
import dev.gencache.bridge.BridgeAccess.Role;
import dev.gencache.cluster.Addresses;
import dev.gencache.http.Problem;
import dev.gencache.http.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * The rules one TCP bridge connection's frames pass before the Vert.x bridge sees them: the rate
 * limit, the token presented on connect (stripped, so no consumer ever sees it), and the address rules
 * of {@link BridgeAccess}. The Vert.x bridge then applies its own deny-by-default lists on top.
 */
public final class FramePolicy {
  /** What to do with a frame: pass {@code frame} on, or answer {@code error}; {@code close} after a fatal one. */
  public record Verdict(JsonObject frame, JsonObject error, boolean close) {
    static Verdict pass(JsonObject frame) {
      return new Verdict(frame, null, false);
    }

    static Verdict refuse(JsonObject error) {
      return new Verdict(null, error, false);
    }

    static Verdict closeWith(String message) {
      return new Verdict(null, new JsonObject().put("type", "err").put("message", message), true);
    }
  }

  public static final String AUTHORIZATION = "authorization";
  /** A request's own {@code timeout} header may ask for up to this long (a generation can take minutes). */
  static final long MAX_TIMEOUT_MS = 600_000;

  private final BridgeAccess access;
  private final RateLimiter rate;
  private final int perSecond;
  private final long requestTimeoutMs;
  private Role role;

  /**
   * @param requestTimeoutMs how long a request waits for its reply unless it sets its own {@code timeout}:
   *     the bridge's default (30 s) would fail a slow generation that gencache still answers
   */
  public FramePolicy(BridgeAccess access, RateLimiter rate, int perSecond, long requestTimeoutMs) {
    this.access = access;
    this.rate = rate;
    this.perSecond = perSecond;
    this.requestTimeoutMs = Math.min(requestTimeoutMs, MAX_TIMEOUT_MS);
    this.role = access.initial();
  }

  public Role role() {
    return role;
  }

  /** Decides one decoded frame; {@code null} is a frame that was not a JSON object. */
  public Verdict decide(JsonObject frame) {
    if (frame == null || !(frame.getValue("type") instanceof String type) || !wellFormed(frame)) {
      return Verdict.closeWith("malformed_frame");
    }
    if (!rate.tryAcquire()) {
      return Verdict.refuse(error(frame, 429, Problem.of(429, "rate-limited", "Too many messages",
          "more than " + perSecond + " messages a second on this connection").toJson(null).encode(), "rate_limited"));
    }
    JsonObject headers = frame.getJsonObject("headers");
    if (headers != null && headers.containsKey(AUTHORIZATION)) {
      Object presented = headers.remove(AUTHORIZATION);
      Role granted = presented instanceof String s ? access.roleFor(stripBearer(s)) : null;
      if (granted == null) {
        return denied(frame);
      }
      if (granted.ordinal() > role.ordinal()) {
        role = granted;
      }
    }
    Kind kind = switch (type) {
      case "send" -> Kind.SEND;
      case "publish" -> Kind.PUBLISH;
      case "register", "unregister" -> Kind.REGISTER;
      default -> null; // ping, and unknown types the bridge answers itself
    };
    if (kind == null) {
      return role == Role.ANONYMOUS && !type.equals("ping")
          ? denied(frame)
          : Verdict.pass(frame);
    }
    String address = frame.getValue("address") instanceof String a ? a : null;
    if (!BridgeAccess.permits(role, kind, address)) {
      return denied(frame);
    }
    if (kind == Kind.SEND) {
      JsonObject options = headers == null ? new JsonObject() : headers;
      if (!options.containsKey("timeout")) {
        options.put("timeout", requestTimeoutMs);
      }
      if (Addresses.GENERATE.equals(address)) {
        options.put("localOnly", true); // every node consumes it: answer on this one, no cluster hop
      }
      frame.put("headers", options);
    }
    return Verdict.pass(frame);
  }

  /**
   * The shapes the Vert.x bridge reads without checking (a wrong one would throw inside it). Delivery
   * options are ours to set: a client's {@code codecName} or {@code localOnly} is dropped.
   */
  private static boolean wellFormed(JsonObject frame) {
    Object address = frame.getValue("address");
    Object replyAddress = frame.getValue("replyAddress");
    Object headers = frame.getValue("headers");
    if (address != null && !(address instanceof String) || replyAddress != null && !(replyAddress instanceof String)
        || headers != null && !(headers instanceof JsonObject)) {
      return false;
    }
    if (headers instanceof JsonObject h) {
      h.remove("codecName");
      h.remove("localOnly");
      for (var e : h) {
        boolean ok = e.getKey().equals("timeout")
            ? e.getValue() instanceof Number n && n.longValue() >= 1 && n.longValue() <= MAX_TIMEOUT_MS
            : e.getValue() instanceof String;
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * An {@code err} frame. A request (it has a {@code replyAddress}) gets it addressed to that reply
   * address with a failure code, as a failed reply would arrive; anything else gets the bridge's plain form.
   */
  private static JsonObject error(JsonObject frame, int code, String replyMessage, String plainMessage) {
    Object replyAddress = frame.getValue("replyAddress");
    if (replyAddress instanceof String r && "send".equals(frame.getValue("type"))) {
      return new JsonObject().put("type", "err").put("address", r).put("sourceAddress", frame.getValue("address"))
          .put("failureCode", code).put("failureType", "RECIPIENT_FAILURE").put("message", replyMessage);
    }
    return new JsonObject().put("type", "err").put("message", plainMessage);
  }

  private static Verdict denied(JsonObject frame) {
    return Verdict.refuse(error(frame, 403, "access_denied", "access_denied"));
  }

  private static String stripBearer(String value) {
    String token = Tokens.bearer(value);
    return token != null ? token : value.trim();
  }
}
