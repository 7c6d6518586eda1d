package dev.gencache.cluster;

/**
 * Every event-bus address gencache uses, in one place. {@code gencache.internal.*} addresses carry
 * leader and node-to-node traffic and are never bridged to outside clients.
 */
public final class Addresses {
  /** Published: {@code {type: image.ready | cache.invalidated | leader.changed | …}} for any listener. */
  public static final String EVENTS = "gencache.events";
  /** Request/reply (admin): body = an invalidation request, reply = its outcome. */
  public static final String INVALIDATE = "gencache.invalidate";

  /** Published by the leader: {@code {nodeId, term}} on election and as a heartbeat. */
  public static final String LEADER = "gencache.internal.leader";
  /** Published by the leader: a sequenced invalidation every node applies and acknowledges. */
  public static final String INVALIDATIONS = "gencache.internal.invalidations";
  /** Published by a generating node: a key's generation finished (or failed); waiters re-read. */
  public static final String FLIGHTS = "gencache.internal.flights";

  private static final String NODE_PREFIX = "gencache.internal.node.";

  private Addresses() {}

  /** A node's own inbox (point to point): invalidation requests to the leader, acks from nodes. */
  public static String node(String nodeId) {
    return NODE_PREFIX + nodeId;
  }
}
