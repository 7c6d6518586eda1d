package dev.gencache.config;

import java.util.List;
import java.util.Map;

/** Typed, range-checked reads of the flat configuration; every failure names its key. */
final class Settings {
  private final Map<String, Object> values;

  Settings(Map<String, Object> values) {
    this.values = values;
  }

  String string(String key) {
    Object v = require(key);
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      throw new ConfigException(key, "must be a single value");
    }
    return String.valueOf(v).trim();
  }

  long integer(String key, long min, long max) {
    String s = string(key);
    long v;
    try {
      v = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a whole number, was \"" + s + "\"");
    }
    if (v < min || v > max) {
      throw new ConfigException(key, "must be within " + min + ".." + max + ", was " + v);
    }
    return v;
  }

  double decimal(String key, double min, double max) {
    String s = string(key);
    double v;
    try {
      v = Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a number, was \"" + s + "\"");
    }
    if (!(v >= min && v <= max)) {
      throw new ConfigException(key, "must be within " + min + ".." + max + ", was " + s);
    }
    return v;
  }

  boolean bool(String key) {
    String s = string(key);
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw new ConfigException(key, "must be true or false, was \"" + s + "\"");
  }

  List<String> list(String key) {
    Object v = require(key);
    if (!(v instanceof List<?> items)) {
      throw new ConfigException(key, "must be a list");
    }
    return items.stream().map(i -> String.valueOf(i).trim()).filter(i -> !i.isEmpty()).toList();
  }

  /** The value as the YAML gave it (lists of mappings stay whole). */
  Object raw(String key) {
    return require(key);
  }

  private Object require(String key) {
    Object v = values.get(key);
    if (v == null) {
      throw new ConfigException(key, "is required");
    }
    return v;
  }
}
