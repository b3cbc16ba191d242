package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

  /**
   * The rows every service's API shares, whatever its resources: the server's limits (a 1.5 MB
   * body, a 9,000-character path or header), the shared error handling (broken JSON, a text body, a
   * wrong method, an unknown path) and the path rules (an encoded slash in an id, a long unknown id
   * not echoed in full). A service's contract table is its own rows plus these.
   *
   * @param collection the path of the service's main collection, e.g. {@code /v1/volumes}
   * @param createMethod the method that creates a resource ({@code POST}, or {@code PUT})
   * @param createPath the path it is sent to
   * @param valid a valid JSON object for that request (the 1.5 MB and text rows start from it)
   * @param notFound the problem type of an unknown id in the collection
   */
  public static Stream<BadRequest> everyService(
      String collection, String createMethod, String createPath, String valid, String notFound) {
    if (!valid.startsWith("{")) {
      throw new IllegalArgumentException("a JSON object: " + valid);
    }
    String padded = "{\"pad\":\"" + "x".repeat(1_500_000) + "\"," + valid.substring(1);
    return Stream.of(
        json("1.5 MB body with an unknown field", createMethod, createPath, padded)
            .is(413, "body-too-large", "body"),
        json("broken JSON", createMethod, createPath, "{\"id\":").is(400, "malformed-body", "body"),
        json("text body", createMethod, createPath, valid)
            .contentType("text/plain")
            .is(415, "unsupported-media-type", "Content-Type"),
        bare("encoded slash in an id", "GET", collection + "/..%2Fx")
            .is(400, "invalid-path", "path"),
        bare("9,000-character id in the path", "GET", collection + "/" + "a".repeat(9_000))
            .is(400, "request-head-too-large", "headers"),
        bare("9,000-character header", "GET", collection)
            .header("X-Big", "b".repeat(9_000))
            .is(400, "request-head-too-large", "headers"),
        bare("5,000-character unknown id", "GET", collection + "/" + "a".repeat(5_000))
            .is(404, notFound, null),
        bare("wrong method", "PATCH", collection).is(405, "method-not-allowed", "method"),
        bare("unknown path", "GET", "/v1/nothing").is(404, "not-found", "path"));
  }

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
