package dev.gencache.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientConfig;
import io.vertx.core.http.HttpServerConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.QuicEndpointConfig;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TcpClientConfig;
import io.vertx.core.net.TcpServerConfig;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TransportMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * vertx-micrometer-metrics as configured by {@link MicrometerMetricsOptions}, with its HTTP server
 * request meters replaced by {@link CachedHttpServerMetrics} (same names and tags, no registry lookup
 * per request). Every other meter is Vert.x's own.
 */
public final class NodeMetricsFactory implements VertxMetricsFactory {
  private final MicrometerMetricsFactory micrometer = new MicrometerMetricsFactory();

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    VertxMetrics vertx = micrometer.metrics(options);
    String registryName = ((MicrometerMetricsOptions) micrometer.newOptions(options.getMetricsOptions())).getRegistryName();
    return new Metrics(vertx, BackendRegistries.getNow(registryName));
  }

  @Override
  public MetricsOptions newOptions() {
    return micrometer.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return micrometer.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return micrometer.newOptions(json);
  }

  /** Vert.x's metrics, but for the HTTP server request meters. */
  private static final class Metrics implements VertxMetrics {
    private final VertxMetrics vertx;
    private final MeterRegistry registry;

    Metrics(VertxMetrics vertx, MeterRegistry registry) {
      this.vertx = vertx;
      this.registry = registry;
    }

    @Override
    public HttpServerMetrics<?, ?> createHttpServerMetrics(HttpServerConfig config, SocketAddress tcpLocal,
        SocketAddress udpLocal) {
      HttpServerMetrics<?, ?> own = vertx.createHttpServerMetrics(config, tcpLocal, udpLocal);
      return own == null || registry == null ? own : new CachedHttpServerMetrics(own, registry);
    }

    @Override
    public EventBusMetrics createEventBusMetrics() {
      return vertx.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remote, String type, String namespace) {
      return vertx.createClientMetrics(remote, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?> createHttpClientMetrics(HttpClientConfig config) {
      return vertx.createHttpClientMetrics(config);
    }

    @Override
    public TransportMetrics<?> createTcpServerMetrics(TcpServerConfig config, String protocol, SocketAddress local) {
      return vertx.createTcpServerMetrics(config, protocol, local);
    }

    @Override
    public TransportMetrics<?> createTcpClientMetrics(TcpClientConfig config, String protocol) {
      return vertx.createTcpClientMetrics(config, protocol);
    }

    @Override
    public TransportMetrics<?> createQuicEndpointMetrics(QuicEndpointConfig config, String protocol,
        SocketAddress local) {
      return vertx.createQuicEndpointMetrics(config, protocol, local);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return vertx.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
      return vertx.createPoolMetrics(type, name, maxSize);
    }

    @Override
    public void vertxCreated(Vertx created) {
      vertx.vertxCreated(created);
    }

    @Override
    public boolean isMetricsEnabled() {
      return vertx.isMetricsEnabled();
    }

    @Override
    public void close() {
      vertx.close();
    }
  }
}
