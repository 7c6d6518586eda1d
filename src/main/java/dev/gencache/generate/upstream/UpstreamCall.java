package dev.gencache.generate.upstream;

import dev.gencache.generate.GeneratedImage;
import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import java.util.List;

/**
 * One attempt at one upstream protocol (OpenAI, SD WebUI, an HTTP template): how to ask and how to
 * read the answer. Fails with {@link UpstreamException}. Retries, timeouts across attempts, the
 * breaker and the concurrency bound are {@link ResilientGenerator}'s job.
 */
public interface UpstreamCall {
  Future<List<GeneratedImage>> call(ImageRequest request, long timeoutMillis);
}
