package dev.gencache.generate.upstream;

import dev.gencache.config.GeneratorSpec;
import dev.gencache.config.GeneratorSpec.HttpTemplate;
import dev.gencache.config.GeneratorSpec.ResponseKind;
import dev.gencache.config.Secret;
import dev.gencache.generate.GeneratedImage;
import dev.gencache.generate.upstream.UpstreamException.Kind;
import dev.gencache.image.ImageRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Any other HTTP generator, described by a template: method, path (and body) with placeholders,
 * headers (values may come from the environment), and whether the answer is the image itself or JSON
 * holding it as base64 or as a URL to fetch. A request for n images makes n calls ({@code {variant}}
 * tells them apart).
 */
public final class HttpTemplateProtocol implements UpstreamCall {
  private final WebClient client;
  private final GeneratorSpec spec;
  private final HttpTemplate template;

  public HttpTemplateProtocol(WebClient client, GeneratorSpec spec) {
    this.client = client;
    this.spec = spec;
    this.template = spec.http();
  }

  @Override
  public Future<List<GeneratedImage>> call(ImageRequest request, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    List<Future<GeneratedImage>> images = new ArrayList<>();
    for (int variant = 0; variant < request.n(); variant++) {
      images.add(one(request, variant, timeoutMillis, deadline));
    }
    return Future.all(images).map(all -> all.<GeneratedImage>list());
  }

  private Future<GeneratedImage> one(ImageRequest request, int variant, long timeoutMillis, long deadline) {
    HttpRequest<Buffer> call = client.requestAbs(HttpMethod.valueOf(template.method()),
        spec.baseUrl() + RequestTemplate.path(template.path(), request, variant)).timeout(timeoutMillis);
    if (spec.apiKey() != null) {
      call.putHeader("Authorization", "Bearer " + spec.apiKey().reveal());
    }
    for (Map.Entry<String, Secret> h : template.headers().entrySet()) {
      call.putHeader(h.getKey(), h.getValue().reveal());
    }
    Future<HttpResponse<Buffer>> sent;
    if (template.body() != null) {
      call.putHeader("Content-Type", "application/json");
      sent = call.sendBuffer(Buffer.buffer(RequestTemplate.body(template.body(), request, variant)));
    } else {
      sent = call.send();
    }
    return sent
        .recover(err -> Future.failedFuture(UpstreamHttp.transportFailure(spec.name(), err)))
        .compose(response -> response.statusCode() / 100 == 2
            ? image(response, deadline)
            : Future.failedFuture(UpstreamHttp.forStatus(spec.name(), response, text(response), false, spec.apiKey())))
        .map(bytes -> new GeneratedImage(bytes, UpstreamHttp.mediaType(spec.name(), bytes), request.size().width(),
            request.size().height(), null));
  }

  private Future<byte[]> image(HttpResponse<Buffer> response, long deadline) {
    Buffer body = response.body();
    if (body == null || body.length() == 0) {
      return Future.failedFuture(new UpstreamException(spec.name(), Kind.UNAVAILABLE,
          "generator " + spec.name() + " answered with an empty body"));
    }
    if (template.response() == ResponseKind.IMAGE) {
      return Future.succeededFuture(body.getBytes());
    }
    Object json;
    try {
      json = Json.decodeValue(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(new UpstreamException(spec.name(), Kind.UNAVAILABLE,
          "generator " + spec.name() + " answered with invalid JSON"));
    }
    if (template.imagePath() != null) {
      return Future.succeededFuture(UpstreamHttp.decodeBase64(spec.name(), JsonPaths.string(json, template.imagePath())));
    }
    return UpstreamHttp.fetch(client, spec.name(), JsonPaths.string(json, template.urlPath()),
        (deadline - System.nanoTime()) / 1_000_000);
  }

  /** A short text explanation from an error answer, if it has one. */
  private static String text(HttpResponse<Buffer> response) {
    Buffer body = response.body();
    if (body == null || body.length() == 0 || body.length() > 4096) {
      return null;
    }
    String ct = response.getHeader("Content-Type");
    if (ct == null || !(ct.startsWith("text/") || ct.contains("json"))) {
      return null;
    }
    return body.toString();
  }
}
