package dev.gencache.bridge;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import io.vertx.ext.eventbus.bridge.tcp.impl.TcpEventBusBridgeImpl;
import java.lang.reflect.Field;

/**
 * The TCP event-bus bridge (vertx-tcp-eventbus-bridge) with gencache's rules in front of it: each
 * connection's Netty pipeline gets a {@link TcpFrameGuard} before the bridge reads a byte. The bridge
 * itself permits only the public addresses ({@link Addresses}), so anything the guard lets through is
 * still denied by default.
 */
public final class TcpBridge {
  private final Vertx vertx;
  private final BridgeAccess access;
  private final int maxFrameBytes;
  private final int maxMessagesPerSecond;
  private final long requestTimeoutMs;
  private TcpEventBusBridge bridge;
  private NetServer server;

  public TcpBridge(Vertx vertx, BridgeAccess access, int maxFrameBytes, int maxMessagesPerSecond,
      long requestTimeoutMs) {
    this.vertx = vertx;
    this.access = access;
    this.maxFrameBytes = maxFrameBytes;
    this.maxMessagesPerSecond = maxMessagesPerSecond;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /** Permitted by the bridge itself: requests in (admin ones too, the guard checks the role), events out. */
  static BridgeOptions permissions() {
    return BridgeAccess.permitPublicAddresses(new BridgeOptions());
  }

  public Future<Integer> listen(String host, int port) {
    NetServerOptions options = new NetServerOptions().setTcpKeepAlive(true).setTcpNoDelay(true);
    TcpEventBusBridge created = TcpEventBusBridge.create(vertx, permissions(), options);
    server = serverOf(created);
    Handler<NetSocket> bridgeHandler = server.connectHandler();
    server.connectHandler(socket -> {
      guard(socket);
      bridgeHandler.handle(socket);
    });
    bridge = created;
    return created.listen(port, host).map(b -> server.actualPort());
  }

  private void guard(NetSocket socket) {
    ChannelHandlerContext vertxHandler = ((NetSocketInternal) socket).channelHandlerContext();
    FramePolicy policy = new FramePolicy(access, new RateLimiter(maxMessagesPerSecond, System::nanoTime),
        maxMessagesPerSecond, requestTimeoutMs);
    vertxHandler.pipeline().addBefore(vertxHandler.name(), "gencache-frame-guard", new TcpFrameGuard(maxFrameBytes, policy));
  }

  public Future<Void> close() {
    return bridge == null ? Future.succeededFuture() : bridge.close();
  }

  /**
   * The bridge's server. The bridge offers no hook before its parser reads a connection, so the guard
   * is installed by wrapping the server's connect handler; {@code TcpBridgeTest} fails if an upgrade
   * of vertx-tcp-eventbus-bridge (pinned in the pom) moves this field.
   */
  private static NetServer serverOf(TcpEventBusBridge bridge) {
    try {
      Field field = TcpEventBusBridgeImpl.class.getDeclaredField("server");
      field.setAccessible(true);
      return (NetServer) field.get(bridge);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("vertx-tcp-eventbus-bridge changed: no server field to guard", e);
    }
  }
}
