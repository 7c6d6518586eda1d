package dev.gencache.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One entry of the {@code generators:} list: where an upstream generator is, which models go to it,
 * what an image costs, and how hard gencache leans on it.
 *
 * @param apiKey         from the environment variable the entry names, or {@code null}
 * @param models         models routed here; empty = every model no other entry lists
 * @param prices         refinements of {@code pricePerImage}: {@code "1024x1024/hd"} or {@code "1024x1024"}
 * @param timeout        one call to the generator, retries included
 * @param retries        extra attempts for retryable failures (5xx, timeouts, connection errors, 429)
 * @param breakerFailures consecutive failures that open the circuit breaker
 * @param breakerReset   how long the breaker stays open before one trial call
 * @param refusalTtl     how long a content-policy refusal is remembered per request key
 * @param http           the request template ({@code http} type only), else {@code null}
 * @param sdwebui        txt2img parameters ({@code sdwebui} type only), else {@code null}
 */
public record GeneratorSpec(
    String name,
    Type type,
    URI baseUrl,
    Secret apiKey,
    List<String> models,
    double pricePerImage,
    Map<String, Double> prices,
    Duration timeout,
    int maxConcurrency,
    int maxQueue,
    int retries,
    Duration retryBaseDelay,
    int breakerFailures,
    Duration breakerReset,
    Duration refusalTtl,
    HttpTemplate http,
    SdWebUiOptions sdwebui) {

  public enum Type { OPENAI, SDWEBUI, HTTP, EMBEDDED }

  public enum ResponseKind { IMAGE, JSON }

  /**
   * @param path      path and query with placeholders, URL-encoded when expanded
   * @param body      JSON template for POST (placeholders JSON-escaped), or {@code null}
   * @param headers   extra headers; values may come from the environment
   * @param imagePath dotted path to a base64 image in a JSON answer, or {@code null}
   * @param urlPath   dotted path to an image URL in a JSON answer (fetched), or {@code null}
   */
  public record HttpTemplate(String method, String path, String body, Map<String, Secret> headers,
      ResponseKind response, String imagePath, String urlPath) {}

  public record SdWebUiOptions(int steps, double cfgScale, String samplerName) {}
}
