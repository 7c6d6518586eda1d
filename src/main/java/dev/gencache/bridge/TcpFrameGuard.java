package dev.gencache.bridge;

import dev.gencache.bridge.FramePolicy.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sits in a TCP bridge connection's Netty pipeline in front of the Vert.x bridge, which trusts a
 * frame's 4-byte length and would buffer whatever it announces. Reads whole frames (length + UTF-8
 * JSON), closes the connection on one larger than {@code maxFrameBytes} or not a JSON object, applies
 * the {@link FramePolicy}, and passes each allowed frame on re-encoded (the token removed).
 */
final class TcpFrameGuard extends ByteToMessageDecoder {
  private final int maxFrameBytes;
  private final FramePolicy policy;
  private boolean closing;

  TcpFrameGuard(int maxFrameBytes, FramePolicy policy) {
    this.maxFrameBytes = maxFrameBytes;
    this.policy = policy;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!closing && in.readableBytes() >= 4) {
      long length = in.getUnsignedInt(in.readerIndex());
      if (length > maxFrameBytes) {
        close(ctx, in, "frame_too_large");
        return;
      }
      if (in.readableBytes() < 4 + length) {
        return; // wait for the rest of the frame
      }
      in.skipBytes(4);
      String text = in.readCharSequence((int) length, StandardCharsets.UTF_8).toString();
      JsonObject frame;
      try {
        frame = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        frame = null;
      }
      Verdict verdict = policy.decide(frame);
      if (verdict.close()) {
        close(ctx, in, verdict.error().getString("message"));
        return;
      }
      if (verdict.error() != null) {
        ctx.writeAndFlush(encode(verdict.error()));
      } else {
        out.add(encode(verdict.frame()));
      }
    }
    if (closing) {
      in.skipBytes(in.readableBytes());
    }
  }

  private void close(ChannelHandlerContext ctx, ByteBuf in, String message) {
    closing = true;
    in.skipBytes(in.readableBytes());
    ctx.writeAndFlush(encode(new JsonObject().put("type", "err").put("message", message)))
        .addListener(ChannelFutureListener.CLOSE);
  }

  static ByteBuf encode(JsonObject frame) {
    byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
    return Unpooled.buffer(4 + json.length).writeInt(json.length).writeBytes(json);
  }
}
