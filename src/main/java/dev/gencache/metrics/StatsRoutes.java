package dev.gencache.metrics;

import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.NodeInbox;
import dev.gencache.cluster.leader.Leadership;
import dev.gencache.http.Routes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/stats}: the cluster's usage, summed over every member's own counters (asked through
 * its inbox): requests by result and the hit ratio, generations by generator and outcome, upstream
 * spend and the cost hits saved. A member that does not answer within a second is left out and
 * counted in {@code unreachable}.
 */
public final class StatsRoutes implements Routes {
  private final Vertx vertx;
  private final Leadership leadership;
  private final GencacheMetrics metrics;

  public StatsRoutes(Vertx vertx, Leadership leadership, GencacheMetrics metrics) {
    this.vertx = vertx;
    this.leadership = leadership;
    this.metrics = metrics;
  }

  public void register(NodeInbox inbox) {
    inbox.on("usage", body -> Future.succeededFuture(metrics.usage()));
  }

  @Override
  public void mount(Router router) {
    router.get("/v1/stats").handler(this::stats);
  }

  private void stats(RoutingContext ctx) {
    List<Future<JsonObject>> reports = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(1000);
    for (String member : leadership.members()) {
      reports.add(vertx.eventBus().<JsonObject>request(Addresses.node(member), new JsonObject().put("op", "usage"), options)
          .map(reply -> reply.body())
          .otherwise((JsonObject) null));
    }
    Future.all(reports).onSuccess(all -> {
      List<JsonObject> answered = all.<JsonObject>list().stream().filter(r -> r != null).toList();
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(sum(answered).put("members", reports.size()).put("unreachable", reports.size() - answered.size()).toBuffer());
    }).onFailure(ctx::fail);
  }

  static JsonObject sum(List<JsonObject> reports) {
    JsonObject requests = new JsonObject();
    JsonObject generations = new JsonObject();
    JsonObject spend = new JsonObject();
    JsonObject saved = new JsonObject();
    for (JsonObject r : reports) {
      add(requests, r.getJsonObject("requests", new JsonObject()));
      JsonObject g = r.getJsonObject("generations", new JsonObject());
      for (String generator : g.fieldNames()) {
        JsonObject into = generations.getJsonObject(generator, new JsonObject());
        add(into, g.getJsonObject(generator));
        generations.put(generator, into);
      }
      add(spend, r.getJsonObject("upstream_spend", new JsonObject()));
      add(saved, r.getJsonObject("cost_saved", new JsonObject()));
    }
    long hits = count(requests, "hit") + count(requests, "stale") + count(requests, "coalesced");
    long answered = hits + count(requests, "miss") + count(requests, "bypass");
    return new JsonObject()
        .put("requests", requests.put("total", answered + count(requests, "error")))
        // Answers that cost no generation, of all answered requests.
        .put("hit_ratio", answered == 0 ? 0.0 : (double) hits / answered)
        .put("generations", generations)
        .put("upstream_spend", spend.put("total", total(spend)))
        .put("cost_saved", saved.put("total", total(saved)));
  }

  private static void add(JsonObject into, JsonObject from) {
    for (String name : from.fieldNames()) {
      Number v = (Number) from.getValue(name);
      Object have = into.getValue(name);
      if (v instanceof Double || have instanceof Double) {
        into.put(name, (have == null ? 0.0 : ((Number) have).doubleValue()) + v.doubleValue());
      } else {
        into.put(name, (have == null ? 0L : ((Number) have).longValue()) + v.longValue());
      }
    }
  }

  private static long count(JsonObject o, String name) {
    Number n = (Number) o.getValue(name);
    return n == null ? 0 : n.longValue();
  }

  private static double total(JsonObject money) {
    double sum = 0;
    for (String name : money.fieldNames()) {
      sum += ((Number) money.getValue(name)).doubleValue();
    }
    return sum;
  }
}
