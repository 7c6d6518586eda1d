package dev.gencache.generate.upstream;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.ImageGenerator;
import dev.gencache.generate.resilience.Backoff;
import dev.gencache.generate.resilience.Bulkhead;
import dev.gencache.generate.resilience.CircuitBreaker;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream generator as gencache leans on it: at most {@code max-concurrency} calls in flight per
 * node with a bounded queue behind them (full → busy), a circuit breaker that stops calling a failing
 * upstream, and retries with exponential backoff and jitter for retryable failures (a 429 waits the
 * provider's own delay, up to 10 s), all inside the generator's {@code timeout}.
 */
public final class ResilientGenerator implements ImageGenerator {
  private static final Logger log = LoggerFactory.getLogger(ResilientGenerator.class);
  /** A provider asking for a longer pause than this is answered 503 with its delay instead of holding the caller. */
  private static final long MAX_RATE_LIMIT_WAIT_MILLIS = 10_000;

  private final Vertx vertx;
  private final GeneratorSpec spec;
  private final UpstreamCall upstream;
  private final CircuitBreaker breaker;
  private final Bulkhead bulkhead;
  private final Backoff backoff;

  public ResilientGenerator(Vertx vertx, GeneratorSpec spec, UpstreamCall upstream, CircuitBreaker breaker,
      Backoff backoff) {
    this.vertx = vertx;
    this.spec = spec;
    this.upstream = upstream;
    this.breaker = breaker;
    this.bulkhead = new Bulkhead(spec.name(), spec.maxConcurrency(), spec.maxQueue());
    this.backoff = backoff;
  }

  @Override
  public String name() {
    return spec.name();
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  @Override
  public Future<List<GeneratedImage>> generate(ImageRequest request) {
    long deadline = System.nanoTime() + spec.timeout().toNanos();
    return bulkhead.run(() -> attempt(request, deadline, 1));
  }

  private Future<List<GeneratedImage>> attempt(ImageRequest request, long deadline, int attempt) {
    if (!breaker.tryAcquire()) {
      return Future.failedFuture(new UpstreamException(spec.name(), Kind.BREAKER_OPEN,
          "generator " + spec.name() + " is failing; gencache stopped calling it for now",
          breaker.retryAfterSeconds() * 1000L));
    }
    long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
    if (remainingMillis <= 0) {
      breaker.onSuccess(); // not the upstream's fault: give back a half-open trial
      return Future.failedFuture(new UpstreamException(spec.name(), Kind.TIMEOUT,
          "generator " + spec.name() + " did not answer in time"));
    }
    Future<List<GeneratedImage>> call;
    try {
      call = upstream.call(request, remainingMillis);
    } catch (RuntimeException e) {
      call = Future.failedFuture(e);
    }
    return call.recover(err -> {
      UpstreamException failure = UpstreamHttp.transportFailure(spec.name(), err);
      if (failure.countsAgainstUpstream()) {
        breaker.onFailure();
      } else {
        breaker.onSuccess(); // it answered: refusals and rate limits say nothing about its health
      }
      return retry(request, deadline, attempt, failure);
    }).andThen(ar -> {
      if (ar.succeeded()) {
        breaker.onSuccess();
      }
    });
  }

  private Future<List<GeneratedImage>> retry(ImageRequest request, long deadline, int attempt, UpstreamException failure) {
    if (!failure.kind().retryable() || attempt > spec.retries()) {
      return Future.failedFuture(failure);
    }
    long delay = failure.kind() == Kind.RATE_LIMITED && failure.retryAfterMillis() > 0
        ? failure.retryAfterMillis()
        : backoff.delay(attempt).toMillis();
    long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
    if (delay >= remainingMillis || delay > MAX_RATE_LIMIT_WAIT_MILLIS) {
      return Future.failedFuture(failure); // no time left to wait for another attempt
    }
    log.info("Generator {} attempt {} failed ({}); retrying in {} ms", spec.name(), attempt, failure.kind(), delay);
    Promise<List<GeneratedImage>> next = Promise.promise();
    vertx.setTimer(Math.max(1, delay), id -> attempt(request, deadline, attempt + 1).onComplete(next));
    return next.future();
  }
}
