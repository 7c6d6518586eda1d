package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import java.util.Map;

/**
 * What one image costs on a generator: a flat price, refined by size ({@code "1024x1024"}) or by size
 * and quality ({@code "1024x1024/hd"}), the most specific match winning.
 */
public record Pricing(double perImage, Map<String, Double> refinements) {
  public Pricing {
    refinements = Map.copyOf(refinements);
  }

  public static Pricing flat(double perImage) {
    return new Pricing(perImage, Map.of());
  }

  /** The cost of generating {@code request} (all of its images). */
  public double of(ImageRequest request) {
    String size = request.size().toString();
    Double price = request.quality() == null ? null : refinements.get(size + "/" + request.quality());
    if (price == null) {
      price = refinements.getOrDefault(size, perImage);
    }
    return price * request.n();
  }
}
