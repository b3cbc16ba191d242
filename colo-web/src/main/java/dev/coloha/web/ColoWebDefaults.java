package dev.coloha.web;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Defaults every COLO HA service shares, below everything a service or an operator configures:
 * Tomcat does not log a stack trace for a client's malformed request (it answers a problem
 * document, see {@link dev.coloha.web.tomcat.ProblemReportValve}).
 */
public final class ColoWebDefaults implements EnvironmentPostProcessor {
  static final Map<String, Object> DEFAULTS =
      Map.of("logging.level.org.apache.coyote.http11.Http11Processor", "warn");

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    environment.getPropertySources().addLast(new MapPropertySource("colo-web-defaults", DEFAULTS));
  }
}
