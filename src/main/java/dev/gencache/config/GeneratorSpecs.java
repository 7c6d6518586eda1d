package dev.gencache.config;

import dev.gencache.config.GeneratorSpec.HttpTemplate;
import dev.gencache.config.GeneratorSpec.ResponseKind;
import dev.gencache.config.GeneratorSpec.SdWebUiOptions;
import dev.gencache.config.GeneratorSpec.Type;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code generators:} list. Every entry is checked whole at start, and every failure names
 * its key ({@code generators[1].base-url}). Credentials come only from environment variables.
 */
final class GeneratorSpecs {
  private static final Set<String> COMMON = Set.of("name", "type", "models", "price-per-image", "prices", "timeout",
      "max-concurrency", "max-queue", "retries", "retry-base-delay", "breaker-failures", "breaker-reset", "refusal-ttl");
  private static final Map<Type, Set<String>> OWN = Map.of(
      Type.OPENAI, Set.of("base-url", "api-key-env"),
      Type.SDWEBUI, Set.of("base-url", "api-key-env", "steps", "cfg-scale", "sampler-name"),
      Type.HTTP, Set.of("base-url", "api-key-env", "method", "path", "body", "headers", "response", "image-path",
          "url-path"),
      Type.EMBEDDED, Set.of());
  private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private GeneratorSpecs() {}

  static List<GeneratorSpec> parse(Object raw, Map<String, String> env) {
    if (!(raw instanceof List<?> entries)) {
      throw new ConfigException("generators", "must be a list of generator entries");
    }
    List<GeneratorSpec> specs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> models = new HashSet<>();
    boolean catchAll = false;
    for (int i = 0; i < entries.size(); i++) {
      String at = "generators[" + i + "]";
      if (!(entries.get(i) instanceof Map<?, ?> map)) {
        throw new ConfigException(at, "must be a mapping (generators are configured in the config file)");
      }
      GeneratorSpec spec = new Entry(at, map, env).spec();
      if (!names.add(spec.name())) {
        throw new ConfigException(at + ".name", "\"" + spec.name() + "\" is used by two entries");
      }
      for (String m : spec.models()) {
        if (!models.add(m)) {
          throw new ConfigException(at + ".models", "model \"" + m + "\" is routed by two entries");
        }
      }
      if (spec.models().isEmpty()) {
        if (catchAll) {
          throw new ConfigException(at + ".models", "only one entry may leave out models (it takes every other model)");
        }
        catchAll = true;
      }
      specs.add(spec);
    }
    return List.copyOf(specs);
  }

  /** One entry's keys, read with the entry's position in every error. */
  private static final class Entry {
    private final String at;
    private final Map<?, ?> map;
    private final Map<String, String> env;

    Entry(String at, Map<?, ?> map, Map<String, String> env) {
      this.at = at;
      this.map = map;
      this.env = env;
    }

    GeneratorSpec spec() {
      String name = string("name", null);
      if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
        throw new ConfigException(at + ".name", "is required: 1-32 of a-z, 0-9, '-', '_' (it becomes a metric tag)");
      }
      Type type = enumValue("type", Type.class, null);
      if (type == null) {
        throw new ConfigException(at + ".type", "is required: openai, sdwebui, http or embedded");
      }
      for (Object key : map.keySet()) {
        if (!COMMON.contains(String.valueOf(key)) && !OWN.get(type).contains(String.valueOf(key))) {
          throw new ConfigException(at + "." + key, "unknown key for a generator of type " + type.name().toLowerCase(Locale.ROOT));
        }
      }
      URI baseUrl = type == Type.EMBEDDED ? null
          : url("base-url", type == Type.OPENAI ? "https://api.openai.com" : null);
      Secret apiKey = apiKey(type == Type.OPENAI);
      HttpTemplate http = type == Type.HTTP ? httpTemplate() : null;
      SdWebUiOptions sd = type == Type.SDWEBUI ? new SdWebUiOptions((int) integer("steps", 20, 1, 500),
          decimal("cfg-scale", 7.0, 0, 100), string("sampler-name", "Euler a")) : null;
      return new GeneratorSpec(name, type, baseUrl, apiKey, stringList("models"), decimal("price-per-image", 0.0, 0, 1000),
          prices(), duration("timeout", Duration.ofSeconds(120)), (int) integer("max-concurrency", 8, 1, 1024),
          (int) integer("max-queue", 64, 0, 100_000), (int) integer("retries", 2, 0, 10),
          duration("retry-base-delay", Duration.ofMillis(500)), (int) integer("breaker-failures", 5, 1, 1000),
          duration("breaker-reset", Duration.ofSeconds(30)), duration("refusal-ttl", Duration.ofMinutes(10)), http, sd);
    }

    private HttpTemplate httpTemplate() {
      String method = string("method", "GET").toUpperCase(Locale.ROOT);
      if (!method.equals("GET") && !method.equals("POST")) {
        throw new ConfigException(at + ".method", "must be GET or POST");
      }
      String path = string("path", null);
      if (path == null || !path.startsWith("/")) {
        throw new ConfigException(at + ".path", "is required and starts with '/' (placeholders: {prompt}, {width}, ...)");
      }
      String body = string("body", null);
      if (body != null && method.equals("GET")) {
        throw new ConfigException(at + ".body", "only a POST has a body");
      }
      ResponseKind response = enumValue("response", ResponseKind.class, ResponseKind.IMAGE);
      String imagePath = string("image-path", null);
      String urlPath = string("url-path", null);
      if (response == ResponseKind.JSON && (imagePath == null) == (urlPath == null)) {
        throw new ConfigException(at + ".response", "json needs exactly one of image-path (base64) or url-path (fetched)");
      }
      if (response == ResponseKind.IMAGE && (imagePath != null || urlPath != null)) {
        throw new ConfigException(at + ".response", "image-path and url-path are for response: json");
      }
      return new HttpTemplate(method, path, body, headers(), response, imagePath, urlPath);
    }

    /** Header values may be literals or {@code ${VAR}} references to the environment. */
    private Map<String, Secret> headers() {
      Object raw = map.get("headers");
      Map<String, Secret> headers = new LinkedHashMap<>();
      if (raw == null) {
        return headers;
      }
      if (!(raw instanceof Map<?, ?> m)) {
        throw new ConfigException(at + ".headers", "must be a mapping of header name to value");
      }
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String header = String.valueOf(e.getKey());
        if (!header.matches("[A-Za-z0-9-]{1,64}")) {
          throw new ConfigException(at + ".headers", "\"" + header + "\" is not a header name");
        }
        String value = String.valueOf(e.getValue());
        Matcher ref = ENV_REF.matcher(value);
        StringBuilder resolved = new StringBuilder();
        while (ref.find()) {
          String var = env.get(ref.group(1));
          if (var == null || var.isEmpty()) {
            throw new ConfigException(at + ".headers." + header, "environment variable " + ref.group(1) + " is not set");
          }
          ref.appendReplacement(resolved, Matcher.quoteReplacement(var));
        }
        ref.appendTail(resolved);
        headers.put(header, new Secret(resolved.toString()));
      }
      return headers;
    }

    private Secret apiKey(boolean required) {
      String var = string("api-key-env", null);
      if (var == null) {
        if (required) {
          throw new ConfigException(at + ".api-key-env", "is required: the environment variable holding the API key");
        }
        return null;
      }
      if (!var.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new ConfigException(at + ".api-key-env", "must name an environment variable (the key itself never goes in the file)");
      }
      String key = env.get(var);
      if (key == null || key.isBlank()) {
        throw new ConfigException(at + ".api-key-env", "environment variable " + var + " is not set");
      }
      return new Secret(key.strip());
    }

    private Map<String, Double> prices() {
      Object raw = map.get("prices");
      Map<String, Double> prices = new LinkedHashMap<>();
      if (raw == null) {
        return prices;
      }
      if (!(raw instanceof Map<?, ?> m)) {
        throw new ConfigException(at + ".prices", "must map \"WxH\" or \"WxH/quality\" to a price per image");
      }
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey()).toLowerCase(Locale.ROOT);
        if (!key.matches("\\d{1,5}x\\d{1,5}(/[a-z0-9_-]{1,16})?")) {
          throw new ConfigException(at + ".prices", "\"" + key + "\" is not WxH or WxH/quality");
        }
        prices.put(key, parseDecimal(at + ".prices." + key, String.valueOf(e.getValue()), 0, 1000));
      }
      return prices;
    }

    private String string(String key, String dflt) {
      Object v = map.get(key);
      if (v == null) {
        return dflt;
      }
      if (v instanceof Map<?, ?> || v instanceof List<?>) {
        throw new ConfigException(at + "." + key, "must be a single value");
      }
      String s = String.valueOf(v).trim();
      return s.isEmpty() ? dflt : s;
    }

    private List<String> stringList(String key) {
      Object v = map.get(key);
      if (v == null) {
        return List.of();
      }
      if (!(v instanceof List<?> items)) {
        throw new ConfigException(at + "." + key, "must be a list");
      }
      return items.stream().map(x -> String.valueOf(x).trim()).filter(x -> !x.isEmpty()).toList();
    }

    private <E extends Enum<E>> E enumValue(String key, Class<E> type, E dflt) {
      String s = string(key, null);
      if (s == null) {
        return dflt;
      }
      try {
        return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + "." + key, "\"" + s + "\" is not one of " + List.of(type.getEnumConstants()).toString().toLowerCase(Locale.ROOT));
      }
    }

    private long integer(String key, long dflt, long min, long max) {
      String s = string(key, null);
      if (s == null) {
        return dflt;
      }
      try {
        long v = Long.parseLong(s);
        if (v < min || v > max) {
          throw new ConfigException(at + "." + key, "must be within " + min + ".." + max + ", was " + v);
        }
        return v;
      } catch (NumberFormatException e) {
        throw new ConfigException(at + "." + key, "must be a whole number, was \"" + s + "\"");
      }
    }

    private double decimal(String key, double dflt, double min, double max) {
      String s = string(key, null);
      return s == null ? dflt : parseDecimal(at + "." + key, s, min, max);
    }

    private static double parseDecimal(String key, String s, double min, double max) {
      try {
        double v = Double.parseDouble(s);
        if (!(v >= min && v <= max)) {
          throw new ConfigException(key, "must be within " + min + ".." + max + ", was " + s);
        }
        return v;
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "must be a number, was \"" + s + "\"");
      }
    }

    /** ISO-8601 ({@code PT120S}) or whole seconds. */
    private Duration duration(String key, Duration dflt) {
      String s = string(key, null);
      if (s == null) {
        return dflt;
      }
      Duration d;
      try {
        d = s.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(s)) : Duration.parse(s.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new ConfigException(at + "." + key, "must be an ISO-8601 duration like PT30S, was \"" + s + "\"");
      }
      if (d.isNegative() || d.isZero()) {
        throw new ConfigException(at + "." + key, "must be positive");
      }
      return d;
    }

    private URI url(String key, String dflt) {
      String s = string(key, dflt);
      if (s == null) {
        throw new ConfigException(at + "." + key, "is required");
      }
      try {
        URI uri = URI.create(s.replaceAll("/+$", ""));
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getRawQuery() != null) {
          throw new IllegalArgumentException();
        }
        return uri;
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + "." + key, "must be an absolute http(s) URL without a query, was \"" + s + "\"");
      }
    }
  }
}
