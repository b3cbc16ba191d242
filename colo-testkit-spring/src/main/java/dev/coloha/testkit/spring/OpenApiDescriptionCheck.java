package dev.coloha.testkit.spring;

import dev.coloha.testkit.OpenApiSnapshot;
import org.junit.jupiter.api.Test;

/**
 * A service's committed OpenAPI description, {@code docs/api/<service>.openapi.json}, equal to what
 * its controllers serve ({@link OpenApiSnapshot}). A service's {@code OpenApiDescriptionTest} names
 * the service and its data directory.
 */
public abstract class OpenApiDescriptionCheck extends ServiceOnRandomPort {
  private final String service;

  /**
   * @param service the module's name, e.g. {@code replica-agent}
   */
  protected OpenApiDescriptionCheck(String service) {
    this.service = service;
  }

  @Test
  void committedDescriptionMatchesTheControllers() throws Exception {
    OpenApiSnapshot.check(port, service);
  }
}
