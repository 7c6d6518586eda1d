package dev.gencache.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MaxSizePolicy;
import dev.gencache.config.ConfigLoader;
import dev.gencache.config.GencacheConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The member config built from the real cluster-config/cluster.xml plus the node's overrides. */
class MemberConfigTest {
  private static Config load(Map<String, String> env) {
    GencacheConfig config = ConfigLoader.load(null, env);
    return MemberConfig.load(config.cluster(), config.cache());
  }

  @Test
  void theFileGivesLoopbackTcpIpAndTheGencacheMaps() {
    Config c = load(Map.of());
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(c.getMapConfig("gencache-images").getEvictionConfig().getMaxSizePolicy())
        .isEqualTo(MaxSizePolicy.USED_HEAP_SIZE);
    assertThat(c.getMapConfig("gencache-images").getBackupCount()).isEqualTo(1);
    assertThat(c.getMapConfig("gencache-requests").getNearCacheConfig()).isNotNull();
    assertThat(c.getProperty("hazelcast.map.invalidation.batch.enabled")).isEqualTo("false");
  }

  @Test
  void environmentOverridesNamePortMembersAndBudget() {
    Config c = load(Map.of("GENCACHE_CLUSTER_NAME", "prod", "GENCACHE_CLUSTER_PORT", "6000",
        "GENCACHE_CLUSTER_MEMBERS", "10.0.0.1:6000,10.0.0.2", "GENCACHE_CACHE_MAX_MB_PER_MEMBER", "512"));
    assertThat(c.getClusterName()).isEqualTo("prod");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(6000);
    assertThat(c.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("10.0.0.1:6000", "10.0.0.2");
    assertThat(c.getMapConfig("gencache-images").getEvictionConfig().getSize()).isEqualTo(512);
  }

  @Test
  void budgetsOverThreeQuartersOfTheHeapAreWarnedAbout() {
    assertThat(MemberConfig.budgetWarning(1024, 1024, 1024L << 20))
        .contains("cache.max-mb-per-member (1024 MB) and cache.near-cache-mb (1024 MB) take more than three"
            + " quarters of the 1024 MB heap");
    assertThat(MemberConfig.budgetWarning(385, 384, 1024L << 20)).isNotNull();
    assertThat(MemberConfig.budgetWarning(640, 128, 1024L << 20)).isNull();
    assertThat(MemberConfig.budgetWarning(384, 384, 1024L << 20)).isNull();
    assertThat(MemberConfig.budgetWarning(256, 256, 1024L << 20)).isNull();
    assertThat(load(Map.of()).getMapConfig("gencache-images").getEvictionConfig().getSize())
        .as("the default budgets, a quarter of the heap each, draw no warning")
        .matches(mb -> MemberConfig.budgetWarning(mb, mb, Runtime.getRuntime().maxMemory()) == null);
  }

  @Test
  void kubernetesDiscoveryReplacesTheMemberList() {
    Config c = load(Map.of("GENCACHE_CLUSTER_KUBERNETES_SERVICE_DNS", "gencache-hz.default.svc.cluster.local"));
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("gencache-hz.default.svc.cluster.local");
    assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
  }
}
