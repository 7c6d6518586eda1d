package dev.gencache.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GencacheMetricsTest {
  @Test
  void waiterLagHasCumulativeBucketsAroundTheFiveMillisecondTarget() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GencacheMetrics metrics = new GencacheMetrics(registry);
    metrics.waiterLag(Duration.ofMillis(3));
    metrics.waiterLag(Duration.ofMillis(4));
    metrics.waiterLag(Duration.ofMillis(30));

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains("gencache_waiter_lag_seconds_bucket{le=\"0.002\"} 0")
        .contains("gencache_waiter_lag_seconds_bucket{le=\"0.005\"} 2")
        .contains("gencache_waiter_lag_seconds_bucket{le=\"0.05\"} 3")
        .contains("gencache_waiter_lag_seconds_count 3")
        .contains("# TYPE gencache_waiter_lag_seconds histogram");
  }
}
