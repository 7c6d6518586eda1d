package dev.gencache.bridge;

import dev.gencache.config.GencacheConfig.BridgeConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Owns the TCP event-bus bridge: listens on start, stops taking connections on undeploy. */
public final class BridgeVerticle extends VerticleBase {
  private final BridgeConfig config;
  private final BridgeAccess access;
  private final long requestTimeoutMs;
  private TcpBridge bridge;
  private volatile int port;

  public BridgeVerticle(BridgeConfig config, BridgeAccess access, long requestTimeoutMs) {
    this.config = config;
    this.access = access;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  @Override
  public Future<?> start() {
    bridge = new TcpBridge(vertx, access, config.maxFrameBytes(), config.maxMessagesPerSecond(), requestTimeoutMs);
    return bridge.listen(config.tcpHost(), config.tcpPort()).onSuccess(p -> port = p);
  }

  @Override
  public Future<?> stop() {
    return bridge.close();
  }

  /** The port bound (the configured one, or the one picked for port 0). */
  public int port() {
    return port;
  }
}
