package dev.gencache.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.EpollSocketChannel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TcpCork} on a real HTTP server: corked only around the write, and only where that holds it. */
class TcpCorkTest {
  private Vertx vertx;
  /** What the handler saw, in order: "cork" when TcpCork corks, then TCP_CORK before, inside and after. */
  private final List<Object> seen = new CopyOnWriteArrayList<>();
  @TempDir
  Path dir;

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static boolean corkedNow(HttpServerRequest request) {
    return ((EpollSocketChannel) ((HttpServerConnection) request.connection()).channelHandlerContext().channel())
        .config().isTcpCork();
  }

  /** Serves every GET with {@code handler}, then fetches one body over a new connection. */
  private byte[] fetch(Consumer<HttpServerRequest> handler) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(handler::accept).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    return client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(r -> r.send().compose(HttpClientResponse::body)).await(10, TimeUnit.SECONDS).getBytes();
  }

  private Path file(int size) throws Exception {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i * 31);
    }
    return Files.write(dir.resolve("image"), bytes);
  }

  @Test
  void corksTheConnectionOnlyWhileTheAnswerIsWritten() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    assertThat(vertx.isNativeTransportEnabled()).as("the epoll transport gencache runs on").isTrue();
    Path image = file(150_000);
    byte[] body = fetch(request -> {
      TcpCork cork = TcpCork.of(request);
      seen.add(cork.corks());
      seen.add(corkedNow(request));
      cork.around(() -> {
        seen.add(corkedNow(request));
        request.response().sendFile(image.toString());
      });
      seen.add(corkedNow(request));
    });
    assertThat(seen).containsExactly(true, false, true, false);
    assertThat(body).isEqualTo(Files.readAllBytes(image));
  }

  @Test
  void leavesTheConnectionAloneOffItsEventLoop() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Path image = file(1000);
    byte[] body = fetch(request -> vertx.executeBlocking(() -> {
      TcpCork cork = TcpCork.of(request);
      seen.add(cork.corks());
      cork.around(() -> request.response().sendFile(image.toString()));
      return null;
    }));
    assertThat(seen).containsExactly(false);
    assertThat(body).isEqualTo(Files.readAllBytes(image));
  }

  @Test
  void leavesTheConnectionAloneOnTheNioTransport() throws Exception {
    vertx = Vertx.vertx();
    assertThat(vertx.isNativeTransportEnabled()).isFalse();
    byte[] body = fetch(request -> {
      TcpCork cork = TcpCork.of(request);
      seen.add(cork.corks());
      cork.around(() -> request.response().end(Buffer.buffer("plain")));
    });
    assertThat(seen).containsExactly(false);
    assertThat(new String(body)).isEqualTo("plain");
  }
}
