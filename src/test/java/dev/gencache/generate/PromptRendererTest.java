package dev.gencache.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gencache.image.ImageRequest;
import dev.gencache.image.ImageSize;
import dev.gencache.image.OutputFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PromptRendererTest {

  private static final String FOX = "a red fox in the snow";
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private final PromptRenderer renderer = new PromptRenderer();

  private static ImageRequest request(String prompt, int width, int height, OutputFormat format) {
    return new ImageRequest("embedded", "embedded", prompt, null, new ImageSize(width, height), null, null, 7L, 1,
        format, null, null);
  }

  private static ImageRequest png(String prompt) {
    return request(prompt, 256, 256, OutputFormat.PNG);
  }

  private static ImageRequest with(ImageRequest r, String negativePrompt, Long seed, Integer compression,
      String background) {
    return new ImageRequest(r.generator(), r.model(), r.prompt(), negativePrompt, r.size(), r.quality(), r.style(),
        seed, r.n(), r.outputFormat(), compression, background);
  }

  private static BufferedImage decode(byte[] bytes) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    assertThat(image).as("ImageIO decodes the output").isNotNull();
    return image;
  }

  /** Mean of the red, green, blue channels over a grid of sampled pixels. */
  private static double[] meanRgb(BufferedImage image) {
    double[] sum = new double[3];
    int count = 0;
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        int p = image.getRGB(x, y);
        sum[0] += (p >> 16) & 0xFF;
        sum[1] += (p >> 8) & 0xFF;
        sum[2] += p & 0xFF;
        count++;
      }
    }
    for (int i = 0; i < 3; i++) {
      sum[i] /= count;
    }
    return sum;
  }

  private static int minAlpha(BufferedImage image) {
    int min = 255;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        min = Math.min(min, image.getRGB(x, y) >>> 24);
      }
    }
    return min;
  }

  @Test
  void decodesToTheRequestedSizeInBothFormats() throws IOException {
    int[][] sizes = {{64, 64}, {256, 256}, {512, 512}, {1024, 1536}, {1536, 64}};
    for (int[] size : sizes) {
      for (OutputFormat format : OutputFormat.values()) {
        BufferedImage image = decode(renderer.render(request(FOX, size[0], size[1], format), 0));
        assertThat(new int[] {image.getWidth(), image.getHeight()})
            .as("%dx%d %s", size[0], size[1], format)
            .containsExactly(size[0], size[1]);
      }
    }
  }

  @Test
  void rendersTheLargestSize() throws IOException {
    byte[] bytes = renderer.render(request(FOX, 2048, 2048, OutputFormat.PNG), 0);
    BufferedImage image = decode(bytes);
    assertThat(image.getWidth()).isEqualTo(2048);
    assertThat(image.getHeight()).isEqualTo(2048);
  }

  @Test
  void encodingMatchesTheRequestedFormat() throws IOException {
    byte[] png = renderer.render(png(FOX), 0);
    assertThat(Arrays.copyOf(png, 8)).containsExactly(PNG_SIGNATURE);

    byte[] jpeg = renderer.render(request(FOX, 256, 256, OutputFormat.JPEG), 0);
    assertThat(Arrays.copyOf(jpeg, 3)).containsExactly(0xFF, 0xD8, 0xFF);
    assertThat(decode(jpeg).getColorModel().hasAlpha()).isFalse();
  }

  @Test
  void sameInputGivesIdenticalBytes() {
    ImageRequest req = png(FOX);
    byte[] first = renderer.render(req, 1);
    assertThat(renderer.render(req, 1)).isEqualTo(first);
    assertThat(new PromptRenderer().render(req, 1)).as("a fresh instance").isEqualTo(first);

    ImageRequest jpeg = request(FOX, 200, 120, OutputFormat.JPEG);
    assertThat(renderer.render(jpeg, 0)).isEqualTo(renderer.render(jpeg, 0));
  }

  @Test
  void modelAndGeneratorDoNotChangeThePixels() {
    ImageRequest req = png(FOX);
    ImageRequest other = new ImageRequest("remote", "some-model", req.prompt(), null, req.size(), null, null, 7L, 3,
        OutputFormat.PNG, null, null);
    assertThat(renderer.render(other, 0)).isEqualTo(renderer.render(req, 0));
  }

  @Test
  void concurrentRendersAreIdentical() throws Exception {
    ImageRequest req = png("purple mountains under a gold moon");
    byte[] expected = renderer.render(req, 2);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> renderer.render(req, 2)));
      }
      for (Future<byte[]> result : results) {
        assertThat(result.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void differentPromptGivesDifferentBytes() {
    assertThat(renderer.render(png("a blue whale"), 0)).isNotEqualTo(renderer.render(png(FOX), 0));
  }

  @Test
  void differentVariantGivesDifferentBytes() {
    ImageRequest req = png(FOX);
    byte[] v0 = renderer.render(req, 0);
    byte[] v1 = renderer.render(req, 1);
    byte[] v2 = renderer.render(req, 2);
    assertThat(v1).isNotEqualTo(v0);
    assertThat(v2).isNotEqualTo(v0).isNotEqualTo(v1);
  }

  @Test
  void differentSeedGivesDifferentBytes() {
    ImageRequest req = png(FOX);
    byte[] seven = renderer.render(req, 0);
    assertThat(renderer.render(with(req, null, 8L, null, null), 0)).isNotEqualTo(seven);
    assertThat(renderer.render(with(req, null, null, null, null), 0)).isNotEqualTo(seven);
  }

  @Test
  void colourWordsDriveThePalette() throws IOException {
    double[] fox = meanRgb(decode(renderer.render(request(FOX, 512, 512, OutputFormat.PNG), 0)));
    assertThat(fox[0]).as("red fox: mean red vs blue").isGreaterThan(fox[2] + 25);

    double[] ocean = meanRgb(decode(renderer.render(request("blue ocean", 512, 512, OutputFormat.PNG), 0)));
    assertThat(ocean[2]).as("blue ocean: mean blue vs red").isGreaterThan(ocean[0] + 25);
  }

  @Test
  void colourDominanceHoldsAcrossVariantsAndSeeds() throws IOException {
    for (int variant = 0; variant < 4; variant++) {
      ImageRequest req = with(png(FOX), null, (long) variant * 31, null, null);
      double[] rgb = meanRgb(decode(renderer.render(req, variant)));
      assertThat(rgb[0]).as("variant %d", variant).isGreaterThan(rgb[2] + 15);
    }
  }

  @Test
  void negativePromptChangesOutputAndRemovesItsColours() throws IOException {
    ImageRequest fox = png(FOX);
    assertThat(renderer.render(with(fox, "snow", 7L, null, null), 0)).isNotEqualTo(renderer.render(fox, 0));

    // Without "red" only "blue" is left to colour the picture.
    ImageRequest balloons = png("red and blue balloons");
    double[] both = meanRgb(decode(renderer.render(balloons, 0)));
    double[] blueOnly = meanRgb(decode(renderer.render(with(balloons, "red", 7L, null, null), 0)));
    assertThat(blueOnly[2]).isGreaterThan(blueOnly[0] + 25);
    assertThat(blueOnly[0]).as("less red once red is negated").isLessThan(both[0] - 10);
  }

  @Test
  void transparentBackgroundOnlyForPngWhenAsked() throws IOException {
    ImageRequest req = png(FOX);
    BufferedImage transparent = decode(renderer.render(with(req, null, 7L, null, "transparent"), 0));
    assertThat(transparent.getColorModel().hasAlpha()).isTrue();
    assertThat(minAlpha(transparent)).isLessThan(255);

    assertThat(minAlpha(decode(renderer.render(req, 0)))).isEqualTo(255);
    assertThat(minAlpha(decode(renderer.render(with(req, null, 7L, null, "opaque"), 0)))).isEqualTo(255);
  }

  @Test
  void jpegQualityFollowsOutputCompression() {
    ImageRequest req = request(FOX, 512, 512, OutputFormat.JPEG);
    byte[] low = renderer.render(with(req, null, 7L, 20, null), 0);
    byte[] high = renderer.render(with(req, null, 7L, 95, null), 0);
    assertThat(low.length).isLessThan(high.length);
  }

  @Test
  void negativeVariantIsRejected() {
    assertThatThrownBy(() -> renderer.render(png(FOX), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("variant");
  }
}
