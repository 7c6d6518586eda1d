package dev.gencache.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MetricsNaming;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Vert.x's HTTP server request meters, with the names, tags and descriptions vertx-micrometer-metrics
 * gives them under gencache's options (its default labels: {@code method}, and {@code code} on
 * responses), each looked up once per method and status code. Vert.x's own implementation builds and
 * registers five meters on every request; those registry lookups were 9% of a cache hit's event-loop
 * time in the profile. WebSocket meters stay Vert.x's ({@code vertx} gets those calls).
 */
final class CachedHttpServerMetrics implements HttpServerMetrics<CachedHttpServerMetrics.Request, Object> {
  private static final MetricsNaming NAMES = MetricsNaming.v4Names().withBaseName(MetricsDomain.HTTP_SERVER.getPrefix());

  /** One request in progress. */
  static final class Request {
    final ByMethod method;
    final long startNanos;

    Request(ByMethod method, long startNanos) {
      this.method = method;
      this.startNanos = startNanos;
    }
  }

  /** The meters of one method, and of its status codes. */
  private final class ByMethod {
    final String method;
    final LongAdder active = new LongAdder();
    final DistributionSummary requestBytes;
    final ConcurrentHashMap<Integer, ByCode> codes = new ConcurrentHashMap<>();

    ByMethod(String method) {
      this.method = method;
      Gauge.builder(NAMES.getHttpActiveRequests(), active, LongAdder::doubleValue)
          .description("Number of requests being processed").tag("method", method).register(registry);
      requestBytes = DistributionSummary.builder(NAMES.getHttpRequestBytes()).description("Size of requests in bytes")
          .tag("method", method).register(registry);
    }

    ByCode code(int status) {
      ByCode c = codes.get(status);
      return c != null ? c : codes.computeIfAbsent(status, s -> new ByCode(method, Integer.toString(s)));
    }
  }

  /** The meters of one method and status code. */
  private final class ByCode {
    final Counter requests;
    final Timer responseTime;
    final DistributionSummary responseBytes;

    ByCode(String method, String code) {
      requests = Counter.builder(NAMES.getHttpRequestsCount()).description("Number of processed requests")
          .tags("method", method, "code", code).register(registry);
      responseTime = Timer.builder(NAMES.getHttpResponseTime()).description("Request processing time")
          .tags("method", method, "code", code).register(registry);
      responseBytes = DistributionSummary.builder(NAMES.getHttpResponseBytes()).description("Size of responses in bytes")
          .tags("method", method, "code", code).register(registry);
    }
  }

  private final HttpServerMetrics<Object, Object> vertx;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<HttpMethod, ByMethod> methods = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  CachedHttpServerMetrics(HttpServerMetrics<?, ?> vertx, MeterRegistry registry) {
    this.vertx = (HttpServerMetrics<Object, Object>) vertx;
    this.registry = registry;
  }

  private ByMethod method(HttpMethod method) {
    ByMethod m = methods.get(method);
    return m != null ? m : methods.computeIfAbsent(method, x -> new ByMethod(x.toString()));
  }

  @Override
  public Request requestBegin(SocketAddress remote, HttpRequest request) {
    ByMethod m = method(request.method());
    m.active.increment();
    return new Request(m, System.nanoTime());
  }

  @Override
  public void requestEnd(Request request, HttpRequest httpRequest, long bytesRead) {
    request.method.requestBytes.record(bytesRead);
  }

  @Override
  public void requestReset(Request request) {
    // Rare, and registered on the first one as Vert.x does (no series of zeros).
    Counter.builder(NAMES.getHttpRequestResetsCount()).description("Number of request resets")
        .tag("method", request.method.method).register(registry).increment();
    request.method.active.decrement();
  }

  @Override
  public Request responsePushed(SocketAddress remote, HttpMethod method, String uri, HttpResponse response) {
    ByMethod m = method(method);
    m.active.increment();
    return new Request(m, System.nanoTime());
  }

  @Override
  public void responseEnd(Request request, HttpResponse response, long bytesWritten) {
    ByCode c = request.method.code(response.statusCode());
    c.responseTime.record(System.nanoTime() - request.startNanos, TimeUnit.NANOSECONDS);
    c.requests.increment();
    c.responseBytes.record(bytesWritten);
    request.method.active.decrement();
  }

  @Override
  public Object connected(HttpRequest request) {
    return vertx.connected(request);
  }

  @Override
  public void disconnected(Object webSocketMetric) {
    vertx.disconnected(webSocketMetric);
  }

  @Override
  public void close() {
    vertx.close();
  }
}
