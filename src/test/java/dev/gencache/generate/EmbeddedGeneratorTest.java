package dev.gencache.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.image.ImageRequest;
import dev.gencache.image.ImageSize;
import dev.gencache.image.OutputFormat;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedGeneratorTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static ImageRequest request(int n, int width, int height) {
    return new ImageRequest("embedded", "embedded", "a red fox", null, new ImageSize(width, height), null, null, 7L,
        n, OutputFormat.PNG, null, null);
  }

  private static BufferedImage decode(byte[] bytes) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    assertThat(image).as("ImageIO decodes the output").isNotNull();
    return image;
  }

  private static List<GeneratedImage> await(Future<List<GeneratedImage>> images) throws Exception {
    return images.await(30, TimeUnit.SECONDS);
  }

  @Test
  void nameIsEmbedded() {
    assertThat(new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 1), 1, 0).name()).isEqualTo("embedded");
  }

  @Test
  void returnsNDistinctPngsOfTheRequestedSize() throws Exception {
    EmbeddedGenerator generator = new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 2), 2, 8);
    List<GeneratedImage> images = await(generator.generate(request(3, 128, 96)));
    assertThat(images).hasSize(3);
    for (GeneratedImage image : images) {
      assertThat(image.mediaType()).isEqualTo("image/png");
      assertThat(image.width()).isEqualTo(128);
      assertThat(image.height()).isEqualTo(96);
      assertThat(Arrays.copyOf(image.bytes(), PNG_SIGNATURE.length)).isEqualTo(PNG_SIGNATURE);
      BufferedImage decoded = decode(image.bytes());
      assertThat(decoded.getWidth()).isEqualTo(128);
      assertThat(decoded.getHeight()).isEqualTo(96);
    }
    assertThat(images.get(0).bytes()).isNotEqualTo(images.get(1).bytes());
    assertThat(images.get(0).bytes()).isNotEqualTo(images.get(2).bytes());
    assertThat(images.get(1).bytes()).isNotEqualTo(images.get(2).bytes());
  }

  @Test
  void sameRequestTwiceGivesIdenticalBytesInTheSameOrder() throws Exception {
    EmbeddedGenerator generator = new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 3), 3, 8);
    List<GeneratedImage> first = await(generator.generate(request(3, 128, 128)));
    List<GeneratedImage> second = await(generator.generate(request(3, 128, 128)));
    assertThat(second).hasSameSizeAs(first);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).bytes()).as("variant %d", i).isEqualTo(first.get(i).bytes());
    }
  }

  @Test
  void anIdleGeneratorAdmitsARequestLargerThanItsCapacity() throws Exception {
    EmbeddedGenerator generator = new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 1), 1, 0);
    assertThat(await(generator.generate(request(2, 64, 64)))).hasSize(2);
  }

  @Test
  void aBusyGeneratorFailsFastAndARejectedRequestHoldsNoCapacity() throws Exception {
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("t", 1);
    EmbeddedGenerator generator = new EmbeddedGenerator(workers, 1, 0);
    CountDownLatch gate = new CountDownLatch(1);
    Future<Boolean> blocker = workers.executeBlocking(() -> gate.await(30, TimeUnit.SECONDS), false);
    Future<List<GeneratedImage>> first;
    try {
      first = generator.generate(request(1, 64, 64));
      Future<List<GeneratedImage>> rejected = generator.generate(request(2, 64, 64));
      assertThat(rejected.failed()).as("failed without waiting").isTrue();
      assertThat(rejected.cause()).isInstanceOf(GeneratorBusyException.class).hasMessageContaining("embedded");
      assertThat(((GeneratorBusyException) rejected.cause()).retryAfterSeconds()).isPositive();
    } finally {
      gate.countDown();
    }
    blocker.await(10, TimeUnit.SECONDS);
    assertThat(await(first)).hasSize(1);
    assertThat(await(generator.generate(request(1, 64, 64)))).hasSize(1);
  }

  @Test
  void capacityIsReleasedWhenACallCompletes() throws Exception {
    EmbeddedGenerator generator = new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 1), 1, 0);
    assertThat(await(generator.generate(request(1, 128, 128)))).hasSize(1);
    assertThat(await(generator.generate(request(1, 128, 128)))).hasSize(1);
    assertThat(await(generator.generate(request(1, 64, 64)))).hasSize(1);
  }

  @Test
  void aSecondRequestIsBusyWhileTheFirstStillHoldsTheCapacity() throws Exception {
    WorkerExecutor workers = vertx.createSharedWorkerExecutor("t", 1);
    EmbeddedGenerator generator = new EmbeddedGenerator(workers, 1, 0);
    // Occupy the only worker thread, so the first render cannot start, let alone finish, until released.
    CountDownLatch gate = new CountDownLatch(1);
    Future<Boolean> blocker = workers.executeBlocking(() -> gate.await(30, TimeUnit.SECONDS), false);
    try {
      Future<List<GeneratedImage>> first = generator.generate(request(1, 128, 128));
      Future<List<GeneratedImage>> second = generator.generate(request(1, 128, 128));
      assertThat(first.isComplete()).isFalse();
      assertThat(second.failed()).isTrue();
      assertThat(second.cause()).isInstanceOf(GeneratorBusyException.class);
      gate.countDown();
      assertThat(await(first)).hasSize(1);
    } finally {
      gate.countDown();
    }
    blocker.await(10, TimeUnit.SECONDS);
    assertThat(await(generator.generate(request(1, 128, 128)))).hasSize(1);
  }

  @Test
  void queueSlotsAddToThreadsInTheCapacity() throws Exception {
    EmbeddedGenerator generator = new EmbeddedGenerator(vertx.createSharedWorkerExecutor("t", 1), 1, 3);
    assertThat(await(generator.generate(request(4, 64, 64)))).hasSize(4);
  }
}
