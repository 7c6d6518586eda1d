package dev.gencache.http;

import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollSocketChannel;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.HttpServerConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds back a connection's partial TCP segments ({@code TCP_CORK}) while one answer is written, and
 * lets them go right after, so nothing waits for the kernel's 200 ms cork limit. An answer sent with
 * {@code sendfile} is written as its headers and then the file: uncorked, the headers leave alone in a
 * segment of their own, and a client blocked in {@code recv} is woken once for them and again for the
 * body. Corked, they share the body's first segment. Only on HTTP/1.x over the native epoll transport,
 * and only when called on the connection's event loop (the write is then synchronous); anywhere else
 * {@link #around} just runs the write.
 */
public final class TcpCork {
  private static final Logger log = LoggerFactory.getLogger(TcpCork.class);
  /** Runs the write as it is. */
  public static final TcpCork NONE = new TcpCork(null);

  private final EpollSocketChannel channel;

  private TcpCork(EpollSocketChannel channel) {
    this.channel = channel;
  }

  /** The cork of {@code request}'s connection, or {@link #NONE} where it would not hold the write. */
  public static TcpCork of(HttpServerRequest request) {
    if (request.version() == HttpVersion.HTTP_2 || !(request.connection() instanceof HttpServerConnection c)
        || !(c.channelHandlerContext().channel() instanceof EpollSocketChannel channel)
        || !channel.eventLoop().inEventLoop()) {
      return NONE;
    }
    return new TcpCork(channel);
  }

  /** Whether {@link #around} corks (a test's view). */
  public boolean corks() {
    return channel != null;
  }

  /** Runs {@code write} with the connection corked; uncorking sends what it held back. */
  public void around(Runnable write) {
    boolean corked = channel != null && cork(true);
    try {
      write.run();
    } finally {
      if (corked) {
        cork(false);
      }
    }
  }

  private boolean cork(boolean on) {
    try {
      channel.config().setTcpCork(on);
      return true;
    } catch (ChannelException e) {
      // The socket is closing; the write then fails (or is dropped) on its own.
      log.debug("TCP_CORK {} failed on {}: {}", on, channel, e.toString());
      return false;
    }
  }
}
