package dev.gencache.generate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The configured generators, which models route to which, and what an image costs on each. */
public final class GeneratorRegistry {
  private final Map<String, ImageGenerator> byName = new LinkedHashMap<>();
  private final Map<String, Double> priceByName = new LinkedHashMap<>();
  private final Map<String, String> generatorByModel = new LinkedHashMap<>();

  /** Adds a generator serving {@code models} at {@code pricePerImage}. A model may be routed only once. */
  public GeneratorRegistry register(ImageGenerator generator, List<String> models, double pricePerImage) {
    byName.put(generator.name(), generator);
    priceByName.put(generator.name(), pricePerImage);
    for (String model : models) {
      String previous = generatorByModel.putIfAbsent(model, generator.name());
      if (previous != null) {
        throw new IllegalArgumentException("model " + model + " is routed to both " + previous + " and " + generator.name());
      }
    }
    return this;
  }

  public Map<String, String> generatorByModel() {
    return Map.copyOf(generatorByModel);
  }

  /** @throws IllegalArgumentException for an unknown name (requests are routed before they get here) */
  public ImageGenerator get(String name) {
    ImageGenerator g = byName.get(name);
    if (g == null) {
      throw new IllegalArgumentException("no generator named " + name);
    }
    return g;
  }

  public double pricePerImage(String name) {
    return priceByName.getOrDefault(name, 0.0);
  }
}
