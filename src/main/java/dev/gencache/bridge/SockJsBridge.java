package dev.gencache.bridge;

import dev.gencache.bridge.BridgeAccess.Role;
import dev.gencache.http.Problem;
import dev.gencache.http.Routes;
import dev.gencache.http.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authorization.AuthorizationProvider;
import io.vertx.ext.auth.authorization.PermissionBasedAuthorization;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.handler.SimpleAuthenticationHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.Transport;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.LongSupplier;

/**
 * The SockJS event-bus bridge at {@code /eventbus} on the HTTP port, for browsers and Node.js
 * ({@code @vertx/eventbus-bridge-client.js}). The token is presented on connect, as
 * {@code ?access_token=} on the bridge URL or an {@code Authorization: Bearer} header. Admin addresses
 * require the admin authority, so a client without it gets the bridge's own {@code access_denied}.
 * WebSocket is the only transport: its messages are bounded by the HTTP server's WebSocket limits,
 * where SockJS's HTTP-polling transports would read a send body of any size.
 */
public final class SockJsBridge implements Routes {
  public static final String PATH = "/eventbus";
  private static final String PROVIDER = "gencache-bridge";
  static final int MAX_PENDING_PER_SOCKET = 1000;

  private final Vertx vertx;
  private final BridgeAccess access;
  private final int maxMessagesPerSecond;
  private final long requestTimeoutMs;
  private final LongSupplier nanoTime;

  /** @param requestTimeoutMs how long a request waits for its reply (vertx-web's default, 30 s, is shorter than a slow generation) */
  public SockJsBridge(Vertx vertx, BridgeAccess access, int maxMessagesPerSecond, long requestTimeoutMs,
      LongSupplier nanoTime) {
    this.vertx = vertx;
    this.access = access;
    this.maxMessagesPerSecond = maxMessagesPerSecond;
    this.requestTimeoutMs = requestTimeoutMs;
    this.nanoTime = nanoTime;
  }

  @Override
  public void mount(Router router) {
    SockJSHandlerOptions options = new SockJSHandlerOptions().setRegisterWriteHandler(false);
    for (Transport t : Transport.values()) {
      if (t != Transport.WEBSOCKET) {
        options.addDisabledTransport(t.name());
      }
    }
    // Registrations plus requests awaiting their reply, per socket: the rate limit bounds how fast they
    // come, this how many a slow generation may leave waiting.
    SockJSBridgeOptions bridgeOptions = new SockJSBridgeOptions().setMaxHandlersPerSocket(MAX_PENDING_PER_SOCKET)
        .setReplyTimeout(requestTimeoutMs);
    BridgeAccess.permitPublicAddresses(bridgeOptions);
    // Loaded on the routing context by authenticate(): nothing more to fetch.
    AuthorizationProvider authorizations = new AuthorizationProvider() {
      @Override
      public String getId() {
        return PROVIDER;
      }

      @Override
      public Future<Void> getAuthorizations(User user) {
        return Future.succeededFuture();
      }
    };
    Map<SockJSSocket, RateLimiter> limits = new WeakHashMap<>(); // one router per event loop: no sharing
    router.route(PATH + "/*").handler(SimpleAuthenticationHandler.create().authenticate(this::authenticate));
    router.route(PATH + "/*").subRouter(SockJSHandler.create(vertx, options)
        .bridge(authorizations, bridgeOptions, event -> onEvent(event, limits)));
  }

  /** Every connection carries a user: its role decides what the bridge's permissions let through. */
  private Future<User> authenticate(RoutingContext ctx) {
    String presented = ctx.request().getParam("access_token");
    if (presented == null) {
      presented = Tokens.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
    }
    Role role = presented == null ? access.initial() : access.roleFor(presented);
    if (role == null || role == Role.ANONYMOUS) {
      return Future.failedFuture(new HttpException(401));
    }
    User user = User.fromName(role.name().toLowerCase(Locale.ROOT));
    if (role == Role.ADMIN) {
      user.authorizations().put(PROVIDER, PermissionBasedAuthorization.create(BridgeAccess.ADMIN_AUTHORITY));
    }
    return Future.succeededFuture(user);
  }

  /**
   * A rate-limited request also gets a failed reply (429, the problem JSON) at its reply address, so the
   * client's reply callback fires: vertx-web's own "rejected" carries no address to match it by.
   */
  private void refuseRequest(BridgeEvent event) {
    JsonObject frame = event.getRawMessage();
    Object replyAddress = frame == null ? null : frame.getValue("replyAddress");
    if (event.type() == BridgeEventType.SEND && replyAddress instanceof String) {
      String problem = Problem.of(429, "rate-limited", "Too many messages",
          "more than " + maxMessagesPerSecond + " messages a second on this connection").toJson(null).encode();
      event.socket().write(new JsonObject().put("type", "err").put("address", replyAddress)
          .put("failureCode", 429).put("failureType", "RECIPIENT_FAILURE").put("message", problem).encode());
    }
  }

  private void onEvent(BridgeEvent event, Map<SockJSSocket, RateLimiter> limits) {
    switch (event.type()) {
      case SOCKET_CREATED -> limits.put(event.socket(), new RateLimiter(maxMessagesPerSecond, nanoTime));
      case SOCKET_CLOSED -> limits.remove(event.socket());
      case SEND, PUBLISH, REGISTER -> {
        RateLimiter limit = limits.get(event.socket());
        if (limit != null && !limit.tryAcquire()) {
          refuseRequest(event);
          event.complete(false); // vertx-web adds its own err "rejected"; the connection stays
          return;
        }
      }
      default -> { }
    }
    event.complete(true);
  }
}
