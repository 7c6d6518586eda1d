package dev.gencache.generate.upstream;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.config.GeneratorSpec.HttpTemplate;
import dev.gencache.config.GeneratorSpec.SdWebUiOptions;
import dev.gencache.config.GeneratorSpec.Type;
import dev.gencache.config.Secret;
import dev.gencache.generate.resilience.Backoff;
import dev.gencache.generate.resilience.CircuitBreaker;
import dev.gencache.image.ImageRequest;
import dev.gencache.image.ImageSize;
import dev.gencache.image.OutputFormat;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/** Builders shared by the upstream protocol tests. */
final class Upstreams {
  static final String KEY = "sk-test-0123456789abcdefSECRET";
  /** The smallest thing the sniffer accepts as a PNG. */
  static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 1, 2, 3};

  private Upstreams() {}

  static GeneratorSpec spec(Type type, String baseUrl, int retries, int breakerFailures, Duration timeout,
      HttpTemplate http) {
    return new GeneratorSpec(type.name().toLowerCase(), type, URI.create(baseUrl), new Secret(KEY), List.of(), 0.04,
        Map.of(), timeout, 4, 4, retries, Duration.ofMillis(10), breakerFailures, Duration.ofSeconds(30),
        Duration.ofMinutes(10), http, type == Type.SDWEBUI ? new SdWebUiOptions(25, 6.5, "DPM++ 2M") : null);
  }

  static ImageRequest request(String model, String prompt) {
    return new ImageRequest("g", model, prompt, null, new ImageSize(512, 512), "hd", "vivid", 42L, 1,
        OutputFormat.PNG, null, null);
  }

  static ResilientGenerator resilient(Vertx vertx, GeneratorSpec spec, UpstreamCall call, InstantSource clock) {
    return new ResilientGenerator(vertx, spec, call,
        new CircuitBreaker(spec.name(), spec.breakerFailures(), spec.breakerReset(), clock),
        new Backoff(spec.retryBaseDelay(), spec.retryBaseDelay().multipliedBy(4), () -> 0.5));
  }

  static WebClient client(Vertx vertx) {
    return WebClient.create(vertx);
  }
}
