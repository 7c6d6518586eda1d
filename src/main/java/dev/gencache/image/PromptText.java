package dev.gencache.image;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Normalisation of prompt text, applied before a prompt reaches the key or a generator: Unicode NFC,
 * every run of whitespace (any Unicode space, tab or line break) collapsed to one space, trimmed;
 * case kept unless {@code lowercase} (config {@code cache.lowercase-prompts}).
 */
public final class PromptText {
  private static final Pattern WHITESPACE = Pattern.compile("[\\s\\p{Z}]+", Pattern.UNICODE_CHARACTER_CLASS);

  private PromptText() {}

  public static String normalize(String raw, boolean lowercase) {
    String nfc = Normalizer.normalize(raw, Normalizer.Form.NFC);
    String collapsed = WHITESPACE.matcher(nfc).replaceAll(" ").strip();
    return lowercase ? collapsed.toLowerCase(Locale.ROOT) : collapsed;
  }
}
