package dev.gencache.generate;

import dev.gencache.config.GencacheConfig;
import dev.gencache.config.GeneratorSpec;
import dev.gencache.generate.resilience.Backoff;
import dev.gencache.generate.resilience.CircuitBreaker;
import dev.gencache.generate.upstream.HttpTemplateProtocol;
import dev.gencache.generate.upstream.OpenAiProtocol;
import dev.gencache.generate.upstream.ResilientGenerator;
import dev.gencache.generate.upstream.SdWebUiProtocol;
import dev.gencache.generate.upstream.UpstreamCall;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/** Builds a node's generators from its configuration. */
public final class Generators {
  private Generators() {}

  /** The {@code generators:} entries, or with none the embedded renderer serving {@code embedded.models}. */
  public static GeneratorRegistry fromConfig(Vertx vertx, GencacheConfig config) {
    GeneratorRegistry registry = new GeneratorRegistry();
    if (config.generators().isEmpty()) {
      return registry.register(embedded(vertx, config), config.embedded().models(), config.embedded().pricePerImage());
    }
    WebClient client = null;
    for (GeneratorSpec spec : config.generators()) {
      Pricing pricing = new Pricing(spec.pricePerImage(), spec.prices());
      if (spec.type() == GeneratorSpec.Type.EMBEDDED) {
        registry.register(new NamedGenerator(spec.name(), embedded(vertx, config)), spec.models(), pricing,
            spec.refusalTtl());
        continue;
      }
      if (client == null) {
        client = webClient(vertx, config);
      }
      UpstreamCall protocol = switch (spec.type()) {
        case OPENAI -> new OpenAiProtocol(client, spec);
        case SDWEBUI -> new SdWebUiProtocol(client, spec);
        case HTTP -> new HttpTemplateProtocol(client, spec);
        case EMBEDDED -> throw new AssertionError("handled above");
      };
      registry.register(new ResilientGenerator(vertx, spec, protocol,
              new CircuitBreaker(spec.name(), spec.breakerFailures(), spec.breakerReset(), InstantSource.system()),
              Backoff.standard(spec.retryBaseDelay())),
          spec.models(), pricing, spec.refusalTtl());
    }
    return registry;
  }

  private static EmbeddedGenerator embedded(Vertx vertx, GencacheConfig config) {
    WorkerExecutor renderPool = vertx.createSharedWorkerExecutor("gencache-embedded",
        config.embedded().threads(), config.generation().timeout().toSeconds(), TimeUnit.SECONDS);
    return new EmbeddedGenerator(renderPool, config.embedded().threads(), config.embedded().maxQueue());
  }

  private static WebClient webClient(Vertx vertx, GencacheConfig config) {
    int connections = config.generators().stream().mapToInt(GeneratorSpec::maxConcurrency).sum();
    return WebClient.create(vertx, new WebClientOptions()
            .setUserAgent("gencache")
            .setKeepAlive(true)
            .setConnectTimeout(10_000)
            .setMaxHeaderSize(64 * 1024),
        new PoolOptions().setHttp1MaxSize(Math.max(8, connections)));
  }
}
