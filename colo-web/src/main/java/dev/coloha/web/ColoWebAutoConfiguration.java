package dev.coloha.web;

import dev.coloha.web.heartbeat.CoordinatorHeartbeat;
import dev.coloha.web.heartbeat.HeartbeatProperties;
import dev.coloha.web.openapi.ApiDescription;
import dev.coloha.web.openapi.ApiDocProperties;
import dev.coloha.web.openapi.ApiOperations;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import dev.coloha.web.security.TokenFilter;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.models.OpenAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

/**
 * Plumbing every COLO HA service gets by depending on colo-web: problem details, shared-token
 * authentication, heartbeats to the coordinator, the OpenAPI description's common parts (a service
 * that declares its {@link ApiOperations} gets the whole {@link ApiDescription}). Ordered before
 * Spring MVC's auto-configuration so that our {@link ProblemAdvice} replaces Boot's default problem
 * handler.
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@Import(ProblemAdvice.class)
@EnableConfigurationProperties({
  SecurityProperties.class,
  HeartbeatProperties.class,
  ApiDocProperties.class
})
public class ColoWebAutoConfiguration {
  private static final Logger log = LoggerFactory.getLogger(ColoWebAutoConfiguration.class);

  @Bean
  ServiceToken serviceToken(SecurityProperties props) {
    return new ServiceToken(props);
  }

  @Bean
  FilterRegistrationBean<TokenFilter> tokenFilter(
      SecurityProperties props, MeterRegistry registry) {
    FilterRegistrationBean<TokenFilter> reg =
        new FilterRegistrationBean<>(new TokenFilter(props, registry));
    reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    reg.setEnabled(props.enabled());
    if (!props.enabled()) {
      log.warn("colo.security.token is not set: the API accepts unauthenticated requests");
    }
    return reg;
  }

  @Bean
  @ConditionalOnProperty("colo.heartbeat.coordinator-url")
  CoordinatorHeartbeat coordinatorHeartbeat(HeartbeatProperties props, ServiceToken token) {
    return new CoordinatorHeartbeat(props, token);
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
