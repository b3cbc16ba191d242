package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import tools.jackson.databind.JsonNode;

/** Assertions on the RFC 9457 problem documents every service answers a refusal with. */
public final class Problems {
  private Problems() {}

  /**
   * Asserts that a reply is a problem document of this status and type ({@code
   * https://coloha.dev/problems/<type>}) with a detail, and returns the document.
   */
  public static JsonNode assertProblem(Http.Reply r, int status, String type) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.isProblem()).as("a problem document: %s", r.contentType()).isTrue();
    JsonNode p = r.json();
    assertThat(p.path("type").asString())
        .as(r.body())
        .isEqualTo("https://coloha.dev/problems/" + type);
    assertThat(p.path("status").asInt()).as(r.body()).isEqualTo(status);
    assertThat(p.path("detail").asString()).as(r.body()).isNotBlank();
    return p;
  }
}
