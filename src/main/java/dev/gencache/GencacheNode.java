package dev.gencache;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import dev.gencache.bridge.BridgeAccess;
import dev.gencache.bridge.BridgeVerticle;
import dev.gencache.bridge.SockJsBridge;
import dev.gencache.bus.BusApi;
import dev.gencache.cluster.Addresses;
import dev.gencache.cluster.BusRouteCache;
import dev.gencache.cluster.ClusterRoutes;
import dev.gencache.cluster.NodeInbox;
import dev.gencache.cluster.eviction.AccessLog;
import dev.gencache.cluster.eviction.CacheSweeper;
import dev.gencache.cluster.eviction.TagExpiryRoutes;
import dev.gencache.cluster.invalidation.Fences;
import dev.gencache.cluster.invalidation.InvalidationRoutes;
import dev.gencache.cluster.invalidation.InvalidationService;
import dev.gencache.cluster.leader.HazelcastLeadership;
import dev.gencache.cluster.leader.LeaderElection;
import dev.gencache.cluster.leader.LeaderVerticle;
import dev.gencache.config.GencacheConfig;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.generate.GeneratorRegistry;
import dev.gencache.generate.Generators;
import dev.gencache.http.HttpServerVerticle;
import dev.gencache.http.InFlightRequests;
import dev.gencache.http.OpsRoutes;
import dev.gencache.http.Routes;
import dev.gencache.image.CacheResult;
import dev.gencache.image.GenerationCallParser;
import dev.gencache.image.ImageRoutes;
import dev.gencache.image.ImageService;
import dev.gencache.image.ReadyImages;
import dev.gencache.image.StoredResults;
import dev.gencache.metrics.GencacheMetrics;
import dev.gencache.metrics.NodeMetricsFactory;
import dev.gencache.metrics.StatsRoutes;
import dev.gencache.store.EvictedImageCopies;
import dev.gencache.store.FencedImageStore;
import dev.gencache.store.HazelcastImageStore;
import dev.gencache.store.HazelcastRefusalStore;
import dev.gencache.store.ImageCopies;
import dev.gencache.store.ImageStore;
import dev.gencache.store.ClusterSingleFlight;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.HazelcastCacheMetrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
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
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GencacheNode.class);
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final MeterRegistry registry;
  private final List<HttpServerVerticle> servers;
  private final BridgeVerticle tcpBridge;
  private final AtomicBoolean serving;
  private final LeaderElection leadership;
  private final CacheSweeper sweeper;
  private final InvalidationService invalidations;
  private final InFlightRequests inFlight;
  private final ReadyImages ready;
  private final Duration shutdownGrace;

  private GencacheNode(Parts parts) {
    this.vertx = parts.vertx;
    this.hazelcast = parts.hazelcast;
    this.registry = parts.registry;
    this.servers = parts.servers;
    this.tcpBridge = parts.tcpBridge;
    this.serving = parts.serving;
    this.leadership = parts.leadership;
    this.sweeper = parts.sweeper;
    this.invalidations = parts.invalidations;
    this.inFlight = parts.inFlight;
    this.ready = parts.ready;
    this.shutdownGrace = parts.config.http().shutdownGrace();
  }

  /** Builds the generators of a node; tests pass their own. */
  public interface GeneratorFactory {
    GeneratorRegistry create(Vertx vertx, GencacheConfig config);
  }

  /** The production generators: the configured upstreams, or the embedded renderer alone. */
  public static final GeneratorFactory DEFAULT_GENERATORS = Generators::fromConfig;

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
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)))
        // epoll where the native library loads (fewer copies and syscalls per response), else NIO.
        .setPreferNativeTransport(true);
    options.getEventBusOptions().setHost(config.cluster().host()).setPort(0);
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(memberConfig);
    return Vertx.builder().with(options).withMetrics(new NodeMetricsFactory()).withClusterManager(clusterManager)
        .buildClustered()
        // Assembly creates map proxies, which may call the cluster: keep it off the event loop.
        .compose(vertx -> vertx.executeBlocking(() -> new Parts(vertx, clusterManager, config, clock, registryName,
                generatorFactory))
            .compose(Parts::start)
            .recover(err -> vertx.close().transform(ignored -> Future.failedFuture(err))));
  }

  /** Every feature of a node, built and wired; {@link #start()} brings them up in dependency order. */
  private static final class Parts {
    final Vertx vertx;
    final GencacheConfig config;
    final HazelcastInstance hazelcast;
    final MeterRegistry registry;
    final HazelcastLeadership leadership;
    final NodeInbox inbox;
    final BusRouteCache busRoutes;
    final ClusterSingleFlight<CacheResult> flights;
    final InvalidationService invalidations;
    final CacheSweeper sweeper;
    final AccessLog accessLog;
    final ClusterRoutes clusterRoutes;
    final StatsRoutes statsRoutes;
    final List<Routes> routes;
    final BusApi busApi;
    final BridgeVerticle tcpBridge;
    final List<HttpServerVerticle> servers = new CopyOnWriteArrayList<>();
    final AtomicBoolean serving = new AtomicBoolean();
    final InFlightRequests inFlight = new InFlightRequests();
    final ReadyImages ready;
    final EvictedImageCopies evictedCopies;

    Parts(Vertx vertx, HazelcastClusterManager clusterManager, GencacheConfig config, InstantSource clock,
        String registryName, GeneratorFactory generatorFactory) {
      this.vertx = vertx;
      this.config = config;
      this.hazelcast = clusterManager.getHazelcastInstance();
      this.registry = BackendRegistries.getNow(registryName);
      String nodeId = clusterManager.getNodeId();
      HazelcastCacheMetrics.monitor(registry, hazelcast.getMap(ImageStore.IMAGES_MAP));
      HazelcastCacheMetrics.monitor(registry, hazelcast.getMap(ImageStore.REQUESTS_MAP));
      GencacheMetrics metrics = new GencacheMetrics(registry);

      leadership = HazelcastLeadership.create(vertx, hazelcast, config.cluster());
      inbox = new NodeInbox(vertx, nodeId);
      busRoutes = new BusRouteCache(vertx, List.of(Addresses.EVENTS));
      // Fences outlive the longest a pre-invalidation copy can surface: near-cache TTL, in-flight generations.
      Fences fences = new Fences(clock, config.generation().timeout().plusMinutes(10));
      ImageCopies copies = ImageCopies.of(hazelcast, config.cache().nearCacheBytes());
      metrics.nearCache(copies::bytes, copies::images);
      ImageStore store = new FencedImageStore(new HazelcastImageStore(vertx, hazelcast, copies), fences);
      evictedCopies = new EvictedImageCopies(vertx, hazelcast, copies);
      invalidations = new InvalidationService(vertx, hazelcast, leadership, fences, clock,
          config.cluster().ackTimeout(), registry);
      sweeper = new CacheSweeper(vertx, hazelcast, leadership, invalidations, clock, config.cache());
      accessLog = new AccessLog(clock);

      GeneratorRegistry generators = generatorFactory.create(vertx, config);
      generators.all().forEach(g -> metrics.generator(g.name()));
      // A claim outlives the generation timeout, so only a dead or hung claimant ever loses it.
      flights = new ClusterSingleFlight<>(vertx, hazelcast, nodeId, config.generation().timeout().plusSeconds(10),
          config.cache().coalesceWait(), config.cache().maxWaitersPerKey(), new StoredResults(store),
          metrics::coalescedLag, metrics::waiterLag);
      metrics.waiting(flights::waiting);
      ready = readyImages(vertx, config.cache());
      metrics.firstLevel(ready::bytes, ready::size, ready::files);
      ImageService service = new ImageService(vertx, store, flights, generators, metrics, clock, config.cache(),
          config.generation().timeout(), accessLog, new HazelcastRefusalStore(vertx, hazelcast), ready);
      GenerationCallParser parser = new GenerationCallParser(generators.generatorByModel(), generators.fallback(),
          config.generation().defaultModel(), config.cache().lowercasePrompts(), config.cache().maxTtl());
      clusterRoutes = new ClusterRoutes(vertx, hazelcast, leadership, this::httpUrl);
      statsRoutes = new StatsRoutes(vertx, leadership, metrics);
      busApi = new BusApi(vertx, service, parser, invalidations, config.cache().lowercasePrompts(), this::httpUrl, clock);
      BridgeAccess bridgeAccess = new BridgeAccess(config.auth().tokens(), config.bridge().adminTokens());
      // A bridged request waits as long as gencache may take to answer it: a generation, or a wait on one.
      long bridgeTimeoutMs = Math.max(config.generation().timeout().toMillis(), config.cache().coalesceWait().toMillis())
          + 10_000;
      tcpBridge = config.bridge().tcpEnabled() ? new BridgeVerticle(config.bridge(), bridgeAccess, bridgeTimeoutMs) : null;
      List<Routes> all = new ArrayList<>(List.of(
          new ImageRoutes(service, parser, clock, config.http().publicUrl(), config.http().maxBodyBytes(),
              ready),
          new InvalidationRoutes(invalidations, config.cache().lowercasePrompts()),
          new TagExpiryRoutes(vertx, hazelcast),
          clusterRoutes,
          statsRoutes,
          new OpsRoutes(() -> notReadyReason(serving, hazelcast, config.cluster().quorum()), registryName)));
      if (config.bridge().sockJsEnabled()) {
        all.add(new SockJsBridge(vertx, bridgeAccess, config.bridge().maxMessagesPerSecond(), bridgeTimeoutMs,
            System::nanoTime));
      }
      routes = List.copyOf(all);
    }

    /** The first level: files (0 KB = none) in {@code cache.l1-dir} or the temp directory, written on workers. */
    private static ReadyImages readyImages(Vertx vertx, CacheConfig cache) {
      int fileMinBytes = cache.l1FileMinBytes() == 0 ? Integer.MAX_VALUE : cache.l1FileMinBytes();
      Path dir = Path.of(cache.l1Directory().isEmpty() ? System.getProperty("java.io.tmpdir") : cache.l1Directory());
      return new ReadyImages(cache.l1Bytes(), fileMinBytes, dir, task -> vertx.executeBlocking(() -> {
        task.run();
        return null;
      }, false));
    }

    String httpUrl() {
      if (!config.http().publicUrl().isEmpty()) {
        return config.http().publicUrl();
      }
      return servers.isEmpty() ? "" : "http://" + config.http().host() + ":" + servers.get(0).actualPort();
    }

    Future<GencacheNode> start() {
      inbox.on("access", body -> Future.succeededFuture(accessLog.drain()));
      clusterRoutes.register(inbox);
      statsRoutes.register(inbox);
      leadership.addJob(sweeper);
      return Future.all(List.of(inbox.start(), flights.start(), invalidations.start(inbox), busApi.start(),
              busRoutes.start(), evictedCopies.start()))
          .compose(ok -> vertx.deployVerticle(new LeaderVerticle(leadership, hazelcast, registry)))
          .compose(ok -> vertx.deployVerticle(() -> {
            HttpServerVerticle server = new HttpServerVerticle(config.http(), config.auth(), routes, inFlight,
                config.bridge().maxFrameBytes());
            servers.add(server);
            return server;
          }, new DeploymentOptions().setInstances(config.http().instances())))
          .compose(ok -> tcpBridge == null ? Future.succeededFuture() : vertx.deployVerticle(tcpBridge))
          .map(id -> {
            serving.set(true);
            log.info("Serving on {} ({} transport, {} HTTP event loop(s)); event-bus bridges: {}", httpUrl(),
                vertx.isNativeTransportEnabled() ? "native epoll" : "NIO", config.http().instances(), bridges());
            return new GencacheNode(this);
          });
    }

    private String bridges() {
      List<String> on = new ArrayList<>();
      if (tcpBridge != null) {
        on.add("TCP " + config.bridge().tcpHost() + ":" + tcpBridge.port());
      }
      if (config.bridge().sockJsEnabled()) {
        on.add("SockJS " + httpUrl() + SockJsBridge.PATH);
      }
      return on.isEmpty() ? "none" : String.join(", ", on);
    }
  }

  private static Optional<String> notReadyReason(AtomicBoolean serving, HazelcastInstance hazelcast, int quorum) {
    if (!serving.get()) {
      return Optional.of("the node is starting or stopping");
    }
    if (!hazelcast.getLifecycleService().isRunning()) {
      return Optional.of("the Hazelcast member is not running");
    }
    // Lite members (Java applications joined for the event bus) hold no data and are no nodes.
    long members = hazelcast.getCluster().getMembers().stream().filter(m -> !m.isLiteMember()).count();
    if (members < quorum) {
      return Optional.of("the cluster has " + members + " member(s), fewer than cluster.quorum " + quorum);
    }
    return Optional.empty();
  }

  public int httpPort() {
    return servers.get(0).actualPort();
  }

  /** The TCP event-bus bridge's port, or -1 when it is off. */
  public int bridgePort() {
    return tcpBridge == null ? -1 : tcpBridge.port();
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

  /** Who leads the cluster, and the hooks for leader-only work. */
  public LeaderElection leadership() {
    return leadership;
  }

  /** The leader's sweep (runs on its own schedule; tests call {@code sweepOnce} directly). */
  public CacheSweeper sweeper() {
    return sweeper;
  }

  public InvalidationService invalidations() {
    return invalidations;
  }

  /** Stops taking traffic, then leaves the cluster (Hazelcast migrates this member's partitions away). */
  public Future<Void> close() {
    serving.set(false);
    log.info("Stopping: readiness off, finishing {} request(s) in flight, then leaving the cluster", inFlight.count());
    // Requests in flight still need the cluster (their generations store into it): drain them first.
    return inFlight.drained(vertx, shutdownGrace)
        .onSuccess(left -> {
          if (left > 0) {
            log.warn("{} request(s) still running after {} s; stopping anyway", left, shutdownGrace.toSeconds());
          }
        })
        .transform(ignored -> vertx.close())
        .andThen(ignored -> ready.close())
        .onSuccess(v -> log.info("Left the cluster; node stopped"));
  }
}
