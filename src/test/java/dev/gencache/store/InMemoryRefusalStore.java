package dev.gencache.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test fake of {@link RefusalStore}: a map with expiry on the injected clock. */
public final class InMemoryRefusalStore implements RefusalStore {
  private record Refusal(String message, Instant until) {}

  private final InstantSource clock;
  private final Map<String, Refusal> refusals = new ConcurrentHashMap<>();

  public InMemoryRefusalStore(InstantSource clock) {
    this.clock = clock;
  }

  @Override
  public Future<String> refusal(String requestKey) {
    Refusal r = refusals.get(requestKey);
    return Future.succeededFuture(r == null || !clock.instant().isBefore(r.until()) ? null : r.message());
  }

  @Override
  public Future<Void> remember(String requestKey, String message, Duration ttl) {
    refusals.put(requestKey, new Refusal(message, clock.instant().plus(ttl)));
    return Future.succeededFuture();
  }
}
