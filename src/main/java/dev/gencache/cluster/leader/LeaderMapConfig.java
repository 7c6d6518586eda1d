package dev.gencache.cluster.leader;

import com.hazelcast.config.Config;
import com.hazelcast.config.SplitBrainProtectionConfig;
import dev.gencache.config.GencacheConfig.ClusterConfig;

/**
 * The member-config part of leader election: the term map, its split-brain protection and the
 * Compact serializers of what it stores and runs. Applied to every member's {@link Config}.
 */
public final class LeaderMapConfig {
  /** Small map holding the latest term under {@link #TERM_KEY}. */
  public static final String MAP = "gencache-leader";
  public static final String TERM_KEY = "term";
  /** Split-brain protection of {@link #MAP} ({@code cluster-config/cluster.xml}). */
  public static final String SPLIT_BRAIN_PROTECTION = "gencache-leader-quorum";

  private LeaderMapConfig() {}

  /**
   * Registers the serializers and sizes the split-brain protection from {@code cluster.quorum}: the
   * size in the XML is static, the quorum is node config. Hazelcast needs a size of at least 2, so
   * quorum 1 (a lone node may lead) turns the protection off.
   */
  public static Config apply(Config config, ClusterConfig cluster) {
    config.getSerializationConfig().getCompactSerializationConfig()
        .addSerializer(new LeaderViewSerializer())
        .addSerializer(new TakeTermSerializer());
    boolean protect = cluster.quorum() > 1;
    SplitBrainProtectionConfig protection = config.getSplitBrainProtectionConfig(SPLIT_BRAIN_PROTECTION);
    protection.setEnabled(protect);
    if (protect) {
      protection.setMinimumClusterSize(cluster.quorum());
    }
    config.getMapConfig(MAP).setSplitBrainProtectionName(protect ? SPLIT_BRAIN_PROTECTION : null);
    return config;
  }
}
