package dev.gencache.generate.upstream;

import dev.gencache.image.ImageRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills a configured path or body with a request's fields: {@code {prompt}}, {@code {width}},
 * {@code {height}}, {@code {seed}}, {@code {model}}, {@code {negative_prompt}}, {@code {quality}},
 * {@code {style}}, {@code {n}}, {@code {variant}}. Other braces (a JSON body's own) are left alone.
 * Values are URL-encoded in paths and JSON-escaped in bodies, so a prompt cannot change the request's
 * shape; an absent value is empty in a path and {@code null} in a body.
 */
final class RequestTemplate {
  private static final Pattern PLACEHOLDER =
      Pattern.compile("\\{(prompt|width|height|seed|model|negative_prompt|quality|style|n|variant)}");

  private RequestTemplate() {}

  static String path(String template, ImageRequest r, int variant) {
    return fill(template, values(r, variant), v -> v == null ? ""
        : URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20"));
  }

  static String body(String template, ImageRequest r, int variant) {
    // Inside quotes the placeholder is replaced by escaped text; bare, by a JSON value.
    Map<String, String> values = values(r, variant);
    StringBuilder out = new StringBuilder();
    Matcher m = PLACEHOLDER.matcher(template);
    int last = 0;
    while (m.find()) {
      out.append(template, last, m.start());
      String v = values.get(m.group(1));
      boolean quoted = m.start() > 0 && insideString(template, m.start());
      if (quoted) {
        out.append(v == null ? "" : jsonEscape(v));
      } else {
        out.append(v == null ? "null" : isNumber(m.group(1)) ? v : "\"" + jsonEscape(v) + "\"");
      }
      last = m.end();
    }
    return out.append(template.substring(last)).toString();
  }

  private static boolean isNumber(String name) {
    return name.equals("width") || name.equals("height") || name.equals("seed") || name.equals("n")
        || name.equals("variant");
  }

  /** Whether {@code pos} lies inside a JSON string literal of {@code text}. */
  private static boolean insideString(String text, int pos) {
    boolean in = false;
    for (int i = 0; i < pos; i++) {
      char c = text.charAt(i);
      if (c == '\\' && in) {
        i++;
      } else if (c == '"') {
        in = !in;
      }
    }
    return in;
  }

  private static String fill(String template, Map<String, String> values, UnaryOperator<String> encode) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(encode.apply(values.get(m.group(1)))));
    }
    return m.appendTail(out).toString();
  }

  private static Map<String, String> values(ImageRequest r, int variant) {
    Map<String, String> v = new HashMap<>();
    v.put("prompt", r.prompt());
    v.put("width", Integer.toString(r.size().width()));
    v.put("height", Integer.toString(r.size().height()));
    v.put("seed", r.seed() == null ? null : Long.toString(r.seed()));
    v.put("model", r.model());
    v.put("negative_prompt", r.negativePrompt());
    v.put("quality", r.quality());
    v.put("style", r.style());
    v.put("n", Integer.toString(r.n()));
    v.put("variant", Integer.toString(variant));
    return v;
  }

  static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }
}
