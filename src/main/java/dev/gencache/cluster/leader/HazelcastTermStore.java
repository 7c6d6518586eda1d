package dev.gencache.cluster.leader;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Terms in the {@value LeaderMapConfig#MAP} IMap, taken with {@link TakeTerm} via {@code submitToKey}. */
final class HazelcastTermStore implements TermStore {
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private volatile IMap<String, LeaderView> map;

  HazelcastTermStore(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
  }

  @Override
  public Future<Long> next(String nodeId, long floor) {
    Context context = vertx.getOrCreateContext();
    return map().compose(m ->
        Future.fromCompletionStage(m.submitToKey(LeaderMapConfig.TERM_KEY, new TakeTerm(nodeId, floor)), context));
  }

  @Override
  public Future<LeaderView> latest() {
    Context context = vertx.getOrCreateContext();
    return map().compose(m -> Future.fromCompletionStage(m.getAsync(LeaderMapConfig.TERM_KEY), context))
        .map(v -> v == null ? LeaderView.NONE : v);
  }

  /** Off the event loop the first time: creating a map proxy may call the cluster. */
  private Future<IMap<String, LeaderView>> map() {
    IMap<String, LeaderView> m = map;
    if (m != null) {
      return Future.succeededFuture(m);
    }
    return vertx.executeBlocking(() -> {
      IMap<String, LeaderView> created = hazelcast.getMap(LeaderMapConfig.MAP);
      map = created;
      return created;
    }, false);
  }
}
