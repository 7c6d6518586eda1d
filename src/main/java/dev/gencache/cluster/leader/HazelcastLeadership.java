package dev.gencache.cluster.leader;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.gencache.cluster.Addresses;
import dev.gencache.config.GencacheConfig.ClusterConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on Hazelcast community edition: the leader is the oldest Vert.x member (every
 * member sees the same ordered member list), fenced by a term taken atomically in the
 * {@value LeaderMapConfig#MAP} map.
 *
 * <ul>
 *   <li><b>Taking a term.</b> When this node is the oldest member and the cluster has at least
 *       {@code cluster.quorum} members, it takes a new term (higher than any term it has seen), then
 *       announces {@code {nodeId, term}} on {@link Addresses#LEADER}, publishes
 *       {@code leader.changed} on {@link Addresses#EVENTS} and starts the {@link LeaderJob}s. Every
 *       separate stretch of eligibility gets its own term, so a node that lost quorum and regained it
 *       does not resume a term another side may have superseded meanwhile.
 *   <li><b>{@link #current()}</b> is the last accepted announcement, never a guess from membership.
 *       Between the departure of the leader and the new leader's announcement it still names the old
 *       leader with the old term, and no live node is {@link #isLeader() leader} in that gap
 *       (measured: about 0.3 s after Hazelcast drops the member, most of it waiting for the term
 *       map's partition to be recovered from its backup). Use {@link #members()} for liveness.
 *   <li><b>Fencing.</b> An announcement is accepted when its term is higher than the known term, or
 *       equal with the same node (a heartbeat). An equal term naming another node is rejected:
 *       the map hands out each term once. A leader that sees a higher term steps down at once.
 *   <li><b>Self-healing.</b> The heartbeat also re-reads membership and retries a failed term. An
 *       eligible node defers to a higher-term leader that is a live member and was heard within
 *       three heartbeats (membership views briefly disagree during changes); otherwise it takes a
 *       new term, so a departed or unknown leader never blocks the cluster.
 *   <li><b>{@link #isLeader()}</b> is true only on the node holding the latest term it knows, while
 *       it is the oldest member and quorum holds; it turns false on the first membership event or
 *       heartbeat that breaks either condition.
 * </ul>
 *
 * <p>State changes run on the {@link LeaderVerticle}'s context; the read methods are safe from any
 * thread.
 */
public final class HazelcastLeadership implements LeaderElection {
  /** Set by vertx-hazelcast on every member it starts: the Vert.x node id. */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  private static final int SILENT_HEARTBEATS = 3;
  private static final Logger log = LoggerFactory.getLogger(HazelcastLeadership.class);

  private final String nodeId;
  private final int quorum;
  private final Duration heartbeat;
  private final Supplier<List<String>> liveMembers;
  private final TermStore terms;
  private final LongSupplier nanoTime;
  private final List<LeaderJob> jobs = new CopyOnWriteArrayList<>();

  private volatile LeaderView view = LeaderView.NONE;
  /** The term this node leads under; 0 while it does not lead. */
  private volatile long heldTerm;
  private volatile List<String> members = List.of();
  private volatile Context context;

  // Confined to the context.
  private EventBus bus;
  private boolean acquiring;
  private long heardAt;
  private final Set<LeaderJob> running = new HashSet<>();

  HazelcastLeadership(String nodeId, int quorum, Duration heartbeat, Supplier<List<String>> liveMembers,
      TermStore terms, LongSupplier nanoTime) {
    if (nodeId == null || nodeId.isEmpty()) {
      throw new IllegalArgumentException("nodeId must be set");
    }
    this.nodeId = nodeId;
    this.quorum = quorum;
    this.heartbeat = heartbeat;
    this.liveMembers = liveMembers;
    this.terms = terms;
    this.nanoTime = nanoTime;
  }

  /** The election of the node whose Hazelcast member is {@code hazelcast} (a Vert.x cluster member). */
  public static HazelcastLeadership create(Vertx vertx, HazelcastInstance hazelcast, ClusterConfig cluster) {
    String nodeId = hazelcast.getCluster().getLocalMember().getAttribute(NODE_ID_ATTRIBUTE);
    return new HazelcastLeadership(nodeId, cluster.quorum(), cluster.heartbeat(),
        () -> nodeIds(hazelcast.getCluster().getMembers()), new HazelcastTermStore(vertx, hazelcast),
        System::nanoTime);
  }

  /**
   * Vert.x node ids of the gencache nodes, oldest first. Members without one (not started by Vert.x)
   * and lite members (applications joined with {@code LiteMember}: they run no gencache feature) are
   * not nodes: they never lead, count toward quorum or get asked to acknowledge.
   */
  static List<String> nodeIds(Set<Member> members) {
    List<String> ids = new ArrayList<>(members.size());
    for (Member member : members) {
      String id = member.getAttribute(NODE_ID_ATTRIBUTE);
      if (id != null && !member.isLiteMember()) {
        ids.add(id);
      }
    }
    return List.copyOf(ids);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public LeaderView current() {
    return view;
  }

  @Override
  public boolean isLeader() {
    return heldTerm != 0;
  }

  @Override
  public List<String> members() {
    return members;
  }

  @Override
  public boolean isCurrent(long term) {
    return term >= view.term();
  }

  @Override
  public boolean holds(long term) {
    return term != 0 && heldTerm == term;
  }

  @Override
  public void addJob(LeaderJob job) {
    jobs.add(job);
    onContext(this::syncJobs);
  }

  @Override
  public void removeJob(LeaderJob job) {
    jobs.remove(job);
    onContext(this::syncJobs);
  }

  Duration heartbeat() {
    return heartbeat;
  }

  // ---- driven by LeaderVerticle, on its context ----

  void attach(Context context, EventBus bus) {
    this.bus = bus;
    this.context = context;
  }

  /** Learns the latest stored term, so a joining node knows the leader before its first heartbeat. */
  Future<Void> seed() {
    return terms.latest()
        .onSuccess(stored -> {
          if (!stored.isNone()) {
            learn(stored);
          }
        })
        .<Void>mapEmpty()
        .recover(err -> {
          log.debug("Could not read the stored leader term: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  void detach() {
    stepDown("this node is stopping");
    context = null;
  }

  void membershipChanged() {
    refreshMembers();
    evaluate();
  }

  void tick() {
    refreshMembers();
    evaluate();
    if (isLeader()) {
      bus.publish(Addresses.LEADER, announcement(view));
    }
  }

  void received(Object body) {
    if (!(body instanceof JsonObject json)
        || !(json.getValue("nodeId") instanceof String id) || id.isEmpty()
        || !(json.getValue("term") instanceof Number term) || term.longValue() <= 0) {
      log.debug("Ignoring malformed leader announcement {}", body);
      return;
    }
    learn(new LeaderView(id, term.longValue()));
  }

  // ---- the state machine ----

  private void learn(LeaderView announced) {
    LeaderView known = view;
    boolean newer = announced.term() > known.term();
    if (!newer && !announced.equals(known)) {
      log.debug("Ignoring stale leader announcement {} (known {})", announced, known);
      return;
    }
    heardAt = nanoTime.getAsLong();
    if (!newer) {
      return;
    }
    view = announced;
    if (isLeader() && !(announced.nodeId().equals(nodeId) && announced.term() == heldTerm)) {
      stepDown("term " + announced.term() + " of " + announced.nodeId() + " supersedes term " + heldTerm);
    }
    if (!announced.nodeId().equals(nodeId)) {
      log.info("Leader is {} (term {})", announced.nodeId(), announced.term());
    }
    evaluate();
  }

  private void refreshMembers() {
    try {
      members = liveMembers.get();
    } catch (RuntimeException e) {
      // The local member is shut down or terminated: nothing to lead.
      members = List.of();
    }
  }

  private boolean eligible() {
    List<String> live = members;
    return !live.isEmpty() && live.get(0).equals(nodeId) && live.size() >= quorum;
  }

  private void evaluate() {
    if (context == null) {
      return;
    }
    if (!eligible()) {
      if (isLeader()) {
        List<String> live = members;
        stepDown(live.isEmpty() || !live.get(0).equals(nodeId)
            ? "no longer the oldest member"
            : "quorum lost (" + live.size() + " of " + quorum + " members)");
      }
      return;
    }
    if (isLeader() || acquiring || deferring()) {
      return;
    }
    acquire();
  }

  private boolean deferring() {
    LeaderView v = view;
    return !v.isNone() && !v.nodeId().equals(nodeId) && members.contains(v.nodeId())
        && nanoTime.getAsLong() - heardAt < heartbeat.toNanos() * SILENT_HEARTBEATS;
  }

  private void acquire() {
    acquiring = true;
    terms.next(nodeId, view.term()).onComplete(ar -> {
      acquiring = false;
      if (context == null) {
        return;
      }
      if (ar.failed()) {
        log.warn("Could not take a leader term, retrying with the next heartbeat: {}", ar.cause().toString());
        return;
      }
      long term = ar.result();
      if (!eligible() || term <= view.term()) {
        log.info("Not using term {}: no longer eligible or a newer term is known ({})", term, view);
        return;
      }
      elected(term);
    });
  }

  private void elected(long term) {
    LeaderView me = new LeaderView(nodeId, term);
    view = me;
    heardAt = nanoTime.getAsLong();
    heldTerm = term;
    log.info("This node is the leader (term {}, {} members)", term, members.size());
    bus.publish(Addresses.LEADER, announcement(me));
    bus.publish(Addresses.EVENTS, new JsonObject().put("type", "leader.changed").mergeIn(announcement(me)));
    syncJobs();
  }

  private void stepDown(String reason) {
    if (!isLeader()) {
      return;
    }
    log.info("This node stops leading term {}: {}", heldTerm, reason);
    heldTerm = 0;
    syncJobs();
  }

  /** Runs jobs exactly while leading; a job added during a term starts with that term. */
  private void syncJobs() {
    long term = heldTerm;
    for (Iterator<LeaderJob> it = running.iterator(); it.hasNext(); ) {
      LeaderJob job = it.next();
      if (term == 0 || !jobs.contains(job)) {
        it.remove();
        try {
          job.stop();
        } catch (RuntimeException e) {
          log.error("Leader job {} failed to stop", job, e);
        }
      }
    }
    if (term == 0) {
      return;
    }
    for (LeaderJob job : jobs) {
      if (running.add(job)) {
        try {
          job.start(term);
        } catch (RuntimeException e) {
          log.error("Leader job {} failed to start for term {}", job, term, e);
        }
      }
    }
  }

  private void onContext(Runnable action) {
    Context c = context;
    if (c != null) {
      c.runOnContext(v -> action.run());
    }
  }

  static JsonObject announcement(LeaderView view) {
    return new JsonObject().put("nodeId", view.nodeId()).put("term", view.term());
  }
}
