package dev.gencache.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Builds the flat key → value view of the configuration: built-in defaults, then the optional YAML
 * file, then environment variables. Only keys that exist in the defaults are accepted, so a typo
 * fails the start instead of being ignored.
 */
public final class ConfigLoader {
  private static final String DEFAULTS = "/gencache-defaults.yaml";

  private ConfigLoader() {}

  /** Loads and validates the configuration; {@code file} may be {@code null}. */
  public static GencacheConfig load(Path file, Map<String, String> env) {
    Map<String, Object> values = defaults();
    if (file != null) {
      overlay(values, readYaml(file), file.toString());
    }
    applyEnvironment(values, env);
    return GencacheConfig.from(new Settings(values), env);
  }

  /** The built-in defaults as a flat map ({@code http.port → 8080}). */
  public static Map<String, Object> defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS + " is missing from the classpath");
      }
      Map<String, Object> flat = new LinkedHashMap<>();
      flatten("", parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULTS), flat);
      return flat;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DEFAULTS, e);
    }
  }

  /** The environment variable that overrides {@code key}: {@code cache.stale-seconds → GENCACHE_CACHE_STALE_SECONDS}. */
  public static String envName(String key) {
    return "GENCACHE_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static Map<String, Object> readYaml(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new ConfigException("file", "cannot read " + file + ": " + e.getMessage());
    }
  }

  private static Map<String, Object> parse(String text, String source) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new ConfigException("file", source + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null) {
      return Map.of();
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ConfigException("file", source + " must hold a mapping at the top level");
    }
    return asStringMap(map);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asStringMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  private static void flatten(String prefix, Map<String, Object> tree, Map<String, Object> out) {
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> child) {
        flatten(key + ".", asStringMap(child), out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static void overlay(Map<String, Object> values, Map<String, Object> tree, String source) {
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", tree, flat);
    for (Map.Entry<String, Object> e : flat.entrySet()) {
      if (!values.containsKey(e.getKey())) {
        throw new ConfigException(e.getKey(), "unknown key in " + source);
      }
      values.put(e.getKey(), e.getValue());
    }
  }

  /** GENCACHE_* variables read by the scripts and the launcher rather than by the config. */
  private static final Set<String> LAUNCHER_VARIABLES =
      Set.of("GENCACHE_CONFIG", "GENCACHE_JAVA_OPTS", "GENCACHE_BASE_PORT",
      "GENCACHE_HZ_BASE_PORT", "GENCACHE_STATE_DIR", "GENCACHE_READY_TIMEOUT", "GENCACHE_STOP_TIMEOUT",
      "GENCACHE_SKIP_BUILD");

  private static void applyEnvironment(Map<String, Object> values, Map<String, String> env) {
    Set<String> known = new HashSet<>(LAUNCHER_VARIABLES);
    values.keySet().forEach(k -> known.add(envName(k)));
    for (String name : env.keySet()) {
      if (name.startsWith("GENCACHE_") && !known.contains(name)) {
        throw new ConfigException(name, "unknown environment variable (no such config key)");
      }
    }
    for (Map.Entry<String, Object> e : values.entrySet()) {
      String raw = env.get(envName(e.getKey()));
      if (raw != null) {
        e.setValue(e.getValue() instanceof List<?> ? splitList(raw) : raw);
      }
    }
  }

  private static List<String> splitList(String raw) {
    List<String> items = new ArrayList<>();
    for (String part : raw.split(",")) {
      if (!part.isBlank()) {
        items.add(part.trim());
      }
    }
    return items;
  }
}
