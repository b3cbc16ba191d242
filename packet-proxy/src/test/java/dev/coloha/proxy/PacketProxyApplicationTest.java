package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void reportsHealthAndPrometheusMetrics() throws Exception {
    assertThat(get("/actuator/health").body()).contains("\"status\":\"UP\"");
    HttpResponse<String> metrics = get("/actuator/prometheus");
    assertThat(metrics.statusCode()).isEqualTo(200);
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
    HttpResponse<String> r = get("/v1/no-such-thing");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
  }
}
