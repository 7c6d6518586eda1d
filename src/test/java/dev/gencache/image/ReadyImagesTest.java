package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.http.TcpCork;
import dev.gencache.store.ImageBlob;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first level, through a real HTTP server that answers {@code GET /<id>} with {@link ReadyImages#send}. */
class ReadyImagesTest {
  private final Vertx vertx = Vertx.vertx();
  private final Map<String, ImageBlob> blobs = new ConcurrentHashMap<>();
  private volatile ReadyImages ready;
  private HttpClient client;
  @TempDir
  Path dir;

  @BeforeEach
  void start() throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      ImageBlob blob = blobs.get(req.path().substring(1));
      req.response().putHeader("Content-Length", Integer.toString(blob.bytes().length));
      ready.send(req.response(), blob, TcpCork.NONE);
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(server.actualPort()));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static ImageBlob blob(char id, int size) {
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) id);
    bytes[size - 1] = (byte) (size & 0x7f); // the last byte tells a truncated answer
    return new ImageBlob(String.valueOf(id).repeat(64), bytes, "image/png", 64, 64, Instant.EPOCH);
  }

  /** Serves {@code blob} once and checks the bytes that arrive. */
  private void served(ImageBlob blob) throws Exception {
    blobs.put(blob.id(), blob);
    Buffer body = client.request(HttpMethod.GET, "/" + blob.id())
        .compose(r -> r.send().compose(HttpClientResponse::body)).await(10, TimeUnit.SECONDS);
    assertThat(body.getBytes()).isEqualTo(blob.bytes());
  }

  @Test
  void keepsAnImageInMemoryOnceAndServesItAgain() throws Exception {
    ready = new ReadyImages(1 << 20);
    ImageBlob a = blob('a', 1000);
    served(a);
    served(a);
    assertThat(ready.holds(a)).isTrue();
    assertThat(ready.size()).isEqualTo(1);
    assertThat(ready.bytes()).isEqualTo(1000);
    assertThat(ready.files()).isZero();
  }

  @Test
  void aNewInstanceUnderTheSameIdReplacesTheOld() throws Exception {
    ready = new ReadyImages(1 << 20);
    ImageBlob first = blob('a', 1000);
    ImageBlob second = blob('a', 1000);
    served(first);
    served(second);
    assertThat(ready.holds(second)).isTrue();
    assertThat(ready.holds(first)).isFalse();
    assertThat(ready.size()).isEqualTo(1);
    assertThat(ready.bytes()).isEqualTo(1000);
  }

  @Test
  void evictsTheLeastRecentlyUsedPastTheBudget() throws Exception {
    ready = new ReadyImages(9_000, 1500, dir, Runnable::run); // files and memory share the budget
    ImageBlob a = blob('a', 2000);
    ImageBlob b = blob('b', 2000);
    served(a);
    served(b);
    served(a); // a is now the most recently used
    for (char c = 'c'; c <= 'f'; c++) {
      served(blob(c, c % 2 == 0 ? 2000 : 1000));
    }
    assertThat(ready.bytes()).isEqualTo(8_000);
    assertThat(ready.holds(a)).isTrue();
    assertThat(ready.holds(b)).isFalse();
  }

  @Test
  void anEntryDoesNotKeepItsBlobOnTheHeap() throws Exception {
    ready = new ReadyImages(1 << 20, 64 * 1024, dir, Runnable::run);
    ImageBlob small = blob('s', 10 * 1024);
    ImageBlob large = blob('l', 100 * 1024);
    served(small);
    served(large);
    assertThat(ready.holds(small)).isTrue();
    assertThat(ready.holds(large)).isTrue();
    // The store lets both instances go (its near cache dropped them): nothing here may keep them alive.
    WeakReference<ImageBlob> smallGone = new WeakReference<>(blobs.remove(small.id()));
    WeakReference<ImageBlob> largeGone = new WeakReference<>(blobs.remove(large.id()));
    small = null;
    large = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((smallGone.get() != null || largeGone.get() != null) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(smallGone.get()).as("the direct-memory entry's blob").isNull();
    assertThat(largeGone.get()).as("the file entry's blob").isNull();
    assertThat(ready.size()).as("the entries wait to age out").isEqualTo(2);
    assertThat(ready.bytes()).isEqualTo(110 * 1024);
    ImageBlob again = blob('l', 100 * 1024); // a new instance from the store replaces its entry
    served(again);
    served(again);
    assertThat(ready.holds(again)).isTrue();
    assertThat(ready.size()).isEqualTo(2);
    assertThat(ready.bytes()).isEqualTo(110 * 1024);
  }

  @Test
  void anImageTooBigForTheBudgetIsServedButNotKept() throws Exception {
    ready = new ReadyImages(10_000);
    served(blob('z', 5000));
    assertThat(ready.size()).isZero();
    ready = new ReadyImages(0);
    served(blob('y', 10));
    assertThat(ready.size()).isZero();
  }

  @Test
  void largeImagesAreSentFromUnlinkedFiles() throws Exception {
    ready = new ReadyImages(1 << 20, 64 * 1024, dir, Runnable::run);
    ImageBlob large = blob('l', 100 * 1024);
    ImageBlob small = blob('s', 10 * 1024);
    served(large);
    served(large);
    served(small);
    assertThat(ready.files()).isEqualTo(1);
    assertThat(ready.size()).isEqualTo(2);
    assertThat(ready.bytes()).isEqualTo(110 * 1024);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).as("files are unlinked once open").isEmpty();
    }
    ready.close();
    assertThat(ready.size()).isZero();
    served(large); // made again after a close
  }

  @Test
  void aFileIsWrittenByTheFileWriterAndAnswersCopyUntilItIsThere() throws Exception {
    List<Runnable> queued = new CopyOnWriteArrayList<>();
    ready = new ReadyImages(1 << 20, 1000, dir, queued::add);
    ImageBlob a = blob('a', 4000);
    served(a);
    served(a);
    assertThat(queued).as("one write for both answers").hasSize(1);
    assertThat(ready.size()).isZero();
    queued.get(0).run();
    assertThat(ready.files()).isEqualTo(1);
    assertThat(ready.holds(a)).isTrue();
    served(a);
    assertThat(queued).hasSize(1);
  }

  @Test
  void aPreparedImageIsSentFromItsFileFromTheFirstAnswer() throws Exception {
    List<Runnable> queued = new CopyOnWriteArrayList<>();
    ready = new ReadyImages(1 << 20, 1000, dir, queued::add);
    ImageBlob a = blob('a', 4000);
    ready.prepare(a);
    ready.prepare(a);
    assertThat(ready.files()).isEqualTo(1);
    served(a);
    assertThat(queued).as("no write left for the send").isEmpty();
    ready.prepare(blob('s', 10)); // a small image is left to its first send
    assertThat(ready.size()).isEqualTo(1);
  }

  @Test
  void preparationBlocksOnlyForTheImagesItWritesAFileFor() {
    ready = new ReadyImages(1 << 20, 1000, dir, Runnable::run);
    assertThat(ready.blocks(999)).as("kept in memory at its first send").isFalse();
    assertThat(ready.blocks(1000)).isTrue();
    assertThat(ready.blocks((1 << 20) / 4 + 1)).as("too big for a slot: never kept").isFalse();
    assertThat(new ReadyImages(1 << 20).blocks(4000)).as("no directory: memory only").isFalse();
    assertThat(new ReadyImages(0, 1, dir, Runnable::run).blocks(4000)).as("the level switched off").isFalse();
  }

  @Test
  void aDirectoryThatCannotHoldFilesFallsBackToMemory() throws Exception {
    ready = new ReadyImages(1 << 20, 1, dir.resolve("missing"), Runnable::run);
    ImageBlob a = blob('a', 4000);
    served(a); // the file fails: answered from the heap bytes
    served(a); // from then on, memory
    served(blob('b', 4000));
    assertThat(ready.files()).isZero();
    assertThat(ready.size()).isEqualTo(2);
    assertThat(ready.blocks(4000)).as("no more file writes").isFalse();
  }
}
