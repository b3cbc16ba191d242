package dev.coloha.web.security;

import dev.coloha.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.AuthenticationEntryPointFailureHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Bearer-token authentication of every COLO HA service through Spring Security: every request needs
 * {@code Authorization: Bearer <colo.security.token>} except the health probes ({@code
 * /actuator/health}, {@code /actuator/health/**}) that orchestrators call without credentials. A
 * refusal is a problem document ({@link ProblemAuthenticationEntryPoint}). Stateless: no session,
 * no CSRF token (a bearer token is never sent by a browser on its own), no login page, and no
 * headers added to the responses (streams and module downloads answer as they did). When the token
 * is not set, every request is let through (a warning at start-up).
 */
@AutoConfiguration(
    beforeName = {
      "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration"
    })
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(SecurityFilterChain.class)
@EnableConfigurationProperties(SecurityProperties.class)
public class BearerTokenSecurity {
  private static final Logger log = LoggerFactory.getLogger(BearerTokenSecurity.class);

  /** What orchestrators call without credentials (a token they do send is not even looked at). */
  static final RequestMatcher PROBES =
      new OrRequestMatcher(
          PathPatternRequestMatcher.pathPattern("/actuator/health"),
          PathPatternRequestMatcher.pathPattern("/actuator/health/**"));

  /** The one way in (and the reason Spring Boot makes no user with a generated password). */
  @Bean
  SharedTokenAuthenticationProvider sharedTokenAuthenticationProvider(SecurityProperties props) {
    return new SharedTokenAuthenticationProvider(props);
  }

  @Bean
  ProblemAuthenticationEntryPoint problemAuthenticationEntryPoint(MeterRegistry registry) {
    return new ProblemAuthenticationEntryPoint(registry);
  }

  /**
   * A request Spring Security's firewall refuses (a path parameter, {@code //}, an encoded dot or
   * percent, a control character in the path...) is an {@code invalid-path} problem, as what Tomcat
   * refuses before it (ProblemReportValve).
   */
  @Bean
  RequestRejectedHandler problemRequestRejectedHandler(MeterRegistry registry) {
    return (request, response, e) -> {
      Counter.builder("colo.api.rejected")
          .description("API requests answered with an error, by problem type and status")
          .tags("type", "invalid-path", "status", "400")
          .register(registry)
          .increment();
      Problems.write(
          response,
          400,
          "invalid-path",
          "path",
          "path: " + e.getMessage(),
          request.getRequestURI());
    };
  }

  @Bean
  SecurityFilterChain coloSecurityFilterChain(
      HttpSecurity http,
      SecurityProperties props,
      SharedTokenAuthenticationProvider provider,
      ProblemAuthenticationEntryPoint refusals)
      throws Exception {
    http.csrf(AbstractHttpConfigurer::disable)
        .formLogin(AbstractHttpConfigurer::disable)
        .httpBasic(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable)
        .requestCache(AbstractHttpConfigurer::disable)
        .headers(AbstractHttpConfigurer::disable)
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .exceptionHandling(e -> e.authenticationEntryPoint(refusals).accessDeniedHandler(refusals));
    if (!props.enabled()) {
      log.warn("colo.security.token is not set: the API accepts unauthenticated requests");
      http.authorizeHttpRequests(a -> a.anyRequest().permitAll());
      return http.build();
    }
    AuthenticationFilter bearer =
        new AuthenticationFilter(
            new ProviderManager(provider),
            request -> {
              String header = request.getHeader("Authorization");
              return header == null ? null : SharedTokenAuthentication.offered(header);
            });
    bearer.setRequestMatcher(new NegatedRequestMatcher(PROBES));
    bearer.setSuccessHandler((request, response, authentication) -> {});
    bearer.setFailureHandler(new AuthenticationEntryPointFailureHandler(refusals));
    http.addFilterBefore(bearer, AuthorizationFilter.class)
        .authorizeHttpRequests(
            a ->
                a
                    // the rest of an exchange that was let in: an async stream, an error page
                    .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR)
                    .permitAll()
                    .requestMatchers(PROBES)
                    .permitAll()
                    .anyRequest()
                    .authenticated());
    return http.build();
  }
}
