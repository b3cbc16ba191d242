package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

/** What every service's management endpoints must show, whichever service it is. */
public final class Actuator {
  private Actuator() {}

  /**
   * The service reports itself UP on {@code /actuator/health} and serves JVM metrics in the
   * Prometheus format on {@code /actuator/prometheus}.
   */
  public static void assertServing(Http api) {
    assertThat(api.get("/actuator/health").body()).contains("\"status\":\"UP\"");
    Http.Reply metrics = api.get("/actuator/prometheus");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }
}
