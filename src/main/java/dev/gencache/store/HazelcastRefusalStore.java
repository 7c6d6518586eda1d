package dev.gencache.store;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@link RefusalStore} in the {@code gencache-refusals} map, each refusal with its own TTL. */
public final class HazelcastRefusalStore implements RefusalStore {
  private final Vertx vertx;
  private final IMap<String, String> refusals;

  public HazelcastRefusalStore(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.refusals = hazelcast.getMap(REFUSALS_MAP);
  }

  @Override
  public Future<String> refusal(String requestKey) {
    return HazelcastFutures.toFuture(refusals.getAsync(requestKey), vertx.getOrCreateContext());
  }

  @Override
  public Future<Void> remember(String requestKey, String message, Duration ttl) {
    return HazelcastFutures.toFuture(refusals.setAsync(requestKey, message, Math.max(1, ttl.toMillis()),
        TimeUnit.MILLISECONDS), vertx.getOrCreateContext());
  }
}
