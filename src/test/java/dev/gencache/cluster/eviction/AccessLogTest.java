package dev.gencache.cluster.eviction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.testing.ManualClock;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AccessLogTest {
  private static final Instant START = Instant.parse("2026-11-23T10:00:00Z");
  private final ManualClock clock = new ManualClock(START);
  private final AccessLog log = new AccessLog(clock);

  @Test
  void keepsTheFirstTimeWithinASecondAndMovesOnAfterIt() {
    log.record("a");
    clock.advance(Duration.ofMillis(999));
    log.record("a");
    log.record("b");
    assertThat(log.drain()).isEqualTo(new JsonObject()
        .put("a", START.toEpochMilli())
        .put("b", START.toEpochMilli() + 999));

    log.record("a"); // a drained log starts empty: noted again at once
    clock.advance(Duration.ofMillis(1000));
    log.record("a");
    assertThat(log.drain()).isEqualTo(new JsonObject().put("a", START.toEpochMilli() + 1999));
    assertThat(log.drain()).isEqualTo(new JsonObject());
  }
}
