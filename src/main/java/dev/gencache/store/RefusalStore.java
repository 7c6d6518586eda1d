package dev.gencache.store;

import io.vertx.core.Future;
import java.time.Duration;

/**
 * Negative cache of content-policy refusals by request key, shared by the cluster: a refused prompt
 * is answered from here for a while instead of calling (and paying) the provider again.
 */
public interface RefusalStore {
  String REFUSALS_MAP = "gencache-refusals";

  /** The provider's refusal message for {@code requestKey}, or {@code null}. */
  Future<String> refusal(String requestKey);

  Future<Void> remember(String requestKey, String message, Duration ttl);
}
