package dev.gencache.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.store.ImageBlob;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReadyImagesTest {
  private static ImageBlob blob(char id, int size) {
    byte[] bytes = new byte[size];
    Arrays.fill(bytes, (byte) id);
    return new ImageBlob(String.valueOf(id).repeat(64), bytes, "image/png", 64, 64, Instant.EPOCH);
  }

  @Test
  void servesTheSameDirectBodyForTheSameBlob() {
    ReadyImages ready = new ReadyImages(1 << 20);
    ImageBlob a = blob('a', 1000);
    Buffer first = ready.body(a);
    assertThat(first.getBytes()).isEqualTo(a.bytes());
    assertThat(ready.body(a)).isSameAs(first);
    assertThat(ready.bytes()).isEqualTo(1000);
  }

  @Test
  void aNewInstanceUnderTheSameIdReplacesTheBody() {
    ReadyImages ready = new ReadyImages(1 << 20);
    Buffer first = ready.body(blob('a', 1000));
    Buffer second = ready.body(blob('a', 1000));
    assertThat(second).isNotSameAs(first);
    assertThat(ready.size()).isEqualTo(1);
    assertThat(ready.bytes()).isEqualTo(1000);
  }

  @Test
  void evictsTheLeastRecentlyUsedPastTheBudget() {
    ReadyImages ready = new ReadyImages(10_000);
    ImageBlob a = blob('a', 2000);
    ImageBlob b = blob('b', 2000);
    Buffer aBody = ready.body(a);
    ready.body(b);
    ready.body(a); // a is now the most recently used
    for (char c = 'c'; c <= 'f'; c++) {
      ready.body(blob(c, 2000));
    }
    assertThat(ready.bytes()).isLessThanOrEqualTo(10_000);
    assertThat(ready.body(a)).isSameAs(aBody);
    assertThat(ready.size()).isEqualTo(5);
  }

  @Test
  void anImageTooBigForTheBudgetIsNotKept() {
    ReadyImages ready = new ReadyImages(10_000);
    ImageBlob big = blob('z', 5000);
    assertThat(ready.body(big).getBytes()).isEqualTo(big.bytes());
    assertThat(ready.size()).isZero();
    ReadyImages off = new ReadyImages(0);
    assertThat(off.body(blob('y', 10)).length()).isEqualTo(10);
    assertThat(off.size()).isZero();
  }
}
