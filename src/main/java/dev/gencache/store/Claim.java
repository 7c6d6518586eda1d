package dev.gencache.store;

/**
 * The state of one key in the in-flight map: who generates it, and whether that generation is done.
 * A done claim lingers briefly with its finishing time (epoch ms, wall clock) so that a request which
 * started before the finish reads the stored result instead of generating again, while a request that
 * started later (say with {@code no-cache}) claims afresh.
 */
public record Claim(String owner, boolean done, long finishedAtMillis) {
  public static Claim running(String owner) {
    return new Claim(owner, false, 0);
  }
}
