package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configured generators: which models route to which (one generator may take every model no
 * other lists), what an image costs on each, and how long each one's refusals are remembered.
 */
public final class GeneratorRegistry {
  /** How long a refused prompt is answered from memory unless a generator says otherwise. */
  public static final Duration DEFAULT_REFUSAL_TTL = Duration.ofMinutes(10);

  private final Map<String, ImageGenerator> byName = new LinkedHashMap<>();
  private final Map<String, Pricing> pricing = new LinkedHashMap<>();
  private final Map<String, Duration> refusalTtl = new LinkedHashMap<>();
  private final Map<String, String> generatorByModel = new LinkedHashMap<>();
  private String fallback;

  /** Adds a generator serving {@code models} at a flat {@code pricePerImage}. */
  public GeneratorRegistry register(ImageGenerator generator, List<String> models, double pricePerImage) {
    return register(generator, models, Pricing.flat(pricePerImage), DEFAULT_REFUSAL_TTL);
  }

  /**
   * Adds a generator serving {@code models}; with no models it serves every model no other generator
   * lists. A model may be routed only once, and only one generator may take the rest.
   */
  public GeneratorRegistry register(ImageGenerator generator, List<String> models, Pricing price, Duration refusals) {
    if (byName.containsKey(generator.name())) {
      throw new IllegalArgumentException("two generators named " + generator.name());
    }
    if (models.isEmpty()) {
      if (fallback != null) {
        throw new IllegalArgumentException("both " + fallback + " and " + generator.name() + " take every other model");
      }
      fallback = generator.name();
    }
    for (String model : models) {
      String previous = generatorByModel.putIfAbsent(model, generator.name());
      if (previous != null) {
        throw new IllegalArgumentException("model " + model + " is routed to both " + previous + " and " + generator.name());
      }
    }
    byName.put(generator.name(), generator);
    pricing.put(generator.name(), price);
    refusalTtl.put(generator.name(), refusals);
    return this;
  }

  /** Models listed explicitly, each with its generator. */
  public Map<String, String> generatorByModel() {
    return Map.copyOf(generatorByModel);
  }

  /** The generator taking every model not listed, or {@code null}. */
  public String fallback() {
    return fallback;
  }

  /** The generator for {@code model}, or {@code null} when none serves it. */
  public String route(String model) {
    return generatorByModel.getOrDefault(model, fallback);
  }

  /** @throws IllegalArgumentException for an unknown name (requests are routed before they get here) */
  public ImageGenerator get(String name) {
    ImageGenerator g = byName.get(name);
    if (g == null) {
      throw new IllegalArgumentException("no generator named " + name);
    }
    return g;
  }

  public Iterable<ImageGenerator> all() {
    return List.copyOf(byName.values());
  }

  /** What generating {@code request} costs on its generator. */
  public double cost(ImageRequest request) {
    Pricing p = pricing.get(request.generator());
    return p == null ? 0.0 : p.of(request);
  }

  public Duration refusalTtl(String generator) {
    return refusalTtl.getOrDefault(generator, DEFAULT_REFUSAL_TTL);
  }
}
