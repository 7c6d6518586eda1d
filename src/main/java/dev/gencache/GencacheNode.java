package dev.gencache;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import dev.gencache.config.GencacheConfig;
import dev.gencache.generate.EmbeddedGenerator;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.http.HttpServerVerticle;
import dev.gencache.http.OpsRoutes;
import dev.gencache.http.Routes;
import dev.gencache.image.CacheResult;
import dev.gencache.image.GenerationCallParser;
import dev.gencache.image.ImageRoutes;
import dev.gencache.image.ImageService;
import dev.gencache.image.StoredResults;
import dev.gencache.metrics.GencacheMetrics;
import dev.gencache.store.HazelcastImageStore;
import dev.gencache.store.ImageStore;
import dev.gencache.store.ClusterSingleFlight;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.HazelcastCacheMetrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One gencache node: a clustered Vert.x on a Hazelcast member, the features wired together and the
 * HTTP servers deployed. Owns the lifecycle; {@link Main} and the tests both start nodes through here.
 */
public final class GencacheNode {
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final MeterRegistry registry;
  private final List<HttpServerVerticle> servers;
  private final AtomicBoolean serving;

  private GencacheNode(Vertx vertx, HazelcastInstance hazelcast, MeterRegistry registry,
      List<HttpServerVerticle> servers, AtomicBoolean serving) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.registry = registry;
    this.servers = servers;
    this.serving = serving;
  }

  /** Builds the generators of a node; tests pass their own. */
  public interface GeneratorFactory {
    GeneratorRegistry create(Vertx vertx, GencacheConfig config);
  }

  /** The production generators: the embedded renderer on its own worker pool. */
  public static final GeneratorFactory DEFAULT_GENERATORS = (vertx, config) -> {
    WorkerExecutor renderPool = vertx.createSharedWorkerExecutor("gencache-embedded",
        config.embedded().threads(), config.generation().timeout().toSeconds(), TimeUnit.SECONDS);
    return new GeneratorRegistry().register(
        new EmbeddedGenerator(renderPool, config.embedded().threads(), config.embedded().maxQueue()),
        config.embedded().models(), config.embedded().pricePerImage());
  };

  /** Joins the cluster described by {@code memberConfig} and starts serving; {@code clock} drives TTLs. */
  public static Future<GencacheNode> start(GencacheConfig config, Config memberConfig, InstantSource clock) {
    return start(config, memberConfig, clock, DEFAULT_GENERATORS);
  }

  public static Future<GencacheNode> start(GencacheConfig config, Config memberConfig, InstantSource clock,
      GeneratorFactory generatorFactory) {
    String registryName = "gencache-" + UUID.randomUUID();
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setRegistryName(registryName)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    options.getEventBusOptions().setHost(config.cluster().host()).setPort(0);
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(memberConfig);
    return Vertx.builder().with(options).withClusterManager(clusterManager).buildClustered()
        .compose(vertx -> vertx.executeBlocking(() -> new HazelcastImageStore(vertx, clusterManager.getHazelcastInstance()))
            .compose(store -> wire(vertx, clusterManager, store, config, clock, registryName, generatorFactory))
            .recover(err -> vertx.close().transform(ignored -> Future.failedFuture(err))));
  }

  /** {@code store} is built off the event loop: creating map proxies may call the cluster. */
  private static Future<GencacheNode> wire(Vertx vertx, HazelcastClusterManager clusterManager, ImageStore store,
      GencacheConfig config, InstantSource clock, String registryName, GeneratorFactory generatorFactory) {
    HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    // Proxies exist by now (the store created them), so these lookups are local.
    HazelcastCacheMetrics.monitor(registry, hazelcast.getMap(ImageStore.IMAGES_MAP));
    HazelcastCacheMetrics.monitor(registry, hazelcast.getMap(ImageStore.REQUESTS_MAP));
    GencacheMetrics metrics = new GencacheMetrics(registry);

    GeneratorRegistry generators = generatorFactory.create(vertx, config);
    // A claim outlives the generation timeout, so only a dead or hung claimant ever loses it.
    ClusterSingleFlight<CacheResult> flights = new ClusterSingleFlight<>(vertx, hazelcast, clusterManager.getNodeId(),
        config.generation().timeout().plusSeconds(10), config.cache().coalesceWait(), config.cache().maxWaitersPerKey(),
        new StoredResults(store)::read);
    ImageService service = new ImageService(vertx, store, flights, generators, metrics, clock, config.cache(),
        config.generation().timeout());
    GenerationCallParser parser = new GenerationCallParser(generators.generatorByModel(),
        config.generation().defaultModel(), config.cache().lowercasePrompts(), config.cache().maxTtl());

    AtomicBoolean serving = new AtomicBoolean();
    List<Routes> routes = List.of(
        new ImageRoutes(service, parser, clock, config.http().publicUrl(), config.http().maxBodyBytes()),
        new OpsRoutes(() -> notReadyReason(serving, hazelcast), registryName));
    List<HttpServerVerticle> servers = new CopyOnWriteArrayList<>();
    return flights.start().compose(started -> vertx.deployVerticle(() -> {
      HttpServerVerticle server = new HttpServerVerticle(config.http(), config.auth(), routes);
      servers.add(server);
      return server;
    }, new DeploymentOptions().setInstances(config.http().instances())))
        .map(id -> {
          serving.set(true);
          return new GencacheNode(vertx, hazelcast, registry, servers, serving);
        });
  }

  private static Optional<String> notReadyReason(AtomicBoolean serving, HazelcastInstance hazelcast) {
    if (!serving.get()) {
      return Optional.of("the node is starting or stopping");
    }
    if (!hazelcast.getLifecycleService().isRunning()) {
      return Optional.of("the Hazelcast member is not running");
    }
    return Optional.empty();
  }

  public int httpPort() {
    return servers.get(0).actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Stops taking traffic, then leaves the cluster (Hazelcast migrates this member's partitions away). */
  public Future<Void> close() {
    serving.set(false);
    return vertx.close();
  }
}
