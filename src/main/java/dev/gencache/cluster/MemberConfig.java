package dev.gencache.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.TcpIpConfig;
import dev.gencache.cluster.leader.LeaderMapConfig;
import dev.gencache.config.ConfigException;
import dev.gencache.config.GencacheConfig.CacheConfig;
import dev.gencache.config.GencacheConfig.ClusterConfig;
import dev.gencache.store.CacheEntrySerializer;
import dev.gencache.store.ClaimProcessor;
import dev.gencache.store.ClaimSerializer;
import dev.gencache.store.ImageBlobSerializer;
import dev.gencache.store.ImageStore;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hazelcast member config of a node: the file in {@code cluster-config/} plus the few settings the
 * node config owns (cluster name, port, members, byte budget) and the Compact serializers.
 */
public final class MemberConfig {
  static final String BUNDLED = "cluster-config/cluster.xml";
  private static final Logger log = LoggerFactory.getLogger(MemberConfig.class);

  private MemberConfig() {}

  public static Config load(ClusterConfig cluster, CacheConfig cache) {
    Config config = read(cluster.configFile());
    if (!cluster.name().isEmpty()) {
      config.setClusterName(cluster.name());
    }
    if (cluster.port() > 0) {
      config.getNetworkConfig().setPort(cluster.port());
    }
    if (!cluster.members().isEmpty()) {
      TcpIpConfig tcpIp = config.getNetworkConfig().getJoin().getTcpIpConfig();
      tcpIp.setEnabled(true).setMembers(cluster.members());
    }
    if (!cluster.kubernetesServiceDns().isEmpty()) {
      JoinConfig join = config.getNetworkConfig().getJoin();
      join.getTcpIpConfig().setEnabled(false);
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", cluster.kubernetesServiceDns());
      config.getNetworkConfig().getInterfaces().setEnabled(false); // bind to the pod's address
    }
    MapConfig images = config.getMapConfig(ImageStore.IMAGES_MAP);
    images.getEvictionConfig().setSize(cache.maxMbPerMember());
    String warning = budgetWarning(cache.maxMbPerMember(), cache.nearCacheBytes() >> 20,
        Runtime.getRuntime().maxMemory());
    if (warning != null) {
      log.warn(warning);
    }
    config.getSerializationConfig().getCompactSerializationConfig()
        .addSerializer(new ImageBlobSerializer())
        .addSerializer(new CacheEntrySerializer())
        .addSerializer(new ClaimSerializer())
        .addSerializer(new ClaimProcessor.Serializer());
    LeaderMapConfig.apply(config, cluster);
    return config;
  }

  /**
   * Why the image budgets leave the heap too little room, or {@code null} when they do not: the map's
   * budget and the near cache's copies both live on the heap, and the node needs the rest (a quarter).
   */
  static String budgetWarning(long budgetMb, long copiesMb, long maxHeapBytes) {
    long heapMb = maxHeapBytes >> 20;
    if (4 * (budgetMb + copiesMb) <= 3 * heapMb) {
      return null;
    }
    return "cache.max-mb-per-member (" + budgetMb + " MB) and cache.near-cache-mb (" + copiesMb + " MB) take"
        + " more than three quarters of the " + heapMb + " MB heap: the image map (backups included) and this"
        + " node's near-cache copies of the images it serves both live on the heap, beside the node's own"
        + " working memory, so the node can run out of memory before the budgets evict. Raise -Xmx, or lower"
        + " the budgets (0 = a quarter of the heap, and the near cache the same as the map)";
  }

  private static Config read(String file) {
    Path path = Path.of(file);
    try {
      if (Files.isRegularFile(path)) {
        return Config.loadFromFile(path.toFile());
      }
      if (file.equals(BUNDLED)) {
        return new ClasspathXmlConfig(BUNDLED); // running from the jar outside the repository
      }
      throw new FileNotFoundException(file);
    } catch (FileNotFoundException e) {
      throw new ConfigException("cluster.config-file", "no such file: " + file);
    } catch (RuntimeException e) {
      throw new ConfigException("cluster.config-file", "cannot load " + file + ": " + e.getMessage());
    }
  }
}
