package dev.gencache.generate.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration BASE = Duration.ofMillis(100);
  private static final Duration MAX = Duration.ofSeconds(1);

  private static Backoff fixed(double random) {
    return new Backoff(BASE, MAX, () -> random);
  }

  @Test
  void capDoublesPerAttemptUntilMax() {
    Backoff backoff = fixed(0.5);

    assertThat(backoff.delay(1)).isEqualTo(Duration.ofMillis(50));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(3)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(4)).isEqualTo(Duration.ofMillis(400));
    assertThat(backoff.delay(5)).isEqualTo(Duration.ofMillis(500));
    assertThat(backoff.delay(6)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void jitterScalesTheCap() {
    assertThat(fixed(0.0).delay(3)).isEqualTo(Duration.ZERO);
    assertThat(fixed(0.25).delay(3)).isEqualTo(Duration.ofMillis(100));
    assertThat(fixed(0.75).delay(3)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void largeAttemptsStayAtMaxWithoutOverflow() {
    Backoff backoff = fixed(0.999_999);

    assertThat(backoff.delay(100)).isEqualTo(Duration.ofNanos(999_999_000));
    assertThat(backoff.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofNanos(999_999_000));
  }

  @Test
  void largeAttemptsStayAtMaxEvenWhenMaxIsHuge() {
    Duration max = Duration.ofDays(365 * 200);
    Backoff backoff = new Backoff(Duration.ofNanos(1), max, () -> 0.999_999);

    Duration delay = backoff.delay(100);

    assertThat(delay).isLessThanOrEqualTo(max).isGreaterThan(max.multipliedBy(99).dividedBy(100));
  }

  @Test
  void randomOutsideTheUnitIntervalIsClamped() {
    assertThat(fixed(1.5).delay(100)).isEqualTo(MAX);
    assertThat(fixed(-0.5).delay(1)).isEqualTo(Duration.ZERO);
    assertThat(fixed(Double.NaN).delay(1)).isEqualTo(Duration.ZERO);
  }

  @Test
  void standardCapsAtThirtyTwoTimesBase() {
    Backoff backoff = Backoff.standard(BASE);
    Duration max = BASE.multipliedBy(32);
    Duration longest = Duration.ZERO;

    for (int i = 0; i < 2_000; i++) {
      Duration delay = backoff.delay(100);
      assertThat(delay).isBetween(Duration.ZERO, max);
      longest = delay.compareTo(longest) > 0 ? delay : longest;
    }

    // With 2000 uniform picks, missing the top half of [0, 32 * base) has probability 2^-2000.
    assertThat(longest).isGreaterThan(BASE.multipliedBy(16));
  }

  @Test
  void rejectsInvalidArguments() {
    Backoff backoff = fixed(0.5);
    assertThatThrownBy(() -> backoff.delay(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attempt");
    assertThatThrownBy(() -> backoff.delay(-3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attempt");
    assertThatThrownBy(() -> new Backoff(Duration.ofMillis(-1), MAX, () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base");
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, MAX, () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base");
    assertThatThrownBy(() -> new Backoff(MAX, BASE, () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max");
    assertThatThrownBy(() -> new Backoff(BASE, Duration.ofDays(365L * 1000), () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max");
  }
}
