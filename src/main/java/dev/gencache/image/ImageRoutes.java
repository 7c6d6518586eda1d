package dev.gencache.image;

import dev.gencache.http.JsonBodies;
import dev.gencache.http.Problem;
import dev.gencache.http.ProblemException;
import dev.gencache.http.Routes;
import dev.gencache.http.TcpCork;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.InstantSource;

/**
 * The image API: {@code POST/GET /v1/images/generations} (get-or-generate) and
 * {@code GET/HEAD /v1/images/{id}} (immutable content). Every image answer carries
 * {@code X-Cache}, {@code X-Cache-Key} and {@code Age}.
 */
public final class ImageRoutes implements Routes {
  static final CharSequence X_CACHE = HttpHeaders.createOptimized("X-Cache");
  static final CharSequence X_CACHE_KEY = HttpHeaders.createOptimized("X-Cache-Key");
  private static final CharSequence CONTENT_LOCATION = HttpHeaders.createOptimized("Content-Location");
  private static final CharSequence SURROGATE_KEY = HttpHeaders.createOptimized("Surrogate-Key");
  private static final CharSequence CACHE_TAG = HttpHeaders.createOptimized("Cache-Tag");
  private static final CharSequence IMMUTABLE = HttpHeaders.createOptimized("public, max-age=31536000, immutable");
  private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
  private static final CharSequence HIT = HttpHeaders.createOptimized("HIT");
  private static final CharSequence PRAGMA = HttpHeaders.createOptimized("Pragma");
  private static final String GENERATIONS_PATH = "/v1/images/generations";
  private static final String CONTENT_PREFIX = "/v1/images/";

  private final ImageService service;
  private final GenerationCallParser parser;
  private final InstantSource clock;
  private final String publicUrl;
  private final int maxBodyBytes;

  /**
   * @param publicUrl base of content URLs, or empty to use the scheme and Host of each request
   */
  private final ReadyImages ready;
  private final ParsedQueries queries;
  private final AnswerHeaders answerHeaders = new AnswerHeaders(10_000);

  public ImageRoutes(ImageService service, GenerationCallParser parser, InstantSource clock, String publicUrl,
      int maxBodyBytes, ReadyImages ready) {
    this.service = service;
    this.ready = ready;
    this.queries = new ParsedQueries(parser, 10_000);
    this.parser = parser;
    this.clock = clock;
    this.publicUrl = publicUrl;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void mount(Router router) {
    router.post(GENERATIONS_PATH)
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
        .handler(this::postGeneration);
    router.get(GENERATIONS_PATH).handler(this::getGeneration);
    router.get("/v1/images/:id").handler(this::content);
    router.head("/v1/images/:id").handler(this::content);
  }

  private void postGeneration(RoutingContext ctx) {
    String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
      ctx.fail(415);
      return;
    }
    GenerationCall call = parser.parse(JsonBodies.object(ctx));
    boolean b64 = call.responseFormat() == ResponseFormat.B64_JSON;
    service.serve(call, directives(ctx.request()))
        .compose(result -> b64 ? service.withImages(result) : Future.succeededFuture(result))
        .onSuccess(result -> sendJson(ctx, call, result))
        .onFailure(ctx::fail);
  }

  private void getGeneration(RoutingContext ctx) {
    GenerationCall call = queries.parse(ctx.request().query(), ctx::queryParams);
    service.serve(call, directives(ctx.request()))
        .compose(service::withImages)
        .onSuccess(result -> sendFirstImage(ctx.request(), result))
        .onFailure(ctx::fail);
  }

  private void content(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!RequestKey.isWellFormed(id)) {
      throw new ProblemException(Problem.of(400, "invalid-id", "Invalid image id",
          "an image id is 64 lowercase hex digits (the SHA-256 of the content)"));
    }
    service.content(id).onSuccess(blob -> {
      if (blob == null) {
        ctx.fail(new ProblemException(Problem.of(404, "image-not-found", "Image not found", "no image with id " + id)));
        return;
      }
      sendContent(ctx.request(), blob);
    }).onFailure(ctx::fail);
  }

  /**
   * Answers, without the router, a fresh hit this node holds in memory: a prompt URL whose query string
   * was parsed before, or a content URL, from a request without cache directives. Every check is free
   * of side effects, so whatever else comes (a new query, a miss, a stale or fenced entry, directives,
   * any other path) returns {@code false} untouched and takes the routed path. The answer is the one
   * the routed path gives: the same methods write it. Routing, its per-request context and the future
   * chain of {@link ImageService#serve} were a third of a hit's Java time in the profile.
   */
  @Override
  public boolean answerBeforeRouting(HttpServerRequest request) {
    HttpMethod method = request.method();
    MultiMap headers = request.headers();
    if ((method != HttpMethod.GET && method != HttpMethod.HEAD) || headers.contains(HttpHeaders.CACHE_CONTROL)
        || headers.contains(PRAGMA)) {
      return false;
    }
    String path = request.path();
    if (method == HttpMethod.GET && GENERATIONS_PATH.equals(path)) {
      GenerationCall call = queries.known(request.query());
      CacheResult hit = call == null ? null : service.hitInMemory(call);
      if (hit == null) {
        return false;
      }
      sendFirstImage(request, hit);
      return true;
    }
    if (path.length() == CONTENT_PREFIX.length() + 64 && path.startsWith(CONTENT_PREFIX)) {
      String id = path.substring(CONTENT_PREFIX.length());
      ImageBlob blob = RequestKey.isWellFormed(id) ? service.contentInMemory(id) : null;
      if (blob == null) {
        return false;
      }
      sendContent(request, blob);
      return true;
    }
    return false;
  }

  private void sendContent(HttpServerRequest request, ImageBlob blob) {
    request.response().headers()
        .set(X_CACHE, HIT)
        .set(X_CACHE_KEY, blob.id())
        .set(HttpHeaders.AGE, Long.toString(ageSeconds(blob.createdAt())))
        .set(HttpHeaders.CACHE_CONTROL, IMMUTABLE);
    sendBytes(request, blob, TcpCork.NONE);
  }

  private void sendJson(RoutingContext ctx, GenerationCall call, CacheResult result) {
    // Bypassed results and b64 requests always carry their bytes (see postGeneration).
    boolean b64 = call.responseFormat() == ResponseFormat.B64_JSON || !result.stored();
    long age = ageSeconds(result.entry().createdAt());
    JsonObject body = GenerationResponse.toJson(result, baseUrl(ctx.request()), b64, age);
    cacheHeaders(ctx.response(), result, age)
        .set(HttpHeaders.CONTENT_TYPE, "application/json")
        .set(HttpHeaders.CACHE_CONTROL, NO_STORE);
    ctx.response().end(body.toBuffer());
  }

  private void sendFirstImage(HttpServerRequest request, CacheResult result) {
    CacheEntry entry = result.entry();
    ImageBlob image = result.images().get(0);
    long age = ageSeconds(entry.createdAt());
    MultiMap headers = request.response().headers()
        .set(X_CACHE, result.status().name())
        .set(HttpHeaders.AGE, Long.toString(age));
    if (result.stored()) {
      AnswerHeaders.OfEntry values = answerHeaders.of(result.key(), entry, image);
      headers.set(X_CACHE_KEY, values.key())
          .set(HttpHeaders.CACHE_CONTROL, values.cacheControl())
          .set(CONTENT_LOCATION, answerHeaders.of(image).contentLocation())
          .set(SURROGATE_KEY, values.surrogateKey())
          .set(CACHE_TAG, values.cacheTag());
    } else {
      headers.set(X_CACHE_KEY, result.key()).set(HttpHeaders.CACHE_CONTROL, NO_STORE);
    }
    // A burst's waiters are answered back to back on their event loop, each answer delaying the rest:
    // there one segment and one client wake-up fewer per answer is worth the cork's two system calls.
    // A hit's answer is not corked: in alternating runs (100 KB, 64 connections) that raised its p99.
    sendBytes(request, image, result.status() == CacheStatus.COALESCED ? TcpCork.of(request) : TcpCork.NONE);
  }

  private static MultiMap cacheHeaders(HttpServerResponse response, CacheResult result, long age) {
    return response.headers()
        .set(X_CACHE, result.status().name())
        .set(X_CACHE_KEY, result.key())
        .set(HttpHeaders.AGE, Long.toString(age));
  }

  /**
   * Writes an image with its strong ETag, or 304 when the client already holds it; a send from a file
   * inside {@code cork}.
   */
  private void sendBytes(HttpServerRequest request, ImageBlob image, TcpCork cork) {
    HttpServerResponse response = request.response();
    AnswerHeaders.OfImage values = answerHeaders.of(image);
    response.putHeader(HttpHeaders.ETAG, values.etag());
    if (EntityTags.matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), image.id())) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, values.contentType())
        .putHeader(HttpHeaders.CONTENT_LENGTH, values.contentLength());
    if (request.method() == HttpMethod.HEAD) {
      response.end();
    } else {
      ready.send(response, image, cork);
    }
  }

  private String baseUrl(HttpServerRequest request) {
    if (!publicUrl.isEmpty()) {
      return publicUrl;
    }
    var authority = request.authority();
    String host = authority != null ? authority.toString() : request.localAddress().hostAddress() + ":"
        + request.localAddress().port();
    return request.scheme() + "://" + host;
  }

  private static CacheDirectives directives(HttpServerRequest request) {
    return CacheDirectives.parse(request.getHeader(HttpHeaders.CACHE_CONTROL), request.getHeader("Pragma"));
  }

  private long ageSeconds(Instant createdAt) {
    return Math.max(0, (clock.millis() - createdAt.toEpochMilli()) / 1000);
  }
}
