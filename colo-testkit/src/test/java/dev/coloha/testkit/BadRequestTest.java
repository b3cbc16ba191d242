package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contract rows every service shares, as {@link BadRequest#everyService} builds them. */
class BadRequestTest {
  private final List<BadRequest> rows =
      BadRequest.everyService(
              "/v1/volumes", "POST", "/v1/volumes", "{\"id\":\"v\"}", "volume-not-found")
          .toList();

  @Test
  void everyRowHasARefusalAndADistinctName() {
    assertThat(rows).hasSize(9);
    assertThat(rows).allSatisfy(r -> assertThat(r.status()).isBetween(400, 499));
    assertThat(rows.stream().map(BadRequest::name).distinct()).hasSize(rows.size());
  }

  @Test
  void theLargeBodyIsTheValidOneWithAnUnknownPadOverTheLimit() {
    BadRequest big = row("1.5 MB body with an unknown field");
    String body = new String(big.body(), StandardCharsets.UTF_8);
    assertThat(body).startsWith("{\"pad\":\"xxx").endsWith("\",\"id\":\"v\"}");
    assertThat(body.length()).isGreaterThan(1_500_000);
    assertThat(big.status()).isEqualTo(413);
    assertThat(row("text body").contentType()).isEqualTo("text/plain");
    assertThat(row("5,000-character unknown id").type()).isEqualTo("volume-not-found");
  }

  @Test
  void aValidBodyMustBeAJsonObject() {
    assertThatThrownBy(() -> BadRequest.everyService("/v1/x", "POST", "/v1/x", "[]", "not-found"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private BadRequest row(String name) {
    return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }
}
