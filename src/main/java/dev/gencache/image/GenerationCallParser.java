package dev.gencache.image;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns an OpenAI Images API body (or the equivalent query string) into a {@link GenerationCall}.
 * Unknown fields are ignored; known fields of the wrong type or out of range are rejected with an
 * {@link InvalidRequestException} naming the field. Fields that do not change pixels ({@code user},
 * {@code response_format}, {@code ttl_seconds}, {@code tags}) never reach the key.
 */
public final class GenerationCallParser {
  public static final int MAX_PROMPT_CHARS = 4000;
  public static final int MAX_TAGS = 16;
  static final ImageSize DEFAULT_SIZE = new ImageSize(1024, 1024);
  private static final Pattern WORD = Pattern.compile("[a-z0-9_-]{1,32}");
  private static final Set<String> INTEGER_FIELDS = Set.of("n", "seed", "ttl_seconds", "output_compression");
  private static final Set<String> BACKGROUNDS = Set.of("transparent", "opaque");

  private final Map<String, String> generatorByModel;
  private final String fallbackGenerator;
  private final String defaultModel;
  private final boolean lowercasePrompts;
  private final Duration maxTtl;

  /**
   * @param generatorByModel model name → generator route
   * @param defaultModel     model used when a request names none
   * @param lowercasePrompts fold prompt case into the key
   * @param maxTtl           upper bound for {@code ttl_seconds}
   */
  public GenerationCallParser(
      Map<String, String> generatorByModel, String defaultModel, boolean lowercasePrompts, Duration maxTtl) {
    this(generatorByModel, null, defaultModel, lowercasePrompts, maxTtl);
  }

  /** @param fallbackGenerator the generator for models not in {@code generatorByModel}, or {@code null} */
  public GenerationCallParser(Map<String, String> generatorByModel, String fallbackGenerator, String defaultModel,
      boolean lowercasePrompts, Duration maxTtl) {
    this.generatorByModel = Map.copyOf(generatorByModel);
    this.fallbackGenerator = fallbackGenerator;
    this.defaultModel = defaultModel;
    this.lowercasePrompts = lowercasePrompts;
    this.maxTtl = maxTtl;
  }

  public GenerationCall parse(JsonObject body) {
    String model = optionalString(body, "model", 128);
    if (model == null) {
      model = defaultModel;
    }
    String generator = generatorByModel.getOrDefault(model, fallbackGenerator);
    if (generator == null) {
      throw new InvalidRequestException(
          "model \"" + model + "\" is not served here; known models: " + String.join(", ", generatorByModel.keySet()));
    }
    String prompt = prompt(body, "prompt", true);
    String negative = prompt(body, "negative_prompt", false);
    String sizeText = optionalString(body, "size", 32);
    ImageSize size;
    try {
      size = sizeText == null ? DEFAULT_SIZE : ImageSize.parse(sizeText, DEFAULT_SIZE);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(e.getMessage());
    }
    String quality = autoIsAbsent(word(body, "quality"));
    String style = word(body, "style");
    String background = autoIsAbsent(word(body, "background"));
    if (background != null && !BACKGROUNDS.contains(background)) {
      throw new InvalidRequestException("background must be one of transparent, opaque, auto");
    }
    Long seed = optionalLong(body, "seed", 0, Long.MAX_VALUE);
    int n = (int) (long) orDefault(optionalLong(body, "n", 1, ImageRequest.MAX_IMAGES), 1L);
    String formatText = optionalString(body, "output_format", 16);
    OutputFormat format;
    try {
      format = formatText == null ? OutputFormat.PNG : OutputFormat.parse(formatText);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(e.getMessage());
    }
    Long compression = optionalLong(body, "output_compression", 0, 100);
    if (compression != null && format == OutputFormat.PNG) {
      compression = null; // lossless: the value cannot change pixels, so it must not split the key
    }
    ImageRequest request = new ImageRequest(generator, model, prompt, negative, size, quality, style, seed, n,
        format, compression == null ? null : compression.intValue(), background);
    return new GenerationCall(request, RequestKey.of(request), responseFormat(body), ttl(body), tags(body));
  }

  /**
   * Reads the query string of {@code GET /v1/images/generations}: the same fields as the JSON body,
   * integers as decimal text and {@code tags} comma-separated. A repeated parameter is rejected.
   */
  public GenerationCall parse(MultiMap query) {
    JsonObject body = new JsonObject();
    for (String name : query.names()) {
      List<String> values = query.getAll(name);
      if (values.size() > 1) {
        throw new InvalidRequestException("query parameter " + name + " is given more than once");
      }
      String value = values.get(0);
      if (INTEGER_FIELDS.contains(name) && value.matches("-?\\d{1,19}")) {
        try {
          body.put(name, Long.parseLong(value));
        } catch (NumberFormatException e) {
          throw new InvalidRequestException(name + " is out of range");
        }
      } else if (name.equals("tags")) {
        JsonArray tags = new JsonArray();
        for (String t : value.split(",")) {
          if (!t.isBlank()) {
            tags.add(t.trim());
          }
        }
        body.put(name, tags);
      } else {
        body.put(name, value);
      }
    }
    return parse(body);
  }

  private String prompt(JsonObject body, String field, boolean required) {
    Object raw = body.getValue(field);
    if (raw == null) {
      if (required) {
        throw new InvalidRequestException(field + " is required");
      }
      return null;
    }
    if (!(raw instanceof String text)) {
      throw new InvalidRequestException(field + " must be a string");
    }
    String normalized = PromptText.normalize(text, lowercasePrompts);
    if (normalized.isEmpty()) {
      if (required) {
        throw new InvalidRequestException(field + " must not be empty");
      }
      return null;
    }
    if (normalized.length() > MAX_PROMPT_CHARS) {
      throw new InvalidRequestException(field + " must be at most " + MAX_PROMPT_CHARS + " characters");
    }
    return normalized;
  }

  private static String optionalString(JsonObject body, String field, int maxLength) {
    Object raw = body.getValue(field);
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String text)) {
      throw new InvalidRequestException(field + " must be a string");
    }
    String t = text.strip();
    if (t.length() > maxLength) {
      throw new InvalidRequestException(field + " must be at most " + maxLength + " characters");
    }
    return t.isEmpty() ? null : t;
  }

  private static String word(JsonObject body, String field) {
    String text = optionalString(body, field, 32);
    if (text == null) {
      return null;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (!WORD.matcher(lower).matches()) {
      throw new InvalidRequestException(field + " must be a single word of letters, digits, '-' or '_'");
    }
    return lower;
  }

  private static String autoIsAbsent(String value) {
    return "auto".equals(value) ? null : value;
  }

  private static Long optionalLong(JsonObject body, String field, long min, long max) {
    Object raw = body.getValue(field);
    if (raw == null) {
      return null;
    }
    long v;
    if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte) {
      v = ((Number) raw).longValue();
    } else if (raw instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())
        && Math.abs(num.doubleValue()) < 9.0e15) {
      v = num.longValue(); // 2.0 is an integer in JSON
    } else {
      throw new InvalidRequestException(field + " must be an integer");
    }
    if (v < min || v > max) {
      throw new InvalidRequestException(field + " must be within " + min + ".." + max + ", was " + v);
    }
    return v;
  }

  private static <T> T orDefault(T value, T fallback) {
    return value == null ? fallback : value;
  }

  private static ResponseFormat responseFormat(JsonObject body) {
    String text = optionalString(body, "response_format", 16);
    if (text == null || text.equals("url")) {
      return ResponseFormat.URL;
    }
    if (text.equals("b64_json")) {
      return ResponseFormat.B64_JSON;
    }
    throw new InvalidRequestException("response_format must be url or b64_json");
  }

  private Duration ttl(JsonObject body) {
    Long seconds = optionalLong(body, "ttl_seconds", 1, maxTtl.toSeconds());
    return seconds == null ? null : Duration.ofSeconds(seconds);
  }

  private static List<String> tags(JsonObject body) {
    Object raw = body.getValue("tags");
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray array)) {
      throw new InvalidRequestException("tags must be an array of strings");
    }
    if (array.size() > MAX_TAGS) {
      throw new InvalidRequestException("tags may hold at most " + MAX_TAGS + " entries");
    }
    List<String> tags = new ArrayList<>();
    for (Object t : array) {
      if (!(t instanceof String tag) || !Tags.isValid(tag)) {
        throw new InvalidRequestException("each tag must be valid: " + Tags.RULE);
      }
      if (!tags.contains(tag)) {
        tags.add(tag);
      }
    }
    return tags;
  }
}
