package dev.gencache.cluster.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import dev.gencache.GencacheNode;
import dev.gencache.config.GencacheConfig;
import dev.gencache.testing.TestNodes;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Split-brain protection: with cluster.quorum 2 a lone node never leads (Hazelcast protection on too). */
class LeaderQuorumTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private GencacheNode first;
  private GencacheNode second;

  @AfterEach
  void stop() {
    TestNodes.stop(second);
    TestNodes.stop(first);
  }

  @Test
  void aLoneNodeLeadsOnlyOnceASecondMemberJoinsAndStopsWhenItLeaves() {
    GencacheConfig config = TestNodes.config(TestNodes.randomClusterName(),
        Map.of("GENCACHE_CLUSTER_QUORUM", "2", "GENCACHE_CLUSTER_HEARTBEAT_MS", "200"));
    first = TestNodes.start(config, InstantSource.system());
    LeaderElection lone = first.leadership();
    assertThat(first.hazelcast().getConfig().getSplitBrainProtectionConfig(LeaderMapConfig.SPLIT_BRAIN_PROTECTION)
        .getMinimumClusterSize()).isEqualTo(2);
    Poll.holds(Duration.ofSeconds(1), () -> lone.current() + " leader=" + lone.isLeader(),
        () -> !lone.isLeader() && lone.current().isNone());
    assertThat(first.registry().find("gencache.leader").gauge().value()).isZero();
    // Hazelcast's own protection refuses the term map to a minority, whatever the code above it does.
    Throwable refused = catchThrowable(() -> first.vertx().executeBlocking(() ->
        first.hazelcast().getMap(LeaderMapConfig.MAP).get(LeaderMapConfig.TERM_KEY)).await(10, TimeUnit.SECONDS));
    assertThat(refused).isInstanceOf(SplitBrainProtectionException.class);

    second = TestNodes.start(config, InstantSource.system());
    Poll.until(WAIT, () -> lone.current() + " / " + second.leadership().current(),
        () -> lone.isLeader() && second.leadership().current().equals(lone.current()));
    assertThat(lone.current()).isEqualTo(new LeaderView(lone.nodeId(), 1));
    assertThat(second.leadership().isLeader()).isFalse();

    TestNodes.stop(second);
    second = null;
    Poll.until(WAIT, () -> lone.current() + " leader=" + lone.isLeader(), () -> !lone.isLeader());
    assertThat(first.registry().find("gencache.leader").gauge().value()).isZero();
  }
}
