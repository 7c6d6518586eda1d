package dev.gencache.cluster.eviction;

/** What one sweep removed: expired entries, entries of due tags, entries and images over the byte budget. */
public record SweepReport(int expiredKeys, int dueTags, int budgetKeys, int budgetImages, long clusterBytes,
    long removed) {
  public static final SweepReport SKIPPED = new SweepReport(0, 0, 0, 0, -1, 0);
}
