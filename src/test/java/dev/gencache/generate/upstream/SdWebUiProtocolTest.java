package dev.gencache.generate.upstream;

import static dev.gencache.generate.upstream.Upstreams.PNG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.config.GeneratorSpec.Type;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.testing.ManualClock;
import dev.gencache.testing.StandIn;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SD WebUI protocol against a stand-in written from the WebUI's /docs (txt2img). */
class SdWebUiProtocolTest {
  private static final String PATH = "/sdapi/v1/txt2img";
  private final Vertx vertx = Vertx.vertx();
  private final StandIn webui = new StandIn(vertx);

  @AfterEach
  void close() throws Exception {
    webui.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private ResilientGenerator generator() {
    GeneratorSpec spec = Upstreams.spec(Type.SDWEBUI, webui.url(), 1, 5, Duration.ofSeconds(5), null);
    return Upstreams.resilient(vertx, spec, new SdWebUiProtocol(Upstreams.client(vertx), spec),
        new ManualClock(Instant.EPOCH));
  }

  @Test
  void sendsTxt2imgParametersAndDecodesTheImages() throws Exception {
    String b64 = Base64.getEncoder().encodeToString(PNG);
    // The WebUI appends extra images (e.g. ControlNet maps) after the batch: only the first n count.
    webui.on("POST", PATH, ctx -> ctx.json(new JsonObject().put("images", new JsonArray().add(b64).add("ZXh0cmE="))
        .put("parameters", new JsonObject()).put("info", "{}")));
    List<GeneratedImage> images = generator().generate(new dev.gencache.image.ImageRequest("sd", "sdxl", "a lighthouse",
        "blurry", new dev.gencache.image.ImageSize(768, 512), null, null, 7L, 1, dev.gencache.image.OutputFormat.PNG,
        null, null)).await(10, TimeUnit.SECONDS);

    assertThat(images).singleElement().satisfies(i -> {
      assertThat(i.bytes()).isEqualTo(PNG);
      assertThat(i.width()).isEqualTo(768);
    });
    JsonObject body = webui.requests(PATH).get(0).body().toJsonObject();
    assertThat(body.getMap()).containsEntry("prompt", "a lighthouse").containsEntry("negative_prompt", "blurry")
        .containsEntry("width", 768).containsEntry("height", 512).containsEntry("seed", 7)
        .containsEntry("steps", 25).containsEntry("cfg_scale", 6.5).containsEntry("sampler_name", "DPM++ 2M")
        .containsEntry("batch_size", 1);
    assertThat(webui.requests(PATH).get(0).header("Authorization"))
        .isEqualTo("Basic " + Base64.getEncoder().encodeToString(Upstreams.KEY.getBytes()));
  }

  @Test
  void aValidationErrorIsARejectionAndIsNotRetried() {
    webui.on("POST", PATH, ctx -> ctx.response().setStatusCode(422).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("detail", new JsonArray().add(new JsonObject().put("loc", new JsonArray().add("body")
            .add("width")).put("msg", "value is not a valid integer"))).encode()));
    Throwable t = catchThrowable(() -> generator().generate(Upstreams.request("sdxl", "x")).await(10, TimeUnit.SECONDS));
    assertThat(t).isInstanceOfSatisfying(UpstreamException.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.REJECTED);
      assertThat(e.getMessage()).contains("not a valid integer");
    });
    assertThat(webui.requests(PATH)).hasSize(1);
  }

  @Test
  void aServerErrorIsRetriedOnceThenUnavailable() {
    webui.on("POST", PATH, ctx -> ctx.response().setStatusCode(500).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", "OutOfMemoryError").put("detail", "CUDA out of memory").encode()));
    Throwable t = catchThrowable(() -> generator().generate(Upstreams.request("sdxl", "x")).await(10, TimeUnit.SECONDS));
    assertThat(t).isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE));
    assertThat(webui.requests(PATH)).hasSize(2);
  }

  @Test
  void anAnswerThatIsNotAnImageIsAFailure() {
    webui.on("POST", PATH, ctx -> ctx.json(new JsonObject().put("images", new JsonArray()
        .add(Base64.getEncoder().encodeToString("<html>oops</html>".getBytes())))));
    Throwable t = catchThrowable(() -> generator().generate(Upstreams.request("sdxl", "x")).await(10, TimeUnit.SECONDS));
    assertThat(t).isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.getMessage()).contains("not an image"));
  }
}
