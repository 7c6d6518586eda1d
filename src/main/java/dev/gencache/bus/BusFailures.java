package dev.gencache.bus;

import dev.gencache.http.Problem;
import dev.gencache.http.Problems;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails an event-bus request the way HTTP would answer it: the failure code is the HTTP status and the
 * message is the RFC 9457 problem as JSON text, so every client sees the same {@code type}s.
 */
public final class BusFailures {
  private static final Logger log = LoggerFactory.getLogger(BusFailures.class);

  private BusFailures() {}

  public static void fail(Message<?> msg, Throwable err) {
    Problem problem = Problems.from(err);
    if (problem.status() >= 500 && problem.status() != 503 && problem.status() != 504) {
      log.error("{} failed with {}", msg.address(), problem.status(), err);
    }
    msg.fail(problem.status(), toJson(problem, msg.address()).encode());
  }

  static JsonObject toJson(Problem problem, String address) {
    JsonObject json = problem.toJson(address);
    if (problem.retryAfterSeconds() > 0) {
      json.put("retry_after_seconds", problem.retryAfterSeconds());
    }
    return json;
  }
}
