package dev.gencache.image;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Pixel dimensions of a generated image; both sides within {@link #MIN}..{@link #MAX}. */
public record ImageSize(int width, int height) {
  public static final int MIN = 64;
  public static final int MAX = 2048;
  private static final Pattern WXH = Pattern.compile("(\\d{1,5})\\s*[xX×]\\s*(\\d{1,5})");

  public ImageSize {
    if (width < MIN || width > MAX || height < MIN || height > MAX) {
      throw new IllegalArgumentException(
          "size must be WxH with each side within " + MIN + ".." + MAX + ", was " + width + "x" + height);
    }
  }

  /**
   * Parses {@code "WxH"} (also {@code "W x H"}, {@code "WXH"}); {@code "auto"} gives {@code fallback}.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static ImageSize parse(String text, ImageSize fallback) {
    String t = text.trim();
    if (t.equalsIgnoreCase("auto")) {
      return fallback;
    }
    Matcher m = WXH.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("size must look like 1024x1024 (or \"auto\"), was \"" + text + "\"");
    }
    return new ImageSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  @Override
  public String toString() {
    return width + "x" + height;
  }
}
