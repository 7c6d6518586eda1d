package dev.gencache.store;

/**
 * The state of one key in the in-flight map: who generates it, and whether that generation is done.
 * A done claim lingers briefly with its finishing time (epoch µs, wall clock) so that a request which
 * started before the finish reads the stored result instead of generating again, while a request that
 * started later (say with {@code no-cache}) claims afresh. Microseconds, because a client's next
 * request can follow an answer within the same millisecond.
 */
public record Claim(String owner, boolean done, long finishedAtMicros) {
  public static Claim running(String owner) {
    return new Claim(owner, false, 0);
  }
}
