package dev.gencache.http;

import dev.gencache.generate.upstream.UpstreamException;
import dev.gencache.generate.GenerationFailedException;
import dev.gencache.generate.GeneratorBusyException;
import dev.gencache.image.InvalidRequestException;
import dev.gencache.image.NotCachedException;
import dev.gencache.store.CoalescingUnavailableException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps failures to problem+json answers; the router's one failure handler. */
public final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);

  private Problems() {}

  /** The problem a failure should be answered with. Unknown failures are 500s without internals. */
  public static Problem from(Throwable err) {
    if (err instanceof ProblemException p) {
      return p.problem();
    }
    if (err instanceof InvalidRequestException || err instanceof DecodeException) {
      String detail = err instanceof DecodeException ? "the body is not valid JSON" : err.getMessage();
      return Problem.of(400, "invalid-request", "Invalid request", detail);
    }
    if (err instanceof HttpException h && h.getStatusCode() < 500) {
      return forStatus(h.getStatusCode()); // raised by a vertx-web handler (authentication, body limits)
    }
    if (err instanceof NotCachedException) {
      return Problem.of(504, "not-cached", "Not cached", err.getMessage());
    }
    if (err instanceof GeneratorBusyException busy) {
      return Problem.of(503, "generator-busy", "Generator busy", err.getMessage()).retryAfter(busy.retryAfterSeconds());
    }
    if (err instanceof CoalescingUnavailableException c) {
      return Problem.of(503, "generation-pending", "Generation pending", err.getMessage()).retryAfter(c.retryAfterSeconds());
    }
    if (err instanceof UpstreamException u) {
      return upstream(u);
    }
    if (err instanceof TimeoutException) {
      return Problem.of(504, "generation-timeout", "Generation timed out", "the generator did not answer in time");
    }
    if (err instanceof GenerationFailedException) {
      return Problem.of(502, "generation-failed", "Generation failed", err.getMessage());
    }
    return Problem.of(500, "internal", "Internal error", "the request failed on this node; the node log has the cause");
  }

  private static Problem upstream(UpstreamException u) {
    return switch (u.kind()) {
      case REFUSED -> Problem.of(400, "generation-refused", "Prompt refused by the generator", u.getMessage());
      case REJECTED -> Problem.of(400, "generation-rejected", "Request rejected by the generator", u.getMessage());
      case AUTH -> Problem.of(502, "upstream-auth", "Generator refuses gencache", u.getMessage());
      case RATE_LIMITED -> Problem.of(503, "upstream-rate-limited", "Generator rate limit", u.getMessage())
          .retryAfter(u.retryAfterSeconds());
      case BREAKER_OPEN -> Problem.of(503, "generator-unavailable", "Generator unavailable", u.getMessage())
          .retryAfter(u.retryAfterSeconds());
      case TIMEOUT -> Problem.of(504, "generation-timeout", "Generation timed out", u.getMessage());
      case UNAVAILABLE -> Problem.of(502, "generation-failed", "Generation failed", u.getMessage());
    };
  }

  /** For a status the router set itself (404 no route, 405, 413 body too large …). */
  public static Problem forStatus(int status) {
    return switch (status) {
      case 400 -> Problem.of(400, "invalid-request", "Invalid request", "the request is malformed");
      case 401 -> Problem.of(401, "unauthorized", "Unauthorized", "a valid bearer token is required");
      case 404 -> Problem.of(404, "not-found", "Not found", "no such resource");
      case 405 -> Problem.of(405, "method-not-allowed", "Method not allowed", "this resource does not support the method");
      case 413 -> Problem.of(413, "body-too-large", "Body too large", "the request body exceeds the configured limit");
      case 415 -> Problem.of(415, "unsupported-media-type", "Unsupported media type", "send application/json");
      default -> status >= 500
          ? Problem.of(status, "internal", "Internal error", "the request failed on this node; the node log has the cause")
          : Problem.of(status, "client-error", "Client error", "the request cannot be served");
    };
  }

  /** Failure and error handler: answers whatever failed with a problem, logging only server faults. */
  public static void handle(RoutingContext ctx) {
    Throwable err = ctx.failure();
    Problem problem = err != null ? from(err) : forStatus(ctx.statusCode() > 0 ? ctx.statusCode() : 500);
    if (problem.status() >= 500 && problem.status() != 503 && problem.status() != 504) {
      log.error("{} {} failed with {}", ctx.request().method(), ctx.request().path(), problem.status(), err);
    }
    send(ctx, problem);
  }

  public static void send(RoutingContext ctx, Problem problem) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      ctx.request().connection().close(); // too late for a problem body; never send a half answer as whole
      return;
    }
    response.headers().clear();
    response.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    if (problem.retryAfterSeconds() > 0) {
      response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(problem.retryAfterSeconds()));
    }
    if (problem.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"gencache\"");
    }
    response.end(problem.toJson(ctx.request().path()).encode());
  }
}
