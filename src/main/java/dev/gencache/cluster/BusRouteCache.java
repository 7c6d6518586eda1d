package dev.gencache.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the clustered event bus's routes for addresses this node publishes to whether or not anyone
 * listens. Vert.x caches an address's subscribers (and Hazelcast keeps that cache current) only while
 * the address has some; with none in the cluster, every publish asks Hazelcast again, on a worker
 * thread. {@link Addresses#EVENTS} usually has none (only bridge clients listen), and a generation
 * publishes there two or three times, each waking a worker and a partition thread on the cores that
 * answer the requests waiting for that generation. A subscriber on this node that drops the messages
 * keeps the route cached; it is local only, so it adds no cluster registration and no network traffic.
 */
public final class BusRouteCache {
  private final Vertx vertx;
  private final List<String> addresses;

  public BusRouteCache(Vertx vertx, List<String> addresses) {
    this.vertx = vertx;
    this.addresses = List.copyOf(addresses);
  }

  /** Subscribes on each address; the subscribers go when Vert.x closes. */
  public Future<Void> start() {
    List<Future<Void>> registered = new ArrayList<>();
    for (String address : addresses) {
      MessageConsumer<Object> keeper = vertx.eventBus().localConsumer(address, message -> { });
      registered.add(keeper.completion());
    }
    return Future.all(registered).mapEmpty();
  }
}
