package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ledger of near-cache copies: a byte budget and an entry cap, least recently used dropped first. */
class ImageCopiesTest {
  private final List<String> dropped = new ArrayList<>();

  private static ImageBlob blob(String id, int size) {
    return new ImageBlob(id, new byte[size], "image/png", 1, 1, Instant.EPOCH);
  }

  @Test
  void copiesWithinTheBudgetAreKept() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.read(blob("a", 400));
    copies.read(blob("b", 600));
    assertThat(copies.bytes()).isEqualTo(1000);
    assertThat(copies.images()).isEqualTo(2);
    assertThat(dropped).isEmpty();
  }

  @Test
  void theLeastRecentlyUsedCopiesAreDroppedPastTheBudget() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.read(blob("a", 300));
    copies.read(blob("b", 300));
    copies.read(blob("c", 300));
    copies.used("a"); // b is now the oldest
    copies.read(blob("d", 500));
    assertThat(dropped).containsExactly("b", "c");
    assertThat(copies.bytes()).isEqualTo(800);
    assertThat(copies.images()).isEqualTo(2);
  }

  @Test
  void theEntryCapDropsTheOldestToo() {
    ImageCopies copies = new ImageCopies(1 << 20, 2, dropped::add);
    copies.read(blob("a", 1));
    copies.read(blob("b", 1));
    copies.read(blob("c", 1));
    assertThat(dropped).containsExactly("a");
    assertThat(copies.images()).isEqualTo(2);
  }

  @Test
  void readingACopyAgainCountsItOnce() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.read(blob("a", 400));
    copies.read(blob("a", 400));
    assertThat(copies.bytes()).isEqualTo(400);
    assertThat(copies.images()).isEqualTo(1);
  }

  @Test
  void aCopyOverTheWholeBudgetIsDroppedAloneAndPushesOutNothing() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.read(blob("a", 400));
    copies.read(blob("huge", 1001));
    assertThat(dropped).containsExactly("huge");
    assertThat(copies.bytes()).isEqualTo(400);
    assertThat(copies.images()).isEqualTo(1);
  }

  @Test
  void forgettingACopyDropsItAndFreesItsBytes() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.read(blob("a", 400));
    copies.read(blob("b", 400));
    copies.forget("a");
    copies.forget("never-read"); // the map evicted an image this node never read: dropped all the same
    assertThat(dropped).containsExactly("a", "never-read");
    assertThat(copies.bytes()).isEqualTo(400);
    copies.read(blob("c", 600));
    assertThat(dropped).as("the forgotten copy's bytes are free again").hasSize(2);
  }

  @Test
  void aHitOnACopyNotCountedChangesNothing() {
    ImageCopies copies = new ImageCopies(1000, 10, dropped::add);
    copies.used("unknown");
    assertThat(copies.images()).isZero();
    assertThat(copies.bytes()).isZero();
  }

  @Test
  void theBudgetMustBePositive() {
    assertThatThrownBy(() -> new ImageCopies(0, 10, dropped::add)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImageCopies(10, 0, dropped::add)).isInstanceOf(IllegalArgumentException.class);
  }
}
