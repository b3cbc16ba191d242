package dev.coloha.web.security;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Shared-token authentication ({@code colo.security.*}).
 *
 * @param token the shared token every API and inter-service call must carry as {@code
 *     Authorization: Bearer <token>}; when empty, authentication is off (a warning is logged at
 *     start-up). Health probes ({@code /actuator/health/**}) never need it.
 */
@ConfigurationProperties("colo.security")
public record SecurityProperties(String token) {
  public boolean enabled() {
    return token != null && !token.isBlank();
  }
}
