package dev.gencache.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.testing.TestNodes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The same traffic through Vert.x's own HTTP server metrics and through {@link NodeMetricsFactory}
 * gives the same {@code vertx.http.server.*} meters: names, types, tags and counts.
 */
class CachedHttpServerMetricsTest {

  /** Serves a few requests on a Vert.x built with {@code factory}; its HTTP server meters as text. */
  private static Map<String, String> httpServerMeters(VertxMetricsFactory factory, boolean expectCached)
      throws Exception {
    String registryName = "test-" + UUID.randomUUID();
    Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true).setRegistryName(registryName)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)))).withMetrics(factory).build();
    try {
      assertThat(((VertxInternal) vertx).metrics().getClass().getName().startsWith(NodeMetricsFactory.class.getName()))
          .as(((VertxInternal) vertx).metrics().getClass().getName())
          .isEqualTo(expectCached);
      HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        if (req.path().equals("/ok")) {
          req.response().end("hello");
        } else {
          req.response().setStatusCode(404).end("nothing here");
        }
      })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      HttpClient client = vertx.createHttpClient();
      String[][] calls = {{"GET", "/ok", ""}, {"GET", "/ok", ""}, {"GET", "/ok", ""}, {"POST", "/ok", "a body"},
          {"GET", "/missing", ""}, {"DELETE", "/missing", ""}};
      for (String[] call : calls) {
        client.request(HttpMethod.valueOf(call[0]), server.actualPort(), "127.0.0.1", call[1])
            .compose(r -> r.send(Buffer.buffer(call[2])).compose(HttpClientResponse::body))
            .await(10, TimeUnit.SECONDS);
      }
      // The server records a response's end after writing it, which may come after the client read it.
      MeterRegistry registry = BackendRegistries.getNow(registryName);
      TestNodes.eventually(Duration.ofSeconds(10), "the server recorded the end of " + calls.length + " requests",
          () -> recordedEnds(registry) == calls.length);
      return meters(registry);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * How many responses' ends the registry has fully recorded: the least of the request count, the
   * response times and sizes, and (while any request is still active) none.
   */
  private static double recordedEnds(MeterRegistry registry) {
    double active = registry.find("vertx.http.server.active.requests").gauges().stream().mapToDouble(Gauge::value).sum();
    if (active != 0) {
      return 0;
    }
    double requests = registry.find("vertx.http.server.requests").counters().stream().mapToDouble(Counter::count).sum();
    double times = registry.find("vertx.http.server.response.time").timers().stream().mapToLong(Timer::count).sum();
    double sizes = registry.find("vertx.http.server.response.bytes").summaries().stream()
        .mapToLong(DistributionSummary::count).sum();
    return Math.min(requests, Math.min(times, sizes));
  }

  /** The registry's HTTP server meters, without the connection-level ones, as text. */
  private static Map<String, String> meters(MeterRegistry registry) {
    Map<String, String> meters = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      Meter.Id id = m.getId();
      if (!id.getName().startsWith("vertx.http.server.") || id.getName().contains("bytes.read")
          || id.getName().contains("bytes.written") || id.getName().contains("connections")) {
        continue; // connection-level meters are Vert.x's in both cases
      }
      String value = m instanceof Counter c ? "count=" + c.count()
          : m instanceof Timer t ? "count=" + t.count()
          : m instanceof DistributionSummary s ? "count=" + s.count() + " total=" + s.totalAmount()
          : m instanceof Gauge g ? "value=" + g.value()
          : m.getClass().getSimpleName();
      meters.put(id.getName() + id.getTags() + " " + id.getType() + " \"" + id.getDescription() + "\"", value);
    }
    return meters;
  }

  @Test
  void theCachedMetersAreVertxsMeters() throws Exception {
    Map<String, String> vertx = httpServerMeters(new MicrometerMetricsFactory(), false);
    Map<String, String> cached = httpServerMeters(new NodeMetricsFactory(), true);
    assertThat(vertx).containsEntry(
        "vertx.http.server.requests[tag(code=200), tag(method=GET)] COUNTER \"Number of processed requests\"", "count=3.0")
        .containsEntry("vertx.http.server.requests[tag(code=404), tag(method=DELETE)] COUNTER \"Number of processed requests\"",
            "count=1.0");
    assertThat(cached).isEqualTo(vertx);
  }
}
