package dev.gencache.generate;

import dev.gencache.image.ImageRequest;
import dev.gencache.image.OutputFormat;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.LinearGradientPaint;
import java.awt.RadialGradientPaint;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Arc2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * A procedural stand-in for an image model: paints a picture visibly derived from the prompt with
 * Java2D and encodes it as PNG or JPEG.
 *
 * <p>Colour words in the prompt ({@code red}, {@code navy}, ...) and a few words that imply a colour
 * ({@code snow}, {@code ocean}, ...) set the palette; every other significant word adds one shape
 * whose kind comes from the word's hash. Words of the negative prompt are left out. The prompt is
 * written as a caption near the bottom.
 *
 * <p><b>Determinism contract.</b> The bytes returned by {@link #render} are a pure function of the
 * request's prompt, negative prompt, size, quality, style, seed, output format, output compression
 * and background, plus the variant index: the same inputs give byte-identical output on every call,
 * on every thread and in every JVM run on the same JDK with the same fonts. All randomness is drawn
 * from a SHA-256 of those fields; nothing reads the clock or a shared random source. {@code
 * generator}, {@code model} and {@code n} do not change the pixels. Different variants of the same
 * request give different images.
 *
 * <p>Instances hold no mutable state and can be shared by any number of threads.
 */
public final class PromptRenderer {

  /** Bumped whenever the drawing changes, so old and new renders never collide byte-for-byte. */
  private static final String ALGORITHM = "gencache-prompt-renderer-v1";

  private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
  private static final int MAX_SHAPES = 48;
  private static final int[] GRAIN_STEPS = {-2, -1, 1, 2};
  private static final int SHAPE_KINDS = 7;
  private static final float DEFAULT_JPEG_QUALITY = 0.85f;
  private static final int WHITE = 0xF5F5F5;
  private static final int BLACK = 0x141418;

  private static final Set<String> STOP_WORDS = Set.of(
      "the", "and", "with", "for", "from", "into", "onto", "over", "under", "its", "this", "that",
      "these", "those", "are", "was", "were", "has", "have", "had", "very", "some", "any", "all",
      "but", "not", "out", "off", "near", "next", "behind", "above", "below", "while", "who", "whose",
      "which", "what", "where", "when", "their", "there", "they", "them", "his", "her", "our", "your",
      "you", "one", "two", "three", "made", "like", "just", "also", "than", "then", "being", "been");

  /** Explicit colour words; they dominate the palette. */
  private static final Map<String, Integer> COLOUR_WORDS = Map.ofEntries(
      Map.entry("red", 0xD22328), Map.entry("crimson", 0xB4143C), Map.entry("scarlet", 0xE0301E),
      Map.entry("maroon", 0x7A1420), Map.entry("orange", 0xF58C1E), Map.entry("amber", 0xF0A81C),
      Map.entry("yellow", 0xF5D732), Map.entry("gold", 0xD4AF37), Map.entry("golden", 0xD9AE3A),
      Map.entry("green", 0x32A046), Map.entry("lime", 0x96DC32), Map.entry("olive", 0x7A7D2A),
      Map.entry("emerald", 0x1F9E63), Map.entry("teal", 0x008080), Map.entry("cyan", 0x28C8DC),
      Map.entry("turquoise", 0x40E0D0), Map.entry("blue", 0x285AD2), Map.entry("azure", 0x3C8CF0),
      Map.entry("navy", 0x141E64), Map.entry("indigo", 0x4B0082), Map.entry("purple", 0x7D3CAA),
      Map.entry("violet", 0x8C50C8), Map.entry("lavender", 0xB4A0DC), Map.entry("magenta", 0xC828A0),
      Map.entry("pink", 0xF078AA), Map.entry("coral", 0xF57F64), Map.entry("brown", 0x7D502D),
      Map.entry("beige", 0xE1CDA5), Map.entry("tan", 0xC8A478), Map.entry("black", BLACK),
      Map.entry("white", WHITE), Map.entry("ivory", 0xF5F0DC), Map.entry("gray", 0x808084),
      Map.entry("grey", 0x808084), Map.entry("silver", 0xC0C0C8));

  /** Words that imply a colour; weaker than explicit colour words. */
  private static final Map<String, Integer> IMPLIED_COLOURS = Map.ofEntries(
      Map.entry("snow", WHITE), Map.entry("snowy", WHITE), Map.entry("cloud", 0xE6EAF0),
      Map.entry("clouds", 0xE6EAF0), Map.entry("ice", 0xC8E6F5), Map.entry("milk", WHITE),
      Map.entry("ocean", 0x1E64B4), Map.entry("sea", 0x1E6EAA), Map.entry("water", 0x3282C8),
      Map.entry("lake", 0x2D78B4), Map.entry("river", 0x3782BE), Map.entry("sky", 0x64A0E6),
      Map.entry("grass", 0x46A03C), Map.entry("forest", 0x1E6432), Map.entry("tree", 0x2D783C),
      Map.entry("trees", 0x2D783C), Map.entry("leaf", 0x4BAA3C), Map.entry("leaves", 0x4BAA3C),
      Map.entry("jungle", 0x197837), Map.entry("meadow", 0x6EB446), Map.entry("fire", 0xF05014),
      Map.entry("flame", 0xF56419), Map.entry("flames", 0xF56419), Map.entry("lava", 0xDC3C0A),
      Map.entry("sun", 0xFAC832), Map.entry("sunny", 0xFAD23C), Map.entry("sunset", 0xF57832),
      Map.entry("night", 0x0F1946), Map.entry("midnight", 0x0A1032), Map.entry("moon", 0xC8C8D2),
      Map.entry("sand", 0xE1C896), Map.entry("desert", 0xDCB478), Map.entry("beach", 0xE6D2A0),
      Map.entry("rose", 0xE1325A), Map.entry("blood", 0xA00F19), Map.entry("coal", BLACK),
      Map.entry("shadow", 0x28282D), Map.entry("chocolate", 0x5A3219), Map.entry("coffee", 0x6F4A2E));

  public PromptRenderer() {}

  /**
   * Renders one image for {@code request} at exactly {@code request.size()}, encoded in
   * {@code request.outputFormat()}.
   *
   * @param variant which of the request's {@code n} images, from 0; each variant differs
   * @throws IllegalArgumentException when {@code variant} is negative
   * @throws UncheckedIOException when encoding fails
   */
  public byte[] render(ImageRequest request, int variant) {
    Objects.requireNonNull(request, "request");
    if (variant < 0) {
      throw new IllegalArgumentException("variant must be >= 0, was " + variant);
    }
    byte[] digest = digest(request, variant);
    ByteBuffer seeds = ByteBuffer.wrap(digest);
    SplittableRandom rnd = new SplittableRandom(seeds.getLong());
    long grainSeed = seeds.getLong();

    int w = request.size().width();
    int h = request.size().height();
    int minSide = Math.min(w, h);
    boolean png = request.outputFormat() == OutputFormat.PNG;
    boolean transparent = png && "transparent".equalsIgnoreCase(request.background());
    boolean detailed = "hd".equalsIgnoreCase(request.quality()) || "high".equalsIgnoreCase(request.quality());
    Style style = Style.of(request.style());

    List<Word> words = words(request.prompt(), request.negativePrompt());
    Palette palette = Palette.of(words, request.prompt(), style);

    // JPEG (and any opaque PNG) is TYPE_INT_RGB: the JPEG writer must never see an alpha channel.
    BufferedImage image =
        new BufferedImage(w, h, transparent ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.setRenderingHint(RenderingHints.KEY_COLOR_RENDERING, RenderingHints.VALUE_COLOR_RENDER_QUALITY);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);

      if (!transparent) {
        paintBackground(g, w, h, palette, rnd);
      }
      for (Word word : words) {
        paintShape(g, word, palette, style, rnd, w, h, minSide, detailed);
      }
      paintSparkles(g, palette, rnd, w, h, minSide, detailed);
      // Grain before the caption so the text stays crisp; it is also what gives PNGs realistic sizes.
      applyGrain(image, grainSeed, detailed ? 7 : 15, transparent);
      paintCaption(g, request.prompt(), w, h);
    } finally {
      g.dispose();
    }
    return png ? encodePng(image) : encodeJpeg(image, request.outputCompression());
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  private static byte[] digest(ImageRequest r, int variant) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory on every JVM", e);
    }
    // Length-prefixed fields with null markers, so no two distinct requests share an encoding.
    ByteBuffer buf = ByteBuffer.allocate(64);
    putString(md, ALGORITHM);
    putString(md, r.prompt());
    putString(md, r.negativePrompt());
    buf.putInt(r.size().width()).putInt(r.size().height());
    md.update(buf.flip());
    putString(md, r.quality());
    putString(md, r.style());
    buf.clear();
    if (r.seed() == null) {
      buf.put((byte) 0);
    } else {
      buf.put((byte) 1).putLong(r.seed());
    }
    md.update(buf.flip());
    putString(md, r.outputFormat().name());
    buf.clear();
    if (r.outputCompression() == null) {
      buf.put((byte) 0);
    } else {
      buf.put((byte) 1).putInt(r.outputCompression());
    }
    md.update(buf.flip());
    putString(md, r.background());
    buf.clear();
    buf.putInt(variant);
    md.update(buf.flip());
    return md.digest();
  }

  private static void putString(MessageDigest md, String s) {
    ByteBuffer len = ByteBuffer.allocate(4);
    if (s == null) {
      md.update(len.putInt(-1).flip());
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    md.update(len.putInt(bytes.length).flip());
    md.update(bytes);
  }

  private static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    for (String t : NON_WORD.split(text.toLowerCase(Locale.ROOT))) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Significant prompt words in prompt order, minus stop words and anything the negative prompt names. */
  private static List<Word> words(String prompt, String negativePrompt) {
    Set<String> negative = new HashSet<>(tokens(negativePrompt));
    List<Word> out = new ArrayList<>();
    for (String t : tokens(prompt)) {
      Integer explicit = COLOUR_WORDS.get(t);
      boolean significant = explicit != null || (t.length() >= 3 && !STOP_WORDS.contains(t));
      if (!significant || negative.contains(t)) {
        continue;
      }
      Integer implied = IMPLIED_COLOURS.get(t);
      int weight = explicit != null ? 3 : implied != null ? 2 : 0;
      out.add(new Word(t, mix32(t.hashCode()), explicit != null ? explicit : implied != null ? implied : -1, weight));
      if (out.size() == MAX_SHAPES) {
        break;
      }
    }
    return out;
  }

  /** A significant word; {@code colour} is -1 for words that imply no colour. */
  private record Word(String text, int hash, int colour, int weight) {}

  private enum Style {
    VIVID, NATURAL, PLAIN;

    static Style of(String s) {
      if ("vivid".equalsIgnoreCase(s)) {
        return VIVID;
      }
      return "natural".equalsIgnoreCase(s) ? NATURAL : PLAIN;
    }

    int apply(int rgb) {
      if (this == PLAIN) {
        return rgb;
      }
      float[] hsb = Color.RGBtoHSB((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, null);
      if (this == VIVID) {
        hsb[1] = hsb[1] < 0.08f ? hsb[1] : Math.min(1f, hsb[1] * 1.35f + 0.08f);
        hsb[2] = Math.min(1f, hsb[2] * 1.08f);
      } else {
        hsb[1] *= 0.55f;
        hsb[2] = hsb[2] * 0.82f + 0.08f;
      }
      return Color.HSBtoRGB(hsb[0], hsb[1], hsb[2]) & 0xFFFFFF;
    }
  }

  /** Weighted colours of the prompt; colour words dominate, otherwise words' hash hues make it up. */
  private static final class Palette {
    final int[] colours;
    final int[] weights;
    final int total;
    final boolean fromColourWords;

    private Palette(List<Integer> colours, List<Integer> weights, boolean fromColourWords) {
      this.colours = colours.stream().mapToInt(Integer::intValue).toArray();
      this.weights = weights.stream().mapToInt(Integer::intValue).toArray();
      this.total = this.weights.length == 0 ? 0 : Arrays.stream(this.weights).sum();
      this.fromColourWords = fromColourWords;
    }

    static Palette of(List<Word> words, String prompt, Style style) {
      List<Integer> colours = new ArrayList<>();
      List<Integer> weights = new ArrayList<>();
      for (Word word : words) {
        if (word.colour() >= 0) {
          add(colours, weights, style.apply(word.colour()), word.weight());
        }
      }
      boolean fromColourWords = !colours.isEmpty();
      if (!fromColourWords) {
        for (Word word : words) {
          add(colours, weights, style.apply(hashColour(word.hash())), 1);
        }
      }
      if (colours.isEmpty()) {
        // Nothing significant left: fall back to the whole prompt's hash and its complement.
        int hash = mix32(prompt.hashCode());
        add(colours, weights, style.apply(hashColour(hash)), 1);
        add(colours, weights, style.apply(hashColour(hash ^ 0x8000)), 1);
      }
      // Heaviest first (stable for ties), so colours[0] is the dominant colour.
      Integer[] order = new Integer[colours.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Integer.compare(weights.get(b), weights.get(a)));
      List<Integer> c = new ArrayList<>();
      List<Integer> wts = new ArrayList<>();
      for (int i : order) {
        c.add(colours.get(i));
        wts.add(weights.get(i));
      }
      return new Palette(c, wts, fromColourWords);
    }

    private static void add(List<Integer> colours, List<Integer> weights, int rgb, int weight) {
      int i = colours.indexOf(rgb);
      if (i >= 0) {
        weights.set(i, weights.get(i) + weight);
      } else {
        colours.add(rgb);
        weights.add(weight);
      }
    }

    int dominant() {
      return colours[0];
    }

    /** Second colour, or a lighter/darker shade of the dominant one when the palette has only one. */
    int secondary() {
      if (colours.length > 1) {
        return colours[1];
      }
      int d = colours[0];
      return luminance(d) > 0.6 ? mix(d, 0x000000, 0.3) : mix(d, 0xFFFFFF, 0.45);
    }

    int pick(SplittableRandom rnd) {
      int r = rnd.nextInt(total);
      for (int i = 0; i < colours.length; i++) {
        r -= weights[i];
        if (r < 0) {
          return colours[i];
        }
      }
      return colours[0];
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Painting

  private static void paintBackground(Graphics2D g, int w, int h, Palette palette, SplittableRandom rnd) {
    int dominant = palette.dominant();
    int secondary = palette.secondary();
    float dx = (float) ((rnd.nextDouble() - 0.5) * w * 0.8);
    g.setPaint(new LinearGradientPaint(
        new Point2D.Float(w / 2f - dx, 0), new Point2D.Float(w / 2f + dx, h),
        new float[] {0f, 0.55f, 1f},
        new Color[] {
          new Color(mix(secondary, 0xFFFFFF, 0.15)),
          new Color(mix(dominant, secondary, 0.5)),
          new Color(mix(dominant, 0x000000, 0.15))
        }));
    g.fillRect(0, 0, w, h);

    // A soft glow, like a sun or a lamp, somewhere in the upper half.
    float gx = (float) (rnd.nextDouble() * w);
    float gy = (float) (rnd.nextDouble() * h * 0.5);
    float radius = (float) (Math.min(w, h) * (0.25 + rnd.nextDouble() * 0.35));
    int glow = mix(palette.pick(rnd), 0xFFFFFF, 0.5);
    g.setPaint(new RadialGradientPaint(gx, gy, radius, new float[] {0f, 1f},
        new Color[] {new Color(glow | 0xA0000000, true), new Color(glow, true)}));
    g.fill(new Ellipse2D.Float(gx - radius, gy - radius, radius * 2, radius * 2));

    // Rolling hills across the lower part give the scene a horizon.
    Path2D.Float hills = new Path2D.Float();
    double base = h * (0.68 + rnd.nextDouble() * 0.12);
    double amp = h * (0.03 + rnd.nextDouble() * 0.05);
    double f1 = (1.5 + rnd.nextDouble() * 2) * Math.PI * 2 / w;
    double f2 = (4 + rnd.nextDouble() * 4) * Math.PI * 2 / w;
    double p1 = rnd.nextDouble() * Math.PI * 2;
    double p2 = rnd.nextDouble() * Math.PI * 2;
    hills.moveTo(0, h);
    int steps = 64;
    for (int i = 0; i <= steps; i++) {
      double x = (double) w * i / steps;
      hills.lineTo(x, base + amp * Math.sin(x * f1 + p1) + amp * 0.35 * Math.sin(x * f2 + p2));
    }
    hills.lineTo(w, h);
    hills.closePath();
    int ground = palette.colours.length > 2 ? palette.colours[2] : dominant;
    g.setPaint(new GradientPaint(0, (float) (base - amp), new Color(mix(ground, 0x000000, 0.2) | 0xD0000000, true),
        0, h, new Color(mix(ground, 0x000000, 0.45) | 0xF0000000, true)));
    g.fill(hills);
  }

  private static void paintShape(Graphics2D g, Word word, Palette palette, Style style, SplittableRandom rnd,
      int w, int h, int minSide, boolean detailed) {
    int base;
    if (word.colour() >= 0) {
      base = style.apply(word.colour());
    } else if (palette.fromColourWords) {
      // The prompt's colour words dominate; the word itself only tints its shape.
      base = mix(palette.pick(rnd), style.apply(hashColour(word.hash())), 0.3);
    } else {
      base = style.apply(hashColour(word.hash()));
    }
    int colour = jitter(base, rnd);

    double cx = rnd.nextDouble() * w;
    double cy = rnd.nextDouble() * h * 0.8;
    double size = minSide * (0.06 + rnd.nextDouble() * 0.16) * (0.8 + Math.min(word.text().length(), 10) * 0.04);
    double angle = rnd.nextDouble() * Math.PI * 2;
    int kind = Math.floorMod(word.hash(), SHAPE_KINDS);
    int facets = Math.floorMod(word.hash() >>> 8, 4);
    Shape shape = shape(kind, facets, size, rnd);
    AffineTransform at = new AffineTransform();
    at.translate(cx, cy);
    at.rotate(angle);
    Shape placed = at.createTransformedShape(shape);

    // Drop shadow, fill with a light-to-dark gradient, then an outline.
    double offset = Math.max(1, minSide / 120.0);
    g.setPaint(new Color(0, 0, 0, 50));
    g.fill(AffineTransform.getTranslateInstance(offset, offset).createTransformedShape(placed));
    Rectangle2D b = placed.getBounds2D();
    int alpha = 180 + rnd.nextInt(70);
    g.setPaint(new GradientPaint(
        (float) b.getMinX(), (float) b.getMinY(), new Color(mix(colour, 0xFFFFFF, 0.25) | alpha << 24, true),
        (float) b.getMaxX(), (float) b.getMaxY(), new Color(mix(colour, 0x000000, 0.25) | alpha << 24, true)));
    g.fill(placed);
    boolean stroked = kind == 5 || kind == 6;
    if (!stroked) {
      // Stroked outlines (waves, arcs) self-overlap at their joins; an outline there shows seams.
      g.setStroke(new BasicStroke((float) Math.max(1, minSide / 256.0), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      g.setPaint(new Color(mix(colour, 0x000000, 0.45) | 0xC8000000, true));
      g.draw(placed);
    }

    if (detailed && !stroked) {
      // Inner rings and a highlight: the "more detail" of hd renders.
      g.setStroke(new BasicStroke((float) Math.max(1, minSide / 320.0)));
      g.setPaint(new Color(mix(colour, 0xFFFFFF, 0.5) | 0x96000000, true));
      for (double s = 0.72; s > 0.2; s -= 0.2) {
        AffineTransform inner = new AffineTransform(at);
        inner.scale(s, s);
        g.draw(inner.createTransformedShape(shape));
      }
      double hr = size * 0.22;
      g.setPaint(new Color(255, 255, 255, 70));
      g.fill(new Ellipse2D.Double(
          b.getMinX() + b.getWidth() * 0.25 - hr / 2, b.getMinY() + b.getHeight() * 0.25 - hr / 2, hr, hr));
    }
  }

  /** A shape centred on the origin, about {@code 2*size} across. */
  private static Shape shape(int kind, int facets, double size, SplittableRandom rnd) {
    double aspect = 0.6 + rnd.nextDouble() * 0.4;
    switch (kind) {
      case 0:
        return new Ellipse2D.Double(-size, -size * aspect, size * 2, size * 2 * aspect);
      case 1:
        return new Rectangle2D.Double(-size, -size * aspect, size * 2, size * 2 * aspect);
      case 2:
        return new RoundRectangle2D.Double(-size, -size * aspect, size * 2, size * 2 * aspect, size * 0.6, size * 0.6);
      case 3: {
        int sides = 3 + facets;
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < sides; i++) {
          double a = Math.PI * 2 * i / sides;
          double r = size * (0.85 + rnd.nextDouble() * 0.3);
          if (i == 0) {
            p.moveTo(r * Math.cos(a), r * Math.sin(a));
          } else {
            p.lineTo(r * Math.cos(a), r * Math.sin(a));
          }
        }
        p.closePath();
        return p;
      }
      case 4: {
        int points = 5 + facets;
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < points * 2; i++) {
          double a = Math.PI * i / points;
          double r = i % 2 == 0 ? size : size * 0.45;
          if (i == 0) {
            p.moveTo(r * Math.cos(a), r * Math.sin(a));
          } else {
            p.lineTo(r * Math.cos(a), r * Math.sin(a));
          }
        }
        p.closePath();
        return p;
      }
      case 5: {
        Path2D.Double wave = new Path2D.Double();
        int steps = 48;
        double periods = 1.5 + facets * 0.5;
        for (int i = 0; i <= steps; i++) {
          double t = (double) i / steps;
          double x = -size * 1.6 + t * size * 3.2;
          double y = size * 0.35 * Math.sin(t * periods * Math.PI * 2);
          if (i == 0) {
            wave.moveTo(x, y);
          } else {
            wave.lineTo(x, y);
          }
        }
        return new BasicStroke((float) (size * 0.18), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
            .createStrokedShape(wave);
      }
      default: {
        double start = rnd.nextDouble() * 360;
        double extent = 120 + rnd.nextDouble() * 180;
        Arc2D.Double arc = new Arc2D.Double(-size, -size, size * 2, size * 2, start, extent, Arc2D.OPEN);
        return new BasicStroke((float) (size * 0.22), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
            .createStrokedShape(arc);
      }
    }
  }

  /** Small translucent dots scattered over the picture; hd gets several times more. */
  private static void paintSparkles(Graphics2D g, Palette palette, SplittableRandom rnd, int w, int h, int minSide,
      boolean detailed) {
    int count = (int) ((long) w * h / (detailed ? 2500 : 12000));
    double minR = Math.max(0.75, minSide / 400.0);
    double maxR = Math.max(1.5, minSide / 90.0);
    Ellipse2D.Double dot = new Ellipse2D.Double();
    for (int i = 0; i < count; i++) {
      int c = mix(palette.pick(rnd), 0xFFFFFF, 0.4);
      double r = minR + rnd.nextDouble() * (maxR - minR);
      dot.setFrame(rnd.nextDouble() * w - r, rnd.nextDouble() * h - r, r * 2, r * 2);
      g.setPaint(new Color(c | (60 + rnd.nextInt(110)) << 24, true));
      g.fill(dot);
    }
  }

  /**
   * Film grain: one pixel in {@code densityMask + 1} gets its luminance nudged by 1 or 2 levels.
   * Sparse grain adds fine texture (and PNG bytes) in proportion to the area without swamping
   * the picture. Fully transparent pixels are left alone so transparent backgrounds stay clean.
   */
  private static void applyGrain(BufferedImage image, long seed, int densityMask, boolean alpha) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] px = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    for (int y = 0; y < h; y++) {
      long row = seed + y * 0x9E3779B97F4A7C15L;
      int off = y * w;
      for (int x = 0; x < w; x++) {
        long hash = mix64(row + x * 0xC2B2AE3D27D4EB4FL);
        int p = px[off + x];
        if ((hash & densityMask) != 0 || (alpha && (p >>> 24) == 0)) {
          continue;
        }
        int n = GRAIN_STEPS[(int) (hash >>> 62)];
        int r = clamp(((p >> 16) & 0xFF) + n);
        int gr = clamp(((p >> 8) & 0xFF) + n);
        int b = clamp((p & 0xFF) + n);
        px[off + x] = (p & 0xFF000000) | r << 16 | gr << 8 | b;
      }
    }
  }

  /** The prompt on a translucent band near the bottom, word-wrapped to the width. */
  private static void paintCaption(Graphics2D g, String prompt, int w, int h) {
    String text = prompt.strip();
    if (text.isEmpty()) {
      return;
    }
    int fontSize = Math.max(9, Math.min(96, Math.round(Math.min(w, h) / 24f)));
    try {
      Font font = new Font(Font.SANS_SERIF, Font.BOLD, fontSize);
      FontMetrics fm = g.getFontMetrics(font);
      int pad = Math.max(3, fontSize / 2);
      int lineHeight = Math.max(1, fm.getHeight());
      int maxLines = Math.max(1, Math.min(4, (int) (h * 0.3 / lineHeight)));
      List<String> lines = wrap(text, fm, w - 2 * pad, maxLines);
      int bandHeight = lines.size() * lineHeight + 2 * pad;
      int bandY = h - bandHeight;
      g.setPaint(new Color(0, 0, 0, 120));
      g.fillRect(0, bandY, w, bandHeight);
      g.setFont(font);
      g.setPaint(new Color(255, 255, 255, 235));
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        int x = Math.max(pad, (w - fm.stringWidth(line)) / 2);
        g.drawString(line, x, bandY + pad + fm.getAscent() + i * lineHeight);
      }
    } catch (RuntimeException | LinkageError | InternalError e) {
      // No usable fonts (e.g. a slim image without fontconfig): the picture is still valid uncaptioned.
    }
  }

  /** Greedy word wrap; over-long words are broken by characters, overflow ends in "...". */
  private static List<String> wrap(String text, FontMetrics fm, int maxWidth, int maxLines) {
    List<String> lines = new ArrayList<>();
    String line = "";
    boolean truncated = false;
    Iterator<String> it = List.of(text.split("\\s+")).iterator();
    while (it.hasNext() && !truncated) {
      String word = it.next();
      String candidate = line.isEmpty() ? word : line + " " + word;
      if (fm.stringWidth(candidate) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (!line.isEmpty()) {
        lines.add(line);
      }
      line = word;
      while (fm.stringWidth(line) > maxWidth && line.codePointCount(0, line.length()) > 1) {
        // Longest prefix that fits, but at least one code point so the loop always advances.
        int cut = line.offsetByCodePoints(0, 1);
        while (cut < line.length()) {
          int next = line.offsetByCodePoints(cut, 1);
          if (fm.stringWidth(line.substring(0, next)) > maxWidth) {
            break;
          }
          cut = next;
        }
        lines.add(line.substring(0, cut));
        line = line.substring(cut);
        if (lines.size() >= maxLines) {
          break;
        }
      }
      truncated = lines.size() >= maxLines;
    }
    if (!line.isEmpty()) {
      lines.add(line);
    }
    if (lines.size() > maxLines || truncated) {
      List<String> kept = new ArrayList<>(lines.subList(0, Math.min(maxLines, lines.size())));
      String last = kept.get(kept.size() - 1);
      while (!last.isEmpty() && fm.stringWidth(last + "...") > maxWidth) {
        last = last.substring(0, last.offsetByCodePoints(last.length(), -1));
      }
      kept.set(kept.size() - 1, last.strip() + "...");
      return kept;
    }
    return lines;
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  private static byte[] encodePng(BufferedImage image) {
    ImageWriter writer = writer("png");
    return write(writer, image, null);
  }

  private static byte[] encodeJpeg(BufferedImage image, Integer compression) {
    ImageWriter writer = writer("jpeg");
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(
        compression == null ? DEFAULT_JPEG_QUALITY : Math.max(0, Math.min(100, compression)) / 100f);
    return write(writer, image, param);
  }

  private static ImageWriter writer(String format) {
    // A fresh writer per call: ImageWriter instances are not thread-safe.
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
    if (!writers.hasNext()) {
      throw new IllegalStateException("no ImageIO writer for " + format);
    }
    return writers.next();
  }

  private static byte[] write(ImageWriter writer, BufferedImage image, ImageWriteParam param) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, image.getWidth() * image.getHeight() / 2));
    // Memory cache, not ImageIO's default temp file, and without touching the global ImageIO.setUseCache.
    try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException("encoding the rendered image failed", e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------------------------------------
  // Colour and hash helpers

  /** A saturated, mid-bright colour whose hue comes from {@code hash}. */
  private static int hashColour(int hash) {
    float hue = (hash & 0xFFFF) / 65536f;
    float sat = 0.55f + ((hash >>> 16) & 0xFF) / 255f * 0.3f;
    float bri = 0.6f + ((hash >>> 24) & 0xFF) / 255f * 0.3f;
    return Color.HSBtoRGB(hue, sat, bri) & 0xFFFFFF;
  }

  /** Small saturation/brightness variation, never a hue shift, so greys and whites stay neutral. */
  private static int jitter(int rgb, SplittableRandom rnd) {
    float[] hsb = Color.RGBtoHSB((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, null);
    float sat = Math.min(1f, hsb[1] * (float) (0.9 + rnd.nextDouble() * 0.2));
    float bri = Math.max(0f, Math.min(1f, hsb[2] + (float) ((rnd.nextDouble() - 0.5) * 0.12)));
    return Color.HSBtoRGB(hsb[0], sat, bri) & 0xFFFFFF;
  }

  private static int mix(int a, int b, double t) {
    int r = (int) Math.round(((a >> 16) & 0xFF) * (1 - t) + ((b >> 16) & 0xFF) * t);
    int g = (int) Math.round(((a >> 8) & 0xFF) * (1 - t) + ((b >> 8) & 0xFF) * t);
    int bl = (int) Math.round((a & 0xFF) * (1 - t) + (b & 0xFF) * t);
    return r << 16 | g << 8 | bl;
  }

  private static double luminance(int rgb) {
    return (0.2126 * ((rgb >> 16) & 0xFF) + 0.7152 * ((rgb >> 8) & 0xFF) + 0.0722 * (rgb & 0xFF)) / 255;
  }

  private static int clamp(int v) {
    return v < 0 ? 0 : Math.min(v, 255);
  }

  private static int mix32(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }

  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
