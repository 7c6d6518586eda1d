package dev.gencache.generate.upstream;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OpenAI Images API ({@code POST {base}/v1/images/generations}) and the many services that speak
 * it. Answers in {@code b64_json} are decoded; {@code url} answers are fetched at once, because
 * OpenAI's URLs expire after an hour while gencache serves the bytes under its own content URL.
 */
public final class OpenAiProtocol implements UpstreamCall {
  /** Error codes OpenAI uses for content-policy refusals (DALL·E and gpt-image models). */
  private static final Set<String> REFUSAL_CODES = Set.of("content_policy_violation", "moderation_blocked");

  private final WebClient client;
  private final GeneratorSpec spec;
  private final String endpoint;

  public OpenAiProtocol(WebClient client, GeneratorSpec spec) {
    this.client = client;
    this.spec = spec;
    this.endpoint = spec.baseUrl() + "/v1/images/generations";
  }

  @Override
  public Future<List<GeneratedImage>> call(ImageRequest request, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    return client.postAbs(endpoint)
        .putHeader("Authorization", "Bearer " + spec.apiKey().reveal())
        .timeout(timeoutMillis)
        .sendJsonObject(body(request))
        .recover(err -> Future.failedFuture(UpstreamHttp.transportFailure(spec.name(), err)))
        .compose(response -> response.statusCode() == 200
            ? images(response, request, deadline)
            : Future.failedFuture(failure(response)));
  }

  /** The request as OpenAI takes it; fields a model does not accept are left out. */
  JsonObject body(ImageRequest r) {
    boolean gptImage = r.model().startsWith("gpt-image");
    JsonObject body = new JsonObject()
        .put("model", r.model())
        .put("prompt", r.prompt())
        .put("n", r.n())
        .put("size", r.size().toString());
    if (r.quality() != null) {
      body.put("quality", r.quality());
    }
    if (r.style() != null && r.model().startsWith("dall-e-3")) {
      body.put("style", r.style());
    }
    if (gptImage) {
      // gpt-image models always answer base64 and take the encoding instead of response_format.
      body.put("output_format", r.outputFormat().name().toLowerCase(java.util.Locale.ROOT));
      if (r.outputCompression() != null) {
        body.put("output_compression", r.outputCompression());
      }
      if (r.background() != null) {
        body.put("background", r.background());
      }
    } else {
      body.put("response_format", "b64_json"); // saves the second fetch; url answers are handled too
    }
    return body;
  }

  private Future<List<GeneratedImage>> images(HttpResponse<Buffer> response, ImageRequest request, long deadline) {
    JsonArray data;
    try {
      data = response.bodyAsJsonObject().getJsonArray("data");
    } catch (RuntimeException e) {
      data = null;
    }
    if (data == null || data.size() < request.n()) {
      return Future.failedFuture(new UpstreamException(spec.name(), Kind.UNAVAILABLE,
          "generator " + spec.name() + " answered without the " + request.n() + " image(s) asked for"));
    }
    List<Future<GeneratedImage>> images = new ArrayList<>();
    for (int i = 0; i < request.n(); i++) {
      JsonObject item = data.getJsonObject(i);
      String revised = item.getString("revised_prompt");
      Future<byte[]> bytes = item.getString("b64_json") != null
          ? Future.succeededFuture(UpstreamHttp.decodeBase64(spec.name(), item.getString("b64_json")))
          : UpstreamHttp.fetch(client, spec.name(), item.getString("url"), (deadline - System.nanoTime()) / 1_000_000);
      images.add(bytes.map(b -> new GeneratedImage(b, UpstreamHttp.mediaType(spec.name(), b), request.size().width(),
          request.size().height(), revised)));
    }
    return Future.all(images).map(all -> all.<GeneratedImage>list());
  }

  private UpstreamException failure(HttpResponse<Buffer> response) {
    JsonObject error = null;
    try {
      JsonObject body = response.bodyAsJsonObject();
      error = body == null ? null : body.getJsonObject("error");
    } catch (RuntimeException e) {
      // not JSON: classify by status alone
    }
    String code = error != null && error.getValue("code") instanceof String c ? c : null;
    String message = error != null && error.getValue("message") instanceof String m ? m : null;
    if ("insufficient_quota".equals(code) || "billing_hard_limit_reached".equals(code)) {
      return new UpstreamException(spec.name(), Kind.AUTH,
          "generator " + spec.name() + " refuses service: the account's quota or billing limit is exhausted");
    }
    boolean refusal = response.statusCode() == 400 && code != null && REFUSAL_CODES.contains(code);
    return UpstreamHttp.forStatus(spec.name(), response, message, refusal, spec.apiKey());
  }
}
