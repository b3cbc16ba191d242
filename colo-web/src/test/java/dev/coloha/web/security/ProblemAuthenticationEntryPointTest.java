package dev.coloha.web.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;

/** Spring Security's refusals are COLO HA problem documents, counted like every other refusal. */
class ProblemAuthenticationEntryPointTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ProblemAuthenticationEntryPoint refusals = new ProblemAuthenticationEntryPoint(registry);

  @Test
  void noTokenIsAnUnauthorizedProblemWithABearerChallenge() throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v1/groups");
    MockHttpServletResponse response = new MockHttpServletResponse();
    refusals.commence(request, response, new BadCredentialsException("x"));
    assertThat(response.getStatus()).isEqualTo(401);
    assertThat(response.getContentType()).startsWith("application/problem+json");
    assertThat(response.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"colo-ha\"");
    assertThat(response.getContentAsString())
        .contains(
            "\"type\":\"https://coloha.dev/problems/unauthorized\"",
            "\"status\":401",
            "missing Authorization header",
            "\"field\":\"Authorization\"");
    assertThat(
            registry
                .get("colo.api.rejected")
                .tags("type", "unauthorized", "status", "401")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void aDeniedCallIsAForbiddenProblem() throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest("DELETE", "/v1/groups/kv");
    MockHttpServletResponse response = new MockHttpServletResponse();
    refusals.handle(request, response, new AccessDeniedException("no"));
    assertThat(response.getStatus()).isEqualTo(403);
    assertThat(response.getContentType()).startsWith("application/problem+json");
    assertThat(response.getContentAsString())
        .contains(
            "\"type\":\"https://coloha.dev/problems/forbidden\"",
            "\"status\":403",
            "DELETE /v1/groups/kv");
    assertThat(
            registry
                .get("colo.api.rejected")
                .tags("type", "forbidden", "status", "403")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void onlyTheWholeBearerHeaderAuthenticates() {
    SharedTokenAuthenticationProvider provider =
        new SharedTokenAuthenticationProvider(new SecurityProperties("s3cret"));
    Authentication ok = provider.authenticate(SharedTokenAuthentication.offered("Bearer s3cret"));
    assertThat(ok.isAuthenticated()).isTrue();
    assertThat(ok.getCredentials()).isNull();
    for (String wrong :
        new String[] {"Bearer s3cre", "Bearer s3cretX", "bearer s3cret", "s3cret"}) {
      assertThatThrownBy(() -> provider.authenticate(SharedTokenAuthentication.offered(wrong)))
          .as(wrong)
          .isInstanceOf(BadCredentialsException.class);
    }
  }
}
