package dev.gencache.testing;

import com.hazelcast.config.Config;
import dev.gencache.GencacheNode;
import dev.gencache.config.GencacheConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** N real members in this JVM from cluster-config/, with an HTTP client per node. */
public final class TestCluster implements AutoCloseable {
  public final List<GencacheNode> nodes = new ArrayList<>();
  private final List<WebClient> clients = new ArrayList<>();

  /**
   * @param tweak adjusts each member's Hazelcast config before start (e.g. to restore default batching)
   */
  public TestCluster(int size, Map<String, String> env, InstantSource clock, GencacheNode.GeneratorFactory generators,
      Consumer<Config> tweak) {
    String name = TestNodes.randomClusterName();
    for (int i = 0; i < size; i++) {
      GencacheConfig config = TestNodes.config(name, env);
      Config member = TestNodes.memberConfig(config);
      tweak.accept(member);
      GencacheNode node;
      try {
        node = GencacheNode.start(config, member, clock, generators).await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        close();
        throw new IllegalStateException("member " + i + " did not start", e);
      }
      nodes.add(node);
      clients.add(WebClient.create(node.vertx(), new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(node.httpPort()), new PoolOptions().setHttp1MaxSize(64)));
    }
    TestNodes.eventually(Duration.ofSeconds(30), "members joined and a leader elected", () ->
        nodes.get(0).hazelcast().getCluster().getMembers().size() == size
            && nodes.stream().allMatch(n -> n.leadership().current().term() > 0
                && n.leadership().current().nodeId().equals(nodes.get(0).leadership().current().nodeId())));
    TestNodes.eventually(Duration.ofSeconds(60), "backups in place",
        () -> nodes.get(0).hazelcast().getPartitionService().isClusterSafe());
  }

  public GencacheNode leader() {
    return nodes.stream().filter(n -> n.leadership().isLeader()).findFirst().orElseThrow();
  }

  public Future<HttpResponse<Buffer>> send(int node, HttpMethod method, String uri, String body, String... headers) {
    HttpRequest<Buffer> req = clients.get(node).request(method, uri);
    for (int i = 0; i < headers.length; i += 2) {
      req.putHeader(headers[i], headers[i + 1]);
    }
    return body == null ? req.send() : req.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body));
  }

  public HttpResponse<Buffer> call(int node, HttpMethod method, String uri, String body, String... headers) {
    try {
      return send(node, method, uri, body, headers).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    clients.forEach(WebClient::close);
    for (GencacheNode node : nodes) {
      try {
        TestNodes.stop(node);
      } catch (RuntimeException e) {
        // a crashed member is already gone
      }
    }
  }
}
