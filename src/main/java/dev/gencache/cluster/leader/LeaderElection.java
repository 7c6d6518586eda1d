package dev.gencache.cluster.leader;

/** {@link Leadership} plus the hooks for leader-only work and for fencing leader-stamped messages. */
public interface LeaderElection extends Leadership {

  /**
   * True unless {@code term} is older than the term this node knows: a follower ignores a
   * leader-stamped message for which this returns false (it comes from a deposed leader).
   */
  boolean isCurrent(long term);

  /** True while this node is the leader of exactly {@code term}. */
  boolean holds(long term);

  /**
   * Starts {@code job} whenever this node becomes leader (at once if it already is) and stops it when
   * leadership ends. Callable from any thread.
   */
  void addJob(LeaderJob job);

  /** Stops {@code job} if it is running and forgets it. Callable from any thread. */
  void removeJob(LeaderJob job);
}
