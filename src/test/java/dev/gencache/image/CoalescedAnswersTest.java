package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.cluster.eviction.AccessLog;
import dev.gencache.cluster.invalidation.Fences;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.generate.CountingGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.http.Problems;
import dev.gencache.metrics.GencacheMetrics;
import dev.gencache.store.FencedImageStore;
import dev.gencache.store.InMemoryImageStore;
import dev.gencache.store.InMemoryRefusalStore;
import dev.gencache.store.LocalSingleFlight;
import dev.gencache.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of identical prompt URLs on the transport and first level a node runs with (native epoll,
 * images as files sent with {@code sendfile}): the waiters' answers, written corked back to back
 * ({@link dev.gencache.http.TcpCork}), arrive whole, and their connections serve on afterwards.
 */
class CoalescedAnswersTest {
  private static final int WAITERS = 40;
  private static final String URL = "/v1/images/generations?prompt=burst&size=256x256";

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final InMemoryImageStore memory = new InMemoryImageStore();
  private final CountingGenerator generator = new CountingGenerator(150_000); // over one loopback segment
  private final AtomicInteger arrived = new AtomicInteger();
  @TempDir
  Path dir;

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private WebClient start() throws Exception {
    CacheConfig cache = new CacheConfig(Duration.ofHours(1), Duration.ofDays(30), Duration.ofMinutes(10), 64, 64L << 20, 0,
        Duration.ofSeconds(10), false, Duration.ofSeconds(5), 1000, 0, 0, "");
    ReadyImages ready = new ReadyImages(16 << 20, 1, dir, Runnable::run);
    ImageService service = new ImageService(vertx, new FencedImageStore(memory, new Fences(clock, Duration.ofMinutes(10))),
        new LocalSingleFlight<>(vertx, cache.coalesceWait(), cache.maxWaitersPerKey()),
        new GeneratorRegistry().register(generator, List.of("embedded"), 0.04),
        new GencacheMetrics(new SimpleMeterRegistry()), clock, cache, Duration.ofSeconds(10), new AccessLog(clock),
        new InMemoryRefusalStore(clock), ready);
    GenerationCallParser parser = new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false,
        Duration.ofDays(30));
    ImageRoutes routes = new ImageRoutes(service, parser, clock, "", 1 << 20, ready);
    Router router = Router.router(vertx);
    routes.mount(router);
    router.route().failureHandler(Problems::handle);
    HttpServer server = vertx.createHttpServer().requestHandler(request -> {
      if (!routes.answerBeforeRouting(request)) {
        router.handle(request);
      }
      arrived.incrementAndGet(); // after: an in-memory store answers at once, so a miss has joined by now
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(server.actualPort()).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(WAITERS + 1));
  }

  @Test
  void everyWaiterGetsTheWholeImageAndItsConnectionServesOn() throws Exception {
    assertThat(vertx.isNativeTransportEnabled()).as("the epoll transport, where answers are corked").isTrue();
    WebClient client = start();
    generator.hold();
    List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
    for (int i = 0; i <= WAITERS; i++) {
      burst.add(client.get(URL).send());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (arrived.get() <= WAITERS && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // until every request has joined the generation
    }
    assertThat(arrived).hasValue(WAITERS + 1);
    generator.release();
    List<HttpResponse<Buffer>> answers = Future.all(burst).await(20, TimeUnit.SECONDS).list();

    byte[] image = memory.blobs.get(answers.get(0).getHeader("ETag").replace("\"", "")).bytes();
    assertThat(image).hasSize(150_000);
    assertThat(generator.calls).hasValue(1);
    assertThat(answers).extracting(r -> r.getHeader("X-Cache")).containsOnly("MISS", "COALESCED")
        .filteredOn("COALESCED"::equals).hasSize(WAITERS);
    for (HttpResponse<Buffer> answer : answers) {
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.getHeader("Content-Length")).isEqualTo("150000");
      assertThat(answer.body().getBytes()).isEqualTo(image);
    }

    // The same (kept-alive) connections answer the next round: hits, no longer corked.
    List<Future<HttpResponse<Buffer>>> again = new ArrayList<>();
    for (int i = 0; i <= WAITERS; i++) {
      again.add(client.get(URL).send());
    }
    for (HttpResponse<Buffer> hit : Future.all(again).await(20, TimeUnit.SECONDS).<HttpResponse<Buffer>>list()) {
      assertThat(hit.getHeader("X-Cache")).isEqualTo("HIT");
      assertThat(hit.body().getBytes()).isEqualTo(image);
    }
    assertThat(arrived).as("no connection was dropped and retried").hasValue(2 * (WAITERS + 1));
    assertThat(generator.calls).hasValue(1);
  }
}
