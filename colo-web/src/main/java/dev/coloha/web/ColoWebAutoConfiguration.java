package dev.coloha.web;

import dev.coloha.web.heartbeat.CoordinatorHeartbeat;
import dev.coloha.web.heartbeat.HeartbeatFacts;
import dev.coloha.web.heartbeat.HeartbeatGate;
import dev.coloha.web.heartbeat.HeartbeatProperties;
import dev.coloha.web.limits.ApiProperties;
import dev.coloha.web.limits.JsonBodyLimitFilter;
import dev.coloha.web.openapi.ApiDescription;
import dev.coloha.web.openapi.ApiDocProperties;
import dev.coloha.web.openapi.ApiOperations;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import dev.coloha.web.tomcat.ProblemReportCustomizer;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.models.OpenAPI;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import tools.jackson.databind.DeserializationFeature;

/**
 * Plumbing every COLO HA service gets by depending on colo-web: problem details, heartbeats to the
 * coordinator, the OpenAPI description's common parts (a service that declares its {@link
 * ApiOperations} gets the whole {@link ApiDescription}). Ordered before Spring MVC's
 * auto-configuration so that our {@link ProblemAdvice} replaces Boot's default problem handler.
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@Import(ProblemAdvice.class)
@EnableConfigurationProperties({
  SecurityProperties.class,
  HeartbeatProperties.class,
  ApiDocProperties.class,
  ApiProperties.class
})
public class ColoWebAutoConfiguration {
  /** Right after Spring Security's filter chain. */
  static final int JSON_BODY_LIMIT_ORDER = SecurityFilterProperties.DEFAULT_FILTER_ORDER + 10;

  @Bean
  ServiceToken serviceToken(SecurityProperties props) {
    return new ServiceToken(props);
  }

  /**
   * JSON bodies larger than colo.api.max-json-body are refused (413), after authentication (Spring
   * Security's filter runs at {@code spring.security.filter.order}, -100 by default).
   */
  @Bean
  FilterRegistrationBean<JsonBodyLimitFilter> jsonBodyLimitFilter(
      ApiProperties props, MeterRegistry registry) {
    FilterRegistrationBean<JsonBodyLimitFilter> reg =
        new FilterRegistrationBean<>(new JsonBodyLimitFilter(props, registry));
    reg.setOrder(JSON_BODY_LIMIT_ORDER);
    return reg;
  }

  /**
   * Request bodies are read strictly: an unknown field or a fraction where an integer belongs is
   * refused (naming the field), never ignored or rounded. Runs after Spring Boot's own customizer.
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  JsonMapperBuilderCustomizer strictRequestBodies() {
    return builder ->
        builder
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
  }

  /** What Tomcat refuses before any servlet runs is a problem document too. */
  @Bean
  @ConditionalOnClass(name = "org.apache.catalina.valves.ErrorReportValve")
  ProblemReportCustomizer problemReportCustomizer(MeterRegistry registry) {
    return new ProblemReportCustomizer(registry);
  }

  /**
   * Always a bean; it beats only when {@code colo.heartbeat.coordinator-url} is set. Decided when
   * it starts, not by a condition: Spring's build-time AOT (the proxy's {@code process-aot}) fixes
   * every condition with the build's properties, where no coordinator URL is set.
   */
  @Bean
  CoordinatorHeartbeat coordinatorHeartbeat(
      HeartbeatProperties props,
      ServiceToken token,
      ObjectProvider<HeartbeatFacts> facts,
      ObjectProvider<HeartbeatGate> gate) {
    return new CoordinatorHeartbeat(
        props, token, facts.getIfAvailable(() -> Map::of), gate.getIfAvailable(() -> () -> {}));
  }

  @Bean
  @ConditionalOnMissingBean(OpenAPI.class)
  OpenAPI coloOpenApi(ApiDocProperties props) {
    return ApiDescription.base(props);
  }

  @Bean
  @ConditionalOnBean(ApiOperations.class)
  ApiDescription coloApiDescription(ApiDocProperties props, ApiOperations operations) {
    return new ApiDescription(props, operations);
  }
}
