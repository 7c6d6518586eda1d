package dev.gencache.cluster.leader;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Runs on the partition owner of the term key (and again on its backup), so taking a term is atomic
 * cluster-wide. {@code floor} is the highest term the caller has seen: if the map lost the entry
 * (owner and backup died together) terms still never go backwards from that node's point of view.
 * Travels as Compact ({@link TakeTermSerializer}), not as Java serialization.
 */
record TakeTerm(String nodeId, long floor) implements EntryProcessor<String, LeaderView, Long> {
  @Override
  public Long process(Map.Entry<String, LeaderView> entry) {
    LeaderView stored = entry.getValue();
    long term = Math.max(stored == null ? 0 : stored.term(), floor) + 1;
    entry.setValue(new LeaderView(nodeId, term));
    return term;
  }
}
