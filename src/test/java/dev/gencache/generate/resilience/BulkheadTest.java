package dev.gencache.generate.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.generate.GeneratorBusyException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class BulkheadTest {

  /** Work that records when it starts and finishes only when the test says so. */
  private static final class Job implements Supplier<Future<String>> {
    private final String id;
    private final List<String> started;
    private final Promise<String> done = Promise.promise();

    Job(String id, List<String> started) {
      this.id = id;
      this.started = started;
    }

    @Override
    public Future<String> get() {
      started.add(id);
      return done.future();
    }
  }

  private final List<String> started = new ArrayList<>();

  private Job job(String id) {
    return new Job(id, started);
  }

  @Test
  void runsUpToMaxConcurrentAndQueuesTheRest() {
    Bulkhead bulkhead = new Bulkhead("openai", 2, 2);

    bulkhead.run(job("a"));
    bulkhead.run(job("b"));
    Future<String> c = bulkhead.run(job("c"));

    assertThat(started).containsExactly("a", "b");
    assertThat(bulkhead.running()).isEqualTo(2);
    assertThat(bulkhead.queued()).isEqualTo(1);
    assertThat(c.isComplete()).isFalse();
  }

  @Test
  void rejectsBeyondTheQueueWithoutStartingTheWork() {
    Bulkhead bulkhead = new Bulkhead("openai", 1, 1);
    bulkhead.run(job("a"));
    bulkhead.run(job("b"));

    Future<String> c = bulkhead.run(job("c"));

    assertThat(c.failed()).isTrue();
    assertThat(c.cause()).isInstanceOf(GeneratorBusyException.class).hasMessageContaining("openai");
    assertThat(((GeneratorBusyException) c.cause()).retryAfterSeconds()).isEqualTo(1);
    assertThat(started).containsExactly("a");
    assertThat(bulkhead.queued()).isEqualTo(1);
  }

  @Test
  void zeroQueueRejectsAsSoonAsAllSlotsAreBusy() {
    Bulkhead bulkhead = new Bulkhead("sd-webui", 2, 0);
    Job a = job("a");
    bulkhead.run(a);
    bulkhead.run(job("b"));

    assertThat(bulkhead.run(job("c")).cause()).isInstanceOf(GeneratorBusyException.class);

    a.done.complete("A");
    assertThat(bulkhead.run(job("d")).isComplete()).isFalse();
    assertThat(started).containsExactly("a", "b", "d");
  }

  @Test
  void queuedWorkStartsInOrderAsRunningWorkSucceeds() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 3);
    Job a = job("a");
    Job b = job("b");
    Job c = job("c");
    Future<String> fa = bulkhead.run(a);
    Future<String> fb = bulkhead.run(b);
    Future<String> fc = bulkhead.run(c);
    Future<String> fd = bulkhead.run(job("d"));
    assertThat(started).containsExactly("a");

    a.done.complete("A");
    assertThat(fa.result()).isEqualTo("A");
    assertThat(started).containsExactly("a", "b");

    b.done.complete("B");
    assertThat(fb.result()).isEqualTo("B");
    assertThat(started).containsExactly("a", "b", "c");
    assertThat(fc.isComplete()).isFalse();
    assertThat(fd.isComplete()).isFalse();
    assertThat(bulkhead.running()).isEqualTo(1);
    assertThat(bulkhead.queued()).isEqualTo(1);
  }

  @Test
  void queuedWorkStartsInOrderAsRunningWorkFails() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 2);
    Job a = job("a");
    Job b = job("b");
    Future<String> fa = bulkhead.run(a);
    Future<String> fb = bulkhead.run(b);
    bulkhead.run(job("c"));

    RuntimeException boom = new RuntimeException("upstream 500");
    a.done.fail(boom);
    assertThat(fa.cause()).isSameAs(boom);
    assertThat(started).containsExactly("a", "b");

    b.done.fail("upstream 502");
    assertThat(fb.cause()).hasMessage("upstream 502");
    assertThat(started).containsExactly("a", "b", "c");
  }

  @Test
  void slotIsFreedOnceTheLastRunCompletes() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 1);
    Job a = job("a");
    Job b = job("b");
    bulkhead.run(a);
    Future<String> fb = bulkhead.run(b);

    a.done.complete("A");
    b.done.complete("B");

    assertThat(fb.result()).isEqualTo("B");
    assertThat(bulkhead.running()).isZero();
    assertThat(bulkhead.queued()).isZero();
  }

  @Test
  void throwingSupplierFailsItsRunAndReleasesTheSlot() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 0);
    IllegalStateException boom = new IllegalStateException("bad request body");

    Future<String> f = bulkhead.run(() -> {
      throw boom;
    });

    assertThat(f.cause()).isSameAs(boom);
    assertThat(bulkhead.running()).isZero();
    assertThat(bulkhead.run(job("next")).isComplete()).isFalse();
    assertThat(started).containsExactly("next");
  }

  @Test
  void throwingQueuedSupplierPassesItsSlotOn() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 2);
    Job a = job("a");
    bulkhead.run(a);
    Future<String> thrower = bulkhead.run(() -> {
      throw new IllegalStateException("bad request body");
    });
    Future<String> fc = bulkhead.run(job("c"));

    a.done.complete("A");

    assertThat(thrower.cause()).hasMessage("bad request body");
    assertThat(started).containsExactly("a", "c");
    assertThat(fc.isComplete()).isFalse();
    assertThat(bulkhead.running()).isEqualTo(1);
    assertThat(bulkhead.queued()).isZero();
  }

  @Test
  void nullFutureCountsAsAFailedRun() {
    Bulkhead bulkhead = new Bulkhead("http", 1, 0);

    Future<String> f = bulkhead.run(() -> null);

    assertThat(f.cause()).isInstanceOf(NullPointerException.class);
    assertThat(bulkhead.running()).isZero();
  }

  @Test
  void neverExceedsMaxConcurrentUnderContention() throws Exception {
    int maxConcurrent = 4;
    int callers = 8;
    int perCaller = 20_000;
    Bulkhead bulkhead = new Bulkhead("stress", maxConcurrent, 16);
    AtomicInteger current = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    ExecutorService upstream = Executors.newFixedThreadPool(8);
    ExecutorService callerPool = Executors.newFixedThreadPool(callers);
    List<Future<String>> admitted = new CopyOnWriteArrayList<>();
    AtomicInteger rejected = new AtomicInteger();
    CountDownLatch finished = new CountDownLatch(callers * perCaller);
    try {
      Supplier<Future<String>> work = () -> {
        peak.accumulateAndGet(current.incrementAndGet(), Math::max);
        Promise<String> p = Promise.promise();
        upstream.execute(() -> {
          current.decrementAndGet();
          p.complete("ok");
        });
        return p.future();
      };
      for (int c = 0; c < callers; c++) {
        callerPool.execute(() -> {
          for (int i = 0; i < perCaller; i++) {
            Future<String> f = bulkhead.run(work);
            if (f.failed() && f.cause() instanceof GeneratorBusyException) {
              rejected.incrementAndGet();
            } else {
              admitted.add(f);
            }
            f.onComplete(ar -> finished.countDown());
          }
        });
      }

      assertThat(finished.await(30, TimeUnit.SECONDS)).as("every run completed").isTrue();
    } finally {
      callerPool.shutdownNow();
      upstream.shutdownNow();
    }

    assertThat(peak.get()).isBetween(1, maxConcurrent);
    assertThat(admitted.size() + rejected.get()).isEqualTo(callers * perCaller);
    assertThat(admitted).allSatisfy(f -> assertThat(f.succeeded()).isTrue());
    assertThat(bulkhead.running()).isZero();
    assertThat(bulkhead.queued()).isZero();
  }

  @Test
  void rejectsInvalidSettings() {
    assertThatThrownBy(() -> new Bulkhead("x", 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxConcurrent");
    assertThatThrownBy(() -> new Bulkhead("x", 1, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueue");
  }
}
