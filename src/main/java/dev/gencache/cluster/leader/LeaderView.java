package dev.gencache.cluster.leader;

/** Who leads, as one node sees it: the leader's Vert.x node id and its term (higher wins). */
public record LeaderView(String nodeId, long term) {
  public static final LeaderView NONE = new LeaderView("", 0);

  public boolean isNone() {
    return term == 0;
  }
}
