package dev.gencache.image;

import dev.gencache.http.TcpCork;
import dev.gencache.store.ImageBlob;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's first cache level: images ready to write to a socket, by content id, least recently
 * used first out past a byte budget. Small images are kept in direct memory: a heap byte array handed
 * to Netty is copied into direct memory on every write, and a hit from here skips that copy. Images of
 * {@code fileThreshold} bytes and more are kept as files in the page cache and sent with
 * {@code sendfile}, as nginx sends its cache files: the kernel then hands the socket references to the
 * pages instead of copying the bytes in, which at 100 KB is a third of a hit's cost. A file is written
 * by a worker (file I/O stays off the event loop) and unlinked as soon as it is open, so nothing is
 * left on disk, even after a crash; its pages go when its channel is closed. Content ids are immutable, and an entry is used only for the very blob
 * instance the (fenced) store returned, so invalidation, fences and near-cache refreshes keep their
 * meaning: a blob the store no longer returns is never served from here, it only waits to age out,
 * without holding the blob's bytes on the heap.
 */
public final class ReadyImages implements ImagePreparation, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReadyImages.class);

  /**
   * An image ready to send: in direct memory, or in an open (unlinked) file with its sends counted. It
   * refers to the blob it was made from only weakly: it is served only for that very instance, which
   * the store returns only while its near cache holds it; so an instance nothing else holds could
   * never be served from here again, and the entry must not keep its bytes on the heap.
   */
  private static final class Ready {
    final String id;
    final int size;
    final WeakReference<ImageBlob> source;
    final Buffer body;
    final FileChannel file;
    int sending;
    boolean evicted;

    Ready(ImageBlob source, Buffer body, FileChannel file) {
      this.id = source.id();
      this.size = source.bytes().length;
      this.source = new WeakReference<>(source);
      this.body = body;
      this.file = file;
    }

    boolean madeFrom(ImageBlob blob) {
      return source.get() == blob;
    }
  }

  private final long maxBytes;
  private final int fileThreshold;
  private final Path directory;
  private final Executor fileWriter;
  private final LinkedHashMap<String, Ready> lru = new LinkedHashMap<>(256, 0.75f, true);
  /** Content ids whose file is being written. */
  private final Set<String> writing = new HashSet<>();
  private long bytes;
  private volatile boolean filesFailed;

  /** Direct memory only. @param maxBytes the budget; 0 turns this level off */
  public ReadyImages(long maxBytes) {
    this(maxBytes, Integer.MAX_VALUE, null, Runnable::run);
  }

  /**
   * @param maxBytes the budget of direct memory and page cache; 0 turns this level off
   * @param fileThreshold images of this many bytes and more are kept as files in {@code directory}
   *     (ignored when {@code directory} is {@code null})
   * @param fileWriter runs the writing of a file: file I/O, so off the event loop (a worker pool)
   */
  public ReadyImages(long maxBytes, int fileThreshold, Path directory, Executor fileWriter) {
    this.maxBytes = maxBytes;
    this.fileThreshold = fileThreshold;
    this.directory = directory;
    this.fileWriter = fileWriter;
  }

  /**
   * Writes {@code blob}'s bytes as the whole body of {@code response}, whose headers are set already.
   * A send from a file (headers, then {@code sendfile}) is written inside {@code cork}; from memory,
   * headers and body already leave in one {@code writev}, so a cork would only cost its two system
   * calls there.
   */
  public void send(HttpServerResponse response, ImageBlob blob, TcpCork cork) {
    Ready ready = acquire(blob);
    if (ready == null) {
      response.end(Buffer.buffer(blob.bytes())); // too big to be worth a slot (or the level is off)
    } else if (ready.file == null) {
      response.end(ready.body);
    } else {
      cork.around(() -> response.sendFile(ready.file, 0, blob.bytes().length).onComplete(ar -> release(ready)));
    }
  }

  /**
   * The ready copy of {@code blob}, or {@code null} for an answer from its heap bytes. A small image
   * is copied into direct memory at once. A large one's file is written by the {@code fileWriter}
   * (file I/O stays off the event loop), and until it is there answers copy. A file's send is
   * counted, so that an eviction meanwhile closes it only once the send is over ({@link #release}).
   */
  private Ready acquire(ImageBlob blob) {
    int size = blob.bytes().length;
    if (!fitsSlot(size)) {
      return null;
    }
    boolean toFile = wantsFile(size);
    boolean write = false;
    synchronized (this) {
      Ready ready = lru.get(blob.id());
      if (ready != null && ready.madeFrom(blob)) {
        ready.sending += ready.file != null ? 1 : 0;
        return ready;
      }
      if (toFile) {
        write = writing.add(blob.id());
      }
    }
    if (toFile) {
      if (write) {
        fileWriter.execute(() -> keepInFile(blob));
      }
      return null;
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(size).put(blob.bytes()).flip();
    // A wrapped JDK buffer is freed by the GC once unreachable; Vert.x writes slices it never releases.
    Ready made = new Ready(blob, BufferInternal.buffer(Unpooled.wrappedBuffer(direct)), null);
    synchronized (this) {
      keep(made);
    }
    return made;
  }

  /** A large image's file is written by {@link #prepare}: file I/O, so never on an event loop. */
  @Override
  public boolean blocks(int bytes) {
    return fitsSlot(bytes) && wantsFile(bytes);
  }

  /**
   * Makes {@code blob} ready before it is first sent, on the calling thread, which must not be an event
   * loop when {@link #blocks} says so for its size: a large image's file is written now, so that the
   * requests waiting for a new image (a coalesced burst) are all answered with {@code sendfile}. Small
   * images are left to their first send.
   */
  @Override
  public void prepare(ImageBlob blob) {
    if (!blocks(blob.bytes().length)) {
      return;
    }
    synchronized (this) {
      Ready ready = lru.get(blob.id());
      if ((ready != null && ready.madeFrom(blob)) || !writing.add(blob.id())) {
        return;
      }
    }
    keepInFile(blob);
  }

  /** Whether an image of {@code size} bytes is small enough to be kept here at all. */
  private boolean fitsSlot(int size) {
    return size <= maxBytes / 4;
  }

  private boolean wantsFile(int size) {
    return size >= fileThreshold && directory != null && !filesFailed;
  }

  /** Writes {@code blob}'s file and keeps it (on the file writer's thread). */
  private void keepInFile(ImageBlob blob) {
    Ready made = inFile(blob);
    synchronized (this) {
      writing.remove(blob.id());
      if (made != null) {
        keep(made);
      }
    }
  }

  /** Takes {@code made} in, the least recently used out past the budget. Called under the lock. */
  private void keep(Ready made) {
    evict(lru.put(made.id, made));
    bytes += made.size;
    Iterator<Map.Entry<String, Ready>> eldest = lru.entrySet().iterator();
    while (bytes > maxBytes && eldest.hasNext()) {
      Ready old = eldest.next().getValue();
      eldest.remove();
      evict(old);
    }
  }

  private synchronized void release(Ready ready) {
    if (--ready.sending == 0 && ready.evicted) {
      closeQuietly(ready.file);
    }
  }

  /** The blob in a fresh file, already unlinked; {@code null} (and memory from then on) when files fail. */
  private Ready inFile(ImageBlob blob) {
    if (filesFailed) {
      return null;
    }
    FileChannel channel = null;
    try {
      Path path = Files.createTempFile(directory, "ready-", ".img");
      try {
        channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } finally {
        Files.delete(path);
      }
      ByteBuffer content = ByteBuffer.wrap(blob.bytes());
      while (content.hasRemaining()) {
        channel.write(content, content.position());
      }
      return new Ready(blob, null, channel);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      filesFailed = true;
      log.warn("Cannot keep ready images as files in {} ({}); keeping them in direct memory", directory, e.toString());
      return null;
    }
  }

  /** Out of the budget; a file closes now, or when its last send is over. Called under the lock. */
  private void evict(Ready old) {
    if (old == null) {
      return;
    }
    bytes -= old.size;
    old.evicted = true;
    if (old.sending == 0) {
      closeQuietly(old.file);
    }
  }

  /** Bytes held. */
  public synchronized long bytes() {
    return bytes;
  }

  public synchronized int size() {
    return lru.size();
  }

  /** Whether this very blob instance is held (an instance the store no longer returns is never served). */
  public synchronized boolean holds(ImageBlob blob) {
    Ready ready = lru.get(blob.id());
    return ready != null && ready.madeFrom(blob);
  }

  /** Images held as files. */
  public synchronized int files() {
    return (int) lru.values().stream().filter(r -> r.file != null).count();
  }

  /** Lets every image go; files still being sent close when their sends are over. */
  @Override
  public synchronized void close() {
    lru.values().forEach(this::evict);
    lru.clear();
  }

  private static void closeQuietly(FileChannel file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException ignored) {
        // an unlinked file: nothing is lost
      }
    }
  }
}
