package dev.coloha.web.security;

import java.util.Map;

/** The headers a service puts on its calls to other COLO HA services. */
public final class ServiceToken {
  private final Map<String, String> headers;

  public ServiceToken(SecurityProperties props) {
    this.headers = props.enabled() ? Map.of("Authorization", "Bearer " + props.token()) : Map.of();
  }

  /** Header name to value; empty when authentication is off. */
  public Map<String, String> headers() {
    return headers;
  }
}
