package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
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

  private Http.Reply get(String path) {
    return Http.loopback(port, null).get(path);
  }

  @Test
  void reportsHealthAndPrometheusMetrics() throws Exception {
    assertThat(get("/actuator/health").body()).contains("\"status\":\"UP\"");
    Http.Reply metrics = get("/actuator/prometheus");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }

  /**
   * No Tomcat metrics binder: it would create the platform MBean server right after the start, on a
   * restarted proxy's critical path (the coordinator giving it its groups back).
   */
  @Test
  void bindsNoTomcatMetricsThatWouldCreateThePlatformMBeanServerAtStart() throws Exception {
    assertThat(context.getBeanNamesForType(TomcatMetricsBinder.class)).isEmpty();
    assertThat(get("/actuator/prometheus").body()).doesNotContain("tomcat_");
  }

  @Test
  void answersUnknownPathsWithProblemDetails() throws Exception {
    Http.Reply r = get("/v1/no-such-thing");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.contentType()).startsWith("application/problem+json");
  }
}
