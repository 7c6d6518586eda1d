package dev.gencache.image;

import java.util.Objects;

/**
 * A normalised image request: exactly the fields that change the pixels, and so exactly the fields
 * that make up the request key (see {@link RequestKey}). Optional fields are {@code null} when absent.
 *
 * @param generator         the generator route the model resolves to (e.g. {@code embedded})
 * @param model             the model name as routed
 * @param prompt            the normalised prompt (NFC, trimmed, whitespace collapsed)
 * @param negativePrompt    the normalised negative prompt, or {@code null}
 * @param size              pixel size
 * @param quality           lower-cased quality, or {@code null}
 * @param style             lower-cased style, or {@code null}
 * @param seed              seed, or {@code null} when the client gave none
 * @param n                 number of images, 1..4
 * @param outputFormat      encoding
 * @param outputCompression 0..100 for lossy formats, or {@code null}
 * @param background        lower-cased background ({@code transparent|opaque|auto}), or {@code null}
 */
public record ImageRequest(
    String generator,
    String model,
    String prompt,
    String negativePrompt,
    ImageSize size,
    String quality,
    String style,
    Long seed,
    int n,
    OutputFormat outputFormat,
    Integer outputCompression,
    String background) {

  public static final int MAX_IMAGES = 4;

  public ImageRequest {
    Objects.requireNonNull(generator, "generator");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(outputFormat, "outputFormat");
    if (n < 1 || n > MAX_IMAGES) {
      throw new IllegalArgumentException("n must be within 1.." + MAX_IMAGES + ", was " + n);
    }
  }
}
