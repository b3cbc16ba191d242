package dev.coloha.web.security;

import dev.coloha.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses every request without {@code Authorization: Bearer <shared token>} with 401 and a problem
 * document, except the health probes that orchestrators call without credentials.
 */
public final class TokenFilter extends OncePerRequestFilter {
  private final byte[] expected;
  private final MeterRegistry registry;

  public TokenFilter(SecurityProperties props, MeterRegistry registry) {
    this.expected = ("Bearer " + props.token()).getBytes(StandardCharsets.UTF_8);
    this.registry = registry;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String path = request.getRequestURI();
    return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String header = request.getHeader("Authorization");
    byte[] offered = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
    if (MessageDigest.isEqual(expected, offered)) {
      chain.doFilter(request, response);
      return;
    }
    Counter.builder("colo.api.rejected")
        .description("API requests answered with an error, by problem type and status")
        .tags("type", "unauthorized", "status", "401")
        .register(registry)
        .increment();
    response.setHeader("WWW-Authenticate", "Bearer realm=\"colo-ha\"");
    String detail = header == null ? "missing Authorization header" : "wrong token";
    Problems.write(
        response,
        401,
        "unauthorized",
        "Authorization",
        "Authorization: "
            + detail
            + ": every COLO HA API needs 'Authorization: Bearer <colo.security.token>'",
        request.getRequestURI());
  }
}
