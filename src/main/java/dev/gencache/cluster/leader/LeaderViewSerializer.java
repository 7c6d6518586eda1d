package dev.gencache.cluster.leader;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/** Compact form of {@link LeaderView}: the value stored under the term key. */
public final class LeaderViewSerializer implements CompactSerializer<LeaderView> {
  @Override
  public LeaderView read(CompactReader in) {
    return new LeaderView(in.readString("nodeId"), in.readInt64("term"));
  }

  @Override
  public void write(CompactWriter out, LeaderView view) {
    out.writeString("nodeId", view.nodeId());
    out.writeInt64("term", view.term());
  }

  @Override
  public String getTypeName() {
    return "gencache.LeaderView";
  }

  @Override
  public Class<LeaderView> getCompactClass() {
    return LeaderView.class;
  }
}
