package dev.gencache.store;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Atomically claims a key for {@code nodeId} on the key's partition thread, with a lease. The claim is
 * taken when the key is free, when its generation finished before this request started
 * ({@code startedAtMicros}, epoch µs), or when it is held (not done) by {@code replaceOwner}, a node
 * that died or let its lease lapse. Returns the claim in force afterwards: the caller generates only
 * if it is the owner of a claim that is not done.
 */
public record ClaimProcessor(String nodeId, long leaseMillis, String replaceOwner, long startedAtMicros)
    implements EntryProcessor<String, Claim, Claim> {

  @Override
  public Claim process(Map.Entry<String, Claim> entry) {
    Claim current = entry.getValue();
    boolean free = current == null
        || (current.done() && current.finishedAtMicros() < startedAtMicros)
        || (!current.done() && current.owner().equals(replaceOwner));
    if (!free) {
      return current;
    }
    Claim mine = Claim.running(nodeId);
    ((ExtendedMapEntry<String, Claim>) entry).setValue(mine, leaseMillis, TimeUnit.MILLISECONDS);
    return mine;
  }

  /** Compact form: the processor travels to the key's partition owner. */
  public static final class Serializer implements CompactSerializer<ClaimProcessor> {
    @Override
    public ClaimProcessor read(CompactReader in) {
      return new ClaimProcessor(in.readString("nodeId"), in.readInt64("leaseMillis"), in.readString("replaceOwner"),
          in.readInt64("startedAt"));
    }

    @Override
    public void write(CompactWriter out, ClaimProcessor p) {
      out.writeString("nodeId", p.nodeId());
      out.writeInt64("leaseMillis", p.leaseMillis());
      out.writeString("replaceOwner", p.replaceOwner());
      out.writeInt64("startedAt", p.startedAtMicros());
    }

    @Override
    public String getTypeName() {
      return "gencache.ClaimProcessor";
    }

    @Override
    public Class<ClaimProcessor> getCompactClass() {
      return ClaimProcessor.class;
    }
  }
}
