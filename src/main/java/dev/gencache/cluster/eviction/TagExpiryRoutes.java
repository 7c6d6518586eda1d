package dev.gencache.cluster.eviction;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gencache.http.JsonBodies;
import dev.gencache.http.Routes;
import dev.gencache.image.InvalidRequestException;
import dev.gencache.image.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scheduled tag expiry ("expire tag {@code promo-2026-11} at 00:00"): {@code PUT /v1/cache/tag-expiry/{tag}}
 * with {@code {"at": ISO-8601 instant}}, {@code GET /v1/cache/tag-expiry}, {@code DELETE …/{tag}}. The
 * leader's sweep invalidates the tag once {@code at} has passed, then drops the schedule.
 */
public final class TagExpiryRoutes implements Routes {
  private final Vertx vertx;
  private final IMap<String, Long> schedules;

  public TagExpiryRoutes(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.schedules = hazelcast.getMap(CacheSweeper.TAG_EXPIRY_MAP);
  }

  @Override
  public void mount(Router router) {
    router.get("/v1/cache/tag-expiry").handler(this::list);
    router.put("/v1/cache/tag-expiry/:tag").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(this::put);
    router.delete("/v1/cache/tag-expiry/:tag").handler(this::delete);
  }

  private void put(RoutingContext ctx) {
    String tag = tag(ctx);
    if (!(JsonBodies.object(ctx).getValue("at") instanceof String at)) {
      throw new InvalidRequestException("the body must be {\"at\": \"<ISO-8601 instant>\"}");
    }
    Instant when;
    try {
      when = Instant.parse(at);
    } catch (DateTimeParseException e) {
      throw new InvalidRequestException("at must be an ISO-8601 instant such as 2026-12-01T00:00:00Z");
    }
    Future.fromCompletionStage(schedules.setAsync(tag, when.toEpochMilli()), vertx.getOrCreateContext())
        .onSuccess(v -> json(ctx, 200, new JsonObject().put("tag", tag).put("at", when.toString())))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    vertx.executeBlocking(() -> new TreeMap<>(Map.copyOf(schedules)), false).onSuccess(all -> {
      JsonArray items = new JsonArray();
      all.forEach((tag, at) -> items.add(new JsonObject().put("tag", tag).put("at", Instant.ofEpochMilli(at).toString())));
      json(ctx, 200, new JsonObject().put("schedules", items));
    }).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String tag = tag(ctx);
    Future.fromCompletionStage(schedules.removeAsync(tag), vertx.getOrCreateContext())
        .onSuccess(old -> {
          if (old == null) {
            ctx.fail(404);
          } else {
            ctx.response().setStatusCode(204).end();
          }
        })
        .onFailure(ctx::fail);
  }

  private static String tag(RoutingContext ctx) {
    String tag = ctx.pathParam("tag");
    if (!Tags.isValid(tag)) {
      throw new InvalidRequestException(Tags.RULE);
    }
    return tag;
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(body.toBuffer());
  }
}
