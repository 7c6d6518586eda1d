package dev.gencache.store;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import java.time.Instant;

/** Compact form of {@link ImageBlob}; no Java serialization anywhere in the maps. */
public final class ImageBlobSerializer implements CompactSerializer<ImageBlob> {
  @Override
  public ImageBlob read(CompactReader in) {
    return new ImageBlob(in.readString("id"), in.readArrayOfInt8("bytes"), in.readString("mediaType"),
        in.readInt32("width"), in.readInt32("height"), Instant.ofEpochMilli(in.readInt64("createdAt")));
  }

  @Override
  public void write(CompactWriter out, ImageBlob blob) {
    out.writeString("id", blob.id());
    out.writeArrayOfInt8("bytes", blob.bytes());
    out.writeString("mediaType", blob.mediaType());
    out.writeInt32("width", blob.width());
    out.writeInt32("height", blob.height());
    out.writeInt64("size", blob.bytes().length); // queryable: the leader sums it for the byte budget
    out.writeInt64("createdAt", blob.createdAt().toEpochMilli());
  }

  @Override
  public String getTypeName() {
    return "gencache.ImageBlob";
  }

  @Override
  public Class<ImageBlob> getCompactClass() {
    return ImageBlob.class;
  }
}
