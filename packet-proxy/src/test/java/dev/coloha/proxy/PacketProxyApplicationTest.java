package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Actuator;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.Problems;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.tomcat.metrics.TomcatMetricsBinder;
import org.springframework.context.ApplicationContext;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
class PacketProxyApplicationTest {
  @LocalServerPort int port;
  @Autowired ApplicationContext context;

  private Http api() {
    return Http.loopback(port, null);
  }

  @Test
  void reportsHealthAndPrometheusMetrics() {
    Actuator.assertServing(api());
  }

  /**
   * No Tomcat metrics binder: it would create the platform MBean server right after the start, on a
   * restarted proxy's critical path (the coordinator giving it its groups back).
   */
  @Test
  void bindsNoTomcatMetricsThatWouldCreateThePlatformMBeanServerAtStart() throws Exception {
    assertThat(context.getBeanNamesForType(TomcatMetricsBinder.class)).isEmpty();
    assertThat(api().get("/actuator/prometheus").body()).doesNotContain("tomcat_");
  }

  @Test
  void answersUnknownPathsWithProblemDetails() {
    Problems.assertProblem(api().get("/v1/no-such-thing"), 404, "not-found");
  }
}
