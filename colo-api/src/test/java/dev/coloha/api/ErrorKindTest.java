package dev.coloha.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class ErrorKindTest {
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void everySlugIsLowerCaseWordsAndNamesItsKindAgain() {
    for (ErrorKind k : ErrorKind.values()) {
      assertThat(k.slug()).matches("[a-z]+(-[a-z]+)*");
      assertThat(k.slug()).isEqualTo(k.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      assertThat(ErrorKind.ofSlug(k.slug())).contains(k);
    }
    assertThat(Arrays.stream(ErrorKind.values()).map(ErrorKind::slug).distinct())
        .hasSize(ErrorKind.values().length);
  }

  @Test
  void statusesAreTheOnesTheServicesAnswerWith() {
    assertThat(ErrorKind.statusOf("stale-epoch")).isEqualTo(409);
    assertThat(ErrorKind.statusOf("group-not-found")).isEqualTo(404);
    assertThat(ErrorKind.statusOf("disk-unavailable")).isEqualTo(503);
    assertThat(ErrorKind.statusOf("timeout")).isEqualTo(504);
    assertThat(ErrorKind.statusOf("limit-exceeded")).isEqualTo(422);
    assertThat(ErrorKind.statusOf("http-502")).isEqualTo(ErrorKind.UNLISTED_STATUS);
    assertThat(ErrorKind.ofSlug("http-502")).isEmpty();
    assertThat(ErrorKind.ofSlug(null)).isEmpty();
  }

  @Test
  void travelsAsItsSlug() {
    assertThat(json.writeValueAsString(ErrorKind.CHECKPOINT_MISMATCH))
        .isEqualTo("\"checkpoint-mismatch\"");
    assertThat(json.readValue("\"resync-required\"", ErrorKind.class))
        .isEqualTo(ErrorKind.RESYNC_REQUIRED);
  }
}
