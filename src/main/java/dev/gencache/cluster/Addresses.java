package dev.gencache.cluster;

import java.util.List;

/**
 * Every event-bus address gencache uses, in one place (documented in {@code asyncapi.yaml}).
 * {@code gencache.internal.*} addresses carry leader and node-to-node traffic and are never bridged to
 * outside clients; the bridges let through only the lists below.
 */
public final class Addresses {
  /** Request/reply: body = a {@code POST /v1/images/generations} body, reply = its response. */
  public static final String GENERATE = "gencache.generate";
  /** Published: {@code {type: image.ready | cache.invalidated | leader.changed | generation.progress, …}}. */
  public static final String EVENTS = "gencache.events";
  /** Request/reply (admin): body = a {@code POST /v1/cache/invalidate} body, reply = its outcome. */
  public static final String INVALIDATE = "gencache.invalidate";

  /** What any bridge client may send to. */
  public static final List<String> BRIDGED_REQUESTS = List.of(GENERATE);
  /** What only a bridge client holding an admin token may send to. */
  public static final List<String> BRIDGED_ADMIN_REQUESTS = List.of(INVALIDATE);
  /** What a bridge client may register for. */
  public static final List<String> BRIDGED_EVENTS = List.of(EVENTS);

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
