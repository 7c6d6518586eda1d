package dev.gencache.cluster.leader;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/** Compact form of the {@link TakeTerm} entry processor, sent to the term key's partition owner. */
final class TakeTermSerializer implements CompactSerializer<TakeTerm> {
  @Override
  public TakeTerm read(CompactReader in) {
    return new TakeTerm(in.readString("nodeId"), in.readInt64("floor"));
  }

  @Override
  public void write(CompactWriter out, TakeTerm p) {
    out.writeString("nodeId", p.nodeId());
    out.writeInt64("floor", p.floor());
  }

  @Override
  public String getTypeName() {
    return "gencache.TakeTerm";
  }

  @Override
  public Class<TakeTerm> getCompactClass() {
    return TakeTerm.class;
  }
}
