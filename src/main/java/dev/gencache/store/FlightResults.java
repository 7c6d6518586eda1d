package dev.gencache.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * How {@link ClusterSingleFlight} hands a finished generation's result to waiters on other nodes:
 * inside the finish announcement when it is small enough, else by reading what the claimant stored.
 */
public interface FlightResults<T> {
  /** The stored result for {@code key}, or {@code null} when it is gone. */
  Future<T> read(String key);

  /** What a waiter needs to answer, for the finish announcement; {@code null} to make waiters read instead. */
  JsonObject describe(T result);

  /** The result an announcement described, or {@code null} when it cannot be used (then waiters read). */
  T fromDescription(String key, JsonObject description);
}
