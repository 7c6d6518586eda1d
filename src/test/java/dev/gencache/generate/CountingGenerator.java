package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test generator: counts calls; each call yields images whose bytes name the prompt, the variant and
 * the call number (so a regeneration is distinguishable). {@link #hold()} parks calls until released,
 * {@link #failNext()} makes calls fail.
 */
public final class CountingGenerator implements ImageGenerator {
  public final AtomicInteger calls = new AtomicInteger();
  /** Keeps two generators (say on two nodes) from ever producing the same bytes. */
  private final String nonce = java.util.UUID.randomUUID().toString();
  private final int padTo;
  private volatile boolean failing;

  public CountingGenerator() {
    this(0);
  }

  /** Pads every image to at least {@code padTo} bytes (for byte-budget tests). */
  public CountingGenerator(int padTo) {
    this.padTo = padTo;
  }
  private volatile Promise<Void> gate;

  @Override
  public String name() {
    return "embedded";
  }

  public void failNext() {
    failing = true;
  }

  public void succeed() {
    failing = false;
  }

  /** Parks every following call until {@link #release()}. */
  public void hold() {
    gate = Promise.promise();
  }

  public void release() {
    Promise<Void> g = gate;
    gate = null;
    if (g != null) {
      g.tryComplete();
    }
  }

  @Override
  public Future<List<GeneratedImage>> generate(ImageRequest request) {
    int call = calls.incrementAndGet();
    Future<Void> wait = gate == null ? Future.succeededFuture() : gate.future();
    return wait.compose(v -> {
      if (failing) {
        return Future.failedFuture(new IllegalStateException("upstream said no"));
      }
      List<GeneratedImage> images = new ArrayList<>();
      for (int i = 0; i < request.n(); i++) {
        byte[] text = (request.prompt() + "#" + i + "@" + call + "/" + nonce).getBytes(StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(text, Math.max(text.length, padTo));
        images.add(new GeneratedImage(bytes, "image/png", request.size().width(), request.size().height(), null));
      }
      return Future.succeededFuture(images);
    });
  }
}
