package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.cluster.eviction.AccessLog;
import dev.gencache.cluster.invalidation.Fences;
import dev.gencache.cluster.invalidation.Invalidation;
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
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageRoutes#answerBeforeRouting}: which requests it answers without the router, and that its
 * answers are the routed ones, header for header. The server counts what reaches the router.
 */
class ImageShortcutTest {
  private static final Duration TTL = Duration.ofHours(1);
  private static final String FOX = "/v1/images/generations?prompt=fox&size=256x256";

  private final Vertx vertx = Vertx.vertx();
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-23T10:00:00Z"));
  private final InMemoryImageStore memory = new InMemoryImageStore();
  private final Fences fences = new Fences(clock, Duration.ofMinutes(10));
  private final CountingGenerator generator = new CountingGenerator();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicInteger routed = new AtomicInteger();
  private WebClient client;
  private HttpServer server;
  @TempDir
  Path dir;

  @BeforeEach
  void start() throws Exception {
    CacheConfig cache = new CacheConfig(TTL, Duration.ofDays(30), Duration.ofMinutes(10), 64, 64L << 20, 0,
        Duration.ofSeconds(10), false, Duration.ofSeconds(5), 100, 0, 0, "");
    var store = new FencedImageStore(memory, fences);
    ImageService service = new ImageService(vertx, store,
        new LocalSingleFlight<>(vertx, cache.coalesceWait(), cache.maxWaitersPerKey()),
        new GeneratorRegistry().register(generator, List.of("embedded"), 0.04), new GencacheMetrics(registry), clock,
        cache, Duration.ofSeconds(5), new AccessLog(clock), new InMemoryRefusalStore(clock));
    GenerationCallParser parser = new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false,
        Duration.ofDays(30));
    // Every image is kept as a file, so answers go out with sendfile.
    ImageRoutes routes = new ImageRoutes(service, parser, clock, "", 1 << 20, new ReadyImages(1 << 20, 1, dir, Runnable::run));
    Router router = Router.router(vertx);
    routes.mount(router);
    router.route().failureHandler(Problems::handle);
    server = vertx.createHttpServer().requestHandler(request -> {
      if (!routes.answerBeforeRouting(request)) {
        routed.incrementAndGet();
        router.handle(request);
      }
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(server.actualPort()).setKeepAlive(true));
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> send(String method, String uri, String... headers) throws Exception {
    HttpRequest<Buffer> req = client.request(io.vertx.core.http.HttpMethod.valueOf(method), uri);
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return req.send().await(10, TimeUnit.SECONDS);
  }

  private static Map<String, String> headers(HttpResponse<Buffer> r) {
    Map<String, String> all = new TreeMap<>();
    r.headers().forEach(e -> all.merge(e.getKey().toLowerCase(), e.getValue(), (a, b) -> a + "|" + b));
    return all;
  }

  private double hits() {
    return registry.get("gencache.requests").tag("result", "hit").counter().count();
  }

  @Test
  void aRepeatedPromptUrlIsAnsweredBeforeRoutingWithTheRoutedAnswer() throws Exception {
    HttpResponse<Buffer> miss = send("GET", FOX);
    assertThat(miss.getHeader("X-Cache")).isEqualTo("MISS");
    assertThat(routed).hasValue(1);
    clock.advance(Duration.ofSeconds(7));

    HttpResponse<Buffer> shortcut = send("GET", FOX);
    assertThat(routed).as("answered without the router").hasValue(1);
    // A directive that changes nothing for a fresh entry sends the same request through the router.
    HttpResponse<Buffer> viaRouter = send("GET", FOX, "Cache-Control", "max-stale=5");
    assertThat(routed).hasValue(2);

    assertThat(shortcut.statusCode()).isEqualTo(200);
    assertThat(shortcut.getHeader("X-Cache")).isEqualTo("HIT");
    assertThat(shortcut.getHeader("Age")).isEqualTo("7");
    assertThat(headers(shortcut)).isEqualTo(headers(viaRouter));
    assertThat(shortcut.body()).isEqualTo(viaRouter.body()).isEqualTo(miss.body());
    assertThat(shortcut.body().getBytes()).isEqualTo(memory.blobs.get(shortcut.getHeader("ETag").replace("\"", "")).bytes());
    assertThat(hits()).as("shortcut hits are counted as hits").isEqualTo(2);
    assertThat(generator.calls).hasValue(1);

    HttpResponse<Buffer> revalidated = send("GET", FOX, "If-None-Match", shortcut.getHeader("ETag"));
    assertThat(routed).hasValue(2);
    assertThat(revalidated.statusCode()).isEqualTo(304);
    assertThat(revalidated.getHeader("ETag")).isEqualTo(shortcut.getHeader("ETag"));
  }

  @Test
  void contentUrlsAreAnsweredBeforeRoutingWithTheRoutedAnswer() throws Exception {
    String location = send("GET", FOX).getHeader("Content-Location");
    int before = routed.get();
    HttpResponse<Buffer> get = send("GET", location);
    HttpResponse<Buffer> head = send("HEAD", location);
    assertThat(routed).hasValue(before);
    HttpResponse<Buffer> viaRouter = send("GET", location, "Pragma", "x");
    assertThat(routed).hasValue(before + 1);

    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(headers(get)).isEqualTo(headers(viaRouter)).containsEntry("cache-control",
        "public, max-age=31536000, immutable");
    assertThat(get.body()).isEqualTo(viaRouter.body());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isNull();
    assertThat(head.getHeader("Content-Length")).isEqualTo(get.getHeader("Content-Length"));
  }

  @Test
  void everythingElseIsRouted() throws Exception {
    assertThat(send("GET", FOX).getHeader("X-Cache")).isEqualTo("MISS"); // a query never seen: routed
    int routedBefore = routed.get();

    assertThat(send("GET", FOX + "&seed=2").getHeader("X-Cache")).isEqualTo("MISS"); // same prompt, new query
    assertThat(send("GET", "/v1/images/generations?size=big").statusCode()).isEqualTo(400);
    assertThat(send("HEAD", FOX).statusCode()).isEqualTo(400); // HEAD /v1/images/:id with id "generations"
    assertThat(send("GET", "/v1/images/" + "0".repeat(64)).statusCode()).isEqualTo(404);
    assertThat(send("GET", "/v1/images/" + "Z".repeat(64)).statusCode()).isEqualTo(400);
    assertThat(routed).hasValue(routedBefore + 5);

    clock.advance(TTL.plusSeconds(1)); // expired, inside the stale window: the routed path serves it stale
    assertThat(send("GET", FOX).getHeader("X-Cache")).isEqualTo("STALE");
    assertThat(routed).hasValue(routedBefore + 6);
  }

  @Test
  void anInvalidatedEntryIsNotAnsweredFromMemory() throws Exception {
    HttpResponse<Buffer> miss = send("GET", FOX);
    String key = miss.getHeader("X-Cache-Key");
    String id = miss.getHeader("ETag").replace("\"", "");
    fences.record(new Invalidation(1, 1, clock.instant(), List.of(key), List.of(id), List.of(), null, null, "leader"));
    int before = routed.get();

    assertThat(send("GET", "/v1/images/" + id).statusCode()).isEqualTo(404);
    clock.advance(Duration.ofSeconds(1));
    assertThat(send("GET", FOX).getHeader("X-Cache")).isEqualTo("MISS"); // regenerated, not served from memory
    assertThat(routed).hasValue(before + 2);
    assertThat(generator.calls).hasValue(2);
  }
}
