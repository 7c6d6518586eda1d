package dev.gencache.generate.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.generate.resilience.CircuitBreaker.State;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration OPEN_FOR = Duration.ofSeconds(30);

  private final AtomicReference<Instant> now = new AtomicReference<>(T0);
  private final CircuitBreaker breaker = new CircuitBreaker("openai", 3, OPEN_FOR, now::get);

  private void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  private void failTimes(int n) {
    for (int i = 0; i < n; i++) {
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.onFailure();
    }
  }

  @Test
  void startsClosedAndAdmits() {
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.retryAfterSeconds()).isEqualTo(1);
  }

  @Test
  void opensAfterThresholdConsecutiveFailures() {
    failTimes(2);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);

    failTimes(1);

    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.tryAcquire()).isFalse();
  }

  @Test
  void successBetweenFailuresResetsTheCount() {
    failTimes(2);
    breaker.onSuccess();
    failTimes(2);

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void rejectsUntilOpenForHasPassed() {
    failTimes(3);

    advance(OPEN_FOR.minusNanos(1));

    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void retryAfterCountsDownInWholeSecondsRoundedUp() {
    failTimes(3);
    assertThat(breaker.retryAfterSeconds()).isEqualTo(30);

    advance(Duration.ofMillis(500));
    assertThat(breaker.retryAfterSeconds()).isEqualTo(30);

    advance(Duration.ofMillis(9_500));
    assertThat(breaker.retryAfterSeconds()).isEqualTo(20);

    advance(Duration.ofMillis(19_999));
    assertThat(breaker.retryAfterSeconds()).isEqualTo(1);

    advance(Duration.ofSeconds(5));
    assertThat(breaker.retryAfterSeconds()).isEqualTo(1);
  }

  @Test
  void stillReportsOpenAfterOpenForUntilSomeoneAsks() {
    failTimes(3);
    advance(OPEN_FOR);

    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
  }

  @Test
  void admitsExactlyOneTrialAfterOpenFor() {
    failTimes(3);
    advance(OPEN_FOR);

    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.tryAcquire()).isFalse();
    advance(OPEN_FOR.multipliedBy(3));
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
  }

  @Test
  void successfulTrialClosesWithAFreshCount() {
    failTimes(3);
    advance(OPEN_FOR);
    assertThat(breaker.tryAcquire()).isTrue();

    breaker.onSuccess();

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isTrue();
    failTimes(2);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void failedTrialReopensForAFullOpenFor() {
    failTimes(3);
    advance(OPEN_FOR);
    assertThat(breaker.tryAcquire()).isTrue();
    advance(Duration.ofSeconds(7)); // the trial took a while; the new period starts when it failed

    breaker.onFailure();

    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.retryAfterSeconds()).isEqualTo(30);
    advance(OPEN_FOR.minusNanos(1));
    assertThat(breaker.tryAcquire()).isFalse();
    advance(Duration.ofNanos(1));
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void lateFailuresWhileOpenDoNotExtendTheOpenPeriod() {
    failTimes(3);
    advance(Duration.ofSeconds(10));

    breaker.onFailure(); // a call admitted before the breaker opened

    advance(Duration.ofSeconds(20));
    assertThat(breaker.tryAcquire()).isTrue();
  }

  @Test
  void concurrentCallersInHalfOpenGetOneTrial() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    // A clock that yields widens the window between reading the state and moving it to HALF_OPEN,
    // so an unsynchronized breaker would admit several trials here.
    InstantSource slowClock = () -> {
      for (int i = 0; i < 50; i++) {
        Thread.yield();
      }
      return now.get();
    };
    try {
      for (int round = 0; round < 200; round++) {
        CircuitBreaker b = new CircuitBreaker("sd-webui", 1, OPEN_FOR, slowClock);
        b.onFailure();
        advance(OPEN_FOR);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          results.add(pool.submit(() -> {
            start.await(10, TimeUnit.SECONDS);
            return b.tryAcquire();
          }));
        }
        int admitted = 0;
        for (Future<Boolean> r : results) {
          admitted += r.get(10, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(admitted).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rejectsInvalidSettings() {
    assertThatThrownBy(() -> new CircuitBreaker("x", 0, OPEN_FOR, now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failureThreshold");
    assertThatThrownBy(() -> new CircuitBreaker("x", 1, Duration.ZERO, now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openFor");
    assertThatThrownBy(() -> new CircuitBreaker("x", 1, Duration.ofSeconds(-1), now::get))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openFor");
  }
}
