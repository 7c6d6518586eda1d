package dev.gencache.cluster.leader;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gencache.cluster.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The election state machine on one node, with scripted membership, a fake term map and a manual clock. */
class HazelcastLeadershipTest {
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static Vertx vertx;

  private final AtomicReference<List<String>> live = new AtomicReference<>(List.of());
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final FakeTerms terms = new FakeTerms();
  private final List<JsonObject> announced = new CopyOnWriteArrayList<>();
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private Context context;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void listen() throws Exception {
    consumers.add(vertx.eventBus().<JsonObject>consumer(Addresses.LEADER, m -> announced.add(m.body())));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Addresses.EVENTS, m -> events.add(m.body())));
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void unlisten() throws Exception {
    for (MessageConsumer<JsonObject> c : consumers) {
      c.unregister().await(5, TimeUnit.SECONDS);
    }
  }

  private HazelcastLeadership node(String id, int quorum) throws Exception {
    HazelcastLeadership l = new HazelcastLeadership(id, quorum, HEARTBEAT, live::get, terms, nanos::get);
    on(() -> l.attach(context, vertx.eventBus()));
    return l;
  }

  /** Runs {@code action} on the leadership's context, as LeaderVerticle does, and waits for it. */
  private void on(Runnable action) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        action.run();
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    done.get(5, TimeUnit.SECONDS);
  }

  private static JsonObject view(String nodeId, long term) {
    return new JsonObject().put("nodeId", nodeId).put("term", term);
  }

  @Test
  void theOldestMemberTakesATermAndAnnouncesIt() throws Exception {
    HazelcastLeadership me = node("me", 1);
    live.set(List.of("me", "b"));
    on(me::membershipChanged);

    assertThat(me.isLeader()).isTrue();
    assertThat(me.current()).isEqualTo(new LeaderView("me", 1));
    assertThat(me.members()).containsExactly("me", "b");
    Poll.until(WAIT, events::toString, () -> !events.isEmpty() && !announced.isEmpty());
    assertThat(announced.get(0)).isEqualTo(view("me", 1));
    assertThat(events.get(0)).isEqualTo(view("me", 1).put("type", "leader.changed"));

    on(me::tick); // heartbeat: same view again, no new term
    Poll.until(WAIT, announced::toString, () -> announced.size() == 2);
    assertThat(announced.get(1)).isEqualTo(view("me", 1));
    assertThat(events).hasSize(1);
  }

  @Test
  void aYoungerMemberNeverTakesATerm() throws Exception {
    HazelcastLeadership me = node("me", 1);
    live.set(List.of("a", "me"));
    on(me::membershipChanged);
    on(me::tick);

    assertThat(me.isLeader()).isFalse();
    assertThat(terms.calls).isZero();
  }

  @Test
  void withoutQuorumTheOldestDoesNotLeadAndStepsDownWhenQuorumIsLost() throws Exception {
    HazelcastLeadership me = node("me", 2);
    live.set(List.of("me"));
    on(me::membershipChanged);
    assertThat(me.isLeader()).isFalse();
    assertThat(terms.calls).isZero();

    live.set(List.of("me", "b"));
    on(me::membershipChanged);
    assertThat(me.isLeader()).isTrue();
    assertThat(me.current().term()).isEqualTo(1);

    live.set(List.of("me"));
    on(me::membershipChanged);
    assertThat(me.isLeader()).isFalse();

    live.set(List.of("me", "c")); // each stretch of quorum is a new term
    on(me::membershipChanged);
    assertThat(me.current()).isEqualTo(new LeaderView("me", 2));
  }

  @Test
  void followersAcceptOnlyNewerTermsOrTheSameLeadersHeartbeat() throws Exception {
    HazelcastLeadership me = node("me", 1);
    live.set(List.of("a", "me"));
    on(me::membershipChanged);

    on(() -> me.received(view("a", 5)));
    assertThat(me.current()).isEqualTo(new LeaderView("a", 5));
    on(() -> me.received(view("x", 4)));
    on(() -> me.received(view("x", 5))); // a term belongs to one node only
    on(() -> me.received(new JsonObject().put("nodeId", "x")));
    on(() -> me.received("not json"));
    on(() -> me.received(view("", 9)));
    assertThat(me.current()).isEqualTo(new LeaderView("a", 5));
    assertThat(me.isCurrent(4)).isFalse();
    assertThat(me.isCurrent(5)).isTrue();
    assertThat(me.isCurrent(6)).isTrue();

    on(() -> me.received(view("x", 6)));
    assertThat(me.current()).isEqualTo(new LeaderView("x", 6));
    assertThat(me.isCurrent(5)).isFalse();
    assertThat(me.isLeader()).isFalse();
  }

  @Test
  void aLeaderStepsDownOnAHigherTermAndRetakesWhenThatLeaderIsNotAMember() throws Exception {
    HazelcastLeadership me = node("me", 1);
    RecordingJob job = new RecordingJob();
    me.addJob(job);
    live.set(List.of("me", "b"));
    on(me::membershipChanged);
    Poll.until(WAIT, job.log::toString, () -> job.log.equals(List.of("start 1")));

    on(() -> me.received(view("ghost", 7)));

    // Stopped for the higher term, then a fresh term above it: "ghost" is no live member.
    assertThat(job.log).containsExactly("start 1", "stop", "start 8");
    assertThat(me.current()).isEqualTo(new LeaderView("me", 8));
    assertThat(me.holds(8)).isTrue();
    assertThat(me.holds(1)).isFalse();
  }

  @Test
  void anEligibleNodeDefersToALiveHigherTermLeaderUntilItFallsSilent() throws Exception {
    HazelcastLeadership me = node("me", 1);
    live.set(List.of("me", "b"));
    on(me::membershipChanged);
    assertThat(me.current()).isEqualTo(new LeaderView("me", 1));

    on(() -> me.received(view("b", 5))); // b still thinks it is the oldest
    assertThat(me.isLeader()).isFalse();
    nanos.addAndGet(HEARTBEAT.toNanos());
    on(me::tick);
    on(() -> me.received(view("b", 5)));
    nanos.addAndGet(HEARTBEAT.multipliedBy(2).toNanos());
    on(me::tick);
    assertThat(me.isLeader()).isFalse();

    nanos.addAndGet(HEARTBEAT.multipliedBy(3).toNanos()); // b silent for three heartbeats
    on(me::tick);
    assertThat(me.current()).isEqualTo(new LeaderView("me", 6));
    assertThat(me.isLeader()).isTrue();
  }

  @Test
  void aFailedTermIsRetriedOnTheNextHeartbeat() throws Exception {
    HazelcastLeadership me = node("me", 1);
    terms.failing = true;
    live.set(List.of("me"));
    on(me::membershipChanged);
    assertThat(me.isLeader()).isFalse();

    terms.failing = false;
    on(me::tick);
    assertThat(me.current()).isEqualTo(new LeaderView("me", 1));
  }

  @Test
  void jobsRunExactlyWhileLeading() throws Exception {
    HazelcastLeadership me = node("me", 1);
    live.set(List.of("me"));
    on(me::membershipChanged);

    RecordingJob late = new RecordingJob();
    me.addJob(late); // added during a term: starts with it
    Poll.until(WAIT, late.log::toString, () -> late.log.equals(List.of("start 1")));
    me.removeJob(late);
    Poll.until(WAIT, late.log::toString, () -> late.log.equals(List.of("start 1", "stop")));

    RecordingJob job = new RecordingJob();
    me.addJob(job);
    Poll.until(WAIT, job.log::toString, () -> job.log.size() == 1);
    live.set(List.of("older", "me"));
    on(me::membershipChanged);
    assertThat(job.log).containsExactly("start 1", "stop");

    live.set(List.of("me"));
    on(me::membershipChanged);
    on(me::detach);
    assertThat(job.log).containsExactly("start 1", "stop", "start 2", "stop");
    assertThat(late.log).containsExactly("start 1", "stop");
  }

  @Test
  void aJoiningNodeLearnsTheStoredTerm() throws Exception {
    terms.stored = new LeaderView("a", 3);
    HazelcastLeadership me = node("me", 1);
    CompletableFuture<Void> seeded = new CompletableFuture<>();
    context.runOnContext(v -> me.seed().onComplete(ar -> seeded.complete(null)));
    seeded.get(5, TimeUnit.SECONDS);
    assertThat(me.current()).isEqualTo(new LeaderView("a", 3));
  }

  private static final class FakeTerms implements TermStore {
    volatile LeaderView stored = LeaderView.NONE;
    volatile boolean failing;
    volatile int calls;

    @Override
    public Future<Long> next(String nodeId, long floor) {
      calls++;
      if (failing) {
        return Future.failedFuture("term map unavailable");
      }
      long term = Math.max(stored.term(), floor) + 1;
      stored = new LeaderView(nodeId, term);
      return Future.succeededFuture(term);
    }

    @Override
    public Future<LeaderView> latest() {
      return Future.succeededFuture(stored);
    }
  }

  private static final class RecordingJob implements LeaderJob {
    final List<String> log = new CopyOnWriteArrayList<>();

    @Override
    public void start(long term) {
      log.add("start " + term);
    }

    @Override
    public void stop() {
      log.add("stop");
    }
  }
}
