package dev.gencache.bench;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import dev.gencache.store.CacheEntry;
import dev.gencache.store.ImageBlob;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Compact round trips of the stored records and the JSON hit answer: what a near-cache miss and a POST hit pay. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// Forks inherit this JVM's options: scripts/jmh.sh starts it with scripts/jvm-flags.sh (Hazelcast on Java 17).
@Fork(1)
public class SerializationBench {
  private static final String BASE_URL = "http://localhost:8080";

  private HazelcastInstance member;
  private SerializationService serialization;
  private ImageBlob blob100k;
  private ImageBlob blob10k;
  private CacheEntry entry;
  private String requestKey;
  private JsonObject responseBody;

  @Setup(Level.Trial)
  public void setUp() {
    // A real member, so the Compact serializers are the ones MemberConfig registers.
    member = BenchFixtures.startMember();
    serialization = ((SerializationServiceSupport) member).getSerializationService();
    blob100k = BenchFixtures.blob(100 * 1024);
    blob10k = BenchFixtures.blob(10 * 1024);
    entry = BenchFixtures.entry(blob100k);
    requestKey = BenchFixtures.parser().parse(BenchFixtures.postBody()).key().hex();
    responseBody = responseBody();
  }

  @TearDown(Level.Trial)
  public void stopMember() {
    member.shutdown();
  }

  @Benchmark
  public ImageBlob blob100kRoundTrip() {
    return serialization.toObject(serialization.toData(blob100k));
  }

  @Benchmark
  public ImageBlob blob10kRoundTrip() {
    return serialization.toObject(serialization.toData(blob10k));
  }

  @Benchmark
  public CacheEntry entryRoundTrip() {
    Data data = serialization.toData(entry);
    return serialization.toObject(data);
  }

  /** Encoding alone of the POST answer. */
  @Benchmark
  public Buffer responseJsonEncode() {
    return responseBody.toBuffer();
  }

  /** Building and encoding the POST answer, as ImageRoutes.sendJson does on a hit. */
  @Benchmark
  public Buffer responseJsonBuildAndEncode() {
    return responseBody().toBuffer();
  }

  // The body of ImageRoutes.sendJson for a stored one-image HIT answered with a URL.
  private JsonObject responseBody() {
    JsonArray data = new JsonArray();
    for (String id : entry.contentIds()) {
      data.add(new JsonObject().put("url", BASE_URL + "/v1/images/" + id));
    }
    return new JsonObject()
        .put("created", entry.createdAt().getEpochSecond())
        .put("data", data)
        .put("gencache", new JsonObject()
            .put("key", requestKey)
            .put("ids", new JsonArray(entry.contentIds()))
            .put("cache", "HIT")
            .put("age_seconds", 42L)
            .put("expires_at", entry.expiresAt().toString()));
  }
}
