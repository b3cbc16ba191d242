package dev.coloha.web.tomcat;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.catalina.Host;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Puts {@link ProblemReportValve} in place of every other error report valve of the host (Spring
 * Boot's own included: this customizer runs last).
 */
public final class ProblemReportCustomizer
    implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>, Ordered {
  private final MeterRegistry registry;

  public ProblemReportCustomizer(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void customize(ConfigurableTomcatWebServerFactory factory) {
    factory.addContextCustomizers(
        context -> {
          Host host = (Host) context.getParent();
          for (Valve v : host.getPipeline().getValves()) {
            if (v instanceof ErrorReportValve) {
              host.getPipeline().removeValve(v);
            }
          }
          host.getPipeline().addValve(new ProblemReportValve(registry));
          if (host instanceof StandardHost standard) {
            standard.setErrorReportValveClass(ProblemReportValve.class.getName());
          }
        });
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
