package dev.gencache.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;
import dev.gencache.cluster.leader.LeaderView;
import dev.gencache.cluster.leader.Leadership;
import dev.gencache.http.Routes;
import dev.gencache.store.ImageStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /v1/cluster}: the members (each reporting its own map and near-cache numbers through its
 * inbox), the leader and the term, as this node sees them. A member that does not answer within a
 * second is listed with {@code "reachable": false}.
 */
public final class ClusterRoutes implements Routes {
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final Leadership leadership;
  private final Supplier<String> httpUrl;

  public ClusterRoutes(Vertx vertx, HazelcastInstance hazelcast, Leadership leadership, Supplier<String> httpUrl) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.leadership = leadership;
    this.httpUrl = httpUrl;
  }

  /** Answers the {@code stats} inbox operation with this member's own numbers. */
  public void register(NodeInbox inbox) {
    inbox.on("stats", body -> vertx.executeBlocking(this::localStats, false));
  }

  @Override
  public void mount(Router router) {
    router.get("/v1/cluster").handler(this::cluster);
  }

  private JsonObject localStats() {
    IMap<Object, Object> images = hazelcast.getMap(ImageStore.IMAGES_MAP);
    IMap<Object, Object> requests = hazelcast.getMap(ImageStore.REQUESTS_MAP);
    LocalMapStats imageStats = images.getLocalMapStats();
    LocalMapStats requestStats = requests.getLocalMapStats();
    return new JsonObject()
        .put("node_id", leadership.nodeId())
        .put("address", hazelcast.getCluster().getLocalMember().getAddress().toString())
        .put("http_url", httpUrl.get())
        .put("entries", requestStats.getOwnedEntryCount())
        .put("images", imageStats.getOwnedEntryCount())
        .put("bytes", imageStats.getOwnedEntryMemoryCost())
        .put("near_cache_hits", imageStats.getNearCacheStats().getHits() + requestStats.getNearCacheStats().getHits())
        .put("near_cache_misses",
            imageStats.getNearCacheStats().getMisses() + requestStats.getNearCacheStats().getMisses())
        .put("reachable", true);
  }

  private void cluster(RoutingContext ctx) {
    List<String> members = leadership.members();
    List<Future<JsonObject>> reports = new ArrayList<>();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(1000);
    for (String member : members) {
      reports.add(vertx.eventBus().<JsonObject>request(Addresses.node(member), new JsonObject().put("op", "stats"), options)
          .map(reply -> reply.body())
          .otherwise(err -> new JsonObject().put("node_id", member).put("reachable", false)));
    }
    // Whether every partition's backups are in sync: until then a crash can lose entries (asks every member).
    Future<Boolean> replicated = vertx.executeBlocking(() -> hazelcast.getPartitionService().isClusterSafe(), false);
    var memberReports = Future.all(reports);
    Future.all(memberReports, replicated).onSuccess(done -> {
      LeaderView leader = leadership.current();
      JsonObject body = new JsonObject()
          .put("node_id", leadership.nodeId())
          .put("leader", leader.isNone() ? null : leader.nodeId())
          .put("term", leader.term())
          .put("replicated", replicated.result())
          .put("members", new JsonArray(memberReports.result().list()));
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(body.toBuffer());
    }).onFailure(ctx::fail);
  }
}
