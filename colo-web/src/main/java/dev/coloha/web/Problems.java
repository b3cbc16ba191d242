package dev.coloha.web;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.json.JsonMapper;

/**
 * What every problem document of COLO HA has in common: the type base, the echo limit (nothing a
 * client sent comes back longer than {@link #MAX_ECHO} characters at a stretch), and a writer for
 * the places outside Spring MVC (filters, Tomcat's error report).
 */
public final class Problems {
  public static final String TYPE_BASE = "https://coloha.dev/problems/";
  public static final String MEDIA_TYPE = "application/problem+json";

  /** Longest run of non-blank characters echoed back (an id, a path segment, a value). */
  public static final int MAX_ECHO = 64;

  /** Longest detail (several fields may be named). */
  public static final int MAX_DETAIL = 1024;

  private static final Pattern LONG_WORD = Pattern.compile("\\S{" + (MAX_ECHO + 1) + ",}");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Problems() {}

  public static URI type(String slug) {
    return URI.create(TYPE_BASE + slug);
  }

  /**
   * The text with every run of more than {@link #MAX_ECHO} non-blank characters cut to that length
   * (marked with "...(N chars)"), and the whole cut to {@link #MAX_DETAIL} characters.
   */
  public static String cut(String text) {
    if (text == null) {
      return null;
    }
    Matcher m = LONG_WORD.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String word = m.group();
      m.appendReplacement(
          out,
          Matcher.quoteReplacement(
              word.substring(0, MAX_ECHO) + "...(" + word.length() + " chars)"));
    }
    m.appendTail(out);
    return out.length() > MAX_DETAIL ? out.substring(0, MAX_DETAIL) + "..." : out.toString();
  }

  /** Writes a problem document straight to a servlet response (outside Spring MVC). */
  public static void write(
      HttpServletResponse response,
      int status,
      String slug,
      String field,
      String detail,
      String instance)
      throws IOException {
    response.setStatus(status);
    response.setContentType(MEDIA_TYPE);
    response.setCharacterEncoding("UTF-8");
    response.getOutputStream().write(body(status, slug, field, detail, instance));
  }

  /** A problem document as JSON bytes. */
  public static byte[] body(int status, String slug, String field, String detail, String instance) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("type", TYPE_BASE + slug);
    doc.put("title", ProblemAdvice.title(slug));
    doc.put("status", status);
    doc.put("detail", cut(detail));
    if (instance != null) {
      doc.put("instance", cut(instance));
    }
    if (field != null) {
      doc.put("field", field);
    }
    return JSON.writeValueAsBytes(doc);
  }
}
