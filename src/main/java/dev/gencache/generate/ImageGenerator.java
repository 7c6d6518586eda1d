package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import java.util.List;

/**
 * Something that turns a request into images. Implementations never block the calling event loop.
 */
public interface ImageGenerator {

  /** The route name that {@link ImageRequest#generator()} refers to, e.g. {@code embedded}. */
  String name();

  /**
   * Generates {@code request.n()} images. Fails with {@link GeneratorBusyException} when the
   * generator's queue is full, or with another exception when generation failed.
   */
  Future<List<GeneratedImage>> generate(ImageRequest request);
}
