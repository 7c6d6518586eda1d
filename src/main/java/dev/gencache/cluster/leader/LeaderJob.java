package dev.gencache.cluster.leader;

/**
 * Work that runs only on the leader (TTL sweeps, invalidation sequencing, pre-warm). Register it with
 * {@link LeaderElection#addJob}; both methods are called on the leader verticle's event loop and
 * must not block.
 */
public interface LeaderJob {

  /**
   * This node became leader for {@code term}. Stamp everything the job publishes with it, and check
   * {@link LeaderElection#holds(long)} after each asynchronous step before acting on its result.
   */
  void start(long term);

  /** This node lost leadership (term superseded, no longer the oldest member, quorum lost, node stopping). */
  void stop();
}
