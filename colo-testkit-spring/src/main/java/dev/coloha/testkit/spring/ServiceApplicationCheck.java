package dev.coloha.testkit.spring;

import dev.coloha.testkit.Actuator;
import dev.coloha.testkit.Problems;
import org.junit.jupiter.api.Test;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;

/**
 * A service's application as it boots: health UP and JVM metrics on {@code /actuator/prometheus}
 * ({@link Actuator#assertServing}), an unknown path answered with a 404 problem document. A
 * service's {@code *ApplicationTest} adds only its data directory and checks of its own.
 */
@AutoConfigureMetrics
public abstract class ServiceApplicationCheck extends ServiceOnRandomPort {
  @Test
  void reportsHealthAndPrometheusMetrics() {
    Actuator.assertServing(api);
  }

  @Test
  void answersUnknownPathsWithProblemDetails() {
    Problems.assertProblem(api.get("/v1/no-such-thing"), 404, "not-found");
  }
}
