package dev.gencache.bench;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.gencache.cluster.MemberConfig;
import dev.gencache.config.ConfigLoader;
import dev.gencache.config.GencacheConfig;
import dev.gencache.image.GenerationCallParser;
import dev.gencache.image.RequestKey;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/** Inputs shared by the benchmarks: a realistic request, an image and its entry, and a real member. */
final class BenchFixtures {
  /** 200 characters, the length of a typical product-shot prompt. */
  static final String PROMPT = "A photorealistic studio shot of a red leather sneaker on a white marble pedestal, "
      + "soft morning light from the left, shallow depth of field, 85mm lens, subtle shadow, "
      + "clean catalogue style, high detail";
  static final String SIZE = "1024x1024";
  static final Instant CREATED = Instant.parse("2026-11-23T12:00:00Z");

  private BenchFixtures() {}

  /** The parser of a node with the embedded generator, as GenerationCallParserTest builds it. */
  static GenerationCallParser parser() {
    return new GenerationCallParser(Map.of("embedded", "embedded"), "embedded", false, Duration.ofDays(30));
  }

  /** The JSON body of {@code POST /v1/images/generations}, as the route hands it to the parser. */
  static JsonObject postBody() {
    return new JsonObject()
        .put("prompt", PROMPT)
        .put("model", "embedded")
        .put("size", SIZE)
        .put("quality", "hd")
        .put("seed", 42)
        .put("n", 1)
        .put("response_format", "url")
        .put("ttl_seconds", 86400)
        .put("tags", new JsonArray().add("promo-2026-11").add("cat:shoes"));
  }

  /** The same request as the query string of {@code GET /v1/images/generations}. */
  static MultiMap queryParams() {
    return MultiMap.caseInsensitiveMultiMap()
        .add("prompt", PROMPT)
        .add("model", "embedded")
        .add("size", SIZE)
        .add("quality", "hd")
        .add("seed", "42")
        .add("n", "1")
        .add("ttl_seconds", "86400")
        .add("tags", "promo-2026-11,cat:shoes");
  }

  /** An image of {@code size} incompressible bytes (like a PNG), under its real content id. */
  static ImageBlob blob(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return new ImageBlob(RequestKey.sha256Hex(bytes), bytes, "image/png", 1024, 1024, CREATED);
  }

  /** A fresh one-image entry for {@code blob}, as the get-or-generate path stores it. */
  static CacheEntry entry(ImageBlob blob) {
    Instant expires = CREATED.plus(Duration.ofDays(1));
    return new CacheEntry(List.of(blob.id()), PROMPT, CREATED, expires, expires.plus(Duration.ofHours(1)),
        List.of("promo-2026-11", "cat:shoes"), "embedded", "embedded", 850, 0.04);
  }

  /**
   * One Hazelcast member from the real {@code cluster-config/cluster.xml} and node config (Compact
   * serializers included), alone in a random cluster on a free loopback port.
   */
  static HazelcastInstance startMember() {
    Map<String, String> env = Map.of(
        "GENCACHE_CLUSTER_NAME", "gencache-bench-" + UUID.randomUUID(),
        "GENCACHE_CLUSTER_PORT", Integer.toString(freePort()));
    GencacheConfig config = ConfigLoader.load(null, env);
    Config member = MemberConfig.load(config.cluster(), config.cache());
    member.setProperty("hazelcast.wait.seconds.before.join", "0");
    return Hazelcast.newHazelcastInstance(member);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
