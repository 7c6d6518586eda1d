package dev.gencache.image;

import dev.gencache.store.ImageBlob;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The node's first cache level: images already in direct memory, ready to write to a socket, by
 * content id, least recently used first out past a byte budget. A heap byte array handed to Netty is
 * copied into direct memory on every write; a hit from here skips that copy. Content ids are
 * immutable, and an entry is used only for the very blob instance the (fenced) store returned, so
 * invalidation, fences and near-cache refreshes keep their meaning: a blob the store no longer
 * returns is never served from here, it only waits to age out.
 */
public final class ReadyImages {
  private record Ready(ImageBlob source, Buffer body) {}

  private final long maxBytes;
  private final LinkedHashMap<String, Ready> lru = new LinkedHashMap<>(256, 0.75f, true);
  private long bytes;

  /** @param maxBytes the budget of direct memory; 0 turns this level off */
  public ReadyImages(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** {@code blob}'s bytes as a reusable body for responses: from the cache, or copied once into it. */
  public Buffer body(ImageBlob blob) {
    int size = blob.bytes().length;
    if (size > maxBytes / 4) {
      return Buffer.buffer(blob.bytes()); // too big to be worth a slot (or the level is off)
    }
    synchronized (this) {
      Ready ready = lru.get(blob.id());
      if (ready != null && ready.source() == blob) {
        return ready.body();
      }
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(size).put(blob.bytes()).flip();
    // A wrapped JDK buffer is freed by the GC once unreachable; Vert.x writes slices it never releases.
    Buffer body = BufferInternal.buffer(Unpooled.wrappedBuffer(direct));
    synchronized (this) {
      Ready previous = lru.put(blob.id(), new Ready(blob, body));
      bytes += size - (previous == null ? 0 : previous.source().bytes().length);
      Iterator<Map.Entry<String, Ready>> eldest = lru.entrySet().iterator();
      while (bytes > maxBytes && eldest.hasNext()) {
        bytes -= eldest.next().getValue().source().bytes().length;
        eldest.remove();
      }
    }
    return body;
  }

  /** Bytes held. */
  public synchronized long bytes() {
    return bytes;
  }

  public synchronized int size() {
    return lru.size();
  }
}
