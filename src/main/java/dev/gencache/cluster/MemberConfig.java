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

/**
 * The Hazelcast member config of a node: the file in {@code cluster-config/} plus the few settings the
 * node config owns (cluster name, port, members, byte budget) and the Compact serializers.
 */
public final class MemberConfig {
  static final String BUNDLED = "cluster-config/cluster.xml";

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
    config.getSerializationConfig().getCompactSerializationConfig()
        .addSerializer(new ImageBlobSerializer())
        .addSerializer(new CacheEntrySerializer())
        .addSerializer(new ClaimSerializer())
        .addSerializer(new ClaimProcessor.Serializer());
    LeaderMapConfig.apply(config, cluster);
    return config;
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
