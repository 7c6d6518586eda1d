package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import java.util.List;

/** A generator under the name its {@code generators:} entry gives it (the embedded renderer, renamed). */
final class NamedGenerator implements ImageGenerator {
  private final String name;
  private final ImageGenerator delegate;

  NamedGenerator(String name, ImageGenerator delegate) {
    this.name = name;
    this.delegate = delegate;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Future<List<GeneratedImage>> generate(ImageRequest request) {
    return delegate.generate(request);
  }
}
