package dev.coloha.mirror;

import dev.coloha.testkit.spring.OpenApiDescriptionCheck;
import dev.coloha.testkit.spring.TemporaryDataDir;

/** docs/api/disk-mirror.openapi.json must match the controllers. */
@TemporaryDataDir("colo.mirror.data-dir")
class OpenApiDescriptionTest extends OpenApiDescriptionCheck {
  OpenApiDescriptionTest() {
    super("disk-mirror");
  }
}
