package dev.gencache.config;

/** A configuration value is missing, unknown or out of range; the message names the key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super("config " + key + ": " + problem);
  }
}
