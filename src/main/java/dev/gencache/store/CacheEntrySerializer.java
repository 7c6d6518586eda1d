package dev.gencache.store;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import java.time.Instant;
import java.util.List;

/** Compact form of {@link CacheEntry}; times as epoch milliseconds. */
public final class CacheEntrySerializer implements CompactSerializer<CacheEntry> {
  @Override
  public CacheEntry read(CompactReader in) {
    return new CacheEntry(
        List.of(in.readArrayOfString("contentIds")),
        in.readString("prompt"),
        Instant.ofEpochMilli(in.readInt64("createdAt")),
        Instant.ofEpochMilli(in.readInt64("expiresAt")),
        Instant.ofEpochMilli(in.readInt64("staleUntil")),
        List.of(in.readArrayOfString("tags")),
        in.readString("generator"),
        in.readString("model"),
        in.readInt64("generationMillis"),
        in.readFloat64("cost"));
  }

  @Override
  public void write(CompactWriter out, CacheEntry e) {
    out.writeArrayOfString("contentIds", e.contentIds().toArray(String[]::new));
    out.writeString("prompt", e.prompt());
    out.writeInt64("createdAt", e.createdAt().toEpochMilli());
    out.writeInt64("expiresAt", e.expiresAt().toEpochMilli());
    out.writeInt64("staleUntil", e.staleUntil().toEpochMilli());
    out.writeArrayOfString("tags", e.tags().toArray(String[]::new));
    out.writeString("generator", e.generator());
    out.writeString("model", e.model());
    out.writeInt64("generationMillis", e.generationMillis());
    out.writeFloat64("cost", e.cost());
  }

  @Override
  public String getTypeName() {
    return "gencache.CacheEntry";
  }

  @Override
  public Class<CacheEntry> getCompactClass() {
    return CacheEntry.class;
  }
}
