package dev.gencache.cluster.leader;

import java.util.List;

/** This node's view of the cluster's leader and members; safe to call from any thread. */
public interface Leadership {

  /** This node's Vert.x node id. */
  String nodeId();

  /** The current leader and term as this node knows them ({@link LeaderView#NONE} before any election). */
  LeaderView current();

  /** True when this node is the leader of a term it holds, and the cluster has quorum. */
  boolean isLeader();

  /** Vert.x node ids of the live members, oldest first. */
  List<String> members();
}
