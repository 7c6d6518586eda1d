package dev.gencache.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** Adapts Hazelcast's async results to Vert.x futures on a context. */
final class HazelcastFutures {
  private HazelcastFutures() {}

  /**
   * A near-cache hit comes back already completed: take it as is. Attaching a callback instead would
   * run it on Hazelcast's default async executor, which on a machine with fewer than three cores is
   * a new thread per callback (hundreds of microseconds on the hit path).
   */
  static <T> Future<T> toFuture(CompletionStage<T> stage, Context context) {
    CompletableFuture<T> f = stage.toCompletableFuture();
    if (f.isDone()) {
      try {
        return Future.succeededFuture(f.getNow(null));
      } catch (CompletionException | CancellationException e) {
        return Future.failedFuture(e.getCause() != null ? e.getCause() : e);
      }
    }
    return Future.fromCompletionStage(stage, context);
  }
}
