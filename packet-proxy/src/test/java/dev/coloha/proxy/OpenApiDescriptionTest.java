package dev.coloha.proxy;

import dev.coloha.testkit.spring.OpenApiDescriptionCheck;

/** docs/api/packet-proxy.openapi.json matches the controllers. */
class OpenApiDescriptionTest extends OpenApiDescriptionCheck {
  OpenApiDescriptionTest() {
    super("packet-proxy");
  }
}
