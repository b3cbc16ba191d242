package dev.coloha.agent;

import dev.coloha.testkit.spring.OpenApiDescriptionCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** docs/api/replica-agent.openapi.json must match the controllers. */
@TemporaryDataDir("colo.agent.data-dir")
class OpenApiDescriptionTest extends OpenApiDescriptionCheck {
  OpenApiDescriptionTest() {
    super("replica-agent");
  }
}
