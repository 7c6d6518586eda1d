package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The built-in generator: renders each image with {@link PromptRenderer} on a dedicated worker pool,
 * the images of one request in parallel. At most {@code threads + maxQueue} renders are accepted at a
 * time; beyond that requests fail fast with {@link GeneratorBusyException}.
 */
public final class EmbeddedGenerator implements ImageGenerator {
  public static final String NAME = "embedded";

  private final WorkerExecutor workers;
  private final PromptRenderer renderer = new PromptRenderer();
  private final int capacity;
  private final AtomicInteger pending = new AtomicInteger();

  public EmbeddedGenerator(WorkerExecutor workers, int threads, int maxQueue) {
    this.workers = workers;
    this.capacity = threads + maxQueue;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<List<GeneratedImage>> generate(ImageRequest request) {
    if (!admit(request.n())) {
      return Future.failedFuture(new GeneratorBusyException(NAME, 1));
    }
    List<Future<GeneratedImage>> images = new ArrayList<>(request.n());
    for (int variant = 0; variant < request.n(); variant++) {
      int v = variant;
      images.add(workers.executeBlocking(() -> render(request, v), false)
          .andThen(ar -> pending.decrementAndGet()));
    }
    return Future.all(images).map(all -> all.<GeneratedImage>list());
  }

  /** Admits {@code n} renders within capacity; an idle generator admits any request, however large. */
  private boolean admit(int n) {
    while (true) {
      int now = pending.get();
      if (now > 0 && now + n > capacity) {
        return false;
      }
      if (pending.compareAndSet(now, now + n)) {
        return true;
      }
    }
  }

  private GeneratedImage render(ImageRequest request, int variant) {
    byte[] bytes = renderer.render(request, variant);
    return new GeneratedImage(bytes, request.outputFormat().mediaType(), request.size().width(),
        request.size().height(), null);
  }
}
