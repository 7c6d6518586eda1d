package dev.gencache.store;

/**
 * The state of one key in the in-flight map: who generates it, and whether that generation is done
 * (a done claim lingers briefly so late waiters read the stored result instead of generating again).
 */
public record Claim(String owner, boolean done) {}
