package dev.coloha.web.security;

import dev.coloha.api.ErrorKind;
import dev.coloha.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * How Spring Security refuses a call: an RFC 9457 problem, {@code unauthorized} (401, with {@code
 * WWW-Authenticate: Bearer}) for no or a wrong token, {@code forbidden} (403) for a call the token
 * does not allow; each counted in {@code colo.api.rejected} like every other refusal.
 */
public final class ProblemAuthenticationEntryPoint
    implements AuthenticationEntryPoint, AccessDeniedHandler {
  private final MeterRegistry registry;

  public ProblemAuthenticationEntryPoint(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void commence(
      HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
      throws IOException {
    count(ErrorKind.UNAUTHORIZED.slug(), 401);
    response.setHeader("WWW-Authenticate", "Bearer realm=\"colo-ha\"");
    String detail =
        request.getHeader("Authorization") == null ? "missing Authorization header" : "wrong token";
    Problems.write(
        response,
        401,
        ErrorKind.UNAUTHORIZED.slug(),
        "Authorization",
        "Authorization: "
            + detail
            + ": every COLO HA API needs 'Authorization: Bearer <colo.security.token>'",
        request.getRequestURI());
  }

  @Override
  public void handle(
      HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
      throws IOException {
    count(ErrorKind.FORBIDDEN.slug(), 403);
    Problems.write(
        response,
        403,
        ErrorKind.FORBIDDEN.slug(),
        null,
        "the token does not allow " + request.getMethod() + " " + request.getRequestURI(),
        request.getRequestURI());
  }

  private void count(String type, int status) {
    Counter.builder("colo.api.rejected")
        .description("API requests answered with an error, by problem type and status")
        .tags("type", type, "status", Integer.toString(status))
        .register(registry)
        .increment();
  }
}
