package dev.gencache.cluster.leader;

import io.vertx.core.Future;

/** Where leader terms come from. Called on a Vert.x context; futures complete on that context. */
interface TermStore {

  /** Takes a new term for {@code nodeId}, higher than both the stored term and {@code floor}. */
  Future<Long> next(String nodeId, long floor);

  /** The most recently taken term and its holder, {@link LeaderView#NONE} if none was ever taken. */
  Future<LeaderView> latest();
}
