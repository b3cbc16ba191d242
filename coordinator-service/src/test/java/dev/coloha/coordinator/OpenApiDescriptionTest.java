package dev.coloha.coordinator;

import dev.coloha.testkit.spring.OpenApiDescriptionCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** docs/api/coordinator-service.openapi.json must match the controllers. */
@TemporaryDataDir("colo.coordinator.data-dir")
class OpenApiDescriptionTest extends OpenApiDescriptionCheck {
  OpenApiDescriptionTest() {
    super("coordinator-service");
  }
}
