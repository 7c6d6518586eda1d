package dev.gencache.image;

/** {@code If-None-Match} evaluation with the weak comparison RFC 9110 §13.1.2 prescribes. */
final class EntityTags {
  private EntityTags() {}

  /** True when {@code ifNoneMatch} names {@code id}'s entity tag (weak or strong) or is {@code *}. */
  static boolean matches(String ifNoneMatch, String id) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String tag = candidate.trim();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.length() == id.length() + 2 && tag.charAt(0) == '"' && tag.endsWith("\"")
          && tag.regionMatches(1, id, 0, id.length())) {
        return true;
      }
    }
    return false;
  }
}
