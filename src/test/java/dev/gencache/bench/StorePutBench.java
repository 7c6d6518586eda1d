package dev.gencache.bench;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.gencache.store.ImageBlob;
import dev.gencache.store.ImageStore;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A generated image's store as the generation path does it: {@code setAsync} of 10 KB to the image map
 * of a real single member, until it completes. Back to back, and after the calling thread was idle for
 * {@code idleMillis}: a burst's generation runs this once, after the node sat idle while the origin
 * worked, and pays the second figure. Pin it to one core as the node is:
 * {@code taskset -c 1 scripts/jmh.sh StorePutBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 5)
@Fork(1)
public class StorePutBench {
  private static final int KEYS = 2_000; // overwritten in turn: the map stays at ~20 MB
  private static final int WARM_PUTS = 20_000;

  @Param({"0", "1", "300"})
  public int idleMillis;

  private HazelcastInstance member;
  private IMap<String, ImageBlob> images;
  private final ImageBlob template = BenchFixtures.blob(10 * 1024);
  private long puts;
  private ImageBlob next;

  @Setup(Level.Trial)
  public void startMember() {
    member = BenchFixtures.startMember();
    images = member.getMap(ImageStore.IMAGES_MAP);
    // Compiled before any figure, whatever idleMillis: an idle trial would otherwise time the interpreter.
    for (int i = 0; i < WARM_PUTS; i++) {
      next = blob();
      put();
    }
  }

  /** Not timed: the next image under its own id, then the idle time. */
  @Setup(Level.Invocation)
  public void nextBlob() {
    next = blob();
    if (idleMillis > 0) {
      try {
        Thread.sleep(idleMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private ImageBlob blob() {
    String id = String.format("%064x", puts++ % KEYS);
    return new ImageBlob(id, template.bytes(), template.mediaType(), template.width(), template.height(),
        template.createdAt());
  }

  @TearDown(Level.Trial)
  public void stopMember() {
    member.shutdown();
  }

  @Benchmark
  public Void put() {
    return images.setAsync(next.id(), next, 3600, TimeUnit.SECONDS).toCompletableFuture().join();
  }
}
