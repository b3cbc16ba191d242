package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.spring.ServiceApplicationCheck;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.tomcat.metrics.TomcatMetricsBinder;
import org.springframework.context.ApplicationContext;

/** The packet proxy boots: health, Prometheus metrics, problem documents, no Tomcat metrics. */
class PacketProxyApplicationTest extends ServiceApplicationCheck {
  @Autowired ApplicationContext context;

  /**
   * No Tomcat metrics binder: it would create the platform MBean server right after the start, on a
   * restarted proxy's critical path (the coordinator giving it its groups back).
   */
  @Test
  void bindsNoTomcatMetricsThatWouldCreateThePlatformMBeanServerAtStart() throws Exception {
    assertThat(context.getBeanNamesForType(TomcatMetricsBinder.class)).isEmpty();
    assertThat(api.get("/actuator/prometheus").body()).doesNotContain("tomcat_");
  }
}
