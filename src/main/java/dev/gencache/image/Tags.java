package dev.gencache.image;

import java.util.regex.Pattern;

/** Purge tags: safe in {@code Surrogate-Key}/{@code Cache-Tag} headers and in URLs. */
public final class Tags {
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
  public static final String RULE =
      "a tag is 1..64 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

  private Tags() {}

  public static boolean isValid(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }
}
