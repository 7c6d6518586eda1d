package dev.gencache.store;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/** Compact form of {@link Claim}. */
public final class ClaimSerializer implements CompactSerializer<Claim> {
  @Override
  public Claim read(CompactReader in) {
    return new Claim(in.readString("owner"), in.readBoolean("done"), in.readInt64("finishedAt"));
  }

  @Override
  public void write(CompactWriter out, Claim claim) {
    out.writeString("owner", claim.owner());
    out.writeBoolean("done", claim.done());
    out.writeInt64("finishedAt", claim.finishedAtMicros());
  }

  @Override
  public String getTypeName() {
    return "gencache.Claim";
  }

  @Override
  public Class<Claim> getCompactClass() {
    return Claim.class;
  }
}
