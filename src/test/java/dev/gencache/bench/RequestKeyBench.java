package dev.gencache.bench;

import dev.gencache.image.GenerationCallParser;
import dev.gencache.image.ImageRequest;
import dev.gencache.image.RequestKey;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Request body to cache key, the work every request does before its first cache lookup. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestKeyBench {
  private final GenerationCallParser parser = BenchFixtures.parser();
  private Buffer rawBody;
  private JsonObject body;
  private MultiMap query;
  private ImageRequest request;
  private byte[] canonical;

  @Setup
  public void setUp() {
    body = BenchFixtures.postBody();
    rawBody = body.toBuffer();
    query = BenchFixtures.queryParams();
    request = parser.parse(body).request();
    // Same shape and length as RequestKey's canonical form (its version tag is package-private).
    canonical = new JsonArray().add("gencache-key-v1").add(request.generator()).add(request.model())
        .add(request.prompt()).addNull().add(request.size().toString()).add(request.quality()).addNull()
        .add(request.seed()).add(request.n()).add(request.outputFormat().wireName()).addNull().addNull()
        .encode().getBytes(StandardCharsets.UTF_8);
  }

  /** POST: an already decoded body (what the route passes in) to the key. */
  @Benchmark
  public String parseJson() {
    return parser.parse(body).key().hex();
  }

  /** POST including the JSON decode of the raw body bytes, as {@code JsonBodies.object} does it. */
  @Benchmark
  public String decodeAndParseJson() {
    return parser.parse((JsonObject) Json.decodeValue(rawBody)).key().hex();
  }

  /** GET: query parameters to the key. */
  @Benchmark
  public String parseQuery() {
    return parser.parse(query).key().hex();
  }

  /** Canonical form plus SHA-256 of an already validated request. */
  @Benchmark
  public String keyOfRequest() {
    return RequestKey.of(request).hex();
  }

  /** The SHA-256 and hex encoding alone, over the canonical bytes. */
  @Benchmark
  public String sha256Hex() {
    return RequestKey.sha256Hex(canonical);
  }
}
