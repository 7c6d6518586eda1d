package dev.gencache.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The whole node configuration, validated once at start (see {@code gencache-defaults.yaml}). */
public record GencacheConfig(
    HttpConfig http,
    AuthConfig auth,
    CacheConfig cache,
    GenerationConfig generation,
    EmbeddedConfig embedded,
    List<GeneratorSpec> generators,
    ClusterConfig cluster,
    BridgeConfig bridge) {
  static final int MIN_MB_PER_MEMBER = 16;

  /** HTTP server; {@code instances} is already resolved (never 0). */
  public record HttpConfig(String host, int port, int instances, String publicUrl, int maxBodyBytes,
      Duration shutdownGrace) {}

  /** Bearer tokens for {@code /v1/*}; empty = open (loopback only). */
  public record AuthConfig(List<String> tokens) {
    public boolean enabled() {
      return !tokens.isEmpty();
    }
  }

  /** {@code maxMbPerMember} and {@code nearCacheBytes} are already resolved (never 0). */
  public record CacheConfig(
      Duration defaultTtl,
      Duration maxTtl,
      Duration staleWindow,
      int maxMbPerMember,
      long nearCacheBytes,
      long maxClusterBytes,
      Duration sweepInterval,
      boolean lowercasePrompts,
      Duration coalesceWait,
      int maxWaitersPerKey,
      long l1Bytes,
      int l1FileMinBytes,
      String l1Directory) {}

  public record GenerationConfig(String defaultModel, Duration timeout) {}

  public record EmbeddedConfig(List<String> models, int threads, int maxQueue, double pricePerImage) {}

  /** Empty strings and 0 mean "keep what the Hazelcast file says". */
  public record ClusterConfig(String configFile, String name, int port, List<String> members, String host,
      int quorum, Duration heartbeat, Duration ackTimeout, String kubernetesServiceDns) {}

  /**
   * The event-bus bridges for clients in other languages: TCP ({@code tcpPort} 0 = any free port) and
   * SockJS at {@code /eventbus} on the HTTP port. {@code adminTokens} unlock the admin addresses; the
   * auth tokens unlock everything else when auth is on.
   */
  public record BridgeConfig(boolean tcpEnabled, String tcpHost, int tcpPort, boolean sockJsEnabled,
      List<String> adminTokens, int maxFrameBytes, int maxMessagesPerSecond) {}

  /** The model → generator routes are given by {@code generators} when it is not empty, else by {@code embedded}. */
  static GencacheConfig from(Settings s, Map<String, String> env) {
    AuthConfig auth = new AuthConfig(s.list("auth.tokens"));
    for (String token : auth.tokens()) {
      if (token.length() < 16) {
        throw new ConfigException("auth.tokens", "each token must be at least 16 characters");
      }
    }
    HttpConfig http = http(s, auth);
    long defaultTtl = s.integer("cache.default-ttl-seconds", 1, Integer.MAX_VALUE);
    long maxTtl = s.integer("cache.max-ttl-seconds", 1, Integer.MAX_VALUE);
    if (defaultTtl > maxTtl) {
      throw new ConfigException("cache.default-ttl-seconds", "must not exceed cache.max-ttl-seconds (" + maxTtl + ")");
    }
    int maxMbPerMember = maxMbPerMember(s);
    long nearCacheMb = s.integer("cache.near-cache-mb", 0, 1 << 20);
    CacheConfig cache = new CacheConfig(
        Duration.ofSeconds(defaultTtl),
        Duration.ofSeconds(maxTtl),
        Duration.ofSeconds(s.integer("cache.stale-seconds", 0, Integer.MAX_VALUE)),
        maxMbPerMember,
        (nearCacheMb == 0 ? maxMbPerMember : nearCacheMb) << 20,
        s.integer("cache.max-cluster-mb", 0, 1L << 30) << 20,
        Duration.ofSeconds(s.integer("cache.sweep-seconds", 1, 3600)),
        s.bool("cache.lowercase-prompts"),
        Duration.ofSeconds(s.integer("cache.coalesce-wait-seconds", 1, 3600)),
        (int) s.integer("cache.max-waiters-per-key", 1, 1_000_000),
        s.integer("cache.l1-mb", 0, 1 << 20) << 20,
        (int) s.integer("cache.l1-file-min-kb", 0, 1 << 20) << 10,
        s.string("cache.l1-dir"));
    EmbeddedConfig embedded = new EmbeddedConfig(
        s.list("embedded.models"),
        (int) s.integer("embedded.threads", 1, 256),
        (int) s.integer("embedded.max-queue", 0, 100_000),
        s.decimal("embedded.price-per-image", 0, 1000));
    GenerationConfig generation = new GenerationConfig(
        s.string("generation.default-model"),
        Duration.ofSeconds(s.integer("generation.timeout-seconds", 1, 3600)));
    List<GeneratorSpec> generators = GeneratorSpecs.parse(s.raw("generators"), env);
    boolean routed = generators.isEmpty()
        ? embedded.models().contains(generation.defaultModel())
        : generators.stream().anyMatch(g -> g.models().isEmpty() || g.models().contains(generation.defaultModel()));
    if (!routed) {
      throw new ConfigException("generation.default-model", "\"" + generation.defaultModel()
          + "\" is not routed to any generator (" + (generators.isEmpty() ? "embedded.models" : "generators[*].models") + ")");
    }
    List<String> members = new ArrayList<>();
    for (String m : s.string("cluster.members").split(",")) {
      if (!m.isBlank()) {
        if (!m.strip().matches("[A-Za-z0-9.:\\[\\]-]+")) {
          throw new ConfigException("cluster.members", "\"" + m.strip() + "\" is not a host or host:port");
        }
        members.add(m.strip());
      }
    }
    ClusterConfig cluster = new ClusterConfig(
        s.string("cluster.config-file"),
        s.string("cluster.name"),
        (int) s.integer("cluster.port", 0, 65535),
        List.copyOf(members),
        s.string("cluster.host"),
        (int) s.integer("cluster.quorum", 1, 1000),
        Duration.ofMillis(s.integer("cluster.heartbeat-ms", 50, 60_000)),
        Duration.ofMillis(s.integer("cluster.ack-timeout-ms", 100, 600_000)),
        s.string("cluster.kubernetes-service-dns"));
    return new GencacheConfig(http, auth, cache, generation, embedded, generators, cluster, bridge(s, auth));
  }

  private static BridgeConfig bridge(Settings s, AuthConfig auth) {
    String host = s.string("bridge.tcp.host");
    boolean tcp = s.bool("bridge.tcp.enabled");
    if (tcp && !auth.enabled() && !isLoopback(host)) {
      throw new ConfigException("bridge.tcp.host",
          "binding to " + host + " requires auth.tokens (GENCACHE_AUTH_TOKENS); without auth the bridge serves loopback only");
    }
    List<String> admin = s.list("bridge.admin-tokens");
    for (String token : admin) {
      if (token.length() < 16) {
        throw new ConfigException("bridge.admin-tokens", "each token must be at least 16 characters");
      }
    }
    return new BridgeConfig(tcp, host, (int) s.integer("bridge.tcp.port", 0, 65535), s.bool("bridge.sockjs.enabled"),
        admin.isEmpty() ? auth.tokens() : admin,
        (int) s.integer("bridge.max-frame-bytes", 256, 16 << 20),
        (int) s.integer("bridge.max-messages-per-second", 1, 1_000_000));
  }

  private static HttpConfig http(Settings s, AuthConfig auth) {
    String host = s.string("http.host");
    if (!auth.enabled() && !isLoopback(host)) {
      throw new ConfigException("http.host",
          "binding to " + host + " requires auth.tokens (GENCACHE_AUTH_TOKENS); without auth gencache serves loopback only");
    }
    String publicUrl = s.string("http.public-url");
    if (!publicUrl.isEmpty()) {
      URI uri;
      try {
        uri = URI.create(publicUrl);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("http.public-url", "is not a URL: " + publicUrl);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
        throw new ConfigException("http.public-url", "must be an absolute http(s) URL, was " + publicUrl);
      }
      publicUrl = publicUrl.replaceAll("/+$", "");
    }
    int instances = (int) s.integer("http.instances", 0, 256);
    return new HttpConfig(
        host,
        (int) s.integer("http.port", 0, 65535),
        instances == 0 ? Runtime.getRuntime().availableProcessors() : instances,
        publicUrl,
        (int) s.integer("http.max-body-bytes", 1024, 16 << 20),
        Duration.ofSeconds(s.integer("http.shutdown-grace-seconds", 0, 3600)));
  }

  /**
   * The image map's budget on a member, which covers its backups too. 0 (the default) means a quarter
   * of the heap: the budget's bytes live on the heap beside the near cache's copies of the images the
   * node serves and the node's own working memory, so a budget near the heap's size runs out of
   * memory before it evicts.
   */
  private static int maxMbPerMember(Settings s) {
    long mb = s.integer("cache.max-mb-per-member", 0, 1 << 20);
    if (mb == 0) {
      return (int) Math.max(MIN_MB_PER_MEMBER, (Runtime.getRuntime().maxMemory() >> 20) / 4);
    }
    if (mb < MIN_MB_PER_MEMBER) {
      throw new ConfigException("cache.max-mb-per-member",
          "must be 0 (a quarter of the heap) or at least " + MIN_MB_PER_MEMBER + ", was " + mb);
    }
    return (int) mb;
  }

  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      // Literal addresses only: a name is not resolved here, and then it is not loopback.
      return host.matches("[0-9.]+|.*:.*") && InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
