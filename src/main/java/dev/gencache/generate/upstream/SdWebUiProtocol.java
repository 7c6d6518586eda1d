package dev.gencache.generate.upstream;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * AUTOMATIC1111's Stable Diffusion WebUI API ({@code POST {base}/sdapi/v1/txt2img}); the images come
 * back as base64 in {@code images[]}. With {@code api-key-env} set, its value is {@code user:password}
 * for the WebUI's {@code --api-auth} (HTTP Basic).
 */
public final class SdWebUiProtocol implements UpstreamCall {
  private final WebClient client;
  private final GeneratorSpec spec;
  private final String endpoint;

  public SdWebUiProtocol(WebClient client, GeneratorSpec spec) {
    this.client = client;
    this.spec = spec;
    this.endpoint = spec.baseUrl() + "/sdapi/v1/txt2img";
  }

  @Override
  public Future<List<GeneratedImage>> call(ImageRequest request, long timeoutMillis) {
    HttpRequest<Buffer> post = client.postAbs(endpoint).timeout(timeoutMillis);
    if (spec.apiKey() != null) {
      post.putHeader("Authorization", "Basic " + Base64.getEncoder()
          .encodeToString(spec.apiKey().reveal().getBytes(StandardCharsets.UTF_8)));
    }
    return post.sendJsonObject(body(request))
        .recover(err -> Future.failedFuture(UpstreamHttp.transportFailure(spec.name(), err)))
        .compose(response -> response.statusCode() == 200
            ? Future.succeededFuture(images(response, request))
            : Future.failedFuture(failure(response)));
  }

  JsonObject body(ImageRequest r) {
    JsonObject body = new JsonObject()
        .put("prompt", r.prompt())
        .put("negative_prompt", r.negativePrompt() == null ? "" : r.negativePrompt())
        .put("width", r.size().width())
        .put("height", r.size().height())
        .put("seed", r.seed() == null ? -1 : r.seed()) // -1: the WebUI picks one
        .put("steps", spec.sdwebui().steps())
        .put("cfg_scale", spec.sdwebui().cfgScale())
        .put("sampler_name", spec.sdwebui().samplerName())
        .put("batch_size", r.n())
        .put("n_iter", 1)
        .put("send_images", true)
        .put("save_images", false);
    return body;
  }

  private List<GeneratedImage> images(HttpResponse<Buffer> response, ImageRequest request) {
    JsonArray images;
    try {
      images = response.bodyAsJsonObject().getJsonArray("images");
    } catch (RuntimeException e) {
      images = null;
    }
    if (images == null || images.size() < request.n()) {
      throw new UpstreamException(spec.name(), Kind.UNAVAILABLE,
          "generator " + spec.name() + " answered without the " + request.n() + " image(s) asked for");
    }
    List<GeneratedImage> out = new ArrayList<>();
    for (int i = 0; i < request.n(); i++) { // extensions may append extra images (e.g. ControlNet maps)
      byte[] bytes = UpstreamHttp.decodeBase64(spec.name(), images.getString(i));
      out.add(new GeneratedImage(bytes, UpstreamHttp.mediaType(spec.name(), bytes), request.size().width(),
          request.size().height(), null));
    }
    return out;
  }

  private UpstreamException failure(HttpResponse<Buffer> response) {
    String message = null;
    try {
      JsonObject body = response.bodyAsJsonObject();
      if (body != null) {
        Object detail = body.getValue("detail");
        message = detail instanceof String d ? d : body.getValue("error") instanceof String e ? e
            : detail != null ? detail.toString() : null;
      }
    } catch (RuntimeException e) {
      // not JSON
    }
    return UpstreamHttp.forStatus(spec.name(), response, message, false, spec.apiKey());
  }
}
