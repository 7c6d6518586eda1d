package dev.gencache.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.store.SingleFlight.Flight;
import dev.gencache.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalSingleFlightTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void concurrentCallersShareOneRun() throws Exception {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 1000);
    AtomicInteger runs = new AtomicInteger();
    Promise<String> work = Promise.promise();
    List<Future<Flight<String>>> callers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      // From several contexts, as requests arrive on several event loops.
      Promise<Flight<String>> p = Promise.promise();
      vertx.runOnContext(v -> flights.run("k", () -> {
        runs.incrementAndGet();
        return work.future();
      }).onComplete(p));
      callers.add(p.future());
    }
    TestNodes.eventually(Duration.ofSeconds(10), "99 callers waiting on the first",
        () -> flights.waiting() == 99);
    vertx.runOnContext(v -> work.complete("image"));
    List<Flight<String>> results = Future.all(callers).await(10, TimeUnit.SECONDS).list();
    assertThat(runs).hasValue(1);
    assertThat(results).extracting(Flight::value).containsOnly("image");
    assertThat(results).filteredOn(f -> !f.joined()).hasSize(1);
    assertThat(flights.inFlight()).isZero();
    assertThat(flights.waiting()).isZero();
  }

  @Test
  void eachWaiterReportsHowLongAfterTheRunItWasAnswered() throws Exception {
    List<Duration> lags = new java.util.concurrent.CopyOnWriteArrayList<>();
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 1000, lags::add);
    Promise<String> work = Promise.promise();
    List<Future<Flight<String>>> callers = new ArrayList<>();
    callers.add(flights.run("k", work::future));
    for (int i = 0; i < 5; i++) {
      // Each waiter's answer takes 20 ms to write: the later ones wait for the earlier ones.
      callers.add(flights.run("k", work::future).andThen(ar -> busy(Duration.ofMillis(20))));
    }
    vertx.runOnContext(v -> work.complete("image"));
    Future.all(callers).await(10, TimeUnit.SECONDS);
    // The lag is taken just after a waiter's answer, on the event loop: the last may trail the futures.
    TestNodes.eventually(Duration.ofSeconds(5), "every waiter's lag", () -> lags.size() >= 5);
    assertThat(lags).hasSize(5);
    assertThat(lags).allSatisfy(lag -> assertThat(lag).isGreaterThanOrEqualTo(Duration.ofMillis(20)));
    assertThat(lags.stream().max(Duration::compareTo).orElseThrow()).isGreaterThanOrEqualTo(Duration.ofMillis(100));
  }

  @Test
  void waitersOnOneEventLoopAreEachAnsweredOnTheirOwnContext() throws Exception {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 1000);
    io.vertx.core.internal.ContextInternal loop = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
    Promise<String> work = Promise.promise();
    List<Future<Boolean>> onOwnContext = new ArrayList<>();
    loop.runOnContext(v -> flights.run("k", work::future));
    for (int i = 0; i < 20; i++) {
      // One duplicated context per request, all on one event loop, as Vert.x gives HTTP requests.
      io.vertx.core.internal.ContextInternal request = loop.duplicate();
      Promise<Boolean> p = Promise.promise();
      request.runOnContext(v -> flights.run("k", work::future).onComplete(ar -> {
        p.complete(ar.succeeded() && ar.result().joined() && io.vertx.core.Vertx.currentContext() == request);
      }));
      onOwnContext.add(p.future());
    }
    loop.runOnContext(v -> work.complete("image"));
    assertThat(Future.all(onOwnContext).await(10, TimeUnit.SECONDS).list()).hasSize(20).containsOnly(true);
  }

  /** CPU work standing in for writing a response (not a sleep: the event loop stays busy). */
  private static void busy(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  @Test
  void aFailureReachesEveryWaiterAndTheNextCallRunsAgain() throws Exception {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 10);
    Promise<String> work = Promise.promise();
    Future<Flight<String>> first = flights.run("k", work::future);
    Future<Flight<String>> second = flights.run("k", () -> Future.succeededFuture("never"));
    work.fail(new IllegalStateException("boom"));
    assertThatThrownBy(() -> first.await(5, TimeUnit.SECONDS)).hasMessage("boom");
    assertThatThrownBy(() -> second.await(5, TimeUnit.SECONDS)).hasMessage("boom");
    assertThat(flights.run("k", () -> Future.succeededFuture("again")).await(5, TimeUnit.SECONDS))
        .isEqualTo(new Flight<>("again", false));
  }

  @Test
  void tooManyWaitersAreTurnedAway() {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 2);
    Promise<String> work = Promise.promise();
    flights.run("k", work::future);
    flights.run("k", work::future);
    flights.run("k", work::future);
    Future<Flight<String>> third = flights.run("k", work::future);
    assertThat(third.failed()).isTrue();
    assertThat(third.cause()).isInstanceOf(CoalescingUnavailableException.class);
    work.complete("x");
  }

  @Test
  void waitersGiveUpAtTheDeadline() {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofMillis(100), 10);
    Promise<String> work = Promise.promise();
    flights.run("k", work::future);
    Future<Flight<String>> waiter = flights.run("k", work::future);
    assertThat(flights.waiting()).isEqualTo(1);
    assertThatThrownBy(() -> waiter.await(5, TimeUnit.SECONDS))
        .isInstanceOf(CoalescingUnavailableException.class)
        .hasMessageContaining("did not finish");
    assertThat(flights.waiting()).as("a waiter that gave up no longer counts").isZero();
    assertThat(flights.inFlight()).isEqualTo(1);
    work.complete("late");
  }

  @Test
  void aThrowingSupplierFailsTheRunInsteadOfWedgingTheKey() throws Exception {
    LocalSingleFlight<String> flights = new LocalSingleFlight<>(vertx, Duration.ofSeconds(30), 10);
    Future<Flight<String>> broken = flights.run("k", () -> {
      throw new IllegalArgumentException("bad");
    });
    assertThat(broken.failed()).isTrue();
    assertThat(flights.run("k", () -> Future.succeededFuture("ok")).await(5, TimeUnit.SECONDS).value()).isEqualTo("ok");
  }
}
