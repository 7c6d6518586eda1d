package dev.gencache.bus;

import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.invalidation.InvalidationRequest;
import dev.gencache.cluster.invalidation.InvalidationService;
import dev.gencache.image.CacheDirectives;
import dev.gencache.image.GenerationCall;
import dev.gencache.image.GenerationCallParser;
import dev.gencache.image.GenerationResponse;
import dev.gencache.image.ImageService;
import dev.gencache.image.InvalidRequestException;
import dev.gencache.image.ResponseFormat;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Supplier;

/**
 * The polyglot API on the event bus: {@code gencache.generate} (the POST body in, the POST response
 * out) and {@code gencache.invalidate} (admin). Every node consumes both, so a bridge client or a
 * lite member reaches whichever node the bus picks. Images travel as URLs, never as bytes: the bus
 * answers {@code b64_json} and {@code no-store} requests with a 400.
 */
public final class BusApi {
  private final Vertx vertx;
  private final ImageService images;
  private final GenerationCallParser parser;
  private final InvalidationService invalidations;
  private final boolean lowercasePrompts;
  private final Supplier<String> baseUrl;
  private final InstantSource clock;
  private MessageConsumer<Object> generate;
  private MessageConsumer<Object> invalidate;

  /** @param baseUrl what content URLs start with: the public URL, else this node's HTTP address */
  public BusApi(Vertx vertx, ImageService images, GenerationCallParser parser, InvalidationService invalidations,
      boolean lowercasePrompts, Supplier<String> baseUrl, InstantSource clock) {
    this.vertx = vertx;
    this.images = images;
    this.parser = parser;
    this.invalidations = invalidations;
    this.lowercasePrompts = lowercasePrompts;
    this.baseUrl = baseUrl;
    this.clock = clock;
  }

  public Future<Void> start() {
    generate = vertx.eventBus().consumer(Addresses.GENERATE, this::generate);
    invalidate = vertx.eventBus().consumer(Addresses.INVALIDATE, this::invalidate);
    return Future.all(generate.completion(), invalidate.completion()).mapEmpty();
  }

  public Future<Void> stop() {
    return Future.all(generate == null ? Future.succeededFuture() : generate.unregister(),
        invalidate == null ? Future.succeededFuture() : invalidate.unregister()).mapEmpty();
  }

  private void generate(Message<Object> msg) {
    GenerationCall call;
    CacheDirectives directives;
    try {
      call = parser.parse(object(msg));
      if (call.responseFormat() == ResponseFormat.B64_JSON) {
        throw new InvalidRequestException(
            "response_format b64_json is not served over the event bus: images travel as URLs (data[].url)");
      }
      directives = CacheDirectives.parse(msg.headers().get("cache-control"), msg.headers().get("pragma"));
      if (directives.noStore()) {
        throw new InvalidRequestException("no-store is not served over the event bus: an unstored image has no URL");
      }
    } catch (RuntimeException e) {
      BusFailures.fail(msg, e);
      return;
    }
    images.serve(call, directives).onComplete(ar -> {
      if (ar.failed()) {
        BusFailures.fail(msg, ar.cause());
        return;
      }
      long age = Math.max(0, Duration.between(ar.result().entry().createdAt(), clock.instant()).toSeconds());
      msg.reply(GenerationResponse.toJson(ar.result(), baseUrl.get(), false, age));
    });
  }

  private void invalidate(Message<Object> msg) {
    InvalidationRequest request;
    try {
      request = InvalidationRequest.parse(object(msg), lowercasePrompts);
    } catch (RuntimeException e) {
      BusFailures.fail(msg, e);
      return;
    }
    invalidations.invalidate(request).onComplete(ar -> {
      if (ar.failed()) {
        BusFailures.fail(msg, ar.cause());
      } else {
        msg.reply(ar.result().toJson());
      }
    });
  }

  private static JsonObject object(Message<Object> msg) {
    if (msg.body() instanceof JsonObject body) {
      return body;
    }
    throw new InvalidRequestException("the message body must be a JSON object");
  }
}
