package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * One row of a service's contract table: a request a portal (or a confused peer) could send, and
 * the refusal it must get: status, problem type and the field the detail names.
 *
 * @param name what the row tries, shown in the test report
 * @param method HTTP method
 * @param path raw path (percent-encoding kept as written)
 * @param contentType Content-Type, or null
 * @param body request body, or null
 * @param headers extra headers
 * @param status expected status
 * @param type expected problem type slug
 * @param field expected field, or null when the refusal names none
 */
public record BadRequest(
    String name,
    String method,
    String path,
    String contentType,
    byte[] body,
    Map<String, String> headers,
    int status,
    String type,
    String field) {

  /**
   * 64 characters of an id echoed at most (plus the path before it and the "...(N chars)" mark).
   */
  private static final Pattern LONG_ECHO = Pattern.compile("\\S{100,}");

  /** A JSON request; complete it with {@link #is}. */
  public static BadRequest json(String name, String method, String path, String body) {
    return new BadRequest(
        name, method, path, "application/json", body.getBytes(), Map.of(), 0, null, null);
  }

  /** A request without a body. */
  public static BadRequest bare(String name, String method, String path) {
    return new BadRequest(name, method, path, null, null, Map.of(), 0, null, null);
  }

  public BadRequest header(String header, String value) {
    return new BadRequest(
        name, method, path, contentType, body, Map.of(header, value), status, type, field);
  }

  public BadRequest contentType(String type) {
    return new BadRequest(name, method, path, type, body, headers, status, this.type, field);
  }

  /** The refusal this row expects. */
  public BadRequest is(int status, String type, String field) {
    return new BadRequest(name, method, path, contentType, body, headers, status, type, field);
  }

  @Override
  public String toString() {
    return name + " -> " + status + " " + type + (field == null ? "" : " (" + field + ")");
  }

  /** Sends the row and checks the refusal. */
  public Http.Reply check(Http api) {
    Http.Reply r = api.send(method, path, contentType, body, headers);
    String shown = r.body().length() > 500 ? r.body().substring(0, 500) + "..." : r.body();
    assertThat(r.status()).as("%s: %s", name, shown).isEqualTo(status);
    assertThat(r.isProblem()).as("%s is a problem document: %s", name, r.contentType()).isTrue();
    var doc = r.json();
    assertThat(doc.get("type").asString())
        .as("%s: %s", name, shown)
        .isEqualTo("https://coloha.dev/problems/" + type);
    assertThat(doc.get("status").asInt()).isEqualTo(status);
    String detail = doc.get("detail").asString();
    if (field != null) {
      assertThat(doc.get("field")).as("%s names a field: %s", name, shown).isNotNull();
      assertThat(doc.get("field").asString()).as(name).isEqualTo(field);
      assertThat(detail).as("%s: the detail names the field", name).startsWith(field + ":");
    }
    assertThat(LONG_ECHO.matcher(detail).find())
        .as("%s echoes nothing long: %s", name, shown)
        .isFalse();
    if (doc.get("instance") != null) {
      assertThat(LONG_ECHO.matcher(doc.get("instance").asString()).find())
          .as("%s echoes no long path: %s", name, shown)
          .isFalse();
    }
    return r;
  }
}
