package dev.gencache.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * This node's point-to-point address ({@link Addresses#node}): one consumer that dispatches on the
 * message's {@code op}, because two consumers on one address would share its messages round-robin.
 */
public final class NodeInbox {
  private final Vertx vertx;
  private final String nodeId;
  private final Map<String, Function<JsonObject, Future<JsonObject>>> handlers = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;

  public NodeInbox(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
  }

  /** Handles {@code op}; the handler's result is the reply (its failure message the error reply). */
  public NodeInbox on(String op, Function<JsonObject, Future<JsonObject>> handler) {
    handlers.put(op, handler);
    return this;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.node(nodeId), this::dispatch);
    return consumer.completion();
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void dispatch(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Function<JsonObject, Future<JsonObject>> handler = body == null ? null : handlers.get(body.getString("op", ""));
    if (handler == null) {
      msg.fail(400, "unknown op");
      return;
    }
    Future<JsonObject> reply;
    try {
      reply = handler.apply(body);
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    reply.onSuccess(msg::reply).onFailure(err -> msg.fail(500, String.valueOf(err.getMessage())));
  }
}
